#include "statusdb.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "log.h"
#include "collector/store/stmts.h"

enum { SD_LOAD_SITES, SD_LOAD_REGENCIES, SD_SAVE_SITE, SD_SAVE_REGENCY, SD_EVENT,
	SD_SAVE_ALERT, SD_LOAD_ALERTS, SD_COUNT };

static const char *const sd_sql[SD_COUNT] = {
	[SD_LOAD_SITES] =
	    "SELECT s.agent, s.regency, s.link, s.interval_s, s.last_result_ms, s.boot,"
	    " s.status_ms, s.online, s.online_reason, t.status, t.since_ms, t.reason,"
	    " t.base_rtt_p95, t.base_loss_pct, t.base_first_ms,"
	    " (SELECT b.max_seq FROM boots b WHERE b.agent = s.agent AND b.boot = s.boot)"
	    " FROM sites s LEFT JOIN site_status t ON t.agent = s.agent",
	[SD_LOAD_REGENCIES] = "SELECT code, status, at_risk, since_ms, reason FROM regency_status",
	[SD_SAVE_SITE] = "INSERT OR REPLACE INTO site_status(agent, status, since_ms, reason,"
	                 " base_rtt_p95, base_loss_pct, base_first_ms) VALUES(?,?,?,?,?,?,?)",
	[SD_SAVE_REGENCY] = "INSERT OR REPLACE INTO regency_status(code, status, at_risk,"
	                    " since_ms, reason) VALUES(?,?,?,?,?)",
	[SD_EVENT] = "INSERT INTO events(ts_ms, scope, key, regency, from_status, to_status,"
	             " reason) VALUES(?,?,?,?,?,?,?)",
	[SD_SAVE_ALERT] = "INSERT OR REPLACE INTO alerts(key, data) VALUES(?,?)",
	[SD_LOAD_ALERTS] = "SELECT data FROM alerts",
};

struct statusdb {
	struct db *db;
	struct stmtset *q;
	bool began;
};

static pantau_err
fail(struct statusdb *s, const char *what)
{
	log_warnx("statusdb: %s: %s", what, db_errmsg(s->db));
	return PANTAU_ERR_DB;
}

pantau_err
statusdb_open(struct db *db, struct statusdb **out)
{
	pantau_err rc;
	struct statusdb *s = stmtset_part(sizeof(*s), offsetof(struct statusdb, q), db,
	    "statusdb", sd_sql, SD_COUNT, &rc);
	if (s != NULL)
		s->db = db;
	*out = s;
	return rc;
}

void
statusdb_close(struct statusdb *s)
{
	if (s == NULL)
		return;
	(void)statusdb_end(s);
	stmtset_close(s->q);
	free(s);
}

static const char *
col_text(struct db_stmt *st, int i)
{
	return (const char *)db_column_text(st, i);
}

static int64_t
col_int(struct db_stmt *st, int i, int64_t dflt)
{
	return db_column_type(st, i) == DB_NULL ? dflt : db_column_int64(st, i);
}

static double
col_num(struct db_stmt *st, int i)
{
	return db_column_type(st, i) == DB_NULL ? NAN : db_column_double(st, i);
}

static pantau_err
finish(struct statusdb *s, struct db_stmt *st, int step, const char *what)
{
	pantau_err rc = step == DB_DONE ? PANTAU_OK : fail(s, what);
	db_reset(st);
	db_clear_bindings(st);
	return rc;
}

pantau_err
statusdb_load_sites(struct statusdb *s, statusdb_site_fn fn, void *ctx)
{
	struct db_stmt *st = s->q->st[SD_LOAD_SITES];
	int step;
	while ((step = db_step(st)) == DB_ROW) {
		struct statusdb_site r = {
			.agent = col_text(st, 0), .regency = col_text(st, 1), .link = col_text(st, 2),
			.interval_s = col_int(st, 3, -1), .last_result_ms = col_int(st, 4, -1),
			.boot = col_int(st, 5, -1), .max_seq = col_int(st, 15, 0), .status_ms = col_int(st, 6, -1),
			.online = (int)col_int(st, 7, -1), .online_reason = col_text(st, 8),
			.status = (int)col_int(st, 9, -1), .since_ms = col_int(st, 10, -1),
			.reason = col_text(st, 11), .base_rtt_p95 = col_num(st, 12),
			.base_loss = col_num(st, 13), .base_first_ms = col_int(st, 14, -1),
		};
		if (r.agent != NULL && r.regency != NULL)
			fn(ctx, &r);
	}
	return finish(s, st, step, "loading sites");
}

pantau_err
statusdb_load_regencies(struct statusdb *s, statusdb_regency_fn fn, void *ctx)
{
	struct db_stmt *st = s->q->st[SD_LOAD_REGENCIES];
	int step;
	while ((step = db_step(st)) == DB_ROW) {
		struct statusdb_regency r = { .code = col_text(st, 0), .status = (int)col_int(st, 1, 0),
			.at_risk = col_int(st, 2, 0) != 0, .since_ms = col_int(st, 3, 0),
			.reason = col_text(st, 4) };
		if (r.code != NULL)
			fn(ctx, &r);
	}
	return finish(s, st, step, "loading regencies");
}

static void
bind_num(struct db_stmt *st, int i, double v)
{
	if (isnan(v))
		db_bind_null(st, i);
	else
		db_bind_double(st, i, v);
}

pantau_err
statusdb_save_site(struct statusdb *s, const char *agent, int status, int64_t since_ms,
    const char *reason, double base_rtt_p95, double base_loss, int64_t base_first_ms)
{
	struct db_stmt *st = s->q->st[SD_SAVE_SITE];
	db_bind_text(st, 1, agent, -1);
	db_bind_int(st, 2, status);
	db_bind_int64(st, 3, since_ms);
	db_bind_text(st, 4, reason, -1);
	bind_num(st, 5, base_rtt_p95);
	bind_num(st, 6, base_loss);
	if (base_first_ms >= 0)
		db_bind_int64(st, 7, base_first_ms);
	return finish(s, st, db_step(st), "saving a site's status");
}

pantau_err
statusdb_save_regency(struct statusdb *s, const struct statusdb_regency *r)
{
	struct db_stmt *st = s->q->st[SD_SAVE_REGENCY];
	db_bind_text(st, 1, r->code, -1);
	db_bind_int(st, 2, r->status);
	db_bind_int(st, 3, r->at_risk);
	db_bind_int64(st, 4, r->since_ms);
	db_bind_text(st, 5, r->reason, -1);
	return finish(s, st, db_step(st), "saving a regency's status");
}

pantau_err
statusdb_event(struct statusdb *s, const struct statusdb_event *ev)
{
	struct db_stmt *st = s->q->st[SD_EVENT];
	db_bind_int64(st, 1, ev->ts_ms);
	db_bind_text(st, 2, ev->scope, -1);
	db_bind_text(st, 3, ev->key, -1);
	db_bind_text(st, 4, ev->regency, -1);
	db_bind_text(st, 5, ev->from, -1);
	db_bind_text(st, 6, ev->to, -1);
	db_bind_text(st, 7, ev->reason, -1);
	return finish(s, st, db_step(st), "storing an event");
}

void
statusdb_begin(struct statusdb *s)
{
	if (db_in_transaction(s->db))
		return;
	s->began = db_exec(s->db, "BEGIN") == DB_OK;
}

pantau_err
statusdb_end(struct statusdb *s)
{
	if (!s->began)
		return PANTAU_OK;
	s->began = false;
	if (db_exec(s->db, "COMMIT") == DB_OK)
		return PANTAU_OK;
	pantau_err rc = fail(s, "committing status changes");
	(void)db_exec(s->db, "ROLLBACK"); /* SQLite keeps a failed commit's transaction open */
	return rc;
}

pantau_err
statusdb_save_alert(struct statusdb *s, const char *key, const char *json)
{
	struct db_stmt *st = s->q->st[SD_SAVE_ALERT];
	db_bind_text(st, 1, key, -1);
	db_bind_text(st, 2, json, -1);
	return finish(s, st, db_step(st), "saving an alert");
}

pantau_err
statusdb_load_alerts(struct statusdb *s, statusdb_alert_fn fn, void *ctx)
{
	struct db_stmt *st = s->q->st[SD_LOAD_ALERTS];
	int step;
	while ((step = db_step(st)) == DB_ROW)
		if (db_column_text(st, 0) != NULL)
			fn(ctx, (const char *)db_column_text(st, 0));
	return finish(s, st, step, "loading alerts");
}
