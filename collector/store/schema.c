/* The store's schema and its upgrades from older releases' databases
 * (docs/storage.md); written in SQLite's dialect, which the PostgreSQL
 * backend translates (collector/store/pg_sql.h). */
#include "schema.h"

#include <stdio.h>
#include <string.h>

#include "collector/enrol/enrolstore.h"
#include "log.h"
#include "pg_parts.h"

#define SCHEMA_VERSION "7"

/* The batches' and results' columns, on either backend (PostgreSQL's are
 * partitioned: collector/store/pg_parts.h). */
#define BATCH_COLS \
    "agent TEXT NOT NULL, boot INTEGER NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL," \
    " recv_ms INTEGER NOT NULL, nresults INTEGER NOT NULL, outbox_pending INTEGER," \
    " outbox_dropped INTEGER, agent_ts_ms INTEGER"
#define RESULT_COLS \
    "batch_id INTEGER NOT NULL, idx INTEGER NOT NULL, agent TEXT NOT NULL," \
    " ts_ms INTEGER NOT NULL, probe TEXT NOT NULL, target TEXT NOT NULL, ok INTEGER," \
    " sent INTEGER, recv INTEGER, loss_pct REAL, rtt_min REAL, rtt_p50 REAL," \
    " rtt_avg REAL, rtt_p95 REAL, rtt_max REAL, jitter_ms REAL, pdv_ms REAL," \
    " status INTEGER, dns_ms REAL, connect_ms REAL, tls_ms REAL, ttfb_ms REAL," \
    " total_ms REAL, error TEXT, extra TEXT"

static const char *const rows_sql =
    "CREATE TABLE IF NOT EXISTS batches(id INTEGER PRIMARY KEY, " BATCH_COLS ","
    " UNIQUE(agent, boot, seq));"
    /* Clustered by (batch_id, idx): rows arrive in key order, so inserting
     * touches only the rightmost pages; per-site lookups go through
     * batches(agent, ts_ms). */
    "CREATE TABLE IF NOT EXISTS results(" RESULT_COLS ", PRIMARY KEY(batch_id, idx))"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS batches_agent_ts ON batches(agent, ts_ms);";

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS provinces(code TEXT PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS regencies(code TEXT PRIMARY KEY, province TEXT NOT NULL,"
    " name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sites(agent TEXT PRIMARY KEY, regency TEXT NOT NULL,"
    " site TEXT, link TEXT, lat REAL, lon REAL, interval_s INTEGER, version TEXT,"
    " boot INTEGER, first_seen_ms INTEGER NOT NULL, last_result_ms INTEGER,"
    " last_ts_ms INTEGER, online INTEGER, online_reason TEXT, status_ms INTEGER,"
    " outbox_pending INTEGER, outbox_dropped INTEGER, skew_ms INTEGER, simulated INTEGER,"
    " upload_mbps REAL, upload_ts_ms INTEGER);"
    /* The status engine's (collector/store/statusdb.h). */
    "CREATE TABLE IF NOT EXISTS site_status(agent TEXT PRIMARY KEY, status INTEGER NOT NULL,"
    " since_ms INTEGER NOT NULL, reason TEXT, base_rtt_p95 REAL, base_loss_pct REAL,"
    " base_first_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS regency_status(code TEXT PRIMARY KEY, status INTEGER NOT NULL,"
    " at_risk INTEGER NOT NULL, since_ms INTEGER NOT NULL, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,"
    " scope TEXT NOT NULL, key TEXT NOT NULL, regency TEXT, from_status TEXT,"
    " to_status TEXT NOT NULL, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ms);"
    "CREATE TABLE IF NOT EXISTS alerts(key TEXT PRIMARY KEY, data TEXT NOT NULL);"
    /* Schema 7: the incidents and the sites' latest paths
     * (collector/store/incidentdb.h); an older database gets them here. */
    "CREATE TABLE IF NOT EXISTS incidents(id INTEGER PRIMARY KEY, end_ms INTEGER,"
    " data TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS site_paths(agent TEXT NOT NULL, target TEXT NOT NULL,"
    " ms INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY(agent, target)) WITHOUT ROWID;"
    /* Delivery per (agent, boot): seq runs 1..max_seq, so max_seq batches
     * were made and max_seq - stored are missing (docs/storage.md). */
    "CREATE TABLE IF NOT EXISTS boots(agent TEXT NOT NULL, boot INTEGER NOT NULL,"
    " max_seq INTEGER NOT NULL, stored INTEGER NOT NULL, dropped INTEGER NOT NULL,"
    " duplicates INTEGER NOT NULL, last_recv_ms INTEGER NOT NULL,"
    " clock_offset_ms INTEGER, clock_mono_ms INTEGER,"
    " PRIMARY KEY(agent, boot)) WITHOUT ROWID;"
    /* The API's tokens, schema 5 (collector/store/tokens.h): the SHA-256
     * of each token's text, never the text. */
    "CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " role TEXT NOT NULL, hash BLOB NOT NULL, created_ms INTEGER NOT NULL,"
    " expires_ms INTEGER, revoked_ms INTEGER);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '" SCHEMA_VERSION "');";

/* Databases made by schema 1 get the boots table filled from their batches. */
static const char *const migrate_1_sql =
    "INSERT OR IGNORE INTO boots(agent, boot, max_seq, stored, dropped, duplicates,"
    " last_recv_ms) SELECT agent, boot, max(seq), count(*), max(coalesce(outbox_dropped, 0)),"
    " 0, max(recv_ms) FROM batches GROUP BY agent, boot;"
    "UPDATE meta SET value = '2' WHERE key = 'schema_version';";

pantau_err
schema_exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != DB_OK) {
		log_warnx("store: %s", db_errmsg(db));
		return PANTAU_ERR_DB;
	}
	return PANTAU_OK;
}

/* Add table.column (declared decl) unless the database has it already. */
static pantau_err
add_column(struct db *db, const char *table, const char *column, const char *decl,
    const char *why)
{
	char sql[160];
	struct db_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", column, table);
	if (db_prepare(db, sql, &st) == DB_OK) {
		db_finalize(st);
		return PANTAU_OK;
	}
	log_info("store: upgrading the database: %s.%s (%s)", table, column, why);
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", table, column, decl);
	return schema_exec(db, sql);
}

/* Before schema 6 the agent's timestamp was stored whatever it said: the
 * implausible ones (before 2020, a day past their receipt: the bounds of
 * collector/ingest/clockest.h) are moved to their receipt once, as ingest
 * now places them, so no 9999 point or last result stays behind. */
static const char *const migrate_5_sql =
    "UPDATE results SET ts_ms = (SELECT b.recv_ms FROM batches b WHERE b.id = results.batch_id)"
    " WHERE batch_id IN (SELECT id FROM batches WHERE ts_ms < 1577836800000"
    " OR ts_ms > recv_ms + 86400000);"
    "UPDATE batches SET agent_ts_ms = ts_ms, ts_ms = recv_ms WHERE ts_ms < 1577836800000"
    " OR ts_ms > recv_ms + 86400000;"
    "UPDATE sites SET last_ts_ms = (SELECT max(b.ts_ms) FROM batches b"
    " WHERE b.agent = sites.agent) WHERE last_ts_ms < 1577836800000"
    " OR last_ts_ms > coalesce(last_result_ms, 0) + 86400000;"
    "UPDATE sites SET upload_ts_ms = last_result_ms"
    " WHERE upload_ts_ms > coalesce(last_result_ms, 0) + 86400000;";

/* Schema 3 added sites.simulated, schema 4 the latest upload rate, schema
 * 6 the clock estimates per boot and the agent's own timestamp of a
 * retimed batch; older databases get the columns (schema 5's tokens table
 * and schema 7's incidents and site_paths come with CREATE TABLE IF NOT
 * EXISTS). */
static pantau_err
migrate_2(struct db *db, int version)
{
	static const char *const cols[][4] = {
		{ "sites", "simulated", "INTEGER", "simulated sites, schema 3" },
		{ "sites", "upload_mbps", "REAL", "latest upload rate, schema 4" },
		{ "sites", "upload_ts_ms", "INTEGER", "latest upload rate, schema 4" },
		{ "boots", "clock_offset_ms", "INTEGER", "clock estimate per boot, schema 6" },
		{ "boots", "clock_mono_ms", "INTEGER", "clock estimate per boot, schema 6" },
		{ "batches", "agent_ts_ms", "INTEGER", "the agent's timestamp when off, schema 6" },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (add_column(db, cols[i][0], cols[i][1], cols[i][2], cols[i][3]) != PANTAU_OK)
			return PANTAU_ERR_DB;
	if (version < 6) {
		log_info("store: upgrading the database to schema 6 (implausible timestamps moved"
		         " to their receipt)");
		if (schema_exec(db, migrate_5_sql) != PANTAU_OK)
			return PANTAU_ERR_DB;
	}
	return schema_exec(db, "UPDATE meta SET value = '" SCHEMA_VERSION "' WHERE key = "
	                       "'schema_version'");
}

static pantau_err
migrate(struct db *db)
{
	struct db_stmt *st;
	int version = 0;
	if (db_prepare(db, "SELECT value FROM meta WHERE key = 'schema_version'", &st) != DB_OK) {
		log_warnx("store: read the schema version: %s", db_errmsg(db));
		return PANTAU_ERR_DB;
	}
	if (db_step(st) == DB_ROW)
		version = db_column_int(st, 0);
	db_finalize(st);
	if (version == 1) {
		log_info("store: upgrading the database to schema 2 (delivery counts per boot)");
		if (schema_exec(db, migrate_1_sql) != PANTAU_OK)
			return PANTAU_ERR_DB;
	}
	return migrate_2(db, version);
}

/* Seqs given up by replay (collector/ingest/replayscan.h): asked for
 * [replay] max_asks times unanswered, or gone from the agent's outbox. A
 * table of its own, created in any older database as it is. */
static const char *const lost_sql =
    "CREATE TABLE IF NOT EXISTS lost(agent TEXT NOT NULL, boot INTEGER NOT NULL,"
    " from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL, reason TEXT NOT NULL,"
    " asks INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    " PRIMARY KEY(agent, boot, from_seq)) WITHOUT ROWID;";

/* The batches and results: SQLite's tables, or PostgreSQL's day partitions
 * (made ahead from now_ms). */
static pantau_err
rows_apply(struct db *db, int64_t now_ms)
{
	if (strcmp(db_backend(db), "postgresql") != 0)
		return schema_exec(db, rows_sql);
	if (pg_parts_schema(db, "id BIGINT NOT NULL, " BATCH_COLS, RESULT_COLS) != PANTAU_OK)
		return PANTAU_ERR_DB;
	return pg_parts_ensure(db, now_ms);
}

pantau_err
schema_apply(struct db *db, int64_t now_ms)
{
	if (rows_apply(db, now_ms) != PANTAU_OK || schema_exec(db, schema_sql) != PANTAU_OK ||
	    migrate(db) != PANTAU_OK)
		return PANTAU_ERR_DB;
	/* Enrolment's tokens and certificates: tables of their own, created in
	 * any older database as they are (collector/enrol/enrolstore.h). */
	if (enrolstore_schema(db) != PANTAU_OK)
		return PANTAU_ERR_DB;
	return schema_exec(db, lost_sql);
}

pantau_err
schema_extend(struct db *db, int64_t now_ms)
{
	if (strcmp(db_backend(db), "postgresql") != 0)
		return PANTAU_OK;
	return pg_parts_ensure(db, now_ms);
}
