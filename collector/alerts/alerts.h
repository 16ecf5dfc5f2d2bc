/*
 * Alert rules and alert state (docs/alerts.md). Pure: the caller gives the
 * time and the status engine's view; delivery is collector/alerts/notify.h.
 *
 * Rules, evaluated on every tick over the engine's current state:
 *   PantauSiteDown       a site CRITICAL or OFFLINE
 *   PantauSiteDegraded   a 3T site DEGRADED while its zone is counting
 *   PantauRegencyAtRisk  a regency AT RISK
 *   PantauIncident       an open incident (docs/incidents.md): one per
 *                        incident, its regency that of its first site; the
 *                        site alerts of its sites are held back while it is
 *                        open (collector/incidents/incidents.h, "Holding")
 * severity "critical" while the site's or regency's time zone is inside the
 * vote-counting window, "warning" outside it. One alert per condition, keyed
 * by (alertname, site or regency); every alert carries its regency, so
 * receivers group a regency's alerts into one page.
 *
 * An alert fires when its condition appears and resolves when it has been
 * gone for resolve_hold (the engine's hysteresis already keeps a flapping
 * link from changing status). Each firing, resolve and change of severity
 * bumps the alert's version; each sink (collector/alerts/sink.h) remembers
 * the version it was told, by its name.
 */
#ifndef PANTAU_ALERTS_H
#define PANTAU_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "catalog.h"
#include "collector/incidents/incidents.h"
#include "collector/status/engine.h"

/* Sinks one alert remembers, and the longest sink name. */
#define ALERT_TOLD_MAX 8
#define ALERT_SINK_NAME_MAX 31

/* The version a sink, by name, was told. */
struct alert_told {
	char sink[ALERT_SINK_NAME_MAX + 1];
	unsigned version;
};

struct alert {
	char key[96];                /* "PantauSiteDown/ag-9501-0001" */
	char alertname[24];
	char severity[12];           /* "warning", "critical" */
	char province[3], regency[6];
	char regency_name[80];
	char site[WIRE_AGENT_MAX + 1]; /* "" for a regency alert */
	char link[16];
	bool tertinggal, is_3t;
	char status[12];             /* the site's or regency's status when last seen */
	char reason[ROLLUP_REASON_MAX];
	int64_t since_ms;            /* the condition's start (engine) */
	int64_t starts_ms;           /* when it fired */
	int64_t ends_ms;             /* when it resolved, -1 while firing */
	int64_t clear_ms;            /* condition gone since, -1 while present */
	bool firing;
	bool seen;                   /* wanted in the current evaluation */
	unsigned version;            /* bumped on fire, resolve, severity change */
	struct alert_told told[ALERT_TOLD_MAX]; /* what each sink acknowledged */
	size_t ntold;
	bool dirty;                  /* to be saved */
};

struct alerts_rules {
	int64_t resolve_hold_ms;     /* condition gone this long before resolving (0) */
	int64_t forget_ms;           /* resolved and told: dropped after this (1 h) */
	/* The sinks that must have been told a resolve before it is forgotten
	 * (every sink in the table, configured or not: notify counts one not
	 * configured as told). */
	const char *const *sinks;
	size_t nsinks;
};

struct alerts;

struct alerts *alerts_new(const struct alerts_rules *r, const struct catalog *cat);
void alerts_free(struct alerts *a);
/* New rules from a reload; they apply from the next evaluation. */
void alerts_set_rules(struct alerts *a, const struct alerts_rules *r);

/* The incidents and the sites' paths the rules read from now on (both
 * borrowed; NULL: no incidents, nothing held). */
void alerts_use_incidents(struct alerts *a, const struct incidents *in,
    const struct sitepath *paths);

/* Partitioned collectors (docs/scaling.md): the rules judge only the sites
 * and regencies owns says are this collector's, and leave every other
 * alert as it is (not resolved, not forgotten). NULL: all of them. */
void alerts_set_owner(struct alerts *a, engine_owns_fn owns, void *ctx);
/* Whether a's rules judge regency here (always without an owner). */
bool alerts_owned(const struct alerts *a, const char *regency);
/* Whether an owner was set: other collectors judge some regencies. */
bool alerts_partitioned(const struct alerts *a);
/* Forget the alerts of regencies no longer owned (save them first). */
void alerts_drop_unowned(struct alerts *a);

/* Evaluate the rules over the engine's state at now. */
void alerts_evaluate(struct alerts *a, const struct engine *e, int64_t now_ms);

/* Add an alert as saved before a restart (firing or resolved). */
void alerts_restore(struct alerts *a, const struct alert *saved);

/* Mark every alert to be saved again: the database may have lost the saved
 * state (a replica promoted before it had the last commits), and a restart
 * would tell the receivers again what they were told. */
void alerts_touch(struct alerts *a);

/* The alerts, sorted by key; valid until the next call that changes them. */
struct alert *alerts_list(struct alerts *a, size_t *n);

/* The alert with this key, or NULL. */
struct alert *alerts_get(struct alerts *a, const char *key);

/* The version sink was told of al, 0 when never. */
unsigned alert_told(const struct alert *al, const char *sink);
/* Remember that sink was told version (marks al dirty when it changed);
 * false when al already remembers ALERT_TOLD_MAX other sinks. */
bool alert_set_told(struct alert *al, const char *sink, unsigned version);

/* An alert as JSON (for the API, and saved by statusdb): "told" is an
 * object {"alertmanager":3,...}. Decode fills *al from what encode wrote,
 * and from what release 9db89e2 wrote (a "told" array in the order
 * alertmanager, webhook, telegram); false when the text is not an alert. */
json_t *alert_json(const struct alert *al);
bool alert_from_json(const json_t *o, struct alert *al);

/* Firing alerts (for the API and CLI). */
size_t alerts_firing(const struct alerts *a);

#endif
