/*
 * Token bucket pacing the outbox's backfill (docs/outbox.md): rate bytes
 * per second, at most burst bytes saved up. The clock is injected.
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

/* Take n bytes' worth when available: true; else false and nothing taken. */
bool pace_take(struct pace *p, double n, int64_t now_ms);

/* Milliseconds until n bytes' worth is available (0 when it is now; at
 * least 1 otherwise). */
uint64_t pace_wait_ms(struct pace *p, double n, int64_t now_ms);

#endif
