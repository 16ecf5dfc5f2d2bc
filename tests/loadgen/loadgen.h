/*
 * The load generator's engine: one libuv loop, C MQTT connections
 * (common/mqttc.h), V virtual agents dealt round-robin over them
 * (agent i rides connection i mod C).
 *
 * Every message is QoS 1. A connection publishes only while connected and
 * keeps at most `inflight` messages unacknowledged; a PUBACK (on_publish)
 * frees a slot. Pacing:
 *   rate > 0          rate batches/s overall, shared by the connections in
 *                     proportion to their agents;
 *   interval > 0      each agent publishes every interval seconds;
 *   neither           as fast as the broker acknowledges.
 * Paced connections owe at most LG_BACKLOG_S seconds of batches (or one
 * window) when the broker falls behind or a connection is down.
 *
 * The run ends when count batches are published, duration is over, or
 * SIGINT/SIGTERM arrives; outstanding PUBACKs are then awaited for at most
 * LG_DRAIN_MS (a second signal skips the wait).
 *
 * With serve_replay, connection 0 subscribes to pantau/v1/cmd/+ and every
 * replay command is answered with the requested seqs the agent has used
 * (new figures, same identity), outside the windows; after the run the
 * connections stay up for that until SIGINT/SIGTERM. With replay_gone every
 * command is answered with a "gone" reply for all its seqs instead, as an
 * agent whose outbox lost them (docs/protocol.md, "Gone reply").
 */
#ifndef PANTAU_LOADGEN_H
#define PANTAU_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define LG_DRAIN_MS 15000
#define LG_BACKLOG_S 2.0

struct lg_opts {
	const char *host;
	int port;
	int connections;
	size_t agents;
	uint64_t count;        /* total batches; 0: unlimited */
	double rate;           /* batches/s overall; 0: not rate-paced */
	double duration_s;     /* 0: no limit */
	int inflight;          /* per connection */
	bool births;
	bool fleet_backoff;    /* reconnect like pantau-agent's defaults */
	bool serve_replay;     /* answer replay commands; after the run, until a signal */
	bool replay_gone;      /* with serve_replay: answer every one "gone" (no outbox) */
	bool demo;             /* vfleet_spec.demo */
	int interval_s;        /* 0: not interval-paced */
	uint64_t seed;
	bool seeded;
	const char *prefix;
	const char *catalog_dir;
};

struct lg_report {
	uint64_t published;    /* result batches handed to MQTT */
	uint64_t acked;        /* result batches acknowledged (PUBACK) */
	uint64_t births;       /* birth messages acknowledged */
	uint64_t replayed;     /* batches published again on a replay command */
	uint64_t gone;         /* "gone" replies published (replay_gone) */
	double seconds;        /* first publish to last PUBACK */
	int connections;       /* connections used (at most agents) */
	size_t agents;
	bool ever_connected;
};

void lg_opts_default(struct lg_opts *o);

/*
 * Run until done. PANTAU_OK when the run took place (see the report for
 * what it achieved); otherwise why says what stopped it from starting.
 */
pantau_err loadgen_run(const struct lg_opts *o, struct lg_report *r, char *why,
    size_t whylen);

#endif
