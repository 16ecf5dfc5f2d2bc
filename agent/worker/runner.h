/*
 * What pantau-probe-worker runs: for each libcurl kind (http, throughput,
 * upload_task) the real start and cancel of a measurement, on the worker's
 * own loop with its curlglue. The kind's keys, checks and durations stay
 * the agent's (agent/probes/), so both read a section the same way.
 */
#ifndef PANTAU_WORKER_RUNNER_H
#define PANTAU_WORKER_RUNNER_H

#include <stdbool.h>

#include "agent/probe.h"

struct probe_runner {
	const char *kind;
	/* As struct probe_ops start and cancel (agent/probe.h). */
	pantau_err (*start)(struct probe_run *run);
	void (*cancel)(struct probe_run *run);
};

extern const struct probe_runner probe_http_runner;
extern const struct probe_runner probe_throughput_runner;
extern const struct probe_runner probe_upload_task_runner;

/*
 * The ops the worker measures kind with: the agent's ops of that kind with
 * the runner's start and cancel in *out. false when kind is not measured in
 * the worker.
 */
bool probe_runner_ops(const char *kind, struct probe_ops *out);

#endif
