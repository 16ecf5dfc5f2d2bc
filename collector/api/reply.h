/*
 * What the collector's API answers (api.c): an HTTP status with a JSON
 * body, a ready text (cached, gzipped or Prometheus), or a dashboard file;
 * errors are {"error":"what was wrong and what to do"}. reply_send hands it
 * to libmicrohttpd through the server adaptor (common/httpd.h).
 */
#ifndef PANTAU_API_REPLY_H
#define PANTAU_API_REPLY_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "webfiles.h"

/* Bytes of an error sentence in a reply. */
#define REPLY_ERROR_MAX 512
/* Characters of client input echoed back in an error. */
#define REPLY_ECHO_MAX 64

#define REPLY_JSON_TYPE "application/json; charset=utf-8"

/* The Allow header of a 405. */
enum reply_allow { REPLY_ALLOW_NONE, REPLY_ALLOW_GET, REPLY_ALLOW_DELETE };

/* What a request gets: an HTTP status and a JSON body (owned). */
struct reply {
	unsigned status;
	json_t *body;
	enum reply_allow allow;     /* 405: "Allow: GET, HEAD" or "Allow: DELETE" */
	const char *challenge;      /* 401, 403: the WWW-Authenticate header (static), or NULL */
	int retry_after_s;          /* > 0: a 503's Retry-After header */
	char *text;                 /* instead of body: ready text (owned) */
	size_t text_len;
	const char *text_type;      /* its Content-Type; NULL: Prometheus text */
	int64_t age_ms;             /* >= 0: a cached reply this old (Age header) */
	bool gzip;                  /* text is gzipped (Content-Encoding) */
	bool vary;                  /* the reply depends on Accept-Encoding */
	struct webfile file;        /* instead of body: a dashboard file (fd >= 0, owned) */
};

/* An error reply: status and the sentence as {"error": ...}. */
void reply_error(struct reply *r, unsigned status, const char *fmt, ...) PANTAU_PRINTF(3, 4);

/* 200 with body (owned by the reply). */
void reply_ok(struct reply *r, json_t *body);

/* Client input made safe to quote in an error: printable ASCII, at most
 * REPLY_ECHO_MAX characters ("..." marks a cut). len >= REPLY_ECHO_MAX + 1. */
const char *reply_echo(const char *in, char *buf, size_t len);

/* Map a query's result to a reply; not_found is the 404 sentence. */
void reply_query(struct reply *r, pantau_err rc, json_t *body, const char *not_found);

/* text (len bytes, borrowed) as a 200 JSON reply, gzipped or not, age_ms
 * old (-1: fresh); false when it cannot be copied. */
bool reply_copy(struct reply *r, const char *text, size_t len, bool gz, int64_t age_ms);

/* Queue the reply on c and release what it owns. */
enum MHD_Result reply_send(struct MHD_Connection *c, struct reply *r);

#endif
