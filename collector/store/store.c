#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collector/ingest/bootacc.h"
#include "log.h"
#include "schema.h"
#include "pg_batch.h"
#include "store_impl.h"
#include "store_url.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	/* No row back: (agent, boot, seq) is stored already (on PostgreSQL the
	 * trigger of collector/store/pg_parts.h says so, and sets the id). */
	[ST_BATCH] = "INSERT INTO batches(agent, boot, seq, ts_ms, recv_ms, nresults,"
	             " outbox_pending, outbox_dropped, agent_ts_ms) VALUES(?,?,?,?,?,?,?,?,?)"
	             " ON CONFLICT DO NOTHING RETURNING id",
	[ST_RESULT] = NULL, /* made from the result kinds' columns: result_sql() */
	[ST_SITE_SEEN] = "INSERT OR IGNORE INTO sites(agent, regency, first_seen_ms) VALUES(?,?,?)",
	/* One upsert per batch. A batch older than the newest one seen (a
	 * resend, a backfill) updates the receive time only, not the site's
	 * latest figures. */
	/* ?9: the batch's upload Mbit/s (NULL: none), kept when measured
	 * after the one stored. */
	[ST_SITE_BATCH] = "INSERT INTO sites(agent, regency, boot, first_seen_ms, last_result_ms,"
	                  " outbox_pending, outbox_dropped, skew_ms, last_ts_ms, upload_mbps,"
	                  " upload_ts_ms)"
	                  " VALUES(?1, ?2, ?3, ?4, ?4, ?6, ?7, ?8, ?5, ?9,"
	                  " CASE WHEN ?9 IS NULL THEN NULL ELSE ?5 END)"
	                  " ON CONFLICT(agent) DO UPDATE SET regency = ?2,"
	                  " upload_mbps = CASE WHEN ?9 IS NOT NULL"
	                  " AND ?5 >= coalesce(sites.upload_ts_ms, 0) THEN ?9 ELSE sites.upload_mbps END,"
	                  " upload_ts_ms = CASE WHEN ?9 IS NOT NULL"
	                  " AND ?5 >= coalesce(sites.upload_ts_ms, 0) THEN ?5 ELSE sites.upload_ts_ms END,"
	                  " boot = max(coalesce(sites.boot, 0), ?3), last_result_ms = ?4,"
	                  " outbox_pending = CASE WHEN ?5 >= coalesce(sites.last_ts_ms, 0) THEN ?6"
	                  " ELSE sites.outbox_pending END,"
	                  " outbox_dropped = CASE WHEN ?5 >= coalesce(sites.last_ts_ms, 0) THEN ?7"
	                  " ELSE sites.outbox_dropped END,"
	                  " skew_ms = CASE WHEN ?5 >= coalesce(sites.last_ts_ms, 0) THEN ?8"
	                  " ELSE sites.skew_ms END,"
	                  " last_ts_ms = max(coalesce(sites.last_ts_ms, 0), ?5)",
	[ST_SITE_STATUS] = "UPDATE sites SET regency = ?2, online = ?3, online_reason = ?4,"
	                   " status_ms = ?5, site = coalesce(?6, site), link = coalesce(?7, link),"
	                   " lat = coalesce(?8, lat), lon = coalesce(?9, lon),"
	                   " interval_s = coalesce(?10, interval_s),"
	                   " version = coalesce(?11, version), boot = coalesce(?12, boot),"
	                   " simulated = coalesce(?13, simulated)"
	                   " WHERE agent = ?1",
	[ST_PROVINCE] = "INSERT OR REPLACE INTO provinces(code, name) VALUES(?,?)",
	[ST_REGENCY] = "INSERT OR REPLACE INTO regencies(code, province, name) VALUES(?,?,?)",
	/* One per (agent, boot) per transaction, at commit (collector/ingest/bootacc.h). */
	/* ?8, ?9: the boot's clock estimate (NULL: none), kept unless older. */
	[ST_BOOT] = "INSERT INTO boots(agent, boot, max_seq, stored, dropped, duplicates,"
	            " last_recv_ms, clock_offset_ms, clock_mono_ms)"
	            " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	            " ON CONFLICT(agent, boot) DO UPDATE SET max_seq = max(boots.max_seq, ?3),"
	            " stored = boots.stored + ?4, dropped = max(boots.dropped, ?5),"
	            " duplicates = boots.duplicates + ?6, last_recv_ms = max(boots.last_recv_ms, ?7),"
	            " clock_offset_ms = CASE WHEN ?9 >= coalesce(boots.clock_mono_ms, ?9) THEN ?8"
	            " ELSE boots.clock_offset_ms END,"
	            " clock_mono_ms = CASE WHEN ?9 >= coalesce(boots.clock_mono_ms, ?9) THEN ?9"
	            " ELSE boots.clock_mono_ms END",
};


/* A lost connection is logged once, by the collector (store_up). */
static pantau_err
db_fail(struct store *s, const char *what)
{
	if (db_connected(s->db))
		log_warnx("store: %s: %s", what, db_errmsg(s->db));
	return PANTAU_ERR_DB;
}

static pantau_err
step_reset(struct store *s, struct db_stmt *st, const char *what)
{
	int rc = db_step(st);
	db_reset(st);
	db_clear_bindings(st);
	if (rc != DB_DONE && rc != DB_ROW)
		return db_fail(s, what);
	return PANTAU_OK;
}

/* Bind positions of ST_RESULT; the kinds' figure columns follow from
 * RS_FIRST_COL on, in enum rk_column's order (common/resultkind.h). */
enum { RS_BATCH = 1, RS_IDX, RS_AGENT, RS_TS, RS_PROBE, RS_TARGET, RS_OK, RS_ERROR, RS_EXTRA,
	RS_FIRST_COL };

static void
result_sql(char *sql, size_t len)
{
	size_t used = (size_t)snprintf(sql, len, "INSERT INTO results(batch_id, idx, agent, ts_ms,"
	    " probe, target, ok, error, extra");
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT && used < len; c++)
		used += (size_t)snprintf(sql + used, len - used, ", %s",
		    rk_column_name((enum rk_column)c));
	for (int i = 1; i < RS_FIRST_COL + RK_COL_COUNT - 1 && used < len; i++)
		used += (size_t)snprintf(sql + used, len - used, "%s", i == 1 ? ") VALUES(?" : ",?");
	if (used < len)
		snprintf(sql + used, len - used, ")");
}

static pantau_err
configure(struct store *s)
{
	char pragmas[256], insert[1024];
	snprintf(pragmas, sizeof(pragmas),
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=OFF;"
	    " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;",
	    s->o.sync_full ? "FULL" : "NORMAL");
	result_sql(insert, sizeof(insert));
	db_busy_timeout(s->db, 5000);
	if (schema_exec(s->db, pragmas) != PANTAU_OK || schema_apply(s->db, clock_real_ms()) != PANTAU_OK)
		return PANTAU_ERR_DB;
	for (int i = 0; i < ST_COUNT; i++) {
		const char *sql = stmt_sql[i] != NULL ? stmt_sql[i] : insert;
		if (db_prepare(s->db, sql, &s->st[i]) != DB_OK)
			return db_fail(s, sql);
	}
	if (s->o.pipeline > 0 && strcmp(db_backend(s->db), "postgresql") == 0 &&
	    (pg_batches_new(s->db, (size_t)s->o.pipeline, &s->queue) != PANTAU_OK ||
	     pg_batches_new(s->db, (size_t)s->o.pipeline, &s->sent) != PANTAU_OK))
		return db_fail(s, "prepare the pipelined batch insert");
	return PANTAU_OK;
}

pantau_err
store_open(const struct store_opts *opts, struct store **out)
{
	pantau_err rc = PANTAU_ERR_NOMEM;
	struct store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto out;
	s->o = *opts;
	if ((s->boots = bootacc_new()) == NULL)
		goto out;
	if (store_url_open(opts->path, true, &s->db) != DB_OK) {
		log_warnx("store: cannot open %s: %s", opts->path,
		    s->db != NULL ? db_errmsg(s->db) : "out of memory");
		rc = PANTAU_ERR_DB;
		goto out;
	}
	rc = configure(s);
out:
	if (rc != PANTAU_OK) {
		store_close(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	(void)store_flush(s);
	if (s->in_tx)
		(void)store_commit(s);
	pg_batches_free(s->queue);
	pg_batches_free(s->sent);
	for (int i = 0; i < ST_COUNT; i++)
		db_finalize(s->st[i]);
	db_close(s->db);
	bootacc_free(s->boots);
	free(s);
}

struct db *
store_db(struct store *s)
{
	return s->db;
}

bool
store_up(struct store *s)
{
	return db_connected(s->db);
}

pantau_err
store_reconnect(struct store *s)
{
	if (db_connected(s->db))
		return PANTAU_OK;
	(void)store_flush(s);   /* what was sent is kept, sent again once connected */
	bootacc_clear(s->boots);
	s->in_tx = false;
	s->pending = 0;
	s->pending_batches = 0;
	return db_reconnect(s->db) == DB_OK ? PANTAU_OK : PANTAU_ERR_DB;
}

void
store_tx_rollback(struct store *s)
{
	bootacc_clear(s->boots);
	if (db_in_transaction(s->db))
		(void)schema_exec(s->db, "ROLLBACK");
	s->in_tx = false;
	s->pending = 0;
	s->pending_batches = 0;
}

pantau_err
store_tx_begin(struct store *s)
{
	if (s->in_tx)
		return PANTAU_OK;
	pantau_err rc = step_reset(s, s->st[ST_BEGIN], "begin");
	if (rc == PANTAU_OK) {
		s->in_tx = true;
		s->pending = 0;
		s->pending_batches = 0;
	}
	return rc;
}

struct flush_ctx {
	struct store *s;
	pantau_err rc;
};

static void
flush_one(void *ctx, const struct bootacc_entry *e)
{
	struct flush_ctx *fc = ctx;
	struct db_stmt *st = fc->s->st[ST_BOOT];
	if (fc->rc != PANTAU_OK)
		return;
	db_bind_text(st, 1, e->agent, -1);
	db_bind_int64(st, 2, e->boot);
	db_bind_int64(st, 3, e->max_seq);
	db_bind_int64(st, 4, e->stored);
	db_bind_int64(st, 5, e->dropped);
	db_bind_int64(st, 6, e->duplicates);
	db_bind_int64(st, 7, e->last_recv_ms);
	if (e->clock_known) {
		db_bind_int64(st, 8, e->clock_offset_ms);
		db_bind_int64(st, 9, e->clock_mono_ms);
	}
	fc->rc = step_reset(fc->s, st, "update boots");
}

/* Write the transaction's delivery counts into boots (inside it). */
static pantau_err
flush_boots(struct store *s)
{
	struct flush_ctx fc = { s, PANTAU_OK };
	bootacc_each(s->boots, flush_one, &fc);
	bootacc_clear(s->boots);
	return fc.rc;
}

pantau_err
store_commit(struct store *s)
{
	pantau_err rc = store_flush(s);
	if (rc != PANTAU_OK || !s->in_tx)
		return rc;
	rc = flush_boots(s);
	if (rc == PANTAU_OK)
		rc = step_reset(s, s->st[ST_COMMIT], "commit");
	if (rc != PANTAU_OK) {
		/* Leave no half-open transaction behind: the rows are lost, and the
		 * agent's replay (by gap detection) is what brings them back. */
		store_tx_rollback(s);
		return rc;
	}
	s->in_tx = false;
	s->pending = 0;
	s->pending_batches = 0;
	return rc;
}

int
store_pending(const struct store *s)
{
	return s->pending;
}

bool
store_should_commit(const struct store *s)
{
	return s->pending >= s->o.commit_rows;
}

pantau_err
store_begin(struct store *s)
{
	return store_tx_begin(s);
}

void
store_add_pending(struct store *s, int rows)
{
	if (s->in_tx && rows > 0)
		s->pending += rows;
}

/* ---- catalog ---- */

pantau_err
store_catalog_begin(struct store *s)
{
	pantau_err rc = store_commit(s);
	return rc != PANTAU_OK ? rc : store_tx_begin(s);
}

static void
bind_text(struct db_stmt *st, int i, const char *v)
{
	if (v != NULL)
		db_bind_text(st, i, v, -1);
	else
		db_bind_null(st, i);
}

static void
bind_int(struct db_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		db_bind_int64(st, i, v);
	else
		db_bind_null(st, i);
}

static void
bind_num(struct db_stmt *st, int i, double v)
{
	if (!isnan(v))
		db_bind_double(st, i, v);
	else
		db_bind_null(st, i);
}

pantau_err
store_catalog_province(struct store *s, const char *code, const char *name)
{
	struct db_stmt *st = s->st[ST_PROVINCE];
	bind_text(st, 1, code);
	bind_text(st, 2, name);
	return step_reset(s, st, "insert province");
}

pantau_err
store_catalog_regency(struct store *s, const char *code, const char *province, const char *name)
{
	struct db_stmt *st = s->st[ST_REGENCY];
	bind_text(st, 1, code);
	bind_text(st, 2, province);
	bind_text(st, 3, name);
	return step_reset(s, st, "insert regency");
}

pantau_err
store_catalog_end(struct store *s)
{
	return store_commit(s);
}

/* ---- batches ---- */

static pantau_err
site_seen(struct store *s, const char *agent, const char *regency, int64_t recv_ms)
{
	struct db_stmt *st = s->st[ST_SITE_SEEN];
	bind_text(st, 1, agent);
	bind_text(st, 2, regency);
	db_bind_int64(st, 3, recv_ms);
	return step_reset(s, st, "insert site");
}

static pantau_err
insert_result(struct store *s, int64_t batch_id, const struct wire_batch *b, size_t idx)
{
	const struct wire_result *r = &b->results[idx];
	struct db_stmt *st = s->st[ST_RESULT];
	char *extra = NULL;
	db_bind_int64(st, RS_BATCH, batch_id);
	db_bind_int64(st, RS_IDX, (int64_t)idx);
	bind_text(st, RS_AGENT, b->agent);
	db_bind_int64(st, RS_TS, b->ts_ms);
	bind_text(st, RS_PROBE, r->probe);
	bind_text(st, RS_TARGET, r->target);
	bind_int(st, RS_OK, r->ok);
	bind_text(st, RS_ERROR, r->error);
	/* A kind kept whole, or one this collector does not know: its JSON. */
	if (r->kind == NULL || r->kind->store == RK_STORE_JSON)
		extra = json_dumps(r->obj, WIRE_JSON_FLAGS);
	bind_text(st, RS_EXTRA, extra);
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++) {
		int at = RS_FIRST_COL + c - 1;
		if (rk_column_is_int((enum rk_column)c))
			bind_int(st, at, isnan(r->col[c]) ? -1 : (int64_t)r->col[c]);
		else
			bind_num(st, at, r->col[c]);
	}
	pantau_err rc = step_reset(s, st, "insert result");
	free(extra);
	return rc;
}

/* The batch's upload rate: the lowest upload rate the status engine
 * judges among its results (as its window does), NAN when none. */
double
store_batch_upload(const struct wire_batch *b)
{
	double up = NAN;
	for (size_t i = 0; i < b->nresults; i++) {
		double v = b->results[i].fig[RK_JUDGE_UPLOAD];
		if (!isnan(v) && (isnan(up) || v < up))
			up = v;
	}
	return up;
}

static pantau_err
update_site(struct store *s, const char *regency, const struct wire_batch *b, int64_t recv_ms)
{
	struct db_stmt *st = s->st[ST_SITE_BATCH];
	bind_num(st, 9, store_batch_upload(b));
	bind_text(st, 1, b->agent);
	bind_text(st, 2, regency);
	db_bind_int64(st, 3, b->boot);
	db_bind_int64(st, 4, recv_ms);
	db_bind_int64(st, 5, b->ts_ms);
	bind_int(st, 6, b->outbox_pending);
	bind_int(st, 7, b->outbox_dropped);
	db_bind_int64(st, 8, recv_ms - (b->retimed ? b->agent_ts_ms : b->ts_ms));
	return step_reset(s, st, "update site");
}

/* Count the batch for its boot; written to boots at commit. */
pantau_err
store_count_boot(struct store *s, const struct wire_batch *b, int64_t recv_ms, bool duplicate)
{
	int64_t dropped = b->outbox_dropped > 0 ? b->outbox_dropped : 0;
	if (bootacc_add(s->boots, b->agent, b->boot, b->seq, dropped, recv_ms, duplicate))
		return PANTAU_OK;
	pantau_err rc = flush_boots(s); /* full: write what it holds, inside the transaction */
	if (rc == PANTAU_OK &&
	    !bootacc_add(s->boots, b->agent, b->boot, b->seq, dropped, recv_ms, duplicate))
		rc = PANTAU_ERR_INVAL;
	return rc;
}

pantau_err
store_boot_clock(struct store *s, const char *agent, int64_t boot, int64_t offset_ms,
    int64_t mono_ms)
{
	pantau_err rc = store_tx_begin(s);
	if (rc != PANTAU_OK || bootacc_clock(s->boots, agent, boot, offset_ms, mono_ms))
		return rc;
	rc = flush_boots(s); /* full: write what it holds, inside the transaction */
	if (rc == PANTAU_OK && !bootacc_clock(s->boots, agent, boot, offset_ms, mono_ms))
		rc = PANTAU_ERR_INVAL;
	return rc;
}

pantau_err
store_count_duplicate(struct store *s, const struct wire_batch *b, int64_t recv_ms)
{
	pantau_err rc = store_count_boot(s, b, recv_ms, true);
	return rc == PANTAU_OK ? PANTAU_ERR_DUPLICATE : rc;
}

static pantau_err
insert_batch(struct store *s, const struct wire_batch *b, int64_t recv_ms, int64_t *id)
{
	struct db_stmt *st = s->st[ST_BATCH];
	bind_text(st, 1, b->agent);
	db_bind_int64(st, 2, b->boot);
	db_bind_int64(st, 3, b->seq);
	db_bind_int64(st, 4, b->ts_ms);
	db_bind_int64(st, 5, recv_ms);
	db_bind_int64(st, 6, (int64_t)b->nresults);
	bind_int(st, 7, b->outbox_pending);
	bind_int(st, 8, b->outbox_dropped);
	if (b->retimed)
		db_bind_int64(st, 9, b->agent_ts_ms);
	int step = db_step(st);
	if (step == DB_ROW)
		*id = db_column_int64(st, 0);
	db_reset(st);
	db_clear_bindings(st);
	if (step == DB_DONE)
		return store_count_duplicate(s, b, recv_ms);
	return step == DB_ROW ? PANTAU_OK : db_fail(s, "insert batch");
}

static pantau_err
write_batch(struct store *s, const char *regency, const struct wire_batch *b, int64_t recv_ms)
{
	int64_t id = 0;
	pantau_err rc = insert_batch(s, b, recv_ms, &id);
	for (size_t i = 0; i < b->nresults && rc == PANTAU_OK; i++)
		rc = insert_result(s, id, b, i);
	if (rc == PANTAU_OK)
		rc = update_site(s, regency, b, recv_ms);
	if (rc == PANTAU_OK)
		rc = store_count_boot(s, b, recv_ms, false);
	return rc;
}

pantau_err
store_batch(struct store *s, const char *regency, const struct wire_batch *b, int64_t recv_ms)
{
	pantau_err rc = store_tx_begin(s);
	if (rc == PANTAU_OK)
		rc = write_batch(s, regency, b, recv_ms);
	if (rc == PANTAU_OK) {
		s->pending += 1 + (int)b->nresults;
		s->pending_batches++;
	} else if (rc != PANTAU_ERR_DUPLICATE) {
		/* Only I/O, disk-full or out-of-memory errors get here (the input is
		 * validated, batches are INSERT OR IGNORE), and SQLite may already
		 * have rolled the transaction back: undo all of it, so no batch is
		 * half stored. Its batches come back when the agents replay. */
		if (db_connected(s->db))
			log_warnx("store: rolling back %d batch(es) after an error",
			    s->pending_batches + 1);
		store_tx_rollback(s);
	}
	return rc;
}

pantau_err
store_status(struct store *s, const char *regency, const char *agent,
    const struct wire_status *w, int64_t recv_ms)
{
	pantau_err rc = store_flush(s);   /* the site's batches first, as received */
	if (rc == PANTAU_OK)
		rc = store_tx_begin(s);
	if (rc == PANTAU_OK)
		rc = site_seen(s, agent, regency, recv_ms);
	if (rc != PANTAU_OK)
		return rc;
	struct db_stmt *st = s->st[ST_SITE_STATUS];
	bind_text(st, 1, agent);
	bind_text(st, 2, regency);
	db_bind_int(st, 3, w->online ? 1 : 0);
	bind_text(st, 4, w->online ? NULL : (w->reason != NULL ? w->reason : "lost"));
	db_bind_int64(st, 5, recv_ms);
	bind_text(st, 6, w->site);
	bind_text(st, 7, w->link);
	bind_num(st, 8, w->lat);
	bind_num(st, 9, w->lon);
	bind_int(st, 10, w->interval_s);
	bind_text(st, 11, w->version);
	bind_int(st, 12, w->boot);
	bind_int(st, 13, w->simulated);
	s->pending++;
	return step_reset(s, st, "update site status");
}
