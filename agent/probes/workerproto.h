/*
 * What the agent and pantau-probe-worker say to each other (docs/probes.md,
 * "The probe worker"). The agent writes one request to the worker's stdin
 * and closes it:
 *
 *   {"kind":"http","name":"tally","target":"https://...","timeout_ms":10000,
 *    "params":{"method":"GET","max_bytes":"1048576",...},
 *    "budget":{"limit_bytes":100000000,"used_bytes":2000000}}
 *
 * params are the section's kind-specific keys as the config file would
 * write them (cfg_format), read back in the worker with the same key table
 * (cfg_apply), so both see the same values. The worker measures, prints one
 * reply on stdout and exits 0:
 *
 *   {"result":{...the probe's result, docs/protocol.md...},
 *    "spent_bytes":N,"maxrss_kb":K,"cpu_ms":C}
 *
 * spent_bytes: what the run used of the daily data budget, which the agent
 * then counts; maxrss_kb, cpu_ms: the worker's own peak RSS and CPU time
 * (logged by the agent at debug level, read by `make bench`).
 */
#ifndef PANTAU_WORKERPROTO_H
#define PANTAU_WORKERPROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/probes/probe.h"

/* Bound of a request and of a reply, in bytes. */
#define WORKERPROTO_MAX (64 * 1024)

struct workerproto_budget {
	int64_t limit_bytes;   /* the day's budget */
	int64_t used_bytes;    /* used so far today */
};

struct workerproto_stats {
	int64_t spent_bytes;   /* to count against the budget */
	int64_t maxrss_kb;     /* -1 when not reported */
	int64_t cpu_ms;        /* -1 when not reported */
};

/* The request for def as JSON text (free with free()); NULL when out of
 * memory or a parameter cannot be written. */
char *workerproto_request(const struct probe_def *def, const struct workerproto_budget *b);

/*
 * Read a request (len bytes of text) into def and *b: def->spec and
 * def->exec are those of the kind in kinds (the caller's table, ended by a
 * NULL spec), def->params is allocated (free it with free() whatever the
 * result). PANTAU_ERR_PARSE with why when the request is not valid JSON,
 * names no libcurl kind of kinds, or a parameter does not check.
 */
pantau_err workerproto_request_parse(const char *text, size_t len,
    const struct probe_kind *kinds, struct probe_def *def, struct workerproto_budget *b,
    char *why, size_t wlen);

/*
 * The result of a worker run from what it printed (out, len bytes) and how
 * it ended (exit status, or the signal that killed it when term_signal is
 * not 0): the worker's result when it exited 0 with a valid reply for def's
 * kind and target, else a failure result for def saying why ("probe worker
 * exited with signal 11 (Segmentation fault)"). *st is filled from the
 * reply (zeroes and -1 without one). NULL only when out of memory.
 */
json_t *workerproto_reply_parse(const struct probe_def *def, const char *out, size_t len,
    int64_t exit_status, int term_signal, struct workerproto_stats *st);

/* The reply text for result (not taken over); free with free(). */
char *workerproto_reply(const json_t *result, const struct workerproto_stats *st);

#endif
