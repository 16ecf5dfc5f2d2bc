/*
 * One measurement in pantau-probe-worker: read the agent's request
 * (agent/probes/workerproto.h), run the kind's real probe code on a fresh uv loop
 * with its own libcurl multi (curlglue) and an in-memory budget holding
 * the agent's allowance, and return the reply text.
 */
#ifndef PANTAU_WORKER_WORKER_H
#define PANTAU_WORKER_WORKER_H

#include <stddef.h>

#include "err.h"

/*
 * Measure what req (len bytes) asks for. PANTAU_OK with *reply (free with
 * free()); a probe that fails still gives PANTAU_OK and a failed result.
 * PANTAU_ERR_PARSE with why when the request is bad, PANTAU_ERR_NOMEM.
 */
pantau_err worker_measure(const char *req, size_t len, char **reply, char *why, size_t wlen);

#endif
