/*
 * Retention (docs/storage.md, "Retention"): rows older than keep_ms are
 * deleted in small steps, so the collector's one loop is never held for
 * long. A run starts at now_ms with cutoff = now_ms - keep_ms and goes
 * through three phases, one chunk per retention_step() call:
 *
 *   batches  the prefix of batches in arrival order (id) whose receive
 *            time (recv_ms, the collector's clock, never the agent's)
 *            is before the cutoff, with their results; the scan stops at
 *            the first batch received after the cutoff, so a collector
 *            clock that went back never deletes a recent batch
 *   events   status changes whose ts_ms is before the cutoff
 *   boots    delivery counts of boots whose latest batch was received
 *            before the cutoff (none of their batches are left)
 *
 * The deletes join the store's open transaction (store_begin) and are
 * committed with it.
 */
#ifndef PANTAU_RETENTION_H
#define PANTAU_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct retention_opts {
	int64_t keep_ms;      /* keep rows this young; > 0 */
	int step_batches;     /* batches (and their results) deleted per step */
	int step_rows;        /* events or boots rows deleted per step */
};

/* Since the collector started. */
struct retention_stats {
	uint64_t runs;             /* finished runs */
	uint64_t batches;          /* rows deleted */
	uint64_t results;
	uint64_t events;
	uint64_t boots;
	int64_t longest_step_us;   /* the longest single step */
	int64_t last_run_ms;       /* when the latest finished run started; 0: none */
};

struct retention;

pantau_err retention_new(struct store *s, const struct retention_opts *o, struct retention **out);
void retention_free(struct retention *r);

/* Begin a run at now_ms (epoch ms), unless one is under way. */
void retention_start(struct retention *r, int64_t now_ms);
/* True while a run is under way. */
bool retention_running(const struct retention *r);
/* Delete one chunk of the run under way. When the run catches up it ends
 * (one info log line with its counts). */
pantau_err retention_step(struct retention *r);

const struct retention_stats *retention_stats(const struct retention *r);

#endif
