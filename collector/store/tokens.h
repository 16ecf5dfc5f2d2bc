/*
 * The API's tokens (docs/api.md, "Authentication"), kept in the
 * collector's database (docs/storage.md):
 *   tokens(id PRIMARY KEY, name, role, hash, created_ms, expires_ms,
 *          revoked_ms)
 *
 * A token's text is "pt_ID_SECRET": ID the row, SECRET 64 hex digits of
 * 32 random bytes (OpenSSL's RAND_bytes). Only the SHA-256 of the whole
 * text is stored; a check finds the row by ID and compares the hashes in
 * constant time (CRYPTO_memcmp), so neither the text nor the time a
 * comparison takes tells anything about another token.
 *
 * Every function works on a connection of the caller's: the collector's
 * store connection (the API's checks) or the CLI's (pantau token). The
 * table is made by the store's schema (collector/store/schema.c).
 */
#ifndef PANTAU_TOKENS_H
#define PANTAU_TOKENS_H

#include <jansson.h>
#include "collector/store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Bytes of SHA-256. */
#define TOKEN_HASH_LEN 32
/* Random bytes of a token's secret (its text has twice as many hex digits). */
#define TOKEN_SECRET_BYTES 32
/* Longest token text: "pt_", a 19-digit id, "_", the secret. */
#define TOKEN_TEXT_MAX (3 + 19 + 1 + 2 * TOKEN_SECRET_BYTES)
/* Longest token name (who or what holds it). */
#define TOKEN_NAME_MAX 64

/* What a token may do; admin may do everything read may. */
enum token_role { TOKEN_ROLE_READ = 1, TOKEN_ROLE_ADMIN = 2 };

/* What a check found. */
enum token_verdict {
	TOKEN_VALID,
	TOKEN_MALFORMED,   /* not "pt_ID_SECRET" */
	TOKEN_UNKNOWN,     /* no such id, or the secret does not match */
	TOKEN_EXPIRED,
	TOKEN_REVOKED,
	TOKEN_DB_ERROR,    /* the database could not be read */
};

/* "read", "admin". */
const char *token_role_name(enum token_role role);
bool token_role_parse(const char *name, enum token_role *out);

/* SHA-256 of len bytes of text (OpenSSL's EVP). */
pantau_err token_hash(const char *text, size_t len, unsigned char out[TOKEN_HASH_LEN]);

/* The two hashes are equal, in a time that does not depend on where they differ. */
bool token_hash_equal(const unsigned char a[TOKEN_HASH_LEN],
    const unsigned char b[TOKEN_HASH_LEN]);

/* The row of sql (one parameter, ?1 the id; the first column the hash)
 * whose hash is text's: 1 with *st on it, to be finalized by the caller;
 * 0 when id has no row or another hash; -1 when the database fails
 * (logged "WHO: prepare: ..." or "WHO: WHAT: ..."). *st NULL but for 1. */
int token_row(struct db *db, const char *sql, int64_t id, const char *text, const char *who,
    const char *what, struct db_stmt **st);

/* text is "pt_ID_SECRET" with SECRET 64 lower-case hex digits; *id is ID. */
bool token_parse(const char *text, int64_t *id);

/* The same for any one-time secret: text is "PREFIXID_SECRET" with SECRET
 * 2 * n lower-case hex digits (enrolment's "pe_", collector/enrol/). */
bool token_text_parse(const char *text, const char *prefix, size_t n, int64_t *id);

/* "PREFIXID_" and 2 * bytes hex digits of fresh random bytes (at most 64)
 * into text (len bytes). */
pantau_err token_text_make(const char *prefix, int64_t id, size_t bytes, char *text,
    size_t len);

/* The second half of making a token of table: the text of row id (prefix,
 * bytes random bytes) into text and its SHA-256 into the row's hash
 * column; on failure text is wiped. */
pantau_err token_text_store(struct db *db, const char *table, const char *prefix, size_t bytes,
    int64_t id, char *text, size_t len);

/* Making a token of table once ins, its row's INSERT (hash a zeroblob), is
 * prepared and bound: step it (failure logged "WHAT: the database's
 * message"), *id the new row's, then token_text_store. The caller finalizes ins and ends the transaction. */
pantau_err token_insert(struct db *db, struct db_stmt *ins, const char *what,
    const char *table, const char *prefix, size_t bytes, int64_t *id, char *text, size_t len);

/* A duration "30d", "12h", "45m" or "90s" in ms; false for anything else
 * (and for 0 or more than 100 years). */
bool token_duration_parse(const char *text, int64_t *ms);

struct token_new {
	enum token_role role;
	const char *name;        /* NULL or "": none; at most TOKEN_NAME_MAX bytes */
	int64_t now_ms;
	int64_t expires_ms;      /* <= 0: never */
};

/*
 * Make a token: its row with the hash, and its text in text (shown once,
 * never stored). PANTAU_ERR_INVAL: a name too long or with control
 * characters; PANTAU_ERR_DB: the database refused (logged).
 */
pantau_err tokens_create(struct db *db, const struct token_new *t,
    char text[TOKEN_TEXT_MAX + 1], int64_t *id);

/* Revoke token id from now on. PANTAU_ERR_NOT_FOUND: no such token;
 * PANTAU_ERR_STATE: it was revoked already. */
pantau_err tokens_revoke(struct db *db, int64_t id, int64_t now_ms);

/* Every token, oldest first, as {"tokens":[{"id","name","role","created",
 * "expires","revoked"}]} (times ISO 8601 UTC, null when none); no hash. */
pantau_err tokens_list(struct db *db, json_t **out);

/* Check text at now_ms; on TOKEN_VALID *role and *id are the token's. */
enum token_verdict tokens_check(struct db *db, const char *text, int64_t now_ms,
    enum token_role *role, int64_t *id);

#endif
