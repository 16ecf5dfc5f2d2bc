/*
 * The clock offset estimate of each agent's current boot (the newest, or
 * the one its latest birth announced)
 * (collector/ingest/clockest.h), in memory and read back from the boots
 * table (clock_offset_ms, clock_mono_ms; docs/storage.md) the first time a
 * boot is seen after a restart (only anchored estimates are stored, so
 * what is read back is anchored). An older boot (a backfill) is read from
 * the table each time and not kept. The store writes the estimates back
 * at commit (store_boot_clock).
 */
#ifndef PANTAU_BOOTCLOCK_H
#define PANTAU_BOOTCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "clockest.h"
#include "collector/store/store.h"

struct bootclock;

struct bootclock *bootclock_new(struct store *store);
void bootclock_free(struct bootclock *bc);

/* Feed a message of (agent, boot) sent at mono and received at recv
 * (prompt: clockest_feed); out gets the boot's estimate after it. False
 * when out of memory. */
bool bootclock_feed(struct bootclock *bc, const char *agent, int64_t boot, int64_t mono_ms,
    int64_t recv_ms, bool prompt, struct clockest *out);

#endif
