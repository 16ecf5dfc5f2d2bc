/*
 * The kinds pantau-probe-worker measures: for each libcurl kind (http,
 * throughput, upload_task) its spec part and its real exec part
 * (agent/probes/KIND_spec.c and KIND.c), run on the worker's own loop with
 * its curlglue. The agent's table (agent/probes/kinds.h) has the same specs
 * with the exec that spawns this worker, so both read a section alike.
 */
#ifndef PANTAU_WORKER_RUNNER_H
#define PANTAU_WORKER_RUNNER_H

#include "agent/probes/probe.h"

/* Ends with an entry whose spec is NULL. */
extern const struct probe_kind worker_kinds[];

#endif
