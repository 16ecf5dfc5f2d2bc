/* The store's SQLite schema and its upgrades from older
 * releases' databases (docs/storage.md). */
#include "schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "collector/enrol/enrolstore.h"
#include "log.h"

#define SCHEMA_VERSION "6"

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
    "CREATE TABLE IF NOT EXISTS batches(id INTEGER PRIMARY KEY, agent TEXT NOT NULL,"
    " boot INTEGER NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
    " recv_ms INTEGER NOT NULL, nresults INTEGER NOT NULL, outbox_pending INTEGER,"
    " outbox_dropped INTEGER, UNIQUE(agent, boot, seq));"
    /* Clustered by (batch_id, idx): rows arrive in key order, so inserting
     * touches only the rightmost pages; per-site lookups go through
     * batches(agent, ts_ms). */
    "CREATE TABLE IF NOT EXISTS results(batch_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " agent TEXT NOT NULL,"
    " ts_ms INTEGER NOT NULL, probe TEXT NOT NULL, target TEXT NOT NULL, ok INTEGER,"
    " sent INTEGER, recv INTEGER, loss_pct REAL, rtt_min REAL, rtt_p50 REAL,"
    " rtt_avg REAL, rtt_p95 REAL, rtt_max REAL, jitter_ms REAL, pdv_ms REAL,"
    " status INTEGER, dns_ms REAL, connect_ms REAL, tls_ms REAL, ttfb_ms REAL,"
    " total_ms REAL, error TEXT, extra TEXT, PRIMARY KEY(batch_id, idx)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS batches_agent_ts ON batches(agent, ts_ms);"
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
    /* Delivery per (agent, boot): seq runs 1..max_seq, so max_seq batches
     * were made and max_seq - stored are missing (docs/storage.md). */
    "CREATE TABLE IF NOT EXISTS boots(agent TEXT NOT NULL, boot INTEGER NOT NULL,"
    " max_seq INTEGER NOT NULL, stored INTEGER NOT NULL, dropped INTEGER NOT NULL,"
    " duplicates INTEGER NOT NULL, last_recv_ms INTEGER NOT NULL,"
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
schema_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s", msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return PANTAU_ERR_DB;
	}
	return PANTAU_OK;
}

/* Add sites.column (declared decl) unless the database has it already. */
static pantau_err
add_site_column(sqlite3 *db, const char *column, const char *decl, const char *why)
{
	char sql[160];
	sqlite3_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT %s FROM sites LIMIT 0", column);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return PANTAU_OK;
	}
	log_info("store: upgrading the database: sites.%s (%s)", column, why);
	snprintf(sql, sizeof(sql), "ALTER TABLE sites ADD COLUMN %s %s", column, decl);
	return schema_exec(db, sql);
}

/* Schema 3 added sites.simulated, schema 4 the latest upload rate; older
 * databases get the columns (schema 5's tokens table comes with
 * CREATE TABLE IF NOT EXISTS). */
static pantau_err
migrate_2(sqlite3 *db)
{
	static const char *const cols[][3] = {
		{ "simulated", "INTEGER", "simulated sites, schema 3" },
		{ "upload_mbps", "REAL", "latest upload rate, schema 4" },
		{ "upload_ts_ms", "INTEGER", "latest upload rate, schema 4" },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (add_site_column(db, cols[i][0], cols[i][1], cols[i][2]) != PANTAU_OK)
			return PANTAU_ERR_DB;
	return schema_exec(db, "UPDATE meta SET value = '" SCHEMA_VERSION "' WHERE key = "
	                       "'schema_version'");
}

static pantau_err
migrate(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool v1 = false;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
	        &st, NULL) != SQLITE_OK) {
		log_warnx("store: read the schema version: %s", sqlite3_errmsg(db));
		return PANTAU_ERR_DB;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v1 = strcmp((const char *)sqlite3_column_text(st, 0), "1") == 0;
	sqlite3_finalize(st);
	if (v1) {
		log_info("store: upgrading the database to schema 2 (delivery counts per boot)");
		if (schema_exec(db, migrate_1_sql) != PANTAU_OK)
			return PANTAU_ERR_DB;
	}
	return migrate_2(db);
}

pantau_err
schema_apply(sqlite3 *db)
{
	if (schema_exec(db, schema_sql) != PANTAU_OK)
		return PANTAU_ERR_DB;
	/* Schema 6: enrolment's tokens and certificates, their own step. */
	if (enrolstore_schema(db) != PANTAU_OK)
		return PANTAU_ERR_DB;
	return migrate(db);
}
