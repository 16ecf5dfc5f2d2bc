/*
 * libmicrohttpd on a libuv loop: the one HTTP server adaptor of the
 * collector's API and the reflector's throughput endpoint.
 *
 * MHD runs in external epoll mode, with no thread of its own: its epoll
 * descriptor is watched with a uv_poll (readable: MHD_run) and a uv_timer
 * re-armed from MHD_get_timeout after every run, so pending data and idle
 * timeouts are served whatever the descriptor says.
 *
 * HTTPS: with tls_cert and tls_key (PEM files, read at start) MHD serves
 * TLS only (MHD_USE_TLS; Debian's libmicrohttpd is built with GnuTLS).
 *
 * Limits (struct httpd_opts): connections in all and per client address,
 * memory per connection (which bounds the request line and headers: a
 * request whose head does not fit gets 431 and is closed) and the idle
 * connection timeout. Past the per-address limit a new connection is
 * closed at once; past the total, new connections wait in the kernel's
 * backlog and are taken as soon as one ends.
 *
 * Stopping: httpd_stop may be called anywhere, also from inside a request
 * callback. on_request is not called again once it was; MHD is stopped at
 * once, or right after the MHD_run that is calling back returns (then
 * on_stopped runs), the state of connections still open goes to free_conn,
 * and the adaptor's memory is released when libuv has closed both handles:
 * run the loop until it has no active handles.
 */
#ifndef PANTAU_HTTPD_H
#define PANTAU_HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "err.h"
#include "log.h"

struct httpd;

/* MHD's access handler less the protocol version: see MHD_AccessHandlerCallback. */
typedef enum MHD_Result (*httpd_request_fn)(void *ctx, struct MHD_Connection *c,
    const char *url, const char *method, const char *upload, size_t *upload_size,
    void **con_cls);

/* Failure injection for the unit tests: uv_poll_init and uv_poll_start by default. */
struct httpd_seams {
	int (*poll_init)(uv_loop_t *loop, uv_poll_t *p, int fd);
	int (*poll_start)(uv_poll_t *p, int events, uv_poll_cb cb);
};

struct httpd_opts {
	const char *section;      /* the config section, for messages: "api", "http" */
	const char *what;         /* what is served, for messages: "the HTTP API" */
	const char *listen;       /* listen text (listenaddr.h); NULL or "": def_host */
	const char *def_host;     /* numeric address when listen names none */
	int port;                 /* when listen names none; 0: any free port (httpd_port) */
	unsigned max_connections; /* in all; 0: MHD's default */
	unsigned per_ip;          /* per client address; 0: no limit */
	size_t conn_memory;       /* bytes per connection; 0: MHD's default (32 KiB) */
	unsigned timeout_s;       /* idle connection closed after; 0: never */
	enum log_level mhd_log;   /* level of MHD's own messages */
	/* PEM files of the server's certificate (chain) and private key, both
	 * or neither: NULL or "": plain HTTP. Keys named [section] tls_cert
	 * and tls_key in messages. */
	const char *tls_cert, *tls_key;
	httpd_request_fn on_request;
	void (*free_conn)(void *con_cls); /* a connection's *con_cls when it ends; NULL: none */
	/* Called with ctx once MHD has stopped after httpd_stop (not after a
	 * failed start): what queued responses borrow from ctx (a content
	 * reader's buffer) may be released then. NULL: none. */
	void (*on_stopped)(void *ctx);
	void *ctx;                /* on_request's and on_stopped's argument (borrowed) */
	const struct httpd_seams *seams; /* NULL: the real libuv calls */
};

/*
 * Start serving on loop. On failure *out is NULL, nothing is left on the
 * loop that refers to the adaptor once the loop ran, and why says what to
 * fix (PANTAU_ERR_CONFIG: the listen text or port, a certificate or key
 * file that cannot be read or comes without the other; PANTAU_ERR_NET: MHD did
 * not start, e.g. the port is taken; PANTAU_ERR_IO: the descriptor cannot
 * be watched).
 */
pantau_err httpd_start(uv_loop_t *loop, const struct httpd_opts *o, struct httpd **out,
    char *why, size_t len);

/* Stop serving (see above). NULL is a no-op. */
void httpd_stop(struct httpd *h);

/* The TCP port it listens on (the one chosen when the port was 0). */
int httpd_port(const struct httpd *h);

/* It serves HTTPS. */
bool httpd_tls(const struct httpd *h);

/* The address it listens on, as text without brackets. */
const char *httpd_host(const struct httpd *h);

/*
 * Queue resp (NULL: MHD_NO) with Content-Type type and Cache-Control
 * cache (NULL: none), and release it: the shared tail of every reply.
 */
enum MHD_Result httpd_send(struct MHD_Connection *c, unsigned status,
    struct MHD_Response *resp, const char *type, const char *cache);

#endif
