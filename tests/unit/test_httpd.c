/*
 * The HTTP server adaptor (common/httpd.h) on a real libuv loop and a real
 * libmicrohttpd on loopback, spoken to through raw client sockets. Every
 * failure path is forced: uv_poll_init and uv_poll_start failing (the
 * adaptor's seams), MHD not starting (port taken), a bad listen text, a
 * stop from inside a request callback and a stop with connections open;
 * the limits are checked as configured. Each test ends by running the loop
 * dry and closing it, so a handle left behind fails the test, and under
 * `make SANITIZE=1` AddressSanitizer sees any use after free or leak.
 *
 * The test thread runs the loop itself: it pumps uv_run(UV_RUN_NOWAIT)
 * and waits in poll() on the loop's backend and the clients' sockets until
 * what it waits for happened or DEADLINE_MS passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"
#include "httpd.h"
#include "harness_files.h"
#include "port_harness.h"

#define DEADLINE_MS 5000
#define MAX_CLIENTS 8
#define REPLY_MAX 4096
/* How long a client past a limit is watched for not being served (ms). */
#define NOT_SERVED_MS 300

/* What the server's owner sees; on_stopped frees it, as the reflector
 * does, so a callback after that is a use after free. */
struct owner {
	struct fixture *f;
	struct httpd *h;
	bool stop_here;          /* the request callback stops the server */
	bool in_callback;
};

struct fixture {
	uv_loop_t loop;
	struct owner *o;
	int clients[MAX_CLIENTS];
	int heads;               /* requests whose head the callback saw */
	int requests;            /* requests the callback answered */
	int freed;               /* free_conn calls */
	int stopped;             /* on_stopped calls */
	bool stopped_in_callback;
};

/* An upload's state. */
struct conn {
	struct fixture *f;
};

struct reader {
	int fd;
	char buf[REPLY_MAX];
	size_t n;
	bool eof;                /* closed by the server (FIN or reset) */
};

/* ---- the server's side ---- */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *upload, size_t *upload_size, void **con_cls)
{
	struct owner *o = cls;
	char body[128];
	(void)upload;
	(void)method;
	/* Answered on the last call, when the whole request is read, so that
	 * MHD keeps the connection alive; the first call only makes the
	 * request's state. */
	if (*con_cls == NULL) {
		struct conn *st = malloc(sizeof(*st));  /* freed by free_conn */
		if (st == NULL)
			return MHD_NO;
		st->f = o->f;
		*con_cls = st;
		o->f->heads++;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	o->f->requests++;
	if (o->stop_here) {
		o->in_callback = true;
		httpd_stop(o->h);
		o->in_callback = false;
	}
	snprintf(body, sizeof(body), "hello %s", url);
	return httpd_send(c, MHD_HTTP_OK, MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_COPY), "text/plain", "no-store");
}

static void
on_stopped(void *cls)
{
	struct owner *o = cls;
	o->f->stopped++;
	o->f->stopped_in_callback = o->in_callback;
	o->f->o = NULL;
	free(o);
}

/* free_conn: a connection's state, counted in the fixture it names. */
static void
count_free(void *con_cls)
{
	struct conn *c = con_cls;
	c->f->freed++;
	free(c);
}

static int
fail_poll_init(uv_loop_t *loop, uv_poll_t *p, int fd)
{
	(void)loop;
	(void)p;
	(void)fd;
	return UV_EBADF;
}

static int
fail_poll_start(uv_poll_t *p, int events, uv_poll_cb cb)
{
	(void)p;
	(void)events;
	(void)cb;
	return UV_ENOMEM;
}

static struct httpd_opts
opts(struct fixture *f)
{
	return (struct httpd_opts){ .section = "test", .what = "the test server",
		.listen = "127.0.0.1", .def_host = "127.0.0.1", .port = 0,
		.mhd_log = LOG_LEVEL_DEBUG, .on_request = on_request, .free_conn = count_free,
		.on_stopped = on_stopped, .ctx = f->o };
}

static pantau_err
start(struct fixture *f, struct httpd_opts *o, char *why, size_t len)
{
	pantau_err rc = httpd_start(&f->loop, o, &f->o->h, why, len);
	if (rc != PANTAU_OK)
		assert_null(f->o->h);
	return rc;
}

/* Start o, which must succeed (what went wrong printed when not). */
static void
started(struct fixture *f, struct httpd_opts *o)
{
	char why[256];
	if (start(f, o, why, sizeof(why)) != PANTAU_OK)
		fail_msg("httpd_start: %s", why);
}

/* ---- the clients' side ---- */

static int
client_from(struct fixture *f, const char *src, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (f->clients[i] < 0) {
			f->clients[i] = fd;
			break;
		}
	if (src != NULL) {
		struct sockaddr_in from = { .sin_family = AF_INET };
		assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	}
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
	/* The kernel completes the handshake before MHD accepts. */
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int
client(struct fixture *f)
{
	return client_from(f, NULL, httpd_port(f->o->h));
}

static void
client_close(struct fixture *f, int fd)
{
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (f->clients[i] == fd)
			f->clients[i] = -1;
	close(fd);
}

static void
send_all(int fd, const char *text, size_t len)
{
	assert_int_equal(send(fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL), (ssize_t)len);
}

static void
send_text(int fd, const char *text)
{
	send_all(fd, text, strlen(text));
}

/* Read what arrived; true when the reply is whole (head and
 * Content-Length bytes) or the server closed. */
static bool
reply_done(struct reader *r)
{
	for (;;) {
		if (r->n + 1 >= sizeof(r->buf))
			return true;
		ssize_t k = recv(r->fd, r->buf + r->n, sizeof(r->buf) - 1 - r->n, MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			r->eof = true;
			return true;
		}
		if (k < 0)
			break;
		r->n += (size_t)k;
		r->buf[r->n] = '\0';
	}
	const char *end = strstr(r->buf, "\r\n\r\n");
	const char *cl = strcasestr(r->buf, "\r\nContent-Length:");
	if (end == NULL || cl == NULL)
		return false;
	size_t body = (size_t)strtoul(cl + 17, NULL, 10);
	return r->n >= (size_t)(end + 4 - r->buf) + body;
}

/* Run the loop until done(arg) or ms passed; false then. */
static bool
pump_for(struct fixture *f, int64_t ms, bool (*done)(void *), void *arg)
{
	int64_t until = clock_mono_ms() + ms;
	while (clock_mono_ms() < until) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		if (done(arg))
			return true;
		struct pollfd p[MAX_CLIENTS + 1] = { { .fd = uv_backend_fd(&f->loop),
			.events = POLLIN } };
		for (size_t i = 0; i < MAX_CLIENTS; i++)
			p[i + 1] = (struct pollfd){ .fd = f->clients[i], .events = POLLIN };
		(void)poll(p, MAX_CLIENTS + 1, 10);
	}
	return false;
}

static bool
pump(struct fixture *f, bool (*done)(void *), void *arg)
{
	return pump_for(f, DEADLINE_MS, done, arg);
}

static bool
reply_done_cb(void *arg)
{
	return reply_done(arg);
}

/* The status of the reply on fd, 0 when the server closed without one. */
static int
read_reply(struct fixture *f, int fd, struct reader *r)
{
	*r = (struct reader){ .fd = fd };
	assert_true(pump(f, reply_done_cb, r));
	int status = 0;
	if (r->n > 0 && sscanf(r->buf, "HTTP/1.1 %d", &status) != 1)
		status = 0;
	return status;
}

static int
exchange(struct fixture *f, int fd, const char *request, struct reader *r)
{
	send_text(fd, request);
	return read_reply(f, fd, r);
}

/* GET path on fd is answered 200. */
static void
get_ok(struct fixture *f, int fd, const char *path)
{
	char request[256];
	struct reader r;
	snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	assert_int_equal(exchange(f, fd, request, &r), 200);
}

/* The server closed fd (a refused connection: FIN or reset, no reply). */
static bool
closed_cb(void *arg)
{
	struct reader *r = arg;
	return reply_done(r) && r->eof;
}

static void
assert_closed(struct fixture *f, int fd)
{
	struct reader r = { .fd = fd };
	assert_true(pump(f, closed_cb, &r));
	assert_int_equal(r.n, 0);
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		f->clients[i] = -1;
	f->o = calloc(1, sizeof(*f->o));
	assert_non_null(f->o);
	f->o->f = f;
	*state = f;
	return 0;
}

/* Stop what still runs, run the loop dry: no handle may be left. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	if (f->o != NULL && f->o->h != NULL)
		httpd_stop(f->o->h);
	else
		free(f->o);      /* never started: on_stopped is not due */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (f->clients[i] >= 0)
			close(f->clients[i]);
	free(f);
	return 0;
}

/* ---- tests ---- */

static void
test_serves_a_request(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	struct reader r;
	started(f, &o);
	assert_string_equal(httpd_host(f->o->h), "127.0.0.1");
	assert_true(httpd_port(f->o->h) > 0);
	int fd = client(f);
	assert_int_equal(exchange(f, fd, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
	assert_non_null(strstr(r.buf, "\r\n\r\nhello /a"));
	assert_non_null(strcasestr(r.buf, "\r\nContent-Type: text/plain\r\n"));
	assert_non_null(strcasestr(r.buf, "\r\nCache-Control: no-store\r\n"));
	/* keep-alive: a second request on the same connection */
	assert_int_equal(exchange(f, fd, "GET /b HTTP/1.1\r\nHost: t\r\n\r\n", &r), 200);
	assert_non_null(strstr(r.buf, "hello /b"));
	assert_int_equal(f->requests, 2);
	httpd_stop(f->o->h);
	assert_int_equal(f->stopped, 1);
	assert_null(f->o);
	assert_closed(f, fd);
}

/* uv_poll_init fails after the timer was set up: the start fails, the
 * timer's close (still pending) finds the adaptor alive, MHD is stopped
 * and its port free again. */
static void
watch_fails(struct fixture *f, const struct httpd_seams *seams, const char *want)
{
	char why[256];
	int port = harness_free_port(SOCK_STREAM);
	struct httpd_opts o = opts(f);
	o.port = port;
	o.seams = seams;
	assert_int_equal(start(f, &o, why, sizeof(why)), PANTAU_ERR_IO);
	assert_non_null(strstr(why, "cannot watch the descriptor of the test server: "));
	assert_non_null(strstr(why, want));
	assert_true(uv_loop_alive(&f->loop));   /* the timer's close is pending */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_false(uv_loop_alive(&f->loop));
	assert_int_equal(f->stopped, 0);        /* not started: on_stopped is not due */
	o.seams = NULL;
	started(f, &o);
	assert_int_equal(httpd_port(f->o->h), port);
}

static void
test_poll_init_fails(void **state)
{
	static const struct httpd_seams seams = { fail_poll_init, uv_poll_start };
	watch_fails(*state, &seams, uv_strerror(UV_EBADF));
}

static void
test_poll_start_fails(void **state)
{
	static const struct httpd_seams seams = { uv_poll_init, fail_poll_start };
	watch_fails(*state, &seams, uv_strerror(UV_ENOMEM));
}

static void
test_port_in_use(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char why[256], want[128];
	int busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	f->clients[0] = busy;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(busy, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(busy, 1), 0);
	assert_int_equal(getsockname(busy, (struct sockaddr *)&sa, &len), 0);
	struct httpd_opts o = opts(f);
	o.port = ntohs(sa.sin_port);
	assert_int_equal(start(f, &o, why, sizeof(why)), PANTAU_ERR_NET);
	snprintf(want, sizeof(want), "cannot serve the test server on 127.0.0.1 port %d (", o.port);
	assert_non_null(strstr(why, want));
	assert_non_null(strstr(why, "set [test] listen and port to a free address"));
	assert_false(uv_loop_alive(&f->loop));
}

/* A start of o fails with rc, and why holds text. */
static void
refused(struct fixture *f, struct httpd_opts *o, pantau_err rc, const char *text)
{
	char why[512];
	assert_int_equal(start(f, o, why, sizeof(why)), rc);
	if (strstr(why, text) == NULL)
		fail_msg("\"%s\" is not in \"%s\"", text, why);
}

static void
test_bad_listen_and_port(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	o.listen = "localhost";
	refused(f, &o, PANTAU_ERR_CONFIG, "[test] listen \"localhost\" is not an IP address");
	o.listen = "127.0.0.1";
	o.port = 70000;
	refused(f, &o, PANTAU_ERR_CONFIG, "[test] port 70000 is not a TCP port; use 1 to 65535");
	assert_false(uv_loop_alive(&f->loop));
}

/* HTTPS: a certificate without its key, an unreadable file and a file
 * that is no PEM say so, and nothing is left on the loop. */
static void
test_tls_files(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	o.tls_cert = "/nonexistent/server.pem";
	refused(f, &o, PANTAU_ERR_CONFIG, "[test] tls_cert is set but not tls_key");
	o.tls_key = "/nonexistent/server.key";
	refused(f, &o, PANTAU_ERR_CONFIG, "[test] tls_cert /nonexistent/server.pem cannot be "
	    "read: No such file or directory");
	o.tls_cert = o.tls_key = "/dev/null";
	refused(f, &o, PANTAU_ERR_CONFIG, "[test] tls_cert /dev/null is empty; give a PEM file");
	/* text that is no certificate: MHD refuses to start, and why says what to check */
	char path[HARNESS_PATH_MAX];
	harness_file(path, "not a certificate\n");
	o.tls_cert = o.tls_key = path;
	refused(f, &o, PANTAU_ERR_NET, "check that tls_cert and tls_key are a PEM certificate");
	unlink(path);
	assert_false(uv_loop_alive(&f->loop));
}

/* The callback stops the server while a second request waits in the same
 * run: the second never reaches the callback, on_stopped runs after the
 * callback returned (it frees the owner: a later call would be a use
 * after free), and the loop ends. */
static void
test_stop_inside_a_request(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	struct reader r;
	started(f, &o);
	f->o->stop_here = true;
	int a = client(f), b = client(f);
	send_text(a, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
	send_text(b, "GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
	(void)read_reply(f, a, &r);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->requests, 1);
	assert_int_equal(f->stopped, 1);
	assert_false(f->stopped_in_callback);
	assert_null(f->o);
	(void)read_reply(f, b, &r);
	assert_true(r.eof);
}

/* Stop with an upload half sent and an idle connection: the upload's
 * state is released (free_conn; ASan would see the leak) and both clients
 * see the connection close. */
static void
test_stop_with_open_connections(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	started(f, &o);
	int up = client(f), idle = client(f);
	send_text(up, "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789");
	int64_t until = clock_mono_ms() + DEADLINE_MS;
	while (f->heads == 0 && clock_mono_ms() < until)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->heads, 1);
	assert_int_equal(f->requests, 0);
	assert_int_equal(f->freed, 0);
	httpd_stop(f->o->h);
	assert_int_equal(f->freed, 1);
	assert_int_equal(f->stopped, 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_closed(f, up);
	assert_closed(f, idle);
}

static void
test_connection_limit(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	struct reader r;
	o.max_connections = 2;
	started(f, &o);
	int a = client(f), b = client(f);
	get_ok(f, a, "/a");
	get_ok(f, b, "/b");
	/* The third waits in the kernel's backlog: MHD stops accepting at the
	 * limit, and serves it as soon as a connection ends. */
	int c = client(f);
	send_text(c, "GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
	r = (struct reader){ .fd = c };
	assert_false(pump_for(f, NOT_SERVED_MS, reply_done_cb, &r));
	assert_int_equal(f->heads, 2);
	get_ok(f, a, "/a2");
	client_close(f, a);
	assert_int_equal(read_reply(f, c, &r), 200);
	assert_non_null(strstr(r.buf, "hello /c"));
	assert_int_equal(f->requests, 4);
}

static void
test_per_ip_limit(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	o.max_connections = 10;
	o.per_ip = 2;
	started(f, &o);
	int port = httpd_port(f->o->h);
	int a = client(f), b = client(f);
	get_ok(f, a, "/a");
	get_ok(f, b, "/b");
	assert_closed(f, client(f));             /* a third from 127.0.0.1 */
	int other = client_from(f, "127.0.0.2", port);
	get_ok(f, other, "/d");
}

/* conn_memory bounds the request head: one that does not fit is refused
 * with 431 and the connection closed; a smaller one is served. */
static void
test_header_size_limit(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	struct reader r;
	char big[16384], small[2048];
	o.conn_memory = 8192;
	started(f, &o);
	snprintf(small, sizeof(small), "GET /s HTTP/1.1\r\nHost: t\r\nX-Pad: %01000d\r\n\r\n", 0);
	assert_int_equal(exchange(f, client(f), small, &r), 200);
	snprintf(big, sizeof(big), "GET /b HTTP/1.1\r\nHost: t\r\nX-Pad: %012000d\r\n\r\n", 0);
	int fd = client(f);
	assert_int_equal(exchange(f, fd, big, &r), MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE);
	assert_closed(f, fd);
	assert_int_equal(f->requests, 1);
}

/* MHD's default (conn_memory 0, the collector's API): 32 KiB per
 * connection, so a 40 KB head gets 431 too. */
static void
test_default_header_limit(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	struct reader r;
	char big[41000];
	started(f, &o);
	snprintf(big, sizeof(big), "GET /b HTTP/1.1\r\nHost: t\r\nX-Pad: %040000d\r\n\r\n", 0);
	assert_int_equal(exchange(f, client(f), big, &r), MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE);
	assert_int_equal(f->heads, 0);
}

/* An idle connection is closed after timeout_s: the timer path. */
static void
test_idle_timeout(void **state)
{
	struct fixture *f = *state;
	struct httpd_opts o = opts(f);
	o.timeout_s = 1;
	started(f, &o);
	int64_t t0 = clock_mono_ms();
	assert_closed(f, client(f));
	assert_true(clock_mono_ms() - t0 >= 900);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
