/*
 * The collector's HTTP API (docs/api.md) on the collector's libuv loop,
 * served by the HTTP server adaptor (common/httpd.h); replies are built
 * and sent by reply.h.
 *
 * Routes (GET, HEAD): /healthz, /api/v1/regions[?province=PP], /api/v1/incidents,
 * /api/v1/regions/{code}, /api/v1/sites/{agent}, /api/v1/stats, /metrics
 * (Prometheus text, collector/api/metrics.h) and /api/v1/tokens; DELETE
 * /api/v1/tokens/{id}. The other replies are compact JSON; errors are
 * {"error":"what was wrong and what to do"} with the matching HTTP status
 * (400, 401, 403, 404, 405, 409, 414, 500).
 *
 * Who asks (auth.h): with tokens on, every route but /healthz and the
 * dashboard's files takes a token, and the token routes an admin one.
 * Beyond loopback the API serves HTTPS only and always asks for tokens.
 */
#ifndef PANTAU_API_H
#define PANTAU_API_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "catalog.h"
#include "collector/enrol/enrolcfg.h"
#include "err.h"
#include "collector/alerts/alerts.h"
#include "collector/incidents/incidents.h"
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
/* Connections one client address may hold: a slow or hostile client
 * (slowloris) takes at most this many of the API's connections. */
#define API_PER_CLIENT 32

struct api;

/* [api] auth: auto asks for tokens unless the API listens on loopback only. */
enum api_auth { API_AUTH_AUTO, API_AUTH_ON, API_AUTH_OFF };

struct api_opts {
	const char *listen;      /* IPv4 or IPv6 address; NULL or "": 127.0.0.1 */
	int port;                /* 1..65535; 0: any free port (see api_port) */
	const char *web_dir;     /* the dashboard's files; NULL or "": no dashboard */
	int cache_ms;            /* national replies reused this long (respcache.h); 0: never */
	int max_connections;     /* in all; <= 0: API_MAX_CONNECTIONS */
	int per_client;          /* per client address; <= 0: API_PER_CLIENT */
	enum api_auth auth;      /* API_AUTH_OFF only on loopback */
	const char *tls_cert;    /* PEM files: HTTPS (httpd.h); NULL or "": plain HTTP, */
	const char *tls_key;     /* which only a loopback listen may serve */
	int window_s;            /* regional window in seconds; <= 0: 300 */
	struct site_rules rules; /* site status rules (sitestate.h); fields <= 0: 3, 60 */
	const struct engine *engine; /* the status engine (borrowed); NULL: liveness only */
	struct alerts *alerts;       /* the alerts (borrowed); NULL: none */
	struct incidents *incidents; /* the incidents (borrowed); NULL: none */
	const struct sitepath *paths; /* the sites' latest paths (borrowed); NULL: none */
	const struct notify_stats *notify_stats; /* alert deliveries (borrowed); NULL: none */
	const struct retention_stats *retention_stats; /* deleted rows (borrowed); NULL: none */
	const struct replay_stats *replay_stats; /* replay figures (borrowed); NULL: none */
	const struct enrol_cfg *enrol; /* [enrol] (collector/enrol/enrolapi.h); NULL: off */
};

/*
 * Start serving on loop. store, stats and catalog are borrowed and must
 * outlive the api; the API reads through store_db(store) on the loop
 * thread, and commits the store's open transaction before it revokes a
 * token. On failure *out is NULL and why says what to fix
 * (PANTAU_ERR_CONFIG: plain HTTP, or auth off, beyond loopback).
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
