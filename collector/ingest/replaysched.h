/*
 * Replay scheduler: which gap in an agent's seqs to ask for next, and when
 * to stop asking (docs/protocol.md, "Replay command"). It holds the gaps
 * found in the store (collector/ingest/replayscan.h) and hands them out
 *  - round robin over the agents that have a gap due, so an agent with
 *    many gaps, or many agents that never answer, cannot starve the rest;
 *  - within an agent, the gap asked longest ago (or found longest ago) first;
 *  - at most `rate` commands per second (a token bucket holding one
 *    second's worth, at least one command);
 *  - after its k-th ask a gap waits backoff_ms * 2^(k-1), at most
 *    backoff_max_ms, before it is due again;
 *  - once asked max_asks times and unanswered for one more wait it is given
 *    up: handed out once as lost, then forgotten.
 * Seqs that arrive, or that the agent says are gone, are forgotten at once
 * (replaysched_forget). It also keeps, per (agent, boot), how far the
 * store's seqs have been scanned for gaps, so a scan reads only new rows.
 * No I/O and no clock of its own: every call takes now_ms.
 */
#ifndef PANTAU_REPLAYSCHED_H
#define PANTAU_REPLAYSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct replay_gap {
	char agent[WIRE_AGENT_MAX + 1];
	int64_t boot, from_seq, to_seq;   /* at most WIRE_REPLAY_MAX seqs */
	int asks;                         /* asks so far, this one included */
};

struct replaysched_opts {
	double rate;              /* commands per second, > 0 */
	int64_t backoff_ms;       /* wait after the first ask */
	int64_t backoff_max_ms;   /* longest wait between asks */
	int max_asks;             /* asks before a gap is given up, >= 1 */
};

struct replaysched_stats {
	uint64_t asked;           /* commands handed out */
	uint64_t given_up;        /* gaps given up unanswered */
	int64_t given_up_seqs;    /* seqs in them */
	size_t gaps;              /* gaps tracked now */
	int64_t seqs;             /* seqs in them */
	size_t agents;            /* agents with a gap now */
};

enum replaysched_do {
	RS_NONE,                  /* nothing due, or the rate is spent */
	RS_ASK,                   /* publish a replay command for the gap */
	RS_LOST,                  /* given up: record it lost */
};

struct replaysched;

struct replaysched *replaysched_new(const struct replaysched_opts *o);
void replaysched_free(struct replaysched *s);
void replaysched_set_opts(struct replaysched *s, const struct replaysched_opts *o);

/* Track seqs from..to (at most WIRE_REPLAY_MAX) of (agent, boot), first due
 * at ready_ms. Seqs already tracked are not added twice. False when out of
 * memory. */
bool replaysched_add(struct replaysched *s, const char *agent, int64_t boot, int64_t from,
    int64_t to, int64_t ready_ms);

/* What to do next at now_ms; out receives the gap for RS_ASK and RS_LOST.
 * Call until RS_NONE. */
enum replaysched_do replaysched_next(struct replaysched *s, int64_t now_ms,
    struct replay_gap *out);

/* Seqs from..to of (agent, boot) are no longer missing (stored) or never
 * will be (gone): stop asking for them. fn, when not NULL, receives each
 * tracked piece removed. Returns the number of seqs removed. */
int64_t replaysched_forget(struct replaysched *s, const char *agent, int64_t boot, int64_t from,
    int64_t to, void (*fn)(void *ctx, const struct replay_gap *piece), void *ctx);

/* Highest seq of (agent, boot) scanned for gaps so far; 0: none. */
int64_t replaysched_scanned(const struct replaysched *s, const char *agent, int64_t boot);
/* False when out of memory. */
bool replaysched_set_scanned(struct replaysched *s, const char *agent, int64_t boot,
    int64_t seq);

/* Forget every scanned mark: the next scan reads each boot from its first
 * seq, e.g. on a database that may lack rows read before (a promoted
 * replica). The gaps tracked stay. */
void replaysched_rescan(struct replaysched *s);

const struct replaysched_stats *replaysched_stats(const struct replaysched *s);

#endif
