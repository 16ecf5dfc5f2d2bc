/*
 * Who asks the collector's API (docs/api.md, "Authentication"): the
 * token of "Authorization: Bearer TOKEN" checked against the tokens table
 * (collector/store/tokens.h) on every request that needs one, and the
 * admin routes of the tokens themselves.
 *
 *   no token, or a scheme other than Bearer          401, WWW-Authenticate
 *   a token malformed, unknown, expired or revoked   401, error="invalid_token"
 *   a read token on an admin route                   403, error="insufficient_scope"
 *
 * The sentences say what to do and never echo the token.
 */
#ifndef PANTAU_API_AUTH_H
#define PANTAU_API_AUTH_H

#include <microhttpd.h>
#include "collector/store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "reply.h"

/* What a route asks of the caller. */
enum auth_need {
	AUTH_OPEN,      /* anyone: /healthz, the dashboard's files */
	AUTH_READ,      /* a read or an admin token */
	AUTH_ADMIN,     /* an admin token: whatever changes state or sends a command */
};

/*
 * Whether the request on c may go on; when not, r is the 401 or 403 to
 * send. db is the collector's store connection (borrowed); now_ms the
 * time expiry is judged at.
 */
bool auth_allow(struct db *db, struct MHD_Connection *c, enum auth_need need, int64_t now_ms,
    struct reply *r);

/* GET /api/v1/tokens: every token without its hash (tokens_list). */
void auth_list_tokens(struct db *db, struct reply *r);

/* DELETE /api/v1/tokens/{id}: revoke token id now (tokens_revoke). */
void auth_revoke_token(struct db *db, const char *id, int64_t now_ms, struct reply *r);

#endif
