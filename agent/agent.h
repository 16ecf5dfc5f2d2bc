/*
 * The agent daemon: one libuv loop. Every interval it runs the probes due,
 * encodes one result batch (wire contract v1) with the next seq of this
 * boot, puts it in the outbox and publishes while connected (QoS 1). A
 * retained birth message follows each CONNACK; the broker publishes the
 * retained last will when the connection dies; an orderly stop publishes
 * "offline, shutdown" itself.
 */
#ifndef PANTAU_AGENT_H
#define PANTAU_AGENT_H

#include <uv.h>

#include "agent_config.h"
#include "err.h"

struct agent;

/* Start measuring and connecting. why says what to fix on failure. cfg
 * stays the caller's and must outlive the agent; a reload swaps its
 * probes. */
pantau_err agent_new(uv_loop_t *loop, struct agent_config *cfg, struct agent **out,
    char *why, size_t len);

/* The running configuration. */
const struct agent_config *agent_config(const struct agent *a);

/* A reload (agent/reload.h): next's probes (next is the agent's from now
 * on, a malloc'd config) replace the running ones at the next cycle that
 * starts while none runs; worker: the probe worker's path they need, or
 * "". A later call before then replaces next. */
void agent_set_probes(struct agent *a, struct agent_config *next, const char *worker);

/* Orderly stop: cancel probes, publish the shutdown status (bounded wait
 * for its PUBACK), disconnect, close every handle; the loop then ends. */
void agent_stop(struct agent *a);

/* Release after the loop has ended. */
void agent_free(struct agent *a);

#endif
