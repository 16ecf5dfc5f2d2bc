/*
 * The store's side of replay (docs/protocol.md, "Replay command"): finds
 * the gaps in the seqs of each (agent, boot) and hands them to the replay
 * scheduler (replaysched.h), and records the seqs given up in the lost
 * table (docs/storage.md).
 *
 * A pass walks the boots that have fewer batches stored, and recorded
 * lost, than their highest seq and that received something within
 * window_ms, in (agent, boot) order, in steps of at most max_rows seqs
 * read, so the loop keeps its turns. A boot's seqs are read from where the
 * previous pass stopped (replaysched_scanned), so each batch row is read
 * once per collector run. A gap is tracked from when the batch after it
 * is min_age_ms old (a backfill still on its way is not asked for at
 * once), and not at all when that batch came more than window_ms ago (the
 * agent no longer holds it). Seqs recorded lost are not tracked again,
 * also after a restart.
 */
#ifndef PANTAU_REPLAYSCAN_H
#define PANTAU_REPLAYSCAN_H

#include "collector/store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/ingest/replaysched.h"
#include "err.h"

struct replayscan_opts {
	int64_t min_age_ms;
	int64_t window_ms;
};

struct replayscan;

pantau_err replayscan_new(struct db *db, const struct replayscan_opts *o,
    struct replayscan **out);
void replayscan_free(struct replayscan *r);

/* Partitioned collectors: only the boots of agents want says yes to are
 * scanned (NULL: all). */
typedef bool (*replayscan_want_fn)(void *ctx, const char *agent);
void replayscan_filter(struct replayscan *r, replayscan_want_fn want, void *ctx);

/* One step of the pass: reads at most max_rows seqs and adds the gaps
 * found to s. *done is true when the pass is over; the next call starts a
 * new one (and first, once an hour, deletes the lost rows of boots
 * retention deleted). */
pantau_err replayscan_step(struct replayscan *r, struct replaysched *s, int64_t now_ms,
    size_t max_rows, bool *done);

/* The pass running, if any, is dropped: the next step starts a new one. */
void replayscan_restart(struct replayscan *r);

/* Record g's seqs lost: reason "unanswered" or "gone". */
pantau_err replayscan_lost(struct replayscan *r, const struct replay_gap *g, const char *reason,
    int64_t now_ms);

#endif
