/*
 * The status engine (docs/status.md): turns stored results into site,
 * regency, province and national status with reasons.
 *
 * - Each live batch of a site closes one window: the site's samples of the
 *   last window_s are judged (collector/status/verdict.h) against the thresholds
 *   of its link type and its own baseline, and the verdict goes through
 *   the hysteresis (enter after 2 bad windows, leave after 3 good).
 * - Liveness (collector/status/sitestate.h) makes a site OFFLINE at once on its
 *   last will, or after offline_intervals silent intervals, counted from the
 *   collector's own start at the earliest (the restart grace).
 * - engine_tick rolls sites up into regencies (AT RISK), provinces and the
 *   nation, and reports every change as an event.
 * The engine keeps its state in memory and what must survive a restart in
 * collector/store/statusdb.h. Times are epoch ms given by the caller, so tests
 * inject the clock.
 */
#ifndef PANTAU_ENGINE_H
#define PANTAU_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "countwin.h"
#include "hysteresis.h"
#include "profiles.h"
#include "rollup.h"
#include "collector/store/statusdb.h"
#include "verdict.h"
#include "wire.h"

struct engine_opts {
	int window_s;              /* 300 */
	int offline_intervals;     /* 3 */
	int default_interval_s;    /* 60 */
	struct hyst_rules hyst;    /* 2, 3 */
	struct baseline_rules baseline; /* factor 2, floors 30 ms and 1 % */
	int baseline_hours;        /* time constant of the baseline averages (72 h) */
	int baseline_min_hours;    /* history before a baseline judges (24 h) */
	double at_risk_share;      /* 0.25 */
	struct countwin counting;
};

/* A change of status. */
struct engine_event {
	int64_t ts_ms;
	bool regency_scope;        /* false: a site */
	const char *key;           /* agent id or regency code */
	const char *regency;
	const char *link;          /* sites only, NULL when unknown */
	bool is_3t;
	enum site_status from, to;
	bool at_risk_from, at_risk_to; /* regencies */
	int64_t since_ms;
	const char *reason;
};

typedef void (*engine_event_fn)(void *ctx, const struct engine_event *ev);

/* A site as the API shows it. */
struct engine_site_view {
	enum site_status status;
	int64_t since_ms;
	const char *reason;
	const struct baseline *baseline;
	struct window_metrics metrics;  /* of the window ending now */
	double lat, lon;                /* from the profile file, NAN when it has none */
};

struct engine_regency_view {
	const struct regency_rollup *rollup;
	int64_t since_ms;          /* of its status and at-risk flag */
};

struct engine;

/* db may be NULL (nothing persisted); profiles may be NULL. */
struct engine *engine_new(const struct engine_opts *o, const struct catalog *cat,
    const struct profiles *prof, struct statusdb *db, int64_t now_ms);
void engine_free(struct engine *e);

/* Where events go besides the events table (alerts). */
void engine_on_event(struct engine *e, engine_event_fn fn, void *ctx);

/* Load sites and saved statuses from db (at start). */
pantau_err engine_load(struct engine *e);

/* Partitioned collectors (docs/scaling.md): whether the sites of a regency
 * ("32.73") are judged here. The others are mirrored: their batches and
 * status messages are not judged, their liveness not evaluated, nothing of
 * them saved and no event emitted; engine_refresh reads their status (and
 * that of their regencies) from db as their owners saved it, so the views
 * cover every site. Without an owns function every site is this engine's. */
typedef bool (*engine_owns_fn)(void *ctx, const char *regency);
void engine_set_owner(struct engine *e, engine_owns_fn owns, void *ctx);
pantau_err engine_refresh(struct engine *e);
/* The regency code of a known site, or NULL. */
const char *engine_site_regency(const struct engine *e, const char *agent);

/* Save every site's and regency's status again (saved otherwise when it
 * changes): the database may have lost the last saves (a promoted replica,
 * docs/storage.md), and a restart would start from those. */
void engine_save_all(struct engine *e);

/* A stored (not duplicate) batch of a site in regency. */
void engine_batch(struct engine *e, const char *regency, const struct wire_batch *b,
    int64_t recv_ms);
/* A birth, last will or shutdown message. */
void engine_status(struct engine *e, const char *regency, const char *agent,
    const struct wire_status *st, int64_t recv_ms);
/* The collector (re)connected to the broker: silence counts from now. */
void engine_listening(struct engine *e, int64_t now_ms);

/* Liveness of every site, then the roll-ups; events for what changed. */
void engine_tick(struct engine *e, int64_t now_ms);

/* Views for the API; false / NULL when unknown. */
bool engine_site(const struct engine *e, const char *agent, int64_t now_ms,
    struct engine_site_view *out);
bool engine_regency(const struct engine *e, const char *code, struct engine_regency_view *out);
/* Whether agent is a site already, or a new one would make no more than
 * max sites. */
bool engine_admits(const struct engine *e, const char *agent, size_t max);
const struct area_rollup *engine_province(const struct engine *e, const char *code);
const struct area_rollup *engine_nation(const struct engine *e);
bool engine_counting(const struct engine *e, enum catalog_tz tz, int64_t now_ms);

/* Every site and every regency with a roll-up, for the alert rules. */
struct engine_site_info {
	const char *agent, *regency, *link;  /* link NULL when unknown */
	enum site_status status;
	int64_t since_ms;
	const char *reason;
};
typedef void (*engine_site_fn)(void *ctx, const struct engine_site_info *s);
typedef void (*engine_regency_fn)(void *ctx, const char *code, const struct regency_rollup *r,
    int64_t since_ms);
void engine_each_site(const struct engine *e, engine_site_fn fn, void *ctx);
void engine_each_regency(const struct engine *e, engine_regency_fn fn, void *ctx);
const struct engine_opts *engine_options(const struct engine *e);

#endif
