/*
 * Where the status engine keeps what must survive a restart (docs/storage.md):
 *   site_status(agent PRIMARY KEY, status, since_ms, reason, base_rtt_p95,
 *               base_loss_pct, base_first_ms)
 *   regency_status(code PRIMARY KEY, status, at_risk, since_ms, reason)
 *   events(id PRIMARY KEY, ts_ms, scope, key, regency, from_status,
 *          to_status, reason)         index events(ts_ms)
 *   alerts(key PRIMARY KEY, data)    the alert as JSON (collector/alerts/alerts.h)
 * in the collector's database (the store creates the tables), through the
 * store's connection (writes join the store's open transaction when there
 * is one).
 */
#ifndef PANTAU_STATUSDB_H
#define PANTAU_STATUSDB_H

#include "collector/store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct statusdb;

/* A site as the engine loads it at start: the sites row joined with its
 * saved status (status -1 when none was saved). */
struct statusdb_site {
	const char *agent, *regency, *link, *online_reason, *reason;
	int64_t interval_s, last_result_ms, status_ms, since_ms, base_first_ms;
	int64_t boot, max_seq;   /* the newest boot (-1 none) and its highest seq stored */
	int online;              /* 1, 0, -1 */
	int status;              /* enum site_status, -1 none */
	double base_rtt_p95, base_loss;  /* NAN none */
};

struct statusdb_regency {
	const char *code, *reason;
	int status;
	bool at_risk;
	int64_t since_ms;
};

/* A status change. scope: "site", "regency". from/to: status names, with
 * " AT RISK" for a regency at risk. */
struct statusdb_event {
	int64_t ts_ms;
	const char *scope, *key, *regency, *from, *to, *reason;
};

pantau_err statusdb_open(struct db *db, struct statusdb **out);
void statusdb_close(struct statusdb *s);

typedef void (*statusdb_site_fn)(void *ctx, const struct statusdb_site *row);
typedef void (*statusdb_regency_fn)(void *ctx, const struct statusdb_regency *row);
pantau_err statusdb_load_sites(struct statusdb *s, statusdb_site_fn fn, void *ctx);
pantau_err statusdb_load_regencies(struct statusdb *s, statusdb_regency_fn fn, void *ctx);

pantau_err statusdb_save_site(struct statusdb *s, const char *agent, int status,
    int64_t since_ms, const char *reason, double base_rtt_p95, double base_loss,
    int64_t base_first_ms);
pantau_err statusdb_save_regency(struct statusdb *s, const struct statusdb_regency *r);
pantau_err statusdb_event(struct statusdb *s, const struct statusdb_event *ev);

pantau_err statusdb_save_alert(struct statusdb *s, const char *key, const char *json);
typedef void (*statusdb_alert_fn)(void *ctx, const char *json);
pantau_err statusdb_load_alerts(struct statusdb *s, statusdb_alert_fn fn, void *ctx);

/* Open a transaction when none is open; statusdb_end commits only what
 * statusdb_begin opened, and fails only when that commit failed (inside an
 * outer transaction, the outer commit decides). */
void statusdb_begin(struct statusdb *s);
pantau_err statusdb_end(struct statusdb *s);

#endif
