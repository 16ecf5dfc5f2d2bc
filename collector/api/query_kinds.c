/* The API's statements and replies that follow the result kinds' table
 * (common/resultkind.h): which kinds make the regional figures, a stored
 * result read back, and the figures of a series point. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mos.h"
#include "query_priv.h"

/* Columns of Q_BATCH_RESULTS; the kinds' figure columns follow from
 * RC_FIRST_COL on, in enum rk_column's order. */
enum result_col { RC_PROBE, RC_TARGET, RC_OK, RC_ERROR, RC_EXTRA, RC_FIRST_COL };

#define RC_COL(c) (RC_FIRST_COL + (int)(c) - 1)
#define EXPR_MAX 1024    /* one aggregate of Q_SERIES */
#define SOURCE_MAX 128   /* where one field is */
#define EXPRS_MAX 32     /* distinct aggregates of Q_SERIES */

/* SQL text in a bounded buffer; full once a piece did not fit. */
struct sqlbuf {
	char *s;
	size_t len, used;
	bool full;
};

static void
put(struct sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct sqlbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used)
		b->full = true;
	else
		b->used += (size_t)n;
}

/* 'icmp', …: the kinds whose packet trains are in columns, which the
 * regional figures read (RTT p50, p95, pooled loss); NULL when none. */
static void
train_kinds(struct sqlbuf *b)
{
	int n = 0;
	for (size_t i = 0; resultkinds[i] != NULL; i++) {
		const struct resultkind *k = resultkinds[i];
		if (k->store != RK_STORE_COLUMNS || !rk_judges(k, RK_JUDGE_SENT))
			continue;
		put(b, "%s'%s'", n++ > 0 ? ", " : "", k->name);
	}
	if (n == 0)
		put(b, "NULL");
}

static void
window_sql(struct sqlbuf *b)
{
	put(b, "SELECT r.rtt_p50, r.rtt_p95, r.sent, r.recv FROM batches b"
	       " JOIN results r ON r.batch_id = b.id"
	       " WHERE b.agent = ?1 AND b.ts_ms > ?2 AND r.probe IN (");
	train_kinds(b);
	put(b, ")");
}

/* Q_WINDOW for every site in one statement (the national summary): a
 * loop over sites into the batches(agent, ts_ms) index, as Q_WINDOW once
 * per site but without a statement and a round trip each. */
static void
window_all_sql(struct sqlbuf *b)
{
	put(b, "SELECT s.regency, r.rtt_p50, r.rtt_p95, r.sent, r.recv FROM sites s"
	       " JOIN batches b ON b.agent = s.agent JOIN results r ON r.batch_id = b.id"
	       " WHERE (?1 IS NULL OR substr(s.regency, 1, 2) = ?1) AND b.ts_ms > ?2"
	       " AND r.probe IN (");
	train_kinds(b);
	put(b, ")");
}

/* The inner query walks the index backwards and stops at the first batch
 * with a train result, however long the site's history. */
static void
latest_train_sql(struct sqlbuf *b)
{
	put(b, "SELECT r.rtt_p50, r.rtt_p95, r.sent, r.recv FROM batches b"
	       " JOIN results r ON r.batch_id = b.id WHERE b.agent = ?1 AND r.probe IN (");
	train_kinds(b);
	put(b, ") AND b.ts_ms = (SELECT b2.ts_ms FROM batches b2 JOIN results r2"
	       " ON r2.batch_id = b2.id WHERE b2.agent = ?1 AND r2.probe IN (");
	train_kinds(b);
	put(b, ") ORDER BY b2.ts_ms DESC LIMIT 1)");
}

static void
batch_results_sql(struct sqlbuf *b)
{
	put(b, "SELECT probe, target, ok, error, extra");
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++)
		put(b, ", %s", rk_column_name((enum rk_column)c));
	put(b, " FROM results WHERE agent = ?1 AND ts_ms = ?2 AND batch_id = ?3 ORDER BY idx");
}

/* Where a field of kind k is stored: its column, or its place in the JSON
 * of a kind kept whole (read only for rows of that kind). */
static bool
source(const struct resultkind *k, const char *path, char *out, size_t len)
{
	const struct rk_field *f = rk_field(k, path);
	if (f == NULL)
		return false;
	if (k->store == RK_STORE_COLUMNS && f->column != RK_COL_NONE)
		snprintf(out, len, "r.%s", rk_column_name(f->column));
	else if (k->store == RK_STORE_JSON)
		snprintf(out, len, "CASE WHEN r.probe = '%s' THEN json_extract(r.extra, '$.%s') END",
		    k->name, path);
	else
		return false;
	return true;
}

/* The aggregate of series figure s of k over a bucket. */
static bool
series_expr(const struct resultkind *k, const struct rk_series *s, char *out, size_t len)
{
	char v[SOURCE_MAX], sent[SOURCE_MAX], recv[SOURCE_MAX], p[2][64];
	if (!source(k, s->field, v, sizeof(v)))
		return false;
	switch (s->agg) {
	case RK_AGG_MEAN:
		snprintf(out, len, "avg(%s)", v);
		return true;
	case RK_AGG_MAX:
		snprintf(out, len, "max(%s)", v);
		return true;
	case RK_AGG_POOLED_LOSS:
		if (rk_judged(k, RK_JUDGE_SENT, p[0], sizeof(p[0])) == NULL ||
		    rk_judged(k, RK_JUDGE_RECV, p[1], sizeof(p[1])) == NULL ||
		    !source(k, p[0], sent, sizeof(sent)) || !source(k, p[1], recv, sizeof(recv)))
			return false;
		snprintf(out, len, "CASE WHEN sum(%s) > 0 THEN sum(%s - %s) * 100.0 / sum(%s)"
		    " ELSE avg(%s) END", sent, sent, recv, sent, v);
		return true;
	}
	return false;
}

/* Per (probe, target, bucket): the honest aggregate of each figure
 * (docs/api.md); buckets of 1 ms keep every measurement. The inner query
 * bounds the rows read to the newest ?4 batches. One column per distinct
 * aggregate of the kinds' series figures. */
static bool
series_sql(struct query *q, struct sqlbuf *b)
{
	char exprs[EXPRS_MAX][EXPR_MAX];
	int n = 0;
	put(b, "SELECT r.probe, r.target, (b.ts_ms / ?3) * ?3 AS t, count(*), min(r.ok),"
	       " sum(r.ok = 0)");
	for (size_t i = 0; resultkinds[i] != NULL; i++) {
		const struct resultkind *k = resultkinds[i];
		if (i >= QUERY_MAX_KINDS || k->nseries > QUERY_MAX_SERIES)
			return false;
		for (size_t j = 0; j < k->nseries; j++) {
			char e[EXPR_MAX];
			int at = 0;
			if (!series_expr(k, &k->series[j], e, sizeof(e)))
				return false;
			while (at < n && strcmp(exprs[at], e) != 0)
				at++;
			if (at == n) {
				if (n == EXPRS_MAX)
					return false;
				snprintf(exprs[n++], EXPR_MAX, "%s", e);
				put(b, ", %s", e);
			}
			q->series_col[i][j] = (unsigned char)(SR_FIRST_FIGURE + at);
		}
	}
	put(b, " FROM (SELECT id, ts_ms FROM batches WHERE agent = ?1 AND ts_ms > ?2"
	       " ORDER BY ts_ms DESC LIMIT ?4) b JOIN results r ON r.batch_id = b.id"
	       " GROUP BY r.probe, r.target, t ORDER BY r.probe, r.target, t LIMIT ?5");
	return true;
}

bool
q_kinds_sql(struct query *q, enum q_stmt id, char *sql, size_t len)
{
	struct sqlbuf b = { sql, len, 0, false };
	sql[0] = '\0';
	switch (id) {
	case Q_WINDOW: window_sql(&b); break;
	case Q_WINDOW_ALL: window_all_sql(&b); break;
	case Q_LATEST_ICMP: latest_train_sql(&b); break;
	case Q_BATCH_RESULTS: batch_results_sql(&b); break;
	case Q_SERIES:
		if (!series_sql(q, &b))
			return false;
		break;
	default: return false;
	}
	return !b.full;
}

/* ---- a stored result read back ---- */

/* The fields of f (members under their object) from their columns. */
static void
fields_json(json_t *o, struct db_stmt *st, const struct rk_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].members != NULL) {
			json_t *sub = json_object();
			fields_json(sub, st, f[i].members, f[i].nmembers);
			if (json_object_size(sub) > 0)
				json_object_set_new(o, f[i].name, sub);
			else
				json_decref(sub);
		}
		if (f[i].column == RK_COL_NONE)
			continue;
		if (f[i].type == RK_INT)
			q_set_col_int(o, f[i].name, st, RC_COL(f[i].column), true);
		else
			q_set_col_num(o, f[i].name, st, RC_COL(f[i].column), true);
	}
}

/* No column holds mos: the estimated MOS (common/mos.h) is computed again
 * from the row's own RTT average, jitter and loss. */
static void
set_mos(json_t *o, struct db_stmt *st, const struct resultkind *k)
{
	bool has = false;
	for (size_t i = 0; i < k->nfields; i++)
		has = has || (k->fields[i].flags & RK_F_MOS);
	if (!has || q_col_null(st, RC_COL(RK_COL_LOSS)))
		return;
	int avg = RC_COL(RK_COL_RTT_AVG), jit = RC_COL(RK_COL_JITTER);
	double rtt = q_col_null(st, avg) ? 0 : db_column_double(st, avg);
	double jitter = q_col_null(st, jit) ? 0 : db_column_double(st, jit);
	wire_set_num(o, "mos", mos_estimate(rtt, jitter,
	    db_column_double(st, RC_COL(RK_COL_LOSS))));
}

json_t *
q_result_json(struct db_stmt *st)
{
	const char *extra = (const char *)db_column_text(st, RC_EXTRA);
	if (extra != NULL) {
		json_t *x = json_loads(extra, 0, NULL);
		if (json_is_object(x))
			return x;
		json_decref(x);
	}
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	const struct resultkind *k = rk_find((const char *)db_column_text(st, RC_PROBE));
	q_set_col_text(o, "probe", st, RC_PROBE, true);
	q_set_col_text(o, "target", st, RC_TARGET, true);
	q_set_col_bool(o, "ok", st, RC_OK, true);
	if (k != NULL && k->store == RK_STORE_COLUMNS) {
		fields_json(o, st, k->fields, k->nfields);
		set_mos(o, st, k);
	}
	q_set_col_text(o, "error", st, RC_ERROR, true);
	return o;
}

/* ---- a series point ---- */

static int
kind_index(const struct resultkind *k)
{
	for (int i = 0; k != NULL && resultkinds[i] != NULL; i++)
		if (resultkinds[i] == k)
			return i;
	return -1;
}

json_t *
q_series_point(const struct query *q, struct db_stmt *st, bool bucketed)
{
	const char *probe = (const char *)db_column_text(st, SR_PROBE);
	json_t *p = json_object();
	if (p == NULL || probe == NULL)
		return p;
	const struct resultkind *k = rk_find(probe);
	q_set_col_iso(p, "ts", st, SR_TS);
	if (bucketed)
		q_set_col_int(p, "results", st, SR_COUNT, false);
	if (k == NULL || rk_field(k, "ok") != NULL) {
		q_set_col_bool(p, "ok", st, SR_OK, false);
		if (bucketed)
			q_set_col_int(p, "failed", st, SR_FAILED, false);
	}
	int ki = kind_index(k);
	for (size_t j = 0; ki >= 0 && j < k->nseries; j++) {
		const struct rk_field *f = rk_field(k, k->series[j].field);
		int col = q->series_col[ki][j];
		if (f != NULL && f->type == RK_INT)
			q_set_col_int(p, k->series[j].key, st, col, false);
		else
			q_set_col_num(p, k->series[j].key, st, col, false);
	}
	return p;
}
