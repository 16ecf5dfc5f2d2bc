/*
 * HTTP client of the pantau CLI: one GET to the collector's API with the
 * libcurl easy interface, the reply parsed as JSON. A token goes as
 * "Authorization: Bearer TOKEN" (docs/api.md, "Authentication"); an
 * https:// collector is verified against the system's CAs or cacert.
 */
#ifndef PANTAU_CLI_CLIENT_H
#define PANTAU_CLI_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Largest reply accepted (bytes); the national summary is a few hundred KB. */
#define CLIENT_MAX_BODY (32 * 1024 * 1024)
#define CLIENT_CONNECT_TIMEOUT_MS 5000L
#define CLIENT_TIMEOUT_MS 30000L
/* Bytes of a full request URL. */
#define CLIENT_URL_MAX 2048

/* Bytes of the Authorization header: "Authorization: Bearer " and a token. */
#define CLIENT_AUTH_MAX 256

/* Which collector, and how to talk to it (all borrowed). */
struct client_target {
	const char *url;     /* base, like "http://127.0.0.1:8080" */
	const char *token;   /* NULL or "": none */
	const char *cacert;  /* PEM file of the CA of an https:// collector; NULL: system's */
};

struct client_reply {
	long status;        /* HTTP status */
	char *body;         /* NUL-terminated, as received */
	size_t len;
	json_t *json;       /* the body parsed */
};

/*
 * GET t->url + path (a trailing slash of the url is dropped). On PANTAU_OK the reply holds any HTTP status with a JSON body;
 * release it with client_reply_clear. Otherwise why says what went wrong:
 * PANTAU_ERR_NET the collector could not be reached (curl's words),
 * PANTAU_ERR_TOO_BIG the reply exceeded CLIENT_MAX_BODY,
 * PANTAU_ERR_PARSE the reply is not JSON.
 */
pantau_err client_get(const struct client_target *t, const char *path, struct client_reply *r,
    char *why, size_t whylen);
void client_reply_clear(struct client_reply *r);

/* client_get for a user: PANTAU_OK only with HTTP 200 and JSON; otherwise
 * why is the whole sentence to show (the collector unreachable and what to
 * do, the API's own error sentence, or what was wrong with the reply) and
 * r holds nothing. A 401 says how to give a token, a 403 that the token's
 * role is not enough. */
pantau_err client_fetch(const struct client_target *t, const char *path,
    struct client_reply *r, char *why, size_t whylen);

#endif
