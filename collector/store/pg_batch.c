#include "pg_batch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_array.h"
#include "pg_db.h"
#include "resultkind.h"

#define PG_BATCH_SQL_MAX 8192

/* Parameters: the queue's batches column by column (B_*), then their
 * results (R_*, then one per figure column of common/resultkind.h), each
 * a PostgreSQL array; k is a batch's place in the queue. */
enum { B_K, B_AGENT, B_REGENCY, B_BOOT, B_RECV, B_TS, B_PENDING, B_DROPPED, B_SKEW, B_UPLOAD,
	B_SEQ, B_NRESULTS, B_AGENT_TS, R_K, R_IDX, R_PROBE, R_TARGET, R_OK, R_ERROR, R_EXTRA,
	R_FIRST_COL };
#define NARRAYS (R_FIRST_COL + RK_COL_COUNT - 1)

struct entry {
	char regency[sizeof(((struct wire_topic *)0)->regency)];
	struct wire_batch b;
	int64_t recv_ms;
	double upload;
	int rows;
};

struct pg_batches {
	struct db *db;
	struct db_stmt *st;
	struct entry *v;
	size_t n, cap;
	struct pg_array a[NARRAYS];   /* the parameters, memory kept between sends */
	bool sent;                    /* its answer awaited */
};

/* One statement for the whole queue. A key twice in the queue is stored
 * once (the first); the trigger of pg_parts.h refuses the keys stored
 * already; what was stored comes back as its k. */
static const char *const head_sql =
    "WITH v AS (SELECT DISTINCT ON (agent, boot, seq) * FROM unnest(?1::bigint[], ?2::text[],"
    " ?3::text[], ?4::bigint[], ?5::bigint[], ?6::bigint[], ?7::bigint[], ?8::bigint[],"
    " ?9::bigint[], ?10::double precision[], ?11::bigint[], ?12::bigint[], ?13::bigint[])"
    " AS j(k, agent, regency, boot, recv_ms, ts_ms, pending, dropped, skew_ms, upload, seq,"
    " nresults, agent_ts_ms) ORDER BY agent, boot, seq, k),"
    " b AS (INSERT INTO batches(agent, boot, seq, ts_ms, recv_ms, nresults, outbox_pending,"
    " outbox_dropped, agent_ts_ms) SELECT agent, boot, seq, ts_ms, recv_ms, nresults, pending,"
    " dropped, agent_ts_ms FROM v ORDER BY k ON CONFLICT DO NOTHING"
    " RETURNING id, agent, boot, seq),"
    " bv AS (SELECT v.*, b.id FROM v JOIN b USING (agent, boot, seq)),";

/* The sites' upserts of store.c's ST_SITE_BATCH, one per site for all its
 * batches stored here, as if made one after the other: the regency and
 * receive time of the last batch; the queue figures of the latest
 * measured (the last of those when tied), the upload of the latest
 * measured that has one. */
static const char *const site_sql =
    " s AS (INSERT INTO sites(agent, regency, boot, first_seen_ms, last_result_ms,"
    " outbox_pending, outbox_dropped, skew_ms, last_ts_ms, upload_mbps, upload_ts_ms)"
    " SELECT DISTINCT ON (agent) agent, first_value(regency) OVER (a ORDER BY k DESC),"
    " greatest(max(boot) OVER a, 0), min(recv_ms) OVER a, first_value(recv_ms) OVER"
    " (a ORDER BY k DESC), first_value(pending) OVER t, first_value(dropped) OVER t,"
    " first_value(skew_ms) OVER t, first_value(ts_ms) OVER t, first_value(upload) OVER u,"
    " first_value(CASE WHEN upload IS NOT NULL THEN ts_ms END) OVER u FROM bv"
    " WINDOW a AS (PARTITION BY agent), t AS (a ORDER BY ts_ms DESC, k DESC),"
    " u AS (a ORDER BY upload IS NULL, ts_ms DESC, k DESC) ORDER BY agent"
    " ON CONFLICT(agent) DO UPDATE SET regency = excluded.regency,"
    " upload_mbps = CASE WHEN excluded.upload_mbps IS NOT NULL AND excluded.upload_ts_ms >="
    " coalesce(sites.upload_ts_ms, 0) THEN excluded.upload_mbps ELSE sites.upload_mbps END,"
    " upload_ts_ms = CASE WHEN excluded.upload_mbps IS NOT NULL AND excluded.upload_ts_ms >="
    " coalesce(sites.upload_ts_ms, 0) THEN excluded.upload_ts_ms ELSE sites.upload_ts_ms END,"
    " boot = greatest(coalesce(sites.boot, 0), excluded.boot),"
    " last_result_ms = excluded.last_result_ms,"
    " outbox_pending = CASE WHEN excluded.last_ts_ms >= coalesce(sites.last_ts_ms, 0)"
    " THEN excluded.outbox_pending ELSE sites.outbox_pending END,"
    " outbox_dropped = CASE WHEN excluded.last_ts_ms >= coalesce(sites.last_ts_ms, 0)"
    " THEN excluded.outbox_dropped ELSE sites.outbox_dropped END,"
    " skew_ms = CASE WHEN excluded.last_ts_ms >= coalesce(sites.last_ts_ms, 0)"
    " THEN excluded.skew_ms ELSE sites.skew_ms END,"
    " last_ts_ms = greatest(coalesce(sites.last_ts_ms, 0), excluded.last_ts_ms))"
    " SELECT k FROM bv";

static size_t
put(char *sql, size_t used, const char *text)
{
	int n = snprintf(sql + used, PG_BATCH_SQL_MAX > used ? PG_BATCH_SQL_MAX - used : 0, "%s",
	    text);
	return used + (size_t)(n > 0 ? n : 0);
}

static size_t
param(char *sql, size_t used, int i, const char *type)
{
	char t[48];
	snprintf(t, sizeof(t), "%s?%d::%s[]", i == R_K ? "" : ", ", i + 1, type);
	return put(sql, used, t);
}

/* The results of the batches stored. */
static size_t
results_sql(char *sql, size_t used)
{
	static const char *const types[] = { "bigint", "bigint", "text", "text", "bigint",
		"text", "text" };
	used = put(sql, used, " r AS (INSERT INTO results(batch_id, idx, agent, ts_ms, probe,"
	    " target, ok, error, extra");
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++) {
		used = put(sql, used, ", ");
		used = put(sql, used, rk_column_name((enum rk_column)c));
	}
	used = put(sql, used, ") SELECT bv.id, x.idx, bv.agent, bv.ts_ms, x.probe, x.target, x.ok,"
	    " x.error, x.extra");
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++) {
		used = put(sql, used, ", x.");
		used = put(sql, used, rk_column_name((enum rk_column)c));
	}
	used = put(sql, used, " FROM unnest(");
	for (int i = R_K; i < R_FIRST_COL; i++)
		used = param(sql, used, i, types[i - R_K]);
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++)
		used = param(sql, used, R_FIRST_COL + c - 1,
		    rk_column_is_int((enum rk_column)c) ? "bigint" : "double precision");
	used = put(sql, used, ") AS x(k, idx, probe, target, ok, error, extra");
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++) {
		used = put(sql, used, ", ");
		used = put(sql, used, rk_column_name((enum rk_column)c));
	}
	return put(sql, used, ") JOIN bv USING (k)),");
}

pantau_err
pg_batches_new(struct db *db, size_t cap, struct pg_batches **out)
{
	struct pg_batches *q = calloc(1, sizeof(*q));
	char *sql = malloc(PG_BATCH_SQL_MAX);
	pantau_err rc = PANTAU_ERR_NOMEM;
	*out = NULL;
	if (q == NULL || sql == NULL || (q->v = calloc(cap, sizeof(*q->v))) == NULL)
		goto out;
	q->db = db;
	q->cap = cap;
	size_t used = put(sql, 0, head_sql);
	used = put(sql, results_sql(sql, used), site_sql);
	rc = used >= PG_BATCH_SQL_MAX ? PANTAU_ERR_TOO_BIG :
	     db_prepare(db, sql, &q->st) == DB_OK ? PANTAU_OK : PANTAU_ERR_DB;
out:
	free(sql);
	if (rc != PANTAU_OK)
		pg_batches_free(q);
	else
		*out = q;
	return rc;
}

void
pg_batches_free(struct pg_batches *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++)
		wire_batch_clear(&q->v[i].b);
	for (int i = 0; i < NARRAYS; i++)
		pg_array_free(&q->a[i]);
	db_finalize(q->st);
	free(q->v);
	free(q);
}

pantau_err
pg_batches_add(struct pg_batches *q, const char *regency, struct wire_batch *b, int64_t recv_ms,
    double upload)
{
	if (q->n >= q->cap)
		return PANTAU_ERR_TOO_BIG;
	struct entry *e = &q->v[q->n++];
	snprintf(e->regency, sizeof(e->regency), "%s", regency);
	e->b = *b;
	e->recv_ms = recv_ms;
	e->upload = upload;
	e->rows = -1;
	memset(b, 0, sizeof(*b));
	return PANTAU_OK;
}

size_t
pg_batches_count(const struct pg_batches *q)
{
	return q->n;
}

bool
pg_batches_full(const struct pg_batches *q)
{
	return q->n >= q->cap;
}

/* As store.c binds them: NAN, and a negative whole number, are NULL. */
static void
add_figure(struct pg_array *a, double v, bool is_int)
{
	if (!is_int)
		pg_array_real(a, v);
	else if (isnan(v) || (int64_t)v < 0)
		pg_array_null(a);
	else
		pg_array_int(a, (int64_t)v);
}

static void
add_opt(struct pg_array *a, int64_t v)
{
	if (v >= 0)
		pg_array_int(a, v);
	else
		pg_array_null(a);
}

static void
add_result(struct pg_array *a, size_t k, const struct wire_result *r, size_t idx)
{
	pg_array_int(&a[R_K], (int64_t)k);
	pg_array_int(&a[R_IDX], (int64_t)idx);
	pg_array_text(&a[R_PROBE], r->probe);
	pg_array_text(&a[R_TARGET], r->target);
	add_opt(&a[R_OK], r->ok);
	pg_array_text(&a[R_ERROR], r->error);
	/* A kind kept whole, or one this collector does not know: its JSON. */
	char *extra = NULL;
	if (r->kind == NULL || r->kind->store == RK_STORE_JSON)
		extra = json_dumps(r->obj, WIRE_JSON_FLAGS);
	pg_array_text(&a[R_EXTRA], extra);
	free(extra);
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++)
		add_figure(&a[R_FIRST_COL + c - 1], r->col[c], rk_column_is_int((enum rk_column)c));
}

/* The k-th batch of the queue into the parameters. */
static void
add_batch(struct pg_array *a, const struct entry *e, size_t k)
{
	const struct wire_batch *b = &e->b;
	pg_array_int(&a[B_K], (int64_t)k);
	pg_array_text(&a[B_AGENT], b->agent);
	pg_array_text(&a[B_REGENCY], e->regency);
	pg_array_int(&a[B_BOOT], b->boot);
	pg_array_int(&a[B_RECV], e->recv_ms);
	pg_array_int(&a[B_TS], b->ts_ms);
	add_opt(&a[B_PENDING], b->outbox_pending);
	add_opt(&a[B_DROPPED], b->outbox_dropped);
	pg_array_int(&a[B_SKEW], e->recv_ms - (b->retimed ? b->agent_ts_ms : b->ts_ms));
	pg_array_real(&a[B_UPLOAD], e->upload);
	pg_array_int(&a[B_SEQ], b->seq);
	pg_array_int(&a[B_NRESULTS], (int64_t)b->nresults);
	if (b->retimed)
		pg_array_int(&a[B_AGENT_TS], b->agent_ts_ms);
	else
		pg_array_null(&a[B_AGENT_TS]);
	for (size_t i = 0; i < b->nresults; i++)
		add_result(a, k, &b->results[i], i);
}

static bool
bind_queue(struct pg_batches *q)
{
	for (int i = 0; i < NARRAYS; i++)
		pg_array_reset(&q->a[i]);
	for (size_t k = 0; k < q->n; k++)
		add_batch(q->a, &q->v[k], k);
	for (int i = 0; i < NARRAYS; i++) {
		const char *text = pg_array_end(&q->a[i]);
		if (text == NULL || db_bind_text(q->st, i + 1, text, (int)q->a[i].b.len) != DB_OK)
			return false;
	}
	return true;
}

pantau_err
pg_batches_send(struct pg_batches *q)
{
	for (size_t i = 0; i < q->n; i++)
		q->v[i].rows = 0;
	if (!bind_queue(q)) {
		db_clear_bindings(q->st);
		return PANTAU_ERR_NOMEM;
	}
	q->sent = db_pg_send(q->st) == DB_OK;
	db_clear_bindings(q->st);   /* libpq has the parameters */
	return q->sent ? PANTAU_OK : PANTAU_ERR_DB;
}

bool
pg_batches_sent(const struct pg_batches *q)
{
	return q->sent;
}

pantau_err
pg_batches_poll(struct pg_batches *q, bool block, bool *done)
{
	*done = true;
	if (!q->sent)
		return PANTAU_OK;
	int rc = db_pg_poll(q->st, block);
	if (rc == DB_ROW) {
		*done = false;
		return PANTAU_OK;
	}
	q->sent = false;
	if (rc != DB_OK)
		return PANTAU_ERR_DB;
	while ((rc = db_step(q->st)) == DB_ROW) {
		int64_t k = db_column_int64(q->st, 0);
		if (k >= 0 && (size_t)k < q->n)
			q->v[k].rows = 1;
	}
	db_reset(q->st);
	return rc == DB_DONE ? PANTAU_OK : PANTAU_ERR_DB;
}

void
pg_batches_report(struct pg_batches *q, bool failed, pg_batch_done *done, void *ctx)
{
	for (size_t i = 0; i < q->n; i++) {
		struct entry *e = &q->v[i];
		if (done != NULL)
			done(ctx, e->regency, &e->b, e->recv_ms, failed ? -1 : e->rows);
		wire_batch_clear(&e->b);
	}
	q->n = 0;
}
