#include "pg_parts.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "schema.h"

#define DAY_MS 86400000LL

static const char *const trigger_sql =
    "CREATE SEQUENCE IF NOT EXISTS batch_ids;"
    "CREATE TABLE IF NOT EXISTS batch_keys(agent TEXT NOT NULL, boot BIGINT NOT NULL,"
    " seq BIGINT NOT NULL, recv_ms BIGINT NOT NULL, PRIMARY KEY(agent, boot, seq));"
    "CREATE INDEX IF NOT EXISTS batch_keys_recv ON batch_keys(recv_ms);"
    "CREATE INDEX IF NOT EXISTS batches_agent_ts ON batches(agent, ts_ms);"
    "CREATE INDEX IF NOT EXISTS batches_id ON batches(id);"
    "CREATE TABLE IF NOT EXISTS batches_default PARTITION OF batches DEFAULT;"
    "CREATE TABLE IF NOT EXISTS results_default PARTITION OF results DEFAULT;"
    /* A duplicate (agent, boot, seq) is not inserted: no row, no RETURNING. */
    "CREATE OR REPLACE FUNCTION pantau_batch_in() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " INSERT INTO batch_keys VALUES(NEW.agent, NEW.boot, NEW.seq, NEW.recv_ms)"
    " ON CONFLICT (agent, boot, seq) DO NOTHING;"
    " IF NOT FOUND THEN RETURN NULL; END IF;"
    " NEW.id := NEW.recv_ms * " PG_ID_SCALE_SQL " + nextval('batch_ids') % " PG_ID_SCALE_SQL ";"
    " RETURN NEW;"
    " END $$;"
    "CREATE OR REPLACE TRIGGER batches_in BEFORE INSERT ON batches FOR EACH ROW"
    " EXECUTE FUNCTION pantau_batch_in();"
    /* SQLite's sum of a comparison (sum(ok = 0)): PostgreSQL's comparisons
     * are booleans, which its own sum() does not take. NULL over no rows. */
    "CREATE OR REPLACE FUNCTION pantau_bool_add(BIGINT, BOOLEAN) RETURNS BIGINT"
    " LANGUAGE sql IMMUTABLE AS 'SELECT coalesce($1, 0) + coalesce($2::int, 0)';"
    "CREATE OR REPLACE AGGREGATE sum(BOOLEAN) (SFUNC = pantau_bool_add, STYPE = BIGINT);"
    /* SQLite's json_extract(extra, '$.a.b') of a figure kept in JSON. */
    "CREATE OR REPLACE FUNCTION json_extract(TEXT, TEXT) RETURNS DOUBLE PRECISION"
    " LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN jsonb_typeof(j) = 'number'"
    " THEN (j #>> '{}')::DOUBLE PRECISION END FROM (SELECT ($1::jsonb) #>"
    " string_to_array(substr($2, 3), '.') AS j) AS x $$;"
    /* SQLite's zeroblob(n): the tokens' placeholder hash. */
    "CREATE OR REPLACE FUNCTION zeroblob(BIGINT) RETURNS BYTEA LANGUAGE sql IMMUTABLE AS"
    " $$ SELECT decode(repeat('00', $1::int), 'hex') $$;";

pantau_err
pg_parts_schema(struct db *db, const char *batches_cols, const char *results_cols)
{
	char sql[2048];
	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS batches(%s) PARTITION BY RANGE"
	    " (recv_ms); CREATE TABLE IF NOT EXISTS results(%s, PRIMARY KEY(batch_id, idx))"
	    " PARTITION BY RANGE (batch_id);", batches_cols, results_cols);
	if (schema_exec(db, sql) != PANTAU_OK || schema_exec(db, trigger_sql) != PANTAU_OK)
		return PANTAU_ERR_DB;
	return PANTAU_OK;
}

/* The day's suffix: p20261207. */
static void
day_name(int64_t day, char *out, size_t len)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, len, "p%Y%m%d", &tm);
}

/* Before ids had PG_ID_SCALE (recv_ms * 1000 + a counter): a results
 * partition of that scale is renamed results_old_pDAY, where it keeps
 * its rows until retention drops it with its day, and the day gets one of
 * the new scale. */
static void
old_scale_sql(const char *name, long long lo, char *out, size_t len)
{
	snprintf(out, len, "DO $$ BEGIN IF EXISTS(SELECT 1 FROM pg_class WHERE relname ="
	    " 'results_%s' AND position('%lld' IN pg_get_expr(relpartbound, oid)) = 0) THEN"
	    " ALTER TABLE results_%s RENAME TO results_old_%s; END IF; END $$;", name, lo, name,
	    name);
}

pantau_err
pg_parts_ensure(struct db *db, int64_t now_ms)
{
	int64_t today = now_ms / DAY_MS;
	for (int64_t d = today - 1; d <= today + PG_PARTS_AHEAD; d++) {
		char name[16], old[384], sql[1024];
		long long lo = (long long)(d * DAY_MS), hi = (long long)((d + 1) * DAY_MS);
		day_name(d, name, sizeof(name));
		old_scale_sql(name, lo * PG_ID_SCALE, old, sizeof(old));
		snprintf(sql, sizeof(sql), "%s CREATE TABLE IF NOT EXISTS batches_%s PARTITION OF"
		    " batches FOR VALUES FROM (%lld) TO (%lld); CREATE TABLE IF NOT EXISTS results_%s"
		    " PARTITION OF results FOR VALUES FROM (%lld) TO (%lld)", old, name, lo, hi, name,
		    lo * PG_ID_SCALE, hi * PG_ID_SCALE);
		if (schema_exec(db, sql) != PANTAU_OK)
			return PANTAU_ERR_DB;
	}
	return PANTAU_OK;
}

static pantau_err
count_rows(struct db *db, const char *table, int64_t *n)
{
	char sql[96];
	struct db_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	*n = 0;
	if (db_prepare(db, sql, &st) != DB_OK)
		return PANTAU_ERR_DB;
	if (db_step(st) == DB_ROW)
		*n = db_column_int64(st, 0);
	db_finalize(st);
	return PANTAU_OK;
}

/* The oldest day partition of batches before the cutoff's day into name. */
static pantau_err
oldest_before(struct db *db, int64_t cutoff_ms, char *name, size_t len)
{
	char keep[16], sql[320];
	struct db_stmt *st;
	day_name(cutoff_ms / DAY_MS, keep, sizeof(keep));
	snprintf(sql, sizeof(sql), "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON"
	    " c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname ="
	    " 'batches' AND c.relname LIKE 'batches_p%%' AND c.relname < 'batches_%s'"
	    " ORDER BY c.relname LIMIT 1", keep);
	name[0] = '\0';
	if (db_prepare(db, sql, &st) != DB_OK)
		return PANTAU_ERR_DB;
	int rc = db_step(st);
	if (rc == DB_ROW)
		snprintf(name, len, "%s", db_column_text(st, 0) + strlen("batches_"));
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? PANTAU_OK : PANTAU_ERR_DB;
}

pantau_err
pg_parts_drop_oldest(struct db *db, int64_t cutoff_ms, bool *dropped, int64_t *batches,
    int64_t *results)
{
	char day[64], b[80], r[80], sql[320];
	*batches = *results = 0;
	*dropped = false;
	if (oldest_before(db, cutoff_ms, day, sizeof(day)) != PANTAU_OK)
		return PANTAU_ERR_DB;
	if (day[0] == '\0')
		return PANTAU_OK;
	snprintf(b, sizeof(b), "batches_%s", day);
	snprintf(r, sizeof(r), "results_%s", day);
	if (count_rows(db, b, batches) != PANTAU_OK || count_rows(db, r, results) != PANTAU_OK)
		return PANTAU_ERR_DB;
	snprintf(sql, sizeof(sql), "DROP TABLE %s; DROP TABLE IF EXISTS %s, results_old_%s", b, r,
	    day);
	if (schema_exec(db, sql) != PANTAU_OK)
		return PANTAU_ERR_DB;
	*dropped = true;
	log_info("retention: dropped the partitions of day %s (%lld batch(es), %lld result(s))",
	    day + 1, (long long)*batches, (long long)*results);
	return PANTAU_OK;
}

pantau_err
pg_parts_prune_keys(struct db *db, int64_t cutoff_ms, int limit, int64_t *deleted)
{
	struct db_stmt *st;
	*deleted = 0;
	if (db_prepare(db, "DELETE FROM batch_keys WHERE ctid IN (SELECT ctid FROM batch_keys"
	        " WHERE recv_ms < ?1 LIMIT ?2)", &st) != DB_OK)
		return PANTAU_ERR_DB;
	db_bind_int64(st, 1, cutoff_ms - cutoff_ms % DAY_MS);
	db_bind_int(st, 2, limit);
	int rc = db_step(st);
	*deleted = db_changes(db);
	db_finalize(st);
	return rc == DB_DONE ? PANTAU_OK : PANTAU_ERR_DB;
}
