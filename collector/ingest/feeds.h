/*
 * The collector's MQTT connections and what each subscribes to
 * (docs/protocol.md, "Topics"). With [broker] split_status, results have
 * the main connection to themselves and status and replies come on a side
 * one (client id client_id-status, a persistent session of its own): a
 * flood on a status topic, which the ACL lets each agent write
 * (deploy/mosquitto/pantau.acl), then queues in the side connection's
 * stream, not ahead of the results, and the loop reads the two in turn.
 * Check, command and mode messages are not subscribed to at all. Without
 * split: pantau/v1/# on one connection. Tells ingest whether every
 * subscription is acknowledged (GET /api/v1/stats: subscribed).
 */
#ifndef PANTAU_FEEDS_H
#define PANTAU_FEEDS_H

#include <stdbool.h>
#include <uv.h>

#include "collector/ingest/ingest.h"
#include "mqttc.h"

struct feeds;

/* The main connection's events go to the collector; the side one's are
 * handled (logged) here. Messages of both go to on_message. */
struct feeds_callbacks {
	void (*on_connect)(void *ctx);
	void (*on_fail)(void *ctx, enum mqttc_fail why, const char *text);
	void (*on_message)(void *ctx, const struct mosquitto_message *msg);
	void *ctx;
};

/* Start connecting with opts (client_id, clean_session and max_inflight
 * set here); NULL when a client cannot be started. */
struct feeds *feeds_new(uv_loop_t *loop, const struct mqttc_opts *opts, bool split,
    struct ingest *in, const struct feeds_callbacks *cb);
/* Stop both connections. Safe with NULL. */
void feeds_free(struct feeds *f);

/* A started client as all the collector's connections are (the cluster's
 * partitions' too): opts with client id id, a persistent session, up to
 * 1000 messages in flight. NULL when it cannot be started. */
struct mqttc *feeds_client(uv_loop_t *loop, const struct mqttc_opts *opts, const char *id,
    const struct mqttc_callbacks *cb, void *ctx);

/* The main connection: commands and the mode are published on it. */
struct mqttc *feeds_main(struct feeds *f);

#endif
