/*
 * Replay of missing batches (docs/protocol.md, "Replay command"): the
 * store's gaps (replayscan.h) asked for by the scheduler (replaysched.h)
 * through a publish callback, and the seqs given up or gone recorded lost.
 * Driven by replay_tick every REPLAY_TICK_MS; a scan pass over the boots
 * starts every interval_ms and runs in steps of REPLAY_STEP_ROWS seqs.
 */
#ifndef PANTAU_REPLAY_H
#define PANTAU_REPLAY_H

#include "collector/store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "collector/ingest/replayscan.h"
#include "collector/ingest/replaysched.h"
#include "err.h"
#include "wire.h"

#define REPLAY_TICK_MS 100
#define REPLAY_STEP_ROWS 20000

struct replay_opts {
	struct replaysched_opts sched;
	struct replayscan_opts scan;
	int64_t interval_ms;      /* between the starts of two scan passes */
};

/* Figures since the collector started (GET /api/v1/stats "replay"). */
struct replay_stats {
	uint64_t commands;        /* replay commands published */
	uint64_t gone_replies;    /* "gone" replies received */
	int64_t lost_gone;        /* seqs recorded lost because the agent said gone */
	int64_t lost_unanswered;  /* seqs recorded lost after max_asks unanswered asks */
	uint64_t passes;          /* scan passes finished */
	size_t gaps;              /* gaps being asked for now */
	int64_t seqs;             /* seqs in them */
	size_t agents;            /* agents they belong to */
};

/* Publish a replay command for g; false when it could not be sent. */
typedef bool (*replay_publish_fn)(void *ctx, const struct replay_gap *g);

struct replay;

pantau_err replay_new(struct db *db, const struct replay_opts *o, replay_publish_fn publish,
    void *ctx, struct replay **out);
void replay_free(struct replay *r);
void replay_set_opts(struct replay *r, const struct replay_opts *o);

/* Partitioned collectors: only the gaps of agents want says yes to are
 * scanned and asked for; a gap of another is let go, not recorded lost. */
void replay_set_filter(struct replay *r, replayscan_want_fn want, void *ctx);

/* Scan and ask what is due at now_ms; asks only when connected. */
void replay_tick(struct replay *r, int64_t now_ms, bool connected);
/* A batch was stored: its seq is no longer asked for. */
void replay_stored(struct replay *r, const char *agent, int64_t boot, int64_t seq);
/* The agent says these seqs are gone: the tracked ones are recorded lost. */
void replay_gone(struct replay *r, const char *agent, const struct wire_gone *g,
    int64_t now_ms);

/* The store reconnected, maybe to another server (a promoted replica that
 * lacks the last commits of the old primary): scan every boot from its
 * first seq again, at once (docs/storage.md, "Failover to a replica"). */
void replay_rescan(struct replay *r);

const struct replay_stats *replay_stats(const struct replay *r);

#endif
