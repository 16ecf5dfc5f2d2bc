#include "http_server.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "httpd.h"
#include "log.h"
#include "rng.h"
#include "strnum.h"

/* The random data every download is cut from, repeated past its end. */
#define RANDOM_BYTES (1024 * 1024)
/* Bytes libmicrohttpd asks a download for at a time. */
#define BLOCK_BYTES (64 * 1024)
/* Memory libmicrohttpd may use per connection (its read/write buffers). */
#define CONN_MEMORY (256 * 1024)
/* Largest byte count parsed from a request (bigger is refused as too large). */
#define ARG_MAX_BYTES (1LL << 53)

struct http_server {
	struct httpd *http;
	int64_t max_bytes;
	uint8_t *random;            /* borrowed by the downloads queued: freed in on_stopped */
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
	return httpd_send(c, status, MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_COPY), "application/json", "no-store");
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
	return httpd_send(c, MHD_HTTP_OK, MHD_create_response_from_callback((uint64_t)n,
	    BLOCK_BYTES, read_random, h->random, NULL), "application/octet-stream", "no-store");
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
    const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct http_server *h = cls;
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
on_stopped(void *cls)
{
	struct http_server *h = cls;
	free(h->random);
	free(h);
}

void
http_server_free(struct http_server *h)
{
	if (h != NULL)
		httpd_stop(h->http);
}

int
http_server_port(const struct http_server *h)
{
	return httpd_port(h->http);
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
	struct http_server *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (h == NULL || (h->random = malloc(RANDOM_BYTES)) == NULL) {
		free(h);
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	fill_random(h->random, RANDOM_BYTES);
	h->max_bytes = o->max_bytes;
	const struct httpd_opts ho = { .section = "http", .what = "HTTP", .listen = o->listen,
		.def_host = "0.0.0.0", .port = o->port,
		.max_connections = (unsigned)o->max_connections, .per_ip = (unsigned)o->per_client,
		.conn_memory = CONN_MEMORY, .timeout_s = (unsigned)o->timeout_s,
		.mhd_log = LOG_LEVEL_DEBUG, .on_request = on_request, .free_conn = free,
		.on_stopped = on_stopped, .ctx = h };
	pantau_err rc = httpd_start(loop, &ho, &h->http, why, len);
	if (rc != PANTAU_OK) {
		on_stopped(h);
		return rc;
	}
	log_info("http: throughput endpoint on %s port %d", httpd_host(h->http),
	    httpd_port(h->http));
	*out = h;
	return PANTAU_OK;
}

void
http_server_set_max_bytes(struct http_server *h, int64_t max_bytes)
{
	h->max_bytes = max_bytes;
}
