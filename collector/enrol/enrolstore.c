#include "enrolstore.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/store/tokens.h"
#include "grow.h"
#include "log.h"

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS enrol_tokens(id INTEGER PRIMARY KEY, agent TEXT NOT NULL"
    " UNIQUE, region TEXT NOT NULL, site TEXT NOT NULL, hash BLOB NOT NULL,"
    " created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS certs(serial TEXT PRIMARY KEY, agent TEXT NOT NULL,"
    " not_before_ms INTEGER NOT NULL, not_after_ms INTEGER NOT NULL,"
    " issued_ms INTEGER NOT NULL, revoked_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS certs_agent ON certs(agent);";

static pantau_err
db_fail(struct db *db, const char *what)
{
	log_warnx("enrol: %s: %s", what, db_errmsg(db));
	return PANTAU_ERR_DB;
}

pantau_err
enrolstore_schema(struct db *db)
{
	return db_exec(db, schema_sql) == DB_OK ? PANTAU_OK :
	    db_fail(db, "make the enrolment tables");
}

bool
enrol_region_valid(const char *r)
{
	return strlen(r) == 5 && strspn(r, "0123456789") == 2 && r[2] == '.' &&
	    strspn(r + 3, "0123456789") == 2;
}

static bool
site_ok(const char *site)
{
	if (site[0] == '\0' || strlen(site) > ENROL_SITE_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)site; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* One row of a one-column query with one text parameter exists. */
static int
exists(struct db *db, const char *sql, const char *arg)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, sql, &st) != DB_OK)
		return -1;
	db_bind_text(st, 1, arg, -1);
	int s = db_step(st);
	db_finalize(st);
	return s == DB_ROW ? 1 : s == DB_DONE ? 0 : -1;
}

/* The next free "ag-RRRR-NNNN" of region: not in enrol_tokens nor sites. */
static pantau_err
assign(struct db *db, const char *region, char agent[WIRE_AGENT_MAX + 1])
{
	for (int n = 1; n <= 99999; n++) {
		snprintf(agent, WIRE_AGENT_MAX + 1, "ag-%.2s%.2s-%04d", region, region + 3, n);
		int a = exists(db, "SELECT 1 FROM enrol_tokens WHERE agent = ?", agent);
		int b = exists(db, "SELECT 1 FROM sites WHERE agent = ?", agent);
		if (a < 0 || b < 0)
			return db_fail(db, "look up agent ids");
		if (a == 0 && b == 0)
			return PANTAU_OK;
	}
	log_warnx("enrol: region %s has no free agent id left", region);
	return PANTAU_ERR_TOO_BIG;
}

pantau_err
enrol_token_create(struct db *db, const char *region, const char *site, int64_t now_ms,
    int64_t expires_ms, char text[ENROL_TOKEN_MAX + 1], struct enrol_site *s)
{
	struct db_stmt *ins = NULL;
	bool own_tx = !db_in_transaction(db);
	text[0] = '\0';
	memset(s, 0, sizeof(*s));
	if (!enrol_region_valid(region) || !site_ok(site))
		return PANTAU_ERR_INVAL;
	if (own_tx && db_exec(db, "BEGIN IMMEDIATE") != DB_OK)
		return db_fail(db, "begin");
	pantau_err rc = assign(db, region, s->agent);
	if (rc != PANTAU_OK)
		goto out;
	rc = PANTAU_ERR_DB;
	if (db_prepare(db, "INSERT INTO enrol_tokens(agent, region, site, hash, created_ms,"
	        " expires_ms) VALUES(?, ?, ?, zeroblob(32), ?, ?)", &ins) != DB_OK) {
		db_fail(db, "prepare");
		goto out;
	}
	db_bind_text(ins, 1, s->agent, -1);
	db_bind_text(ins, 2, region, -1);
	db_bind_text(ins, 3, site, -1);
	db_bind_int64(ins, 4, now_ms);
	db_bind_int64(ins, 5, expires_ms);
	rc = token_insert(db, ins, "enrol: insert an enrolment token", "enrol_tokens", "pe_",
	    ENROL_SECRET_BYTES, &s->id, text, ENROL_TOKEN_MAX + 1);
	snprintf(s->region, sizeof(s->region), "%s", region);
	snprintf(s->site, sizeof(s->site), "%s", site);
	s->expires_ms = expires_ms;
out:
	db_finalize(ins);
	if (own_tx)
		(void)db_exec(db, rc == PANTAU_OK ? "COMMIT" : "ROLLBACK");
	return rc;
}

static void
copy_col(struct db_stmt *st, int col, char *out, size_t len)
{
	const char *v = (const char *)db_column_text(st, col);
	snprintf(out, len, "%s", v != NULL ? v : "");
}

enum enrol_verdict
enrol_token_check(struct db *db, const char *text, int64_t now_ms, struct enrol_site *s)
{
	struct db_stmt *st;
	memset(s, 0, sizeof(*s));
	if (!token_text_parse(text, "pe_", ENROL_SECRET_BYTES, &s->id))
		return ENROL_MALFORMED;
	int found = token_row(db, "SELECT hash, agent, region, site, expires_ms, used_ms "
	    "FROM enrol_tokens WHERE id = ?", s->id, text, "enrol", "read an enrolment token", &st);
	if (found <= 0)
		return found < 0 ? ENROL_DB_ERROR : ENROL_UNKNOWN;
	copy_col(st, 1, s->agent, sizeof(s->agent));
	copy_col(st, 2, s->region, sizeof(s->region));
	copy_col(st, 3, s->site, sizeof(s->site));
	s->expires_ms = db_column_int64(st, 4);
	enum enrol_verdict v = db_column_type(st, 5) != DB_NULL ? ENROL_USED :
	    s->expires_ms <= now_ms ? ENROL_EXPIRED : ENROL_VALID;
	db_finalize(st);
	return v;
}

/* Run sql with an integer and a text or integer parameter; *changes rows. */
static pantau_err
run(struct db *db, const char *sql, int64_t a, const char *b, int64_t bi, int *changes)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, sql, &st) != DB_OK)
		return db_fail(db, "prepare");
	db_bind_int64(st, 1, a);
	if (b != NULL)
		db_bind_text(st, 2, b, -1);
	else
		db_bind_int64(st, 2, bi);
	pantau_err rc = db_step(st) == DB_DONE ? PANTAU_OK : db_fail(db, "write");
	db_finalize(st);
	if (changes != NULL)
		*changes = (int)db_changes(db);
	return rc;
}

pantau_err
enrol_token_use(struct db *db, int64_t id, int64_t now_ms)
{
	int n = 0;
	pantau_err rc = run(db, "UPDATE enrol_tokens SET used_ms = ?1 WHERE id = ?2 AND "
	    "used_ms IS NULL", now_ms, NULL, id, &n);
	return rc != PANTAU_OK ? rc : n == 1 ? PANTAU_OK : PANTAU_ERR_STATE;
}

pantau_err
enrol_cert_add(struct db *db, const char *serial, const char *agent, int64_t not_before,
    int64_t not_after, int64_t now_ms)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, "INSERT INTO certs(serial, agent, not_before_ms, not_after_ms,"
	        " issued_ms) VALUES(?, ?, ?, ?, ?)", &st) != DB_OK)
		return db_fail(db, "prepare");
	db_bind_text(st, 1, serial, -1);
	db_bind_text(st, 2, agent, -1);
	db_bind_int64(st, 3, not_before * 1000);
	db_bind_int64(st, 4, not_after * 1000);
	db_bind_int64(st, 5, now_ms);
	pantau_err rc = db_step(st) == DB_DONE ? PANTAU_OK :
	    db_fail(db, "remember a certificate");
	db_finalize(st);
	return rc;
}

pantau_err
enrol_cert_revoke_agent(struct db *db, const char *agent, int64_t now_ms, int *n)
{
	return run(db, "UPDATE certs SET revoked_ms = ?1 WHERE agent = ?2 AND revoked_ms IS NULL",
	    now_ms, agent, 0, n);
}

bool
enrol_cert_refused(struct db *db, const char *serial)
{
	return exists(db, "SELECT 1 FROM certs WHERE serial = ? AND revoked_ms IS NULL",
	    serial) != 1;
}

void
enrol_serials_free(char **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}

pantau_err
enrol_cert_revoked(struct db *db, char ***list, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*list = NULL;
	*n = 0;
	if (db_prepare(db, "SELECT serial FROM certs WHERE revoked_ms IS NOT NULL "
	        "ORDER BY serial", &st) != DB_OK)
		return db_fail(db, "prepare");
	int s;
	pantau_err rc = PANTAU_OK;
	while (rc == PANTAU_OK && (s = db_step(st)) == DB_ROW) {
		char **grown = grow_to(*list, &cap, *n + 1, sizeof(**list), 16);
		if (grown == NULL) {
			rc = PANTAU_ERR_NOMEM;
			break;
		}
		*list = grown;
		const char *v = (const char *)db_column_text(st, 0);
		if (((*list)[*n] = strdup(v != NULL ? v : "")) == NULL)
			rc = PANTAU_ERR_NOMEM;
		else
			(*n)++;
	}
	if (rc == PANTAU_OK && s != DB_DONE)
		rc = db_fail(db, "list the revoked certificates");
	db_finalize(st);
	if (rc != PANTAU_OK) {
		enrol_serials_free(*list, *n);
		*list = NULL;
		*n = 0;
	}
	return rc;
}
