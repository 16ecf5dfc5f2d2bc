/*
 * The probe interface. A probe kind has two parts:
 *
 *   spec  struct probe_spec: its name, config keys, checks, defaults and
 *         longest run. Shared by the agent, `pantau-agent check` and
 *         pantau-probe-worker, so all three read a [probe.NAME] section the
 *         same way. Needs nothing but common/.
 *   exec  struct probe_exec: start and cancel, which run it on a loop.
 *
 * The agent's table of kinds pairs each spec with the exec the agent runs
 * it with (agent/probes/kinds.h); the libcurl kinds (in_worker) run in
 * pantau-probe-worker, so in the agent their exec spawns the worker
 * (agent/probes/probeworker.h) and in the worker the real one runs
 * (agent/worker/runner.h). docs/architecture.md, "Adding a probe kind".
 *
 * Life of a measurement: the scheduler fills a struct probe_run and calls
 * exec->start(run). The probe works on the loop (its own uv handles, the
 * shared ICMP sockets or the libcurl multi in run->env) and calls
 * run->done(run, result) exactly once, never from inside start(). After
 * done() the probe holds nothing of the run. probe_run_cancel(run) aborts a
 * running measurement (agent shutdown, cycle overrun); done() is then not
 * called, and the probe releases its handles asynchronously on the loop.
 */
#ifndef PANTAU_PROBES_PROBE_H
#define PANTAU_PROBES_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cfg.h"
#include "err.h"
#include "rng.h"
#include "stats.h"
#include "wire.h"

struct budget;
struct curlglue;
struct icmpsock;

/* What probes share, owned by the agent (or the worker). */
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
	const struct probe_spec *spec;
	const struct probe_exec *exec;
	char target[WIRE_TARGET_MAX + 1];  /* host, host:port or URL, by kind */
	int interval_s;                    /* 0: every cycle */
	int timeout_ms;
	void *params;                      /* spec->params_size bytes, filled by spec->keys */
};

struct probe_run {
	const struct probe_def *def;
	struct probe_env *env;
	/* Called once with a result object (see docs/protocol.md), or an array
	 * of them (passive: one a destination group); ownership of result
	 * passes to the callee. */
	void (*done)(struct probe_run *run, json_t *result);
	void *owner;                       /* the scheduler's context */
	void *state;                       /* the probe's private state */
};

/* The spec part of a kind. */
struct probe_spec {
	const char *kind;                  /* "icmp", "tcp", "http", "stamp", ... */
	const struct cfg_key *keys;        /* kind-specific keys of its section */
	size_t nkeys;
	size_t params_size;
	int default_timeout_ms;
	/* Seconds between runs when the section sets no interval; 0: every
	 * cycle (path: every 10 minutes). */
	int default_interval_s;
	/* Check the target and params once parsed; false with why, which is
	 * shown after the key ("target: <why>"). */
	bool (*check)(const struct probe_def *def, char *why, size_t len);
	/* Longest a measurement may take with these params, in ms (used to
	 * check that probes fit the cycle). */
	int (*max_duration_ms)(const struct probe_def *def);
	/* What a failed result carries besides probe, target and error (icmp:
	 * sent and recv 0, loss_pct 100); NULL: "ok": false. */
	void (*failure_fields)(json_t *result);
	/* The probe fills the link (throughput, upload_task): a cycle runs it
	 * after the other probes have finished, one such probe at a time, so
	 * that it neither loads their measurements nor the others'. */
	bool loads_link;
	/* Measured in pantau-probe-worker (libcurl kinds). */
	bool in_worker;
	/* Set: `pantau-agent check` runs the probe after the others and the
	 * broker test, alone, with a copy of its params changed by this
	 * (passive: a short capture that sees none of the agent's own
	 * traffic). NULL: with the others, as configured. */
	void (*for_check)(void *params);
	/* Set: the probe also runs out of its turn, at the next cycle, when
	 * the last cycle's results (the batch's flat array) call for it (path:
	 * another probe's loss or RTT past its trigger keys): true, with why
	 * and in *gap_s the seconds that must have passed since its last run
	 * (agent/outofturn.c keeps that bound). */
	bool (*out_of_turn)(const struct probe_def *def, const json_t *results, int *gap_s,
	    char *why, size_t len);
};

/* keys, nkeys and params_size of a spec from its key table and params type. */
#define PROBE_KEYS(table, params_type) \
	.keys = (table), .nkeys = sizeof(table) / sizeof((table)[0]), \
	.params_size = sizeof(params_type)

/* The exec part of a kind. */
struct probe_exec {
	/* Begin one measurement. PANTAU_OK: done() will follow. Any error: no
	 * done() call; the scheduler reports the failure in the batch. */
	pantau_err (*start)(struct probe_run *run);
	/* Abort it; state was run->state (never NULL), which is NULL now. Called
	 * by probe_run_cancel only. */
	void (*cancel)(struct probe_run *run, void *state);
};

/* Abort run if its probe still holds it (exec->cancel); a second call, or
 * one after done(), does nothing. */
void probe_run_cancel(struct probe_run *run);

/* A kind as one program runs it: its spec and the exec it runs it with. */
struct probe_kind {
	const struct probe_spec *spec;
	const struct probe_exec *exec;
};

/* The kind called name in table (ended by an entry with spec NULL), or NULL. */
const struct probe_kind *probe_kind_in(const struct probe_kind *table, const char *name);

/* The kinds of table as text for messages: "icmp, tcp or http". */
void probe_kind_names(const struct probe_kind *table, char *buf, size_t len);

/* Build a failure result {"probe","target",...,"error"} for def (see
 * spec->failure_fields). */
json_t *probe_failure_result(const struct probe_def *def, const char *error);

/* failure_fields of the packet-train kinds: sent 0, recv 0, loss_pct 100. */
void probe_train_failure_fields(json_t *result);

/* st as the wire's quantile object {min, p50, avg, p95, max} (rtt_ms, the
 * dns kind's time_ms); NULL when out of memory. */
json_t *probe_quantiles_json(const struct rtt_stats *st);

/* What a packet train (icmp, stamp) measured, into its result: sent, recv,
 * loss_pct; rtt_ms, jitter_ms, pdv_ms when there are replies; and mos
 * (docs/probes.md). */
void probe_train_stats(json_t *result, const struct rtt_stats *st);

/* "N of COUNT WHAT could not be sent: ERR" as the result's error, when
 * failed > 0. */
void probe_train_send_failures(json_t *result, int failed, int count, int err,
    const char *what);

/* results (one element a probe: a result, or an array of them) as one list
 * of results, the batch's; takes results, NULL when out of memory. */
json_t *probe_results_flat(json_t *results);

/* True when any of the n definitions is measured in the probe worker. */
bool probe_needs_worker(const struct probe_def *defs, size_t n);

#endif
