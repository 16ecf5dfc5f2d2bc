#include "httpd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listenaddr.h"

/* Bytes of MHD's last log line kept for httpd_start's why. */
#define HTTPD_MHD_MSG_MAX 256
/* Bytes of a section name kept for messages. */
#define HTTPD_SECTION_MAX 16
/* Largest certificate chain or key file read (bytes). */
#define HTTPD_PEM_MAX (256 * 1024)

struct httpd {
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	bool poll_open, timer_open;
	int closing;                /* handles whose close callback is pending */
	bool in_run;                /* inside MHD_run: MHD may be calling back */
	bool stopping;              /* httpd_stop was called (or the start failed) */
	bool stopped_cb;            /* the start succeeded: on_stopped is due */
	httpd_request_fn on_request;
	void (*free_conn)(void *con_cls);
	void (*on_stopped)(void *ctx);
	void *ctx;
	enum log_level mhd_log;
	unsigned max_connections;   /* 0: MHD's default */
	unsigned connections;       /* open now (MHD_OPTION_NOTIFY_CONNECTION) */
	bool hit_limit;             /* the limit was reached in or before this run */
	int port;
	char host[INET6_ADDRSTRLEN];
	char section[HTTPD_SECTION_MAX];
	char mhd_msg[HTTPD_MHD_MSG_MAX];
	char *cert_pem, *key_pem;   /* HTTPS: what MHD was given, kept until the end */
};

static const struct httpd_seams real_seams = { uv_poll_init, uv_poll_start };

/* ---- MHD's callbacks ---- */

static enum MHD_Result
mhd_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	(void)version;
	if (h->stopping)
		return MHD_NO;          /* the user's ctx may be gone: close */
	return h->on_request(h->ctx, c, url, method, upload, upload_size, con_cls);
}

static void
mhd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	(void)c;
	(void)toe;
	if (h->free_conn != NULL && *con_cls != NULL)
		h->free_conn(*con_cls);
	*con_cls = NULL;
}

/* Connections open, and whether this run reached the limit. */
static void
mhd_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct httpd *h = cls;
	(void)c;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		h->connections++;
	else if (h->connections > 0)
		h->connections--;
	if (h->max_connections > 0 && h->connections >= h->max_connections)
		h->hit_limit = true;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct httpd *h = cls;
	vsnprintf(h->mhd_msg, sizeof(h->mhd_msg), fmt, ap);
	h->mhd_msg[strcspn(h->mhd_msg, "\r\n")] = '\0';
	if (h->mhd_log <= LOG_LEVEL_WARN)
		log_warnx("%s: libmicrohttpd: %s", h->section, h->mhd_msg);
	else if (h->mhd_log == LOG_LEVEL_INFO)
		log_info("%s: libmicrohttpd: %s", h->section, h->mhd_msg);
	else
		log_debug("%s: libmicrohttpd: %s", h->section, h->mhd_msg);
}

/* ---- libuv glue ---- */

static void
release(struct httpd *h)
{
	if (h->key_pem != NULL)
		explicit_bzero(h->key_pem, strlen(h->key_pem));
	free(h->key_pem);
	free(h->cert_pem);
	free(h);
}

static void
on_closed(uv_handle_t *handle)
{
	struct httpd *h = handle->data;
	if (--h->closing == 0)
		release(h);
}

/* The real stop: outside MHD_run. h is released here when no handle was
 * open, else by the last close callback. */
static void
finish(struct httpd *h)
{
	/* Stop watching the epoll fd before MHD closes it. */
	if (h->poll_open) {
		h->closing++;
		uv_close((uv_handle_t *)&h->poll, on_closed);
		h->poll_open = false;
	}
	if (h->timer_open) {
		h->closing++;
		uv_close((uv_handle_t *)&h->timer, on_closed);
		h->timer_open = false;
	}
	if (h->mhd != NULL) {
		MHD_stop_daemon(h->mhd);
		h->mhd = NULL;
	}
	if (h->stopped_cb && h->on_stopped != NULL)
		h->on_stopped(h->ctx);
	if (h->closing == 0)
		release(h);
}

static void on_timer(uv_timer_t *t);

/* MHD must run again within the time it asks for (pending data, idle
 * timeouts), whatever the epoll fd says. */
static void
rearm(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, (uint64_t)ms, 0);
	else
		uv_timer_stop(&h->timer);
}

static void
run(struct httpd *h)
{
	h->hit_limit = h->max_connections > 0 && h->connections >= h->max_connections;
	h->in_run = true;
	MHD_run(h->mhd);
	h->in_run = false;
	if (h->stopping) {
		finish(h);              /* asked for by a callback of this run */
		return;
	}
	/* At the limit MHD takes its listening socket out of its epoll set
	 * and puts it back only at the start of a run: when connections ended
	 * after the limit was reached, nothing on the descriptor would wake us
	 * for the clients waiting in the backlog, so run again at once. */
	if (h->hit_limit && h->connections < h->max_connections)
		uv_timer_start(&h->timer, on_timer, 0, 0);
	else
		rearm(h);
}

static void
on_timer(uv_timer_t *t)
{
	run(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct httpd *h = p->data;
	(void)events;
	if (status < 0)
		log_warnx("%s: polling the HTTP server failed: %s", h->section, uv_strerror(status));
	run(h);
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL || h->stopping)
		return;
	h->stopping = true;
	if (!h->in_run)
		finish(h);
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

bool
httpd_tls(const struct httpd *h)
{
	return h->cert_pem != NULL;
}

const char *
httpd_host(const struct httpd *h)
{
	return h->host;
}

enum MHD_Result
httpd_send(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp,
    const char *type, const char *cache)
{
	if (resp == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (cache != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	enum MHD_Result ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- start ---- */

/* The limits that are set; those left at 0 keep MHD's defaults. Returns
 * the index of the MHD_OPTION_END written. */
static size_t
limits(const struct httpd_opts *o, struct MHD_OptionItem *opt)
{
	size_t n = 0;
	if (o->max_connections > 0)
		opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
			(intptr_t)o->max_connections, NULL };
	if (o->per_ip > 0)
		opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(intptr_t)o->per_ip, NULL };
	if (o->conn_memory > 0)
		opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			(intptr_t)o->conn_memory, NULL };
	if (o->timeout_s > 0)
		opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
			(intptr_t)o->timeout_s, NULL };
	opt[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return n;
}

/* A whole PEM file, NUL-terminated, into *out (malloc'd). */
static pantau_err
read_pem(const char *section, const char *key, const char *path, char **out, char *why,
    size_t len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;
	pantau_err rc = PANTAU_ERR_CONFIG;
	if (f == NULL) {
		snprintf(why, len, "[%s] %s %s cannot be read: %s; give the PEM file (readable by "
		    "this user)", section, key, path, strerror(errno));
		return rc;
	}
	if ((buf = malloc(HTTPD_PEM_MAX + 1)) == NULL) {
		snprintf(why, len, "out of memory");
		rc = PANTAU_ERR_NOMEM;
		goto out;
	}
	n = fread(buf, 1, HTTPD_PEM_MAX + 1, f);
	if (ferror(f) || n == 0 || n > HTTPD_PEM_MAX || memchr(buf, '\0', n) != NULL) {
		snprintf(why, len, "[%s] %s %s is %s; give a PEM file", section, key, path,
		    ferror(f) ? "unreadable" : n == 0 ? "empty" :
		    n > HTTPD_PEM_MAX ? "larger than 256 KiB" : "not text");
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	rc = PANTAU_OK;
out:
	if (buf != NULL)
		explicit_bzero(buf, n);
	free(buf);
	fclose(f);
	return rc;
}

/* Both PEM files read, or neither given. */
static pantau_err
load_tls(struct httpd *h, const struct httpd_opts *o, char *why, size_t len)
{
	bool cert = o->tls_cert != NULL && o->tls_cert[0] != '\0';
	bool key = o->tls_key != NULL && o->tls_key[0] != '\0';
	if (!cert && !key)
		return PANTAU_OK;
	if (cert != key) {
		snprintf(why, len, "[%s] %s is set but not %s: HTTPS needs the certificate and its "
		    "private key; set both, or neither for plain HTTP", h->section,
		    cert ? "tls_cert" : "tls_key", cert ? "tls_key" : "tls_cert");
		return PANTAU_ERR_CONFIG;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(why, len, "this libmicrohttpd has no TLS: [%s] tls_cert cannot be served; "
		    "install Debian's libmicrohttpd12 (built with GnuTLS)", h->section);
		return PANTAU_ERR_UNSUPPORTED;
	}
	pantau_err rc = read_pem(h->section, "tls_cert", o->tls_cert, &h->cert_pem, why, len);
	if (rc == PANTAU_OK)
		rc = read_pem(h->section, "tls_key", o->tls_key, &h->key_pem, why, len);
	return rc;
}

static pantau_err
start_mhd(struct httpd *h, const struct httpd_opts *o, char *why, size_t len)
{
	struct listen_addr la;
	struct MHD_OptionItem opt[7];
	char msg[256];
	if (o->port < 0 || o->port > 65535) {
		snprintf(why, len, "[%s] port %d is not a TCP port; use 1 to 65535", h->section,
		    o->port);
		return PANTAU_ERR_CONFIG;
	}
	if (listen_addr_parse(o->listen, o->def_host, o->port, &la, msg, sizeof(msg)) !=
	    PANTAU_OK) {
		snprintf(why, len, "[%s] listen \"%s\" %s", h->section,
		    o->listen != NULL ? o->listen : "", msg);
		return PANTAU_ERR_CONFIG;
	}
	snprintf(h->host, sizeof(h->host), "%s", la.host);
	pantau_err rc = load_tls(h, o, why, len);
	if (rc != PANTAU_OK)
		return rc;
	size_t n = limits(o, opt);
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (h->cert_pem != NULL) {
		flags |= MHD_USE_TLS;
		opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert_pem };
		opt[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key_pem };
		opt[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	if (la.family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The logger goes first so that MHD reports everything through it. */
	h->mhd = MHD_start_daemon(flags, (uint16_t)la.port, NULL, NULL, mhd_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&la.ss,
	    MHD_OPTION_NOTIFY_COMPLETED, mhd_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, mhd_connection, h,
	    MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(why, len, "cannot serve %s on %s port %d (%s); %s[%s] listen and port "
		    "to a free address of this machine", o->what, la.host, la.port,
		    h->mhd_msg[0] != '\0' ? h->mhd_msg : "libmicrohttpd refused to start",
		    h->cert_pem != NULL ? "check that tls_cert and tls_key are a PEM certificate "
		    "and its private key, and set " : "set ", h->section);
		return PANTAU_ERR_NET;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL && info->port != 0 ? info->port : la.port;
	return PANTAU_OK;
}

static pantau_err
watch_mhd(struct httpd *h, uv_loop_t *loop, const struct httpd_opts *o, char *why,
    size_t len)
{
	const struct httpd_seams *s = o->seams != NULL ? o->seams : &real_seams;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		snprintf(why, len, "libmicrohttpd gave no epoll descriptor (built without epoll?)");
		return PANTAU_ERR_UNSUPPORTED;
	}
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	h->timer_open = true;
	int e = s->poll_init(loop, &h->poll, info->epoll_fd);
	if (e == 0) {
		h->poll.data = h;
		h->poll_open = true;
		e = s->poll_start(&h->poll, UV_READABLE, on_poll);
	}
	if (e != 0) {
		snprintf(why, len, "cannot watch the descriptor of %s: %s", o->what, uv_strerror(e));
		return PANTAU_ERR_IO;
	}
	rearm(h);
	return PANTAU_OK;
}

pantau_err
httpd_start(uv_loop_t *loop, const struct httpd_opts *o, struct httpd **out, char *why,
    size_t len)
{
	pantau_err rc;
	struct httpd *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (h == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	h->on_request = o->on_request;
	h->free_conn = o->free_conn;
	h->on_stopped = o->on_stopped;
	h->ctx = o->ctx;
	h->mhd_log = o->mhd_log;
	h->max_connections = o->max_connections;
	snprintf(h->section, sizeof(h->section), "%s", o->section);
	if ((rc = start_mhd(h, o, why, len)) != PANTAU_OK ||
	    (rc = watch_mhd(h, loop, o, why, len)) != PANTAU_OK) {
		/* The handles opened so far close on the loop and release h then. */
		h->stopping = true;
		finish(h);
		return rc;
	}
	h->stopped_cb = true;
	*out = h;
	return PANTAU_OK;
}
