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

/* SIGHUP: re-read path and apply what reloads (collector/reload.h); a
 * file with mistakes changes nothing, and the log says why. */
void collector_reload(struct collector *c, const char *path);

/* Begin an orderly stop: disconnect, commit, close; the loop then ends. */
void collector_stop(struct collector *c);
void collector_free(struct collector *c);

#endif
