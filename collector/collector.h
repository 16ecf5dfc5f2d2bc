/*
 * The collector daemon: one libuv loop that drives the MQTT subscription
 * (persistent session, QoS 1), ingest into the store with batched commits,
 * and the HTTP API.
 */
#ifndef PANTAU_COLLECTOR_H
#define PANTAU_COLLECTOR_H

#include <uv.h>

#include "collector_config.h"
#include "err.h"

struct collector;

/* Open the store, load the catalog, start the API and the MQTT client.
 * On failure why says what to fix. */
pantau_err collector_new(uv_loop_t *loop, const struct collector_config *cfg,
    struct collector **out, char *why, size_t whylen);

/* Begin an orderly stop: disconnect, commit, close; the loop then ends. */
void collector_stop(struct collector *c);
void collector_free(struct collector *c);

#endif
