/*
 * Read side of the store for the HTTP API: SQL in, JSON out (docs/api.md).
 *
 * A query object keeps its prepared statements
 * on the store's connection for its whole life; use it only on the thread
 * that owns that connection (the collector's loop thread), and free it
 * before the store is closed. Every function takes "now" (epoch ms) so the
 * windows and ages are deterministic in tests.
 *
 * Results are new JSON values the caller owns (json_decref). Errors:
 * PANTAU_ERR_NOT_FOUND (no such site / regency / province),
 * PANTAU_ERR_DB (logged with SQLite's message), PANTAU_ERR_NOMEM.
 */
#ifndef PANTAU_QUERY_H
#define PANTAU_QUERY_H

#include <jansson.h>
#include "collector/store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "collector/alerts/alerts.h"
#include "collector/incidents/incidents.h"
#include "collector/status/engine.h"
#include "err.h"
#include "collector/ingest/ingest.h"
#include "collector/store/retention.h"
#include "collector/ingest/replay.h"
#include "collector/status/sitestate.h"

/* Most points one "series" returns; past it the reply says truncated. */
#define QUERY_SERIES_MAX_ROWS 20000
/* Most batches one "series" reads (the newest ones): 7 days at one batch
 * per 30 s. Bounds the time a request holds the collector's loop; past it
 * the oldest part is left out and the reply says truncated. */
#define QUERY_SERIES_MAX_BATCHES 20160

/* A site's latest upload rate counts in its regency's upload_mbps while it
 * is at most this old (measurement time). */
#define QUERY_UPLOAD_MAX_AGE_MS (24 * 3600 * 1000)

/* Time ranges of GET /api/v1/sites/{agent}?range= (docs/api.md). */
enum query_range {
	QUERY_RANGE_1H,   /* the last hour, every measurement */
	QUERY_RANGE_24H,  /* the last 24 hours in 5-minute buckets */
	QUERY_RANGE_7D,   /* the last 7 days in 1-hour buckets */
	QUERY_RANGE_COUNT
};

/* "1h", "24h" or "7d" into *out; false for anything else. */
bool query_range_parse(const char *s, enum query_range *out);

struct query;

struct query_opts {
	int window_s;             /* regional window; <= 0: 300 */
	struct site_rules rules;  /* passed to sitestate_eval; fields <= 0: 3 and 60 */
	const struct engine *engine; /* site and regional status; NULL: liveness only */
	struct alerts *alerts;       /* the alerts; NULL: none */
	struct incidents *incidents; /* the incidents; NULL: none */
	const struct sitepath *paths; /* the sites' latest paths; NULL: none */
	const struct retention_stats *retention; /* rows deleted; NULL: retention off */
	const struct replay_stats *replay;       /* replay figures; NULL: none */
};

/* Prepare the statements on db. catalog (borrowed) names the regions and
 * must outlive the query. On failure why says what went wrong. */
pantau_err query_new(struct db *db, const struct catalog *catalog, const struct query_opts *o,
    struct query **out, char *why, size_t whylen);
/* Finalize the statements. Safe with NULL. */
void query_free(struct query *q);

/* {"generated","window_s","regions":[...]} worst first. province: NULL
 * for all, else a 2-digit code (PANTAU_ERR_NOT_FOUND when not in the
 * catalog). */
pantau_err query_regions(struct query *q, const char *province, int64_t now_ms, json_t **out);

/* One regency ("32.73") with its sites worst first. PANTAU_ERR_NOT_FOUND
 * when the code is not in the catalog. */
pantau_err query_region(struct query *q, const char *code, int64_t now_ms, json_t **out);

/* One site: details, the latest batch's results, the series of the range.
 * PANTAU_ERR_NOT_FOUND when no such agent is stored. */
pantau_err query_site(struct query *q, const char *agent, enum query_range range,
    int64_t now_ms, json_t **out);

/* {"generated","sites":[...]}: every site by regency and agent, with its
 * regency, coordinates, status, reason and since (the national map). */
pantau_err query_sites(struct query *q, int64_t now_ms, json_t **out);

/* {"events":[...]} status changes newest first, at most limit, with
 * ts_ms > since_ms; scope "site", "regency" or NULL for both. */
pantau_err query_events(struct query *q, int64_t since_ms, int limit, const char *scope,
    json_t **out);

/* {"firing":N,"alerts":[...]}: firing first, then resolved ones not yet
 * forgotten; each as alert_json(). */
pantau_err query_alerts(struct query *q, json_t **out);

/* {"open":N,"sites_in_open":N,"incidents":[...]}: open ones first, then the
 * recent ones newest first (docs/api.md); only_open: the open ones only. */
pantau_err query_incidents(struct query *q, bool only_open, json_t **out);
/* "incident" (the open one that has agent, or null) and "latest_path"
 * (its latest path per target, [] when none) into a site's doc. */
pantau_err query_site_incident(struct query *q, const char *agent, json_t *doc);

/* {"nation":{...},"provinces":[...],"counting":{...}}: the roll-ups of the
 * status engine (needs opts.engine). */
pantau_err query_overview(struct query *q, int64_t now_ms, json_t **out);

/* Ingest counters, sites known and database size. started_ms: when the
 * collector started (epoch ms). */
pantau_err query_stats(struct query *q, const struct ingest_stats *s, int64_t started_ms,
    json_t **out);

/* Size of the main database file in bytes (page count x page size). */
pantau_err query_db_bytes(struct query *q, int64_t *out);

#endif
