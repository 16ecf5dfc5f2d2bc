#include "query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "query_priv.h"

/* Defaults for options left at zero (docs/status.md). */
#define QUERY_DEFAULT_WINDOW_S 300
#define QUERY_DEFAULT_OFFLINE_INTERVALS 3
#define QUERY_DEFAULT_INTERVAL_S 60

static const char *const stmt_sql[Q_NSTMT] = {
	[Q_SITES] = "SELECT " Q_SITE_COLS " FROM sites"
	            " WHERE ?1 IS NULL OR substr(regency, 1, 2) = ?1 ORDER BY regency, agent",
	[Q_SITES_REGENCY] = "SELECT " Q_SITE_COLS " FROM sites WHERE regency = ?1 ORDER BY agent",
	[Q_SITE] = "SELECT " Q_SITE_COLS " FROM sites WHERE agent = ?1",
	/* batches(agent, ts_ms) index, then each batch's results by primary
	 * key: only the window's rows are visited. Made from the result kinds'
	 * table (query_kinds.c), as are Q_LATEST_ICMP, Q_BATCH_RESULTS and
	 * Q_SERIES. */
	[Q_WINDOW] = NULL,
	[Q_WINDOW_ALL] = NULL,
	[Q_LATEST_ICMP] = NULL,
	/* UNIQUE(agent, boot, seq) index. */
	[Q_LATEST_BATCH] = "SELECT id, boot, seq, ts_ms, recv_ms FROM batches WHERE agent = ?1"
	                   " ORDER BY boot DESC, seq DESC LIMIT 1",
	[Q_BATCH_RESULTS] = NULL,
	[Q_SERIES] = NULL,
	[Q_SERIES_COUNT] = "SELECT count(*) FROM batches WHERE agent = ?1 AND ts_ms > ?2",
	[Q_COUNT_SITES] = "SELECT count(*) FROM sites",
	[Q_EVENTS] = "SELECT ts_ms, scope, key, regency, from_status, to_status, reason"
	              " FROM events WHERE ts_ms > ?1 AND (?2 IS NULL OR scope = ?2)"
	              " ORDER BY id DESC LIMIT ?3",
	[Q_DB_SIZE] = "SELECT p.page_count * s.page_size FROM pragma_page_count() AS p,"
	              " pragma_page_size() AS s",
	/* lost: the seqs given up by replay that are not stored after all */
	[Q_DELIVERY] = "SELECT agent, sum(max_seq), sum(stored), sum(duplicates), sum(dropped),"
	               " (SELECT coalesce(sum(l.to_seq - l.from_seq + 1 - (SELECT count(*)"
	               " FROM batches AS x WHERE x.agent = l.agent AND x.boot = l.boot AND"
	               " x.seq BETWEEN l.from_seq AND l.to_seq)), 0) FROM lost AS l"
	               " WHERE l.agent = b.agent)"
	               " FROM boots AS b WHERE ?1 IS NULL OR agent = ?1 GROUP BY agent ORDER BY agent",
};

pantau_err
q_delivery(struct query *q, const char *agent, json_t **out)
{
	struct db_stmt *st = q->st[Q_DELIVERY];
	json_t *list = json_array();
	int step = DB_DONE;
	if (agent != NULL)
		db_bind_text(st, 1, agent, -1);
	while (list != NULL && (step = db_step(st)) == DB_ROW) {
		int64_t expected = db_column_int64(st, 1), stored = db_column_int64(st, 2);
		int64_t lost = db_column_int64(st, 5), missing = expected - stored - lost;
		json_array_append_new(list, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "agent",
		    (const char *)db_column_text(st, 0), "expected", (json_int_t)expected,
		    "stored", (json_int_t)stored, "missing", (json_int_t)(missing > 0 ? missing : 0),
		    "lost", (json_int_t)lost, "duplicates", (json_int_t)db_column_int64(st, 3),
		    "dropped", (json_int_t)db_column_int64(st, 4)));
	}
	q_done(st);
	*out = list;
	if (list == NULL)
		return PANTAU_ERR_NOMEM;
	return step == DB_DONE ? PANTAU_OK : q_db_fail(q, "reading delivery counts");
}

pantau_err
query_new(struct db *db, const struct catalog *catalog, const struct query_opts *o,
    struct query **out, char *why, size_t whylen)
{
	pantau_err rc = PANTAU_ERR_NOMEM;
	char kinds_sql[8192];
	struct query *q = calloc(1, sizeof(*q));
	snprintf(why, whylen, "out of memory");
	if (q == NULL)
		goto out;
	q->db = db;
	q->catalog = catalog;
	q->o = *o;
	if (q->o.window_s <= 0)
		q->o.window_s = QUERY_DEFAULT_WINDOW_S;
	if (q->o.rules.offline_intervals <= 0)
		q->o.rules.offline_intervals = QUERY_DEFAULT_OFFLINE_INTERVALS;
	if (q->o.rules.default_interval_s <= 0)
		q->o.rules.default_interval_s = QUERY_DEFAULT_INTERVAL_S;
	rc = PANTAU_OK;
	for (int i = 0; i < Q_NSTMT && rc == PANTAU_OK; i++) {
		const char *sql = stmt_sql[i] != NULL ? stmt_sql[i] : kinds_sql;
		if (stmt_sql[i] == NULL && !q_kinds_sql(q, (enum q_stmt)i, kinds_sql,
		        sizeof(kinds_sql))) {
			snprintf(why, whylen, "the result kinds' table does not fit the API's "
			    "queries (collector/api/query_kinds.c)");
			rc = PANTAU_ERR_INVAL;
		} else if (db_prepare(db, sql, &q->st[i]) != DB_OK) {
			snprintf(why, whylen, "cannot prepare the API's queries (%s); is the database "
			    "schema current?", db_errmsg(db));
			rc = PANTAU_ERR_DB;
		}
	}
out:
	if (rc != PANTAU_OK) {
		query_free(q);
		q = NULL;
	}
	*out = q;
	return rc;
}

void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < Q_NSTMT; i++)
		db_finalize(q->st[i]);
	free(q);
}

pantau_err
q_db_fail(struct query *q, const char *what)
{
	log_warnx("api: %s: %s", what, db_errmsg(q->db));
	return PANTAU_ERR_DB;
}

void
q_done(struct db_stmt *st)
{
	db_reset(st);
	db_clear_bindings(st);
}

bool
q_col_null(struct db_stmt *st, int col)
{
	return db_column_type(st, col) == DB_NULL;
}

int64_t
q_col_int(struct db_stmt *st, int col, int64_t dflt)
{
	return q_col_null(st, col) ? dflt : db_column_int64(st, col);
}

enum site_status
q_site_status(const struct query *q, struct db_stmt *st, int64_t now_ms, char *reason,
    size_t len, int64_t *since_ms)
{
	struct engine_site_view v;
	const char *agent = (const char *)db_column_text(st, SC_AGENT);
	char live[QUERY_REASON_MAX];
	enum site_status s = q_liveness(q, st, now_ms, live, sizeof(live));
	*since_ms = -1;
	if (q->o.engine == NULL || agent == NULL || !engine_site(q->o.engine, agent, now_ms, &v)) {
		snprintf(reason, len, "%s", live);
		return s;
	}
	*since_ms = v.since_ms;
	/* An OFFLINE site's reason is told with its age as of now. */
	snprintf(reason, len, "%s", v.status == SITE_OFFLINE && s == SITE_OFFLINE ? live : v.reason);
	return v.status;
}

void
q_site_coords(const struct query *q, struct db_stmt *st, json_t *o)
{
	struct engine_site_view v;
	const char *agent = (const char *)db_column_text(st, SC_AGENT);
	q_set_col_num(o, "lat", st, SC_LAT, false);
	q_set_col_num(o, "lon", st, SC_LON, false);
	if (q->o.engine == NULL || agent == NULL || !engine_site(q->o.engine, agent, 0, &v) ||
	    isnan(v.lat))
		return;
	q_set_num(o, "lat", v.lat);  /* the operator's coordinates win */
	q_set_num(o, "lon", v.lon);
}

void
q_site_state(const struct query *q, struct db_stmt *st, json_t *o, enum site_status s,
    const char *reason, int64_t since)
{
	q_set_col_text(o, "link", st, SC_LINK, false);
	q_site_coords(q, st, o);
	json_object_set_new(o, "simulated", json_boolean(q_col_int(st, SC_SIMULATED, 0) == 1));
	json_object_set_new(o, "status", json_string(sitestate_name(s)));
	json_object_set_new(o, "reason", json_string(reason));
	json_set_time(o, "since", since);
}

enum site_status
q_liveness(const struct query *q, struct db_stmt *st, int64_t now_ms, char *reason, size_t len)
{
	struct site_facts f = {
		.last_result_ms = q_col_int(st, SC_LAST_RESULT, -1),
		.status_ms = q_col_int(st, SC_STATUS_MS, -1),
		.online = (int)q_col_int(st, SC_ONLINE, -1),
		.offline_reason = (const char *)db_column_text(st, SC_ONLINE_REASON),
		.interval_s = q_col_int(st, SC_INTERVAL, -1),
		.grace_from_ms = -1,
	};
	return sitestate_eval(&f, &q->o.rules, now_ms, reason, len);
}

static void
set_or_null(json_t *o, const char *key, json_t *v, bool omit_null)
{
	if (v != NULL)
		json_object_set_new(o, key, v);
	else if (!omit_null)
		json_object_set_new(o, key, json_null());
}

void
q_set_col_int(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null)
{
	set_or_null(o, key, q_col_null(st, col) ? NULL : json_integer(db_column_int64(st, col)),
	    omit_null);
}

void
q_set_col_num(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null)
{
	set_or_null(o, key, q_col_null(st, col) ? NULL : json_real(db_column_double(st, col)),
	    omit_null);
}

void
q_set_col_text(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null)
{
	const char *s = (const char *)db_column_text(st, col);
	set_or_null(o, key, s != NULL ? json_string(s) : NULL, omit_null);
}

void
q_set_col_bool(json_t *o, const char *key, struct db_stmt *st, int col, bool omit_null)
{
	set_or_null(o, key,
	    q_col_null(st, col) ? NULL : json_boolean(db_column_int64(st, col) != 0), omit_null);
}

void
q_set_str(json_t *o, const char *key, const char *v)
{
	set_or_null(o, key, v != NULL ? json_string(v) : NULL, false);
}


void
q_set_col_iso(json_t *o, const char *key, struct db_stmt *st, int col)
{
	json_set_time(o, key, q_col_int(st, col, -1));
}

void
q_set_num(json_t *o, const char *key, double v)
{
	if (isnan(v) || isinf(v))
		json_object_set_new(o, key, json_null());
	else
		json_object_set_new(o, key, json_real(round(v * 1000.0) / 1000.0));
}

const char *
q_regency_name(const struct query *q, const char *code)
{
	const struct catalog_regency *r = catalog_regency(q->catalog, code);
	return r != NULL ? r->name : NULL;
}

const char *
q_province_name(const struct query *q, const char *code)
{
	const struct catalog_province *p = catalog_province(q->catalog, code);
	return p != NULL ? p->name : NULL;
}

/* Larger first; NAN after every number. */
static int
cmp_desc(double a, double b)
{
	bool na = isnan(a), nb = isnan(b);
	if (na || nb)
		return na == nb ? 0 : (na ? 1 : -1);
	return a > b ? -1 : (a < b ? 1 : 0);
}

int
q_cmp_worst(int rank_a, double loss_a, double p95_a, int rank_b, double loss_b, double p95_b)
{
	if (rank_a != rank_b)
		return rank_a > rank_b ? -1 : 1;
	int c = cmp_desc(loss_a, loss_b);
	return c != 0 ? c : cmp_desc(p95_a, p95_b);
}

/* ---- GET /api/v1/stats ---- */

static pantau_err
scalar(struct query *q, enum q_stmt id, int64_t *v)
{
	struct db_stmt *st = q->st[id];
	pantau_err rc = PANTAU_OK;
	if (db_step(st) == DB_ROW)
		*v = db_column_int64(st, 0);
	else
		rc = q_db_fail(q, stmt_sql[id] != NULL ? stmt_sql[id] : "a query of the result kinds");
	q_done(st);
	return rc;
}

static json_t *
rejected_by(const struct ingest_stats *s)
{
	json_t *o = json_object();
	for (int r = 0; r < WIRE_REASON_COUNT && o != NULL; r++) {
		if (r == WIRE_ACCEPT)
			continue;
		json_object_set_new(o, wire_reason_name((enum wire_reason)r),
		    json_integer((json_int_t)s->rejected_by[r]));
	}
	return o;
}

/* Rows deleted by retention since the start; null when it is off. */
static json_t *
retention_json(const struct retention_stats *r)
{
	if (r == NULL)
		return json_null();
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:f}", "runs", (json_int_t)r->runs,
	    "batches", (json_int_t)r->batches, "results", (json_int_t)r->results,
	    "events", (json_int_t)r->events, "boots", (json_int_t)r->boots,
	    "longest_step_ms", (double)r->longest_step_us / 1000.0);
	if (o != NULL)
		json_set_time(o, "last_run", r->last_run_ms > 0 ? r->last_run_ms : -1);
	return o != NULL ? o : json_null();
}

/* Replay since the start (collector/ingest/replay.h); null without it. */
static json_t *
replay_json(const struct replay_stats *r)
{
	if (r == NULL)
		return json_null();
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "commands",
	    (json_int_t)r->commands, "gone_replies", (json_int_t)r->gone_replies, "lost_gone",
	    (json_int_t)r->lost_gone, "lost_unanswered", (json_int_t)r->lost_unanswered,
	    "passes", (json_int_t)r->passes, "gaps", (json_int_t)r->gaps, "seqs",
	    (json_int_t)r->seqs, "agents", (json_int_t)r->agents);
	return o != NULL ? o : json_null();
}

pantau_err
query_stats(struct query *q, const struct ingest_stats *s, int64_t started_ms, json_t **out)
{
	int64_t nsites = 0, bytes = 0;
	pantau_err rc = scalar(q, Q_COUNT_SITES, &nsites);
	if (rc == PANTAU_OK)
		rc = scalar(q, Q_DB_SIZE, &bytes);
	if (rc != PANTAU_OK)
		return rc;
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I}",
	    "received", (json_int_t)s->received, "stored", (json_int_t)s->batches_stored,
	    "results_stored", (json_int_t)s->results_stored,
	    "duplicates", (json_int_t)s->duplicates, "status_stored", (json_int_t)s->status_stored,
	    "ignored", (json_int_t)s->ignored, "rejected", (json_int_t)s->rejected,
	    "rejected_by", rejected_by(s), "store_errors", (json_int_t)s->store_errors,
	    "sites_known", (json_int_t)nsites, "db_bytes", (json_int_t)bytes);
	if (o == NULL)
		return PANTAU_ERR_NOMEM;
	json_object_set_new(o, "retimed", json_integer((json_int_t)s->retimed));
	json_object_set_new(o, "subscribed", json_boolean(s->subscribed));
	json_set_time(o, "started", started_ms > 0 ? started_ms : -1);
	json_set_time(o, "last_message", s->last_message_ms > 0 ? s->last_message_ms : -1);
	json_object_set_new(o, "retention", retention_json(q->o.retention));
	json_object_set_new(o, "replay", replay_json(q->o.replay));
	json_t *agents = NULL;
	rc = q_delivery(q, NULL, &agents);
	json_object_set_new(o, "agents", agents != NULL ? agents : json_array());
	if (rc != PANTAU_OK) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return PANTAU_OK;
}

pantau_err
query_db_bytes(struct query *q, int64_t *out)
{
	*out = -1;
	return scalar(q, Q_DB_SIZE, out);
}
