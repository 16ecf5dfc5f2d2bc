/*
 * The agent's daily data budget for traffic-heavy probes (throughput):
 * bytes used per UTC day, persisted in state_dir/budget ("DAY USED\n",
 * DAY = days since 1970-01-01 UTC) with the same durable write as the
 * boot counter, so a restart does not hand out a fresh budget. Metered
 * links get small defaults (budget_default_mb). Time is injected
 * (epoch milliseconds) for tests.
 */
#ifndef PANTAU_BUDGET_H
#define PANTAU_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct budget;

/* Default daily budget in MB (10^6 bytes) for a link type of
 * wire_link_names ("vsat-geo" ...); unknown links get the smallest. */
int budget_default_mb(const char *link);

/*
 * Open the budget of dir with limit_bytes per UTC day. A missing or
 * unreadable file starts the day at 0 used (logged). *out NULL on
 * PANTAU_ERR_NOMEM. dir NULL: in memory only (tests, `check`).
 */
pantau_err budget_new(const char *dir, int64_t limit_bytes, int64_t now_ms,
    struct budget **out);
void budget_free(struct budget *b);   /* NULL is a no-op */

int64_t budget_limit(const struct budget *b);
/* Bytes used today and left today (never below 0). */
int64_t budget_used(struct budget *b, int64_t now_ms);
int64_t budget_left(struct budget *b, int64_t now_ms);

/* Count bytes against today and store the figure. PANTAU_ERR_IO when it
 * could not be stored (the count still holds in memory). */
pantau_err budget_spend(struct budget *b, int64_t bytes, int64_t now_ms);

#endif
