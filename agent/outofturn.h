/*
 * Probes run out of their turn: a probe whose kind has out_of_turn (path)
 * runs at the next cycle, not only every N cycles, when the results of the
 * cycle that just ended call for it (another probe's loss or RTT past its
 * trigger keys), at most once in its kind's gap since its last run
 * (docs/probes.md, path, "At once when the results degrade"). The agent's
 * clock (uv_now) in ms throughout; pure, no I/O but one log line a trigger.
 */
#ifndef PANTAU_OUTOFTURN_H
#define PANTAU_OUTOFTURN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent_config.h"

struct outofturn {
	int64_t last_ms[AGENT_MAX_PROBES]; /* its last run; INT64_MIN: none yet */
	bool due[AGENT_MAX_PROBES];        /* runs at the next cycle */
};

/* No run yet and nothing due: at start and when a reload replaces the probes. */
void oot_reset(struct outofturn *o);
/* The cycle that ended (results: its flat array) marks the probes it calls for. */
void oot_judge(struct outofturn *o, const struct agent_config *cfg, const json_t *results,
    int64_t now_ms);
/* Whether probe i runs out of turn at this cycle (then no longer due). */
bool oot_take(struct outofturn *o, size_t i);
/* Probe i runs now, in or out of turn. */
void oot_ran(struct outofturn *o, size_t i, int64_t now_ms);

#endif
