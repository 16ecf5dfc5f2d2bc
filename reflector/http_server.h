/*
 * The reflector's throughput endpoint (on the HTTP server adaptor,
 * common/httpd.h, as the collector's API):
 *
 *   GET /download?bytes=N   N bytes of incompressible data (served from one
 *                           random buffer made at start: no per-request cost)
 *   POST /upload            the body is read and thrown away; the reply is
 *                           {"bytes": received, "ms": time from first to last}
 *
 * Bounds: max_bytes per request (larger: 413 before anything is sent or
 * as soon as the upload passes it), per_client concurrent connections per
 * address and max_connections in all (libmicrohttpd refuses the rest).
 */
#ifndef PANTAU_HTTP_SERVER_H
#define PANTAU_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "err.h"

struct http_server;

struct http_server_opts {
	const char *listen;  /* listen text (listenaddr.h); "": 0.0.0.0 */
	int port;            /* when listen names none; 0: any free port (tests) */
	int64_t max_bytes;
	int per_client;
	int max_connections;
	int timeout_s;
};

pantau_err http_server_new(uv_loop_t *loop, const struct http_server_opts *o,
    struct http_server **out, char *why, size_t len);
/* Stop serving; the memory goes once MHD has stopped, the handles close on
 * the loop (httpd.h). NULL is a no-op. */
void http_server_free(struct http_server *h);
int http_server_port(const struct http_server *h);
/* A new max_bytes (a reload); it applies at once, to an upload in progress too. */
void http_server_set_max_bytes(struct http_server *h, int64_t max_bytes);

#endif
