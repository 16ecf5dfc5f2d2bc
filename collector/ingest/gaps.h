/*
 * Gaps in the seqs of each (agent, boot), found in the store, to be asked
 * for again with a replay command (docs/protocol.md). A boot's seqs run
 * 1..max_seq, so the boots table says which boots have gaps; the batches
 * of those boots are then read in seq order through the unique index.
 * Stateless: a gap is asked for again at every scan until it is filled or
 * its boot has received nothing for window_ms (the agent's retention), so
 * a collector restart or a lost command costs nothing but one more scan.
 */
#ifndef PANTAU_GAPS_H
#define PANTAU_GAPS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"

struct gap {
	char agent[WIRE_AGENT_MAX + 1];
	int64_t boot, from_seq, to_seq;   /* at most WIRE_REPLAY_MAX seqs */
};

struct gaps_opts {
	int64_t min_age_ms;   /* ask only once the batch after the gap is this old */
	int64_t window_ms;    /* skip boots that received nothing for this long, and
	                       * gaps whose next batch is older than this */
};

struct gaps;

pantau_err gaps_new(sqlite3 *db, const struct gaps_opts *o, struct gaps **out);
void gaps_free(struct gaps *g);

/* Up to max gaps to ask for at now_ms, most recently active boots first. */
pantau_err gaps_find(struct gaps *g, int64_t now_ms, struct gap *out, size_t max, size_t *n);

#endif
