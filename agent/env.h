/*
 * What probes share (struct probe_env): the ICMP sockets, opened once at
 * start so the agent can later run without root, and where the probe
 * worker is (the libcurl kinds run in it, agent/probes/probeworker.h).
 */
#ifndef PANTAU_ENV_H
#define PANTAU_ENV_H

#include <limits.h>
#include <stddef.h>
#include <uv.h>

#include "agent/probes/probe.h"
#include "rng.h"

struct agent_env {
	struct probe_env probe;
	struct rng rng;
	char icmp_why[256];   /* why no ICMP socket could be opened, or "" */
	char worker[PATH_MAX];
};

/* Open what probes need. A missing ICMP socket is not an error here: icmp
 * probes then report icmp_why. worker: the probe worker's path (found with
 * probeworker_locate), or NULL or "" when no probe needs it. */
pantau_err agent_env_open(uv_loop_t *loop, struct agent_env *env, const char *worker,
    char *why, size_t len);
/* Close everything (asynchronously on the loop). */
void agent_env_close(struct agent_env *env);

#endif
