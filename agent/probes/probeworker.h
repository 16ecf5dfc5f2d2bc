/*
 * The agent's side of pantau-probe-worker (docs/architecture.md, "The
 * probe worker"). The libcurl kinds (http, throughput, upload_task) have
 * probeworker_start and probeworker_cancel as their start and cancel: each
 * run spawns the worker (uv_spawn, same user as the agent), writes the
 * request to its stdin (agent/probes/workerproto.h), reads its reply from stdout
 * and calls run->done() with the worker's result, exactly as an in-process
 * probe would. Linking libcurl costs some 7 MiB of resident library pages;
 * a worker that lives only while it measures keeps them out of the agent.
 *
 * The agent keeps control: a worker still running at the probe's longest
 * duration plus PROBEWORKER_SLACK_MS is killed (SIGKILL); one that crashes,
 * exits non-zero, prints garbage or more than WORKERPROTO_MAX bytes gives a
 * failed result saying so; cancel kills it and reaps it on the loop. The
 * daily data budget stays here: the request carries what is left, the
 * reply what the run used, which is then counted.
 */
#ifndef PANTAU_PROBEWORKER_H
#define PANTAU_PROBEWORKER_H

#include <stddef.h>

#include "agent/probes/probe.h"

#define PROBEWORKER_NAME "pantau-probe-worker"
/* Time for the worker to start and to exit, beyond the probe's longest run. */
#define PROBEWORKER_SLACK_MS 3000

/* The exec part of every in_worker kind in the agent: start spawns the
 * worker at run->env->worker, cancel kills it. */
extern const struct probe_exec probeworker_exec;

/*
 * Where the worker is. configured (the [agent] probe_worker key) when not
 * empty; else next to the running program (/proc/self/exe), then in
 * ../libexec/pantau/ from it (the `make install` layout). PANTAU_OK with
 * the path when it is an executable file; PANTAU_ERR_NOT_FOUND with why
 * (naming the path and what to do) when not. path gets the first candidate
 * even then.
 */
pantau_err probeworker_locate(const char *configured, char *path, size_t len, char *why,
    size_t wlen);

#endif
