#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "rng.h"
#include "strnum.h"

/* The random data every download is cut from, repeated past its end. */
#define RANDOM_BYTES (1024 * 1024)
/* Bytes libmicrohttpd asks a download for at a time. */
#define BLOCK_BYTES (64 * 1024)
/* Memory libmicrohttpd may use per connection (its read/write buffers). */
#define CONN_MEMORY (256 * 1024)
#define MSG_MAX 256
/* Largest byte count parsed from a request (bigger is refused as too large). */
#define ARG_MAX_BYTES (1LL << 53)

struct http_server {
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	int closing;
	int64_t max_bytes;
	int port;
	uint8_t *random;
	char mhd_msg[MSG_MAX];
};

/* An upload in progress. */
struct upload {
	int64_t bytes;
	int64_t first_ns, last_ns;
	bool refused;
};

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    PANTAU_PRINTF(3, 4);

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
	char body[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n >= sizeof(body) ? sizeof(body) - 1 : (size_t)n;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static ssize_t
read_random(void *cls, uint64_t pos, char *buf, size_t max)
{
	const uint8_t *src = cls;
	size_t done = 0;
	while (done < max) {
		size_t off = (size_t)((pos + done) % RANDOM_BYTES);
		size_t n = RANDOM_BYTES - off < max - done ? RANDOM_BYTES - off : max - done;
		memcpy(buf + done, src + off, n);
		done += n;
	}
	return (ssize_t)done;
}

static enum MHD_Result
do_download(struct http_server *h, struct MHD_Connection *c)
{
	const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "bytes");
	long long n = 0;
	if (arg == NULL || strnum_int(arg, 0, ARG_MAX_BYTES, &n) != PANTAU_OK)
		return reply_text(c, MHD_HTTP_BAD_REQUEST, "{\"error\":\"say how many bytes: "
		    "GET /download?bytes=N with N a whole number\"}");
	if (n > h->max_bytes)
		return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"at most %lld bytes "
		    "per download\"}", (long long)h->max_bytes);
	struct MHD_Response *r = MHD_create_response_from_callback((uint64_t)n, BLOCK_BYTES,
	    read_random, h->random, NULL);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* First call of an upload: refuse a declared length past the bound. */
static enum MHD_Result
upload_begin(struct http_server *h, struct MHD_Connection *c, void **con_cls)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long declared = 0;
	if (cl != NULL && strnum_int(cl, 0, ARG_MAX_BYTES, &declared) == PANTAU_OK &&
	    declared > h->max_bytes)
		return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"at most %lld bytes "
		    "per upload\"}", (long long)h->max_bytes);
	struct upload *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return MHD_NO;
	*con_cls = u;
	return MHD_YES;
}

static enum MHD_Result
do_upload(struct http_server *h, struct MHD_Connection *c, size_t *upload_size,
    void **con_cls)
{
	struct upload *u = *con_cls;
	if (u == NULL)
		return upload_begin(h, c, con_cls);
	if (*upload_size > 0) {
		int64_t now = clock_mono_ns();
		if (u->bytes == 0)
			u->first_ns = now;
		u->last_ns = now;
		u->bytes += (int64_t)*upload_size;
		*upload_size = 0;
		/* A body without a declared length that grows past the bound:
		 * the connection is closed. */
		return u->bytes > h->max_bytes ? MHD_NO : MHD_YES;
	}
	return reply_text(c, MHD_HTTP_OK, "{\"bytes\":%lld,\"ms\":%.3f}", (long long)u->bytes,
	    (double)(u->last_ns - u->first_ns) / 1e6);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *h = cls;
	(void)version;
	(void)upload_data;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	if (strcmp(url, "/download") == 0 && get)
		return do_download(h, c);
	if (strcmp(url, "/upload") == 0 && post)
		return do_upload(h, c, upload_size, con_cls);
	if (strcmp(url, "/download") == 0 || strcmp(url, "/upload") == 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{\"error\":\"use GET /download "
		    "or POST /upload\"}");
	return reply_text(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"this reflector serves GET "
	    "/download?bytes=N and POST /upload\"}");
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* ---- libuv glue ---- */

static void on_timer(uv_timer_t *t);

static void
rearm(struct http_server *h)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, (uint64_t)ms, 0);
	else
		uv_timer_stop(&h->timer);
}

static void
on_timer(uv_timer_t *t)
{
	struct http_server *h = t->data;
	MHD_run(h->mhd);
	rearm(h);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct http_server *h = p->data;
	(void)events;
	if (status < 0)
		log_warnx("http: polling the server failed: %s", uv_strerror(status));
	MHD_run(h->mhd);
	rearm(h);
}

static void
on_closed(uv_handle_t *handle)
{
	struct http_server *h = handle->data;
	if (--h->closing == 0) {
		free(h->random);
		free(h);
	}
}

void
http_server_free(struct http_server *h)
{
	if (h == NULL)
		return;
	if (h->mhd == NULL) {
		free(h->random);
		free(h);
		return;
	}
	h->closing = 2;
	uv_close((uv_handle_t *)&h->poll, on_closed);
	uv_close((uv_handle_t *)&h->timer, on_closed);
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
}

int
http_server_port(const struct http_server *h)
{
	return h->port;
}

/* ---- start ---- */

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *h = cls;
	vsnprintf(h->mhd_msg, sizeof(h->mhd_msg), fmt, ap);
	h->mhd_msg[strcspn(h->mhd_msg, "\r\n")] = '\0';
	log_debug("http: libmicrohttpd: %s", h->mhd_msg);
}

static bool
listen_addr(const struct http_server_opts *o, struct sockaddr_storage *ss, unsigned *flags)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, o->listen, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)o->port);
		return true;
	}
	if (inet_pton(AF_INET6, o->listen, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)o->port);
		*flags |= MHD_USE_IPv6;
		return true;
	}
	return false;
}

static pantau_err
start_mhd(struct http_server *h, const struct http_server_opts *o, char *why, size_t len)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (!listen_addr(o, &ss, &flags)) {
		snprintf(why, len, "[http] listen \"%s\" is not an IP address; use 0.0.0.0, :: or "
		    "one address of this machine", o->listen);
		return PANTAU_ERR_CONFIG;
	}
	h->mhd = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->timeout_s,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)o->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->per_client,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(why, len, "cannot serve HTTP on %s port %d (%s); set [http] listen and "
		    "port to a free address of this machine", o->listen, o->port,
		    h->mhd_msg[0] != '\0' ? h->mhd_msg : "libmicrohttpd refused to start");
		return PANTAU_ERR_NET;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : o->port;
	return PANTAU_OK;
}

static pantau_err
watch_mhd(struct http_server *h, uv_loop_t *loop, char *why, size_t len)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		snprintf(why, len, "libmicrohttpd gave no epoll descriptor (built without epoll?)");
		return PANTAU_ERR_UNSUPPORTED;
	}
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	int e = uv_poll_init(loop, &h->poll, info->epoll_fd);
	if (e != 0) {
		uv_close((uv_handle_t *)&h->timer, NULL);
		snprintf(why, len, "cannot watch the HTTP server: %s", uv_strerror(e));
		return PANTAU_ERR_IO;
	}
	h->poll.data = h;
	uv_poll_start(&h->poll, UV_READABLE, on_poll);
	rearm(h);
	return PANTAU_OK;
}

static void
fill_random(uint8_t *buf, size_t n)
{
	struct rng r;
	size_t got = 0;
	while (got < n) {
		ssize_t k = getrandom(buf + got, n - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	rng_seed(&r);
	for (; got < n; got++)
		buf[got] = (uint8_t)(rng_next(&r) >> 56);
}

pantau_err
http_server_new(uv_loop_t *loop, const struct http_server_opts *o, struct http_server **out,
    char *why, size_t len)
{
	pantau_err rc;
	struct http_server *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (h == NULL || (h->random = malloc(RANDOM_BYTES)) == NULL) {
		free(h);
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	fill_random(h->random, RANDOM_BYTES);
	h->max_bytes = o->max_bytes;
	if ((rc = start_mhd(h, o, why, len)) != PANTAU_OK)
		goto fail;
	if ((rc = watch_mhd(h, loop, why, len)) != PANTAU_OK) {
		MHD_stop_daemon(h->mhd);
		h->mhd = NULL;
		goto fail;
	}
	log_info("http: throughput endpoint on %s port %d", o->listen, h->port);
	*out = h;
	return PANTAU_OK;
fail:
	http_server_free(h);
	return rc;
}

void
http_server_set_max_bytes(struct http_server *h, int64_t max_bytes)
{
	h->max_bytes = max_bytes;
}
