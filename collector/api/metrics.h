/*
 * GET /metrics (docs/metrics.md): the status engine's view, the alerts and
 * the collector's own counters in the Prometheus text exposition format
 * 0.0.4 (collector/api/promtext.h).
 *
 * Per-site series carry only agent, regency and link, so their number is
 * bounded by the number of sites (about 15,000 sites x 5 series); probe
 * targets and reasons are never labels. Regency series are bounded by the
 * 514 regencies, province series by the 38 provinces.
 */
#ifndef PANTAU_METRICS_H
#define PANTAU_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "collector/alerts/alerts.h"
#include "catalog.h"
#include "collector/status/engine.h"
#include "collector/ingest/ingest.h"
#include "collector/alerts/notify.h"
#include "collector/store/retention.h"
#include "collector/ingest/replay.h"

/* Everything is borrowed; NULL members leave their metrics out. */
struct metrics_source {
	const struct catalog *catalog;       /* required with engine */
	const struct ingest_stats *ingest;
	const struct engine *engine;
	struct alerts *alerts;
	const struct incidents *incidents;   /* NULL: none */
	const struct notify_stats *notify;
	const struct retention_stats *retention;  /* NULL: retention off */
	const struct replay_stats *replay;        /* NULL: none */
	int64_t started_ms;                  /* collector start, epoch ms; <= 0 unknown */
	int64_t store_bytes;                 /* database size; < 0 unknown */
	bool store_up;                       /* false: the database cannot be reached */
};

/* The exposition text at now_ms: NUL-terminated, malloc'd (the caller
 * frees), *len its length. NULL when memory ran out. */
char *metrics_render(const struct metrics_source *s, int64_t now_ms, size_t *len);

/* The number a site's or regency's status is exported as:
 * OK 0, UNKNOWN 1, DEGRADED 2, CRITICAL 3, OFFLINE 4 (worse is higher). */
int metrics_status_code(enum site_status s);

#endif
