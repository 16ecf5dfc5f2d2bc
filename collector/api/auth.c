#include "auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/store/tokens.h"

#define CHALLENGE "Bearer realm=\"pantau\""
#define CHALLENGE_INVALID CHALLENGE ", error=\"invalid_token\""
#define CHALLENGE_SCOPE CHALLENGE ", error=\"insufficient_scope\""

/* The sentence of a token refused. */
static const char *
refusal(enum token_verdict v)
{
	switch (v) {
	case TOKEN_MALFORMED:
		return "the Bearer token is not a pantau token (pt_ID_SECRET, as pantau token new "
		       "printed it); check that it was copied whole";
	case TOKEN_EXPIRED:
		return "the token has expired; ask the collector's operator for a new one "
		       "(pantau token new)";
	case TOKEN_REVOKED:
		return "the token was revoked; ask the collector's operator for a new one "
		       "(pantau token new)";
	default:
		return "the token is not known to this collector; check that it was copied whole "
		       "and made on this collector (pantau token list)";
	}
}

bool
auth_allow(struct db *db, struct MHD_Connection *c, enum auth_need need, int64_t now_ms,
    struct reply *r)
{
	enum token_role role;
	int64_t id;
	if (need == AUTH_OPEN)
		return true;
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		reply_error(r, MHD_HTTP_UNAUTHORIZED, "this collector asks for a token: send "
		    "\"Authorization: Bearer TOKEN\" (pantau --token, the dashboard's login); its "
		    "operator makes one with pantau token new --role read");
		r->challenge = CHALLENGE;
		return false;
	}
	const char *text = h + 7;
	while (*text == ' ')
		text++;
	enum token_verdict v = tokens_check(db, text, now_ms, &role, &id);
	if (v == TOKEN_DB_ERROR) {
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the collector could not read its "
		    "tokens from its database; see its log");
		return false;
	}
	if (v != TOKEN_VALID) {
		reply_error(r, MHD_HTTP_UNAUTHORIZED, "%s", refusal(v));
		r->challenge = CHALLENGE_INVALID;
		return false;
	}
	if (need == AUTH_ADMIN && role != TOKEN_ROLE_ADMIN) {
		reply_error(r, MHD_HTTP_FORBIDDEN, "this route changes the collector and takes an "
		    "admin token; token %lld is a read token", (long long)id);
		r->challenge = CHALLENGE_SCOPE;
		return false;
	}
	return true;
}

void
auth_list_tokens(struct db *db, struct reply *r)
{
	json_t *doc = NULL;
	pantau_err rc = tokens_list(db, &doc);
	reply_query(r, rc, doc, "");
}

void
auth_revoke_token(struct db *db, const char *arg, int64_t now_ms, struct reply *r)
{
	char e[REPLY_ECHO_MAX + 4], *end = NULL;
	long long id = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || id <= 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "a token id is a whole number such as 3 "
		    "(GET /api/v1/tokens lists them); got \"%s\"", reply_echo(arg, e, sizeof(e)));
		return;
	}
	pantau_err rc = tokens_revoke(db, id, now_ms);
	if (rc == PANTAU_ERR_STATE) {
		reply_error(r, MHD_HTTP_CONFLICT, "token %lld was revoked already", id);
		return;
	}
	char msg[REPLY_ERROR_MAX];
	snprintf(msg, sizeof(msg), "there is no token %lld; GET /api/v1/tokens lists them", id);
	reply_query(r, rc, rc == PANTAU_OK ? json_pack("{s:I,s:b}", "id", (json_int_t)id,
	    "revoked", 1) : NULL, msg);
}
