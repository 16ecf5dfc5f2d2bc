#include "tokens.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontime.h"
#include "log.h"

#define MS_PER_YEAR (INT64_C(365) * 86400 * 1000)

const char *
token_role_name(enum token_role role)
{
	return role == TOKEN_ROLE_ADMIN ? "admin" : "read";
}

bool
token_role_parse(const char *name, enum token_role *out)
{
	if (strcmp(name, "read") == 0)
		*out = TOKEN_ROLE_READ;
	else if (strcmp(name, "admin") == 0)
		*out = TOKEN_ROLE_ADMIN;
	else
		return false;
	return true;
}

pantau_err
token_hash(const char *text, size_t len, unsigned char out[TOKEN_HASH_LEN])
{
	unsigned int n = 0;
	if (EVP_Digest(text, len, out, &n, EVP_sha256(), NULL) != 1 || n != TOKEN_HASH_LEN)
		return PANTAU_ERR_UNSUPPORTED;
	return PANTAU_OK;
}

bool
token_hash_equal(const unsigned char a[TOKEN_HASH_LEN], const unsigned char b[TOKEN_HASH_LEN])
{
	return CRYPTO_memcmp(a, b, TOKEN_HASH_LEN) == 0;
}

bool
token_text_parse(const char *text, const char *prefix, size_t n, int64_t *id)
{
	size_t pl = strlen(prefix);
	if (strncmp(text, prefix, pl) != 0)
		return false;
	const char *p = text + pl;
	size_t digits = strspn(p, "0123456789");
	if (digits == 0 || digits > 18 || p[digits] != '_' || p[0] == '0')
		return false;
	const char *secret = p + digits + 1;
	if (strlen(secret) != 2 * n || strspn(secret, "0123456789abcdef") != 2 * n)
		return false;
	*id = strtoll(p, NULL, 10);
	return true;
}

bool
token_parse(const char *text, int64_t *id)
{
	return token_text_parse(text, "pt_", TOKEN_SECRET_BYTES, id);
}

bool
token_duration_parse(const char *text, int64_t *ms)
{
	char *end = NULL;
	long long n = strtoll(text, &end, 10);
	int64_t unit;
	if (end == text || text[0] == '-' || text[0] == '+' || end[0] == '\0' || end[1] != '\0')
		return false;
	switch (end[0]) {
	case 'd': unit = 86400 * 1000; break;
	case 'h': unit = 3600 * 1000; break;
	case 'm': unit = 60 * 1000; break;
	case 's': unit = 1000; break;
	default: return false;
	}
	if (n <= 0 || n > 100 * MS_PER_YEAR / unit)
		return false;
	*ms = (int64_t)n * unit;
	return true;
}

static pantau_err
db_fail(struct db *db, const char *what)
{
	log_warnx("tokens: %s: %s", what, db_errmsg(db));
	return PANTAU_ERR_DB;
}

static bool
name_ok(const char *name)
{
	if (strlen(name) > TOKEN_NAME_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

pantau_err
token_text_make(const char *prefix, int64_t id, size_t bytes, char *text, size_t len)
{
	unsigned char secret[64];
	if (bytes > sizeof(secret) || RAND_bytes(secret, (int)bytes) != 1)
		return PANTAU_ERR_UNSUPPORTED;
	int n = snprintf(text, len, "%s%" PRId64 "_", prefix, id);
	for (size_t i = 0; i < bytes && n > 0 && (size_t)n < len; i++)
		n += snprintf(text + n, len - (size_t)n, "%02x", secret[i]);
	OPENSSL_cleanse(secret, bytes);
	return PANTAU_OK;
}

pantau_err
token_text_store(struct db *db, const char *table, const char *prefix, size_t bytes,
    int64_t id, char *text, size_t len)
{
	unsigned char hash[TOKEN_HASH_LEN];
	char sql[96];
	struct db_stmt *upd = NULL;
	snprintf(sql, sizeof(sql), "UPDATE %s SET hash = ? WHERE id = ?", table);
	pantau_err rc = token_text_make(prefix, id, bytes, text, len);
	if (rc == PANTAU_OK)
		rc = token_hash(text, strlen(text), hash);
	if (rc == PANTAU_OK && db_prepare(db, sql, &upd) != DB_OK)
		rc = db_fail(db, "prepare");
	if (rc == PANTAU_OK) {
		db_bind_blob(upd, 1, hash, sizeof(hash));
		db_bind_int64(upd, 2, id);
		if (db_step(upd) != DB_DONE)
			rc = db_fail(db, "store a token's hash");
	}
	db_finalize(upd);
	if (rc != PANTAU_OK)
		OPENSSL_cleanse(text, len);
	return rc;
}

pantau_err
token_insert(struct db *db, struct db_stmt *ins, const char *what, const char *table,
    const char *prefix, size_t bytes, int64_t *id, char *text, size_t len)
{
	if (db_step(ins) != DB_DONE) {
		log_warnx("%s: %s", what, db_errmsg(db));
		return PANTAU_ERR_DB;
	}
	*id = db_last_insert_id(db);
	return token_text_store(db, table, prefix, bytes, *id, text, len);
}

/* Insert the row (hash still empty) and learn its id, then store the hash
 * of the text made with it: one transaction. */
pantau_err
tokens_create(struct db *db, const struct token_new *t, char text[TOKEN_TEXT_MAX + 1],
    int64_t *id)
{
	struct db_stmt *ins = NULL;
	pantau_err rc = PANTAU_ERR_INVAL;
	const char *name = t->name != NULL ? t->name : "";
	bool own_tx = !db_in_transaction(db);
	text[0] = '\0';
	if (!name_ok(name))
		return rc;
	if (own_tx && db_exec(db, "BEGIN IMMEDIATE") != DB_OK)
		return db_fail(db, "begin");
	rc = PANTAU_ERR_DB;
	if (db_prepare(db, "INSERT INTO tokens(name, role, hash, created_ms, expires_ms)"
	        " VALUES(?, ?, zeroblob(32), ?, ?)", &ins) != DB_OK) {
		db_fail(db, "prepare");
		goto out;
	}
	db_bind_text(ins, 1, name, -1);
	db_bind_text(ins, 2, token_role_name(t->role), -1);
	db_bind_int64(ins, 3, t->now_ms);
	if (t->expires_ms > 0)
		db_bind_int64(ins, 4, t->expires_ms);
	rc = token_insert(db, ins, "tokens: insert a token", "tokens", "pt_", TOKEN_SECRET_BYTES, id,
	    text, TOKEN_TEXT_MAX + 1);
out:
	db_finalize(ins);
	if (own_tx)
		(void)db_exec(db, rc == PANTAU_OK ? "COMMIT" : "ROLLBACK");
	return rc;
}

pantau_err
tokens_revoke(struct db *db, int64_t id, int64_t now_ms)
{
	struct db_stmt *st = NULL;
	pantau_err rc = PANTAU_ERR_DB;
	if (db_prepare(db, "SELECT revoked_ms FROM tokens WHERE id = ?", &st) !=
	    DB_OK)
		return db_fail(db, "prepare");
	db_bind_int64(st, 1, id);
	int s = db_step(st);
	if (s == DB_DONE)
		rc = PANTAU_ERR_NOT_FOUND;
	else if (s == DB_ROW && db_column_type(st, 0) != DB_NULL)
		rc = PANTAU_ERR_STATE;
	else if (s != DB_ROW)
		db_fail(db, "read a token");
	db_finalize(st);
	if (s != DB_ROW || rc == PANTAU_ERR_STATE)
		return rc;
	if (db_prepare(db, "UPDATE tokens SET revoked_ms = ? WHERE id = ?", &st) != DB_OK)
		return db_fail(db, "prepare");
	db_bind_int64(st, 1, now_ms);
	db_bind_int64(st, 2, id);
	rc = db_step(st) == DB_DONE ? PANTAU_OK : db_fail(db, "revoke a token");
	db_finalize(st);
	return rc;
}

/* A time column in ms, -1 when NULL (json_set_time writes null). */
static int64_t
ms_or_none(struct db_stmt *st, int col)
{
	return db_column_type(st, col) == DB_NULL ? -1 : db_column_int64(st, col);
}

pantau_err
tokens_list(struct db *db, json_t **out)
{
	struct db_stmt *st = NULL;
	json_t *list = json_array();
	pantau_err rc = PANTAU_ERR_NOMEM;
	*out = NULL;
	if (list == NULL)
		return rc;
	if (db_prepare(db, "SELECT id, name, role, created_ms, expires_ms, revoked_ms "
	        "FROM tokens ORDER BY id", &st) != DB_OK) {
		json_decref(list);
		return db_fail(db, "prepare");
	}
	int s;
	while ((s = db_step(st)) == DB_ROW) {
		const char *name = (const char *)db_column_text(st, 1);
		const char *role = (const char *)db_column_text(st, 2);
		json_t *t = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_column_int64(st, 0),
		    "name", name != NULL ? name : "", "role", role != NULL ? role : "");
		if (t == NULL || json_array_append_new(list, t) != 0)
			goto out;
		json_set_time(t, "created", ms_or_none(st, 3));
		json_set_time(t, "expires", ms_or_none(st, 4));
		json_set_time(t, "revoked", ms_or_none(st, 5));
	}
	if (s != DB_DONE) {
		rc = db_fail(db, "list the tokens");
		goto out;
	}
	*out = json_pack("{s:o}", "tokens", list);
	list = NULL;
	rc = *out != NULL ? PANTAU_OK : PANTAU_ERR_NOMEM;
out:
	json_decref(list);
	db_finalize(st);
	return rc;
}

/* The row's verdict once its hash matched. */
static enum token_verdict
row_verdict(struct db_stmt *st, int64_t now_ms, enum token_role *role)
{
	const char *r = (const char *)db_column_text(st, 1);
	if (db_column_type(st, 3) != DB_NULL)
		return TOKEN_REVOKED;
	if (db_column_type(st, 2) != DB_NULL && db_column_int64(st, 2) <= now_ms)
		return TOKEN_EXPIRED;
	if (r == NULL || !token_role_parse(r, role))
		return TOKEN_UNKNOWN;
	return TOKEN_VALID;
}

int
token_row(struct db *db, const char *sql, int64_t id, const char *text, const char *who,
    const char *what, struct db_stmt **st)
{
	unsigned char want[TOKEN_HASH_LEN];
	int found = 0;
	*st = NULL;
	if (token_hash(text, strlen(text), want) != PANTAU_OK)
		return -1;
	if (db_prepare(db, sql, st) != DB_OK) {
		log_warnx("%s: prepare: %s", who, db_errmsg(db));
		found = -1;
	} else {
		db_bind_int64(*st, 1, id);
		int r = db_step(*st);
		const void *have = r == DB_ROW ? db_column_blob(*st, 0) : NULL;
		if (have != NULL && db_column_bytes(*st, 0) == TOKEN_HASH_LEN &&
		    token_hash_equal(want, have))
			return 1;
		if (r != DB_ROW && r != DB_DONE) {
			log_warnx("%s: %s: %s", who, what, db_errmsg(db));
			found = -1;
		}
	}
	db_finalize(*st);
	*st = NULL;
	return found;
}

enum token_verdict
tokens_check(struct db *db, const char *text, int64_t now_ms, enum token_role *role,
    int64_t *id)
{
	struct db_stmt *st;
	if (!token_parse(text, id))
		return TOKEN_MALFORMED;
	int found = token_row(db, "SELECT hash, role, expires_ms, revoked_ms FROM tokens "
	    "WHERE id = ?", *id, text, "tokens", "read a token", &st);
	if (found <= 0)
		return found < 0 ? TOKEN_DB_ERROR : TOKEN_UNKNOWN;
	enum token_verdict v = row_verdict(st, now_ms, role);
	db_finalize(st);
	return v;
}
