/*
 * The probe interface. Every probe kind is one file in agent/probes/ that
 * defines one `const struct probe_ops`, listed once in probe.c. Adding a
 * kind touches that new file and one table entry.
 *
 * The libcurl kinds (http, throughput, upload_task) are measured in a
 * short-lived process, pantau-probe-worker: in the agent their start and
 * cancel spawn and kill it (agent/probeworker.h), in the worker the real
 * ones run (agent/worker/runner.h). The agent does not link libcurl.
 *
 * Life of a measurement: the scheduler fills a struct probe_run and calls
 * ops->start(run). The probe works on the loop (its own uv handles, the
 * shared ICMP sockets or the shared libcurl multi in run->env) and calls
 * run->done(run, result) exactly once, never from inside start(). After
 * done() the probe holds nothing of the run. ops->cancel(run) aborts a
 * running measurement (agent shutdown, cycle overrun); done() is then not
 * called, and the probe releases its handles asynchronously on the loop.
 */
#ifndef PANTAU_PROBE_H
#define PANTAU_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cfg.h"
#include "err.h"
#include "rng.h"
#include "wire.h"

struct budget;
struct curlglue;
struct icmpsock;

/* What probes share, owned by the agent. */
struct probe_env {
	uv_loop_t *loop;
	struct curlglue *curl;     /* libcurl multi-socket on the loop (worker only) */
	struct icmpsock *icmp4;    /* shared ICMP socket, IPv4; NULL if unavailable */
	struct icmpsock *icmp6;    /* shared ICMPv6 socket; NULL if unavailable */
	struct rng *rng;
	struct budget *budget;     /* daily data budget (throughput); never NULL in a probe */
	const char *worker;        /* path of pantau-probe-worker (agent only), or NULL */
};

/* One configured probe: a [probe.NAME] section. */
struct probe_def {
	char name[64];                     /* NAME of [probe.NAME] */
	const struct probe_ops *ops;
	char target[WIRE_TARGET_MAX + 1];  /* host, host:port or URL, by kind */
	int interval_s;                    /* 0: every cycle */
	int timeout_ms;
	void *params;                      /* ops->params_size bytes, filled by ops->keys */
};

struct probe_run {
	const struct probe_def *def;
	struct probe_env *env;
	/* Called once with a result object (see docs/protocol.md); ownership of
	 * result passes to the callee. */
	void (*done)(struct probe_run *run, json_t *result);
	void *owner;                       /* the scheduler's context */
	void *state;                       /* the probe's private state */
};

struct probe_ops {
	const char *kind;                  /* "icmp", "tcp", "http", "stamp" */
	const struct cfg_key *keys;        /* kind-specific keys of its section */
	size_t nkeys;
	size_t params_size;
	int default_timeout_ms;
	/* Check the target and params once parsed; false with why, which is
	 * shown after the key ("target: <why>"). */
	bool (*check)(const struct probe_def *def, char *why, size_t len);
	/* Begin one measurement. PANTAU_OK: done() will follow. Any error: no
	 * done() call; the scheduler reports the failure in the batch. */
	pantau_err (*start)(struct probe_run *run);
	void (*cancel)(struct probe_run *run);
	/* Longest a measurement may take with these params, in ms (used to
	 * check that probes fit the cycle). */
	int (*max_duration_ms)(const struct probe_def *def);
	/* The probe fills the link (throughput, upload_task): a cycle runs it
	 * after the other probes have finished, one such probe at a time, so
	 * that it neither loads their measurements nor the others'. */
	bool loads_link;
	/* Measured in pantau-probe-worker (libcurl kinds): start and cancel
	 * are probeworker's, which spawns the worker for each run. */
	bool in_worker;
};

/* The probe kinds, NULL-terminated, and their names for messages. */
#define PROBE_KIND_LIST "icmp, tcp, http, stamp, throughput or upload_task"
extern const struct probe_ops *const probe_kinds[];
const struct probe_ops *probe_find(const char *kind);

/* Build a failure result {"probe","target","ok":false,"error"} for kinds
 * whose result carries ok; icmp gets sent/recv 0 and loss 100. */
json_t *probe_failure_result(const struct probe_def *def, const char *error);

/* An http:// or https:// URL with a valid host and port and no spaces;
 * false with why (naming example, a URL that would do). */
bool probe_url_check(const char *url, const char *example, char *why, size_t len);

/* True when any of the n definitions is measured in the probe worker. */
bool probe_needs_worker(const struct probe_def *defs, size_t n);

#endif
