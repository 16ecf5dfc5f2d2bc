/*
 * One measurement cycle: start a set of probes at once, collect their
 * results in configuration order, and hand them over as one JSON array
 * when the last finishes: one element a probe, its result or, for a probe
 * that hands over several (passive: one a group), their array
 * (probe_results_flat makes the batch's list). Probes that load the link
 * (ops->loads_link) wait until the others are done and then run one after
 * another. A probe still
 * running (or not yet started) at the deadline is cancelled and reported as
 * failed, so a cycle always ends.
 */
#ifndef PANTAU_CYCLE_H
#define PANTAU_CYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/probes/probe.h"

#define CYCLE_MAX_PROBES 64

/* results: JSON array, owned by the callee; ts_ms: when the cycle began. */
typedef void (*cycle_done_fn)(void *ctx, json_t *results, int64_t ts_ms);

struct cycle;

struct cycle *cycle_new(struct probe_env *env, cycle_done_fn done, void *ctx);
/* Cancel what runs and release (asynchronously on the loop). NULL is fine. */
void cycle_free(struct cycle *c);

/* Start n probes now; done() follows once all finished or at deadline_ms. */
pantau_err cycle_start(struct cycle *c, const struct probe_def *const *probes, size_t n,
    int deadline_ms);
bool cycle_active(const struct cycle *c);
/* CLOCK_BOOTTIME (ms) when the latest cycle began: the batch's mono_ms. */
int64_t cycle_mono_ms(const struct cycle *c);
/* Cancel running probes; done() is not called. */
void cycle_cancel(struct cycle *c);

#endif
