/*
 * One HTTPS POST of a JSON body with OpenSSL's libssl (already in the
 * agent through libmosquitto; the agent links no libcurl): enrolment and
 * renewal talk to the collector once, so a blocking request with
 * deadlines is all it takes. The server's certificate is verified against
 * cacert (or the system's CAs) and the URL's host name or address.
 * Plain http:// is taken for a loopback host only.
 */
#ifndef PANTAU_HTTPSC_H
#define PANTAU_HTTPSC_H

#include <stddef.h>

#include "err.h"

/* Longest reply read. */
#define HTTPSC_REPLY_MAX (128 * 1024)

struct httpsc_reply {
	int status;          /* HTTP status */
	char *body;          /* malloc'd, NUL-terminated */
	size_t len;
};

/* The parts of "https://HOST[:PORT]" (a path after it is dropped). */
struct httpsc_url {
	char host[256];
	char port[8];
	int tls;
};

/* Parse url; false when it is not http(s)://HOST[:PORT] or http:// names
 * a host other than loopback. */
int httpsc_parse_url(const char *url, struct httpsc_url *u);

/*
 * POST body to path on u. PANTAU_OK with *r filled (any HTTP status);
 * else why says what failed: PANTAU_ERR_NOT_FOUND the name does not
 * resolve; PANTAU_ERR_NET no connection (refused, timeout);
 * PANTAU_ERR_UNSUPPORTED the TLS handshake or the certificate check
 * failed; PANTAU_ERR_PARSE not an HTTP reply.
 */
pantau_err httpsc_post(const struct httpsc_url *u, const char *cacert, const char *path,
    const char *body, struct httpsc_reply *r, char *why, size_t len);

/* The status and body of the reply in buf (n bytes read, n + 1 allocated:
 * the NUL goes at buf[n]), which *r then owns; PANTAU_ERR_PARSE, buf freed
 * and why saying so, when it is not an HTTP/1.x answer. */
pantau_err httpsc_parse_reply(char *buf, size_t n, struct httpsc_reply *r, char *why,
    size_t len);

void httpsc_reply_free(struct httpsc_reply *r);

#endif
