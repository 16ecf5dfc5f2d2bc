/*
 * The collector's HTTP API (docs/api.md) on the collector's libuv loop,
 * served by the HTTP server adaptor (common/httpd.h); replies are built
 * and sent by reply.h.
 *
 * Routes (GET, HEAD): /healthz, /api/v1/regions[?province=PP],
 * /api/v1/regions/{code}, /api/v1/sites/{agent}, /api/v1/stats, and /metrics
 * (Prometheus text, collector/api/metrics.h). The other replies are compact JSON; errors are {"error":"what was wrong and what to do"} with
 * the matching HTTP status (400, 404, 405, 414, 500).
 */
#ifndef PANTAU_API_H
#define PANTAU_API_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "catalog.h"
#include "err.h"
#include "collector/alerts/alerts.h"
#include "collector/status/engine.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/replay.h"
#include "collector/alerts/notify.h"
#include "collector/store/retention.h"
#include "collector/status/sitestate.h"
#include "collector/store/store.h"

/* Longest request path accepted (bytes, query string excluded): 414. */
#define API_MAX_PATH 256
/* Idle keep-alive connections are closed after this many seconds. */
#define API_CONNECTION_TIMEOUT_S 30
/* Simultaneous connections; more are refused by MHD. */
#define API_MAX_CONNECTIONS 256

struct api;

struct api_opts {
	const char *listen;      /* IPv4 or IPv6 address; NULL or "": 127.0.0.1 */
	int port;                /* 1..65535; 0: any free port (see api_port) */
	const char *web_dir;     /* the dashboard's files; NULL or "": no dashboard */
	int cache_ms;            /* national replies reused this long (respcache.h); 0: never */
	int window_s;            /* regional window in seconds; <= 0: 300 */
	struct site_rules rules; /* site status rules (sitestate.h); fields <= 0: 3, 60 */
	const struct engine *engine; /* the status engine (borrowed); NULL: liveness only */
	struct alerts *alerts;       /* the alerts (borrowed); NULL: none */
	const struct notify_stats *notify_stats; /* alert deliveries (borrowed); NULL: none */
	const struct retention_stats *retention_stats; /* deleted rows (borrowed); NULL: none */
	const struct replay_stats *replay_stats; /* replay figures (borrowed); NULL: none */
};

/*
 * Start serving on loop. store, stats and catalog are borrowed and must
 * outlive the api; the API reads through store_db(store) on the loop
 * thread. On failure *out is NULL and why says what to fix.
 */
pantau_err api_new(uv_loop_t *loop, const struct api_opts *o, struct store *store,
    const struct ingest_stats *stats, const struct catalog *catalog, struct api **out,
    char *why, size_t len);

/* Stop serving and release the api now; the server's handles close on
 * the loop (httpd.h): run the loop until it has no active handles. Safe
 * with NULL. */
void api_free(struct api *a);

/* The TCP port the API listens on (the one chosen when opts.port was 0). */
int api_port(const struct api *a);

#endif
