/*
 * Enrolment in the collector's database (docs/storage.md; tables of their
 * own, made in any older database as they are):
 *
 *   enrol_tokens(id, agent UNIQUE, region, site, hash, created_ms,
 *                expires_ms, used_ms)      one-time tokens, one per site
 *   certs(serial PRIMARY KEY, agent, not_before_ms, not_after_ms,
 *         issued_ms, revoked_ms)           every certificate issued
 *
 * A token's text is "pe_ID_SECRET": ID its row, SECRET 32 hex digits of
 * 16 random bytes; only its SHA-256 is kept and compared in constant time
 * (collector/store/tokens.h's token_hash). The agent id is assigned when
 * the token is made ("ag-RRRR-NNNN": the regency's code without its dot
 * and the next free number in it), so the coordinator knows it at once.
 *
 * Every function works on a connection of the caller's: the collector's
 * store connection (the enrol route) or the CLI's (pantau enrol).
 */
#ifndef PANTAU_ENROLSTORE_H
#define PANTAU_ENROLSTORE_H

#include "collector/store/db.h"
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"

#define ENROL_SECRET_BYTES 16
/* "pe_", a 19-digit id, "_", the secret. */
#define ENROL_TOKEN_MAX (3 + 19 + 1 + 2 * ENROL_SECRET_BYTES)
#define ENROL_SITE_MAX 128
/* Default life of a token: 72 h. */
#define ENROL_TOKEN_LIFE_MS (INT64_C(72) * 3600 * 1000)

enum enrol_verdict {
	ENROL_VALID,
	ENROL_MALFORMED,   /* not "pe_ID_SECRET": mistyped */
	ENROL_UNKNOWN,     /* no such token, or the secret does not match */
	ENROL_USED,
	ENROL_EXPIRED,
	ENROL_DB_ERROR,
};

/* What a token was made for. */
struct enrol_site {
	int64_t id;
	char agent[WIRE_AGENT_MAX + 1];
	char region[6];
	char site[ENROL_SITE_MAX + 1];
	int64_t expires_ms;
};

/* The tables (CREATE TABLE IF NOT EXISTS): the store's schema step 6. */
pantau_err enrolstore_schema(struct db *db);

/* region is "PP.RR" (two digits, a dot, two digits). */
bool enrol_region_valid(const char *region);

/*
 * A token for a site of region, expiring at expires_ms: its row with the
 * hash and a newly assigned agent id (in s), and its text (shown once).
 * PANTAU_ERR_INVAL: the region or the site name (empty, too long, control
 * characters); PANTAU_ERR_DB (logged).
 */
pantau_err enrol_token_create(struct db *db, const char *region, const char *site,
    int64_t now_ms, int64_t expires_ms, char text[ENROL_TOKEN_MAX + 1],
    struct enrol_site *s);

/* What token text is for, at now_ms; on ENROL_VALID *s is filled. Nothing
 * is changed: enrol_token_use marks it used once the certificate is made. */
enum enrol_verdict enrol_token_check(struct db *db, const char *text, int64_t now_ms,
    struct enrol_site *s);

/* Mark token id used at now_ms; PANTAU_ERR_STATE when it was already. */
pantau_err enrol_token_use(struct db *db, int64_t id, int64_t now_ms);

/* Remember a certificate issued (times in seconds since the epoch). */
pantau_err enrol_cert_add(struct db *db, const char *serial, const char *agent,
    int64_t not_before, int64_t not_after, int64_t now_ms);

/* Revoke every certificate of agent not revoked yet; *n how many (0:
 * none, not an error). */
pantau_err enrol_cert_revoke_agent(struct db *db, const char *agent, int64_t now_ms, int *n);

/* Certificate serial was revoked (or is unknown: never issued here). */
bool enrol_cert_refused(struct db *db, const char *serial);

/* Every revoked serial, for the CRL: *list (n entries and the array
 * malloc'd; free with enrol_serials_free). */
pantau_err enrol_cert_revoked(struct db *db, char ***list, size_t *n);
void enrol_serials_free(char **list, size_t n);

#endif
