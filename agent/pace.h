/*
 * Token bucket pacing the outbox's backfill (docs/outbox.md): rate bytes
 * per second, at most burst bytes saved up. A message may go whenever the
 * bucket is not in debt and leaves it in debt by what it costs beyond the
 * tokens, so a message larger than burst still goes, and the long-run rate
 * stays rate. The clock is injected.
 */
#ifndef PANTAU_PACE_H
#define PANTAU_PACE_H

#include <stdbool.h>
#include <stdint.h>

struct pace {
	double rate, burst, tokens;
	int64_t last_ms;
};

/* Start full. burst is raised to rate (one second's worth) when smaller. */
void pace_init(struct pace *p, double rate, double burst, int64_t now_ms);

/* Take n bytes' worth unless the bucket is in debt: true; else false and
 * nothing taken. */
bool pace_take(struct pace *p, double n, int64_t now_ms);

/* Milliseconds until pace_take can succeed (0 when it can now; at least 1
 * otherwise). */
uint64_t pace_wait_ms(struct pace *p, int64_t now_ms);

#endif
