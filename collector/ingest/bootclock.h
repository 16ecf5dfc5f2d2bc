/*
 * The clock offset estimate of each agent's current boot (the newest, or
 * the one its latest birth announced)
 * (collector/ingest/clockest.h), in memory and read back from the boots
 * table (clock_offset_ms, clock_mono_ms; docs/storage.md) the first time a
 * boot is seen after a restart (only anchored estimates are stored, so
 * what is read back is anchored). An older boot (a backfill) is read from
 * the table each time and not kept. The store writes the estimates back
 * at commit (store_boot_clock).
 *
 * In memory the offsets are kept against the collector's own monotonic
 * clock (CLOCK_BOOTTIME), not its wall clock: when NTP steps the
 * collector's clock, every estimate follows at once instead of making
 * every agent look ahead or behind by the step. What goes in and out, and
 * the table, are wall-clock (epoch) times.
 */
#ifndef PANTAU_BOOTCLOCK_H
#define PANTAU_BOOTCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "clockest.h"
#include "collector/store/store.h"

struct bootclock;

/* The collector's wall clock minus its monotonic clock, ms (for tests). */
typedef int64_t (*bootclock_base_fn)(void *ctx);

/* base NULL: clock_real_ms() - clock_boot_ms(). */
struct bootclock *bootclock_new(struct store *store, bootclock_base_fn base, void *ctx);
void bootclock_free(struct bootclock *bc);

/* Feed a message of (agent, boot) sent at mono and received at recv
 * (prompt: clockest_feed); out gets the boot's estimate after it. False
 * when out of memory. */
bool bootclock_feed(struct bootclock *bc, const char *agent, int64_t boot, int64_t mono_ms,
    int64_t recv_ms, bool prompt, struct clockest *out);

#endif
