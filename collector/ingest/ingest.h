/*
 * Ingest: every MQTT message the collector receives goes through here. It
 * is validated against the wire contract (common/wire.h) and the region
 * catalog, then stored; a rejected message is logged with its reason
 * (rate-limited) and counted per reason, and never stops the collector.
 */
#ifndef PANTAU_INGEST_H
#define PANTAU_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "collector/store/store.h"
#include "wire.h"

/* Counters since the collector started; read by the HTTP API. */
struct ingest_stats {
	int64_t started_ms;         /* epoch ms */
	uint64_t received;          /* messages on the subscribed topics */
	uint64_t batches_stored;
	uint64_t results_stored;
	uint64_t duplicates;        /* batches already stored: not written again */
	uint64_t retimed;           /* batches stored at the collector's estimate of their
	                             * time: the agent's clock was off (docs/protocol.md) */
	uint64_t status_stored;     /* birth / will messages */
	uint64_t ignored;           /* empty retained clears; cmd/mode/check topics when
	                             * subscribed to (!split_status) */
	uint64_t rejected;          /* total of rejected_by[] */
	uint64_t rejected_by[WIRE_REASON_COUNT];
	uint64_t store_errors;
	int64_t last_message_ms;    /* receive time of the latest message, 0 if none */
	bool subscribed;            /* the broker acknowledged every subscription (SUBACK) */
};

struct ingest;

struct ingest *ingest_new(struct store *store, const struct catalog *catalog);
void ingest_free(struct ingest *in);

/* Told of every batch stored (not a duplicate) and every status message
 * stored, after the store has them: the status engine listens here; and
 * of every valid "gone" reply (replay listens: collector/ingest/replay.h). */
struct ingest_listener {
	void (*batch)(void *ctx, const char *regency, const struct wire_batch *b, int64_t recv_ms);
	void (*status)(void *ctx, const char *regency, const char *agent,
	    const struct wire_status *st, int64_t recv_ms);
	/* Whether a message of agent may be stored: false rejects it as
	 * too_many_agents, with why (a sentence) in the log. NULL: all are. */
	bool (*admit)(void *ctx, const char *agent, char *why, size_t len);
	void (*gone)(void *ctx, const char *agent, const struct wire_gone *g, int64_t recv_ms);
	void *ctx;
};
void ingest_listen(struct ingest *in, const struct ingest_listener *l);

/* Handle one message received at recv_ms (epoch ms). */
void ingest_message(struct ingest *in, const char *topic, const void *payload, size_t len,
    int64_t recv_ms);

const struct ingest_stats *ingest_stats(const struct ingest *in);

/* Whether the collector's subscriptions are all in place (for the stats). */
void ingest_set_subscribed(struct ingest *in, bool yes);

/* Periodic work at now_ms: the minute's summary of the rejections that were
 * not logged one by one (collector/ingest/rejectlog.h). */
void ingest_tick(struct ingest *in, int64_t now_ms);

#endif
