/*
 * Time by the collector's clock (docs/protocol.md, "Time"): each (agent,
 * boot) has an offset from the agent's monotonic clock (CLOCK_BOOTTIME,
 * the wire's mono_ms) to the collector's, estimated as the least receive -
 * mono over the boot's messages, so a message delayed in an outbox or a
 * queue never raises it. The least is allowed to age upwards by
 * CLOCKEST_DRIFT_PPM of the mono time passed, so two crystals drifting
 * apart are followed and the next prompt message corrects it. With it the
 * collector judges the agent's wall-clock timestamp: implausible, or more
 * than CLOCKEST_SKEW_MS off the estimate, and the estimate is used. The
 * estimate judges only once it is anchored by a message known to be sent
 * at once (a birth, after every CONNACK): a boot heard of only through its
 * backlog has every figure delayed, and being late cannot be told from
 * being behind. Pure: no clock, no I/O.
 */
#ifndef PANTAU_CLOCKEST_H
#define PANTAU_CLOCKEST_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/status/clockskew.h"

#define CLOCKEST_EARLIEST_MS 1577836800000LL     /* 2020-01-01T00:00:00Z */
#define CLOCKEST_AHEAD_MS (24LL * 3600 * 1000)   /* more ahead of receipt: implausible */
#define CLOCKEST_SKEW_MS CLOCKSKEW_MS             /* more off the estimate: a wrong clock */
#define CLOCKEST_DRIFT_PPM 100

struct clockest {
	bool known;
	bool anchored;           /* fed a prompt message (or read back from the store) */
	int64_t offset_ms;       /* collector time = mono + offset */
	int64_t at_mono_ms;      /* mono of the message that last set it */
};

/* A message of the boot sent at mono and received at recv (epoch ms);
 * prompt: sent as soon as it was made (a birth). */
void clockest_feed(struct clockest *c, int64_t mono_ms, int64_t recv_ms, bool prompt);

/* The collector's time of mono; c must be known. */
int64_t clockest_time(const struct clockest *c, int64_t mono_ms);

/* Not before 2020, and at most a day ahead of its receipt. */
bool clockest_plausible(int64_t ts_ms, int64_t recv_ms);

/* What the collector makes of a batch's timestamp. */
struct clockest_time {
	bool reject;             /* implausible and nothing to place it by: bad_timestamp */
	bool retimed;            /* ts_ms is the estimate (or the receipt) */
	int64_t ts_ms;
	bool skew_known;
	int64_t skew_ms;         /* the agent's clock minus the estimate; > 0 ahead */
};

/* ts as the agent sent it, received at recv; c the boot's estimate after
 * feeding this batch, or NULL when the batch has no mono_ms. An estimate
 * not anchored only places an implausible ts. */
void clockest_judge(const struct clockest *c, int64_t ts_ms, int64_t mono_ms, int64_t recv_ms,
    struct clockest_time *out);

#endif
