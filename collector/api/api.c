#include "api.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "gzip.h"
#include "log.h"
#include "metrics.h"
#include "promtext.h"
#include "respcache.h"
#include "webfiles.h"
#include "query.h"
#include "wire.h"

/* Bytes of an error sentence in a reply. */
#define API_ERROR_MAX 512
/* Characters of client input echoed back in an error. */
#define API_ECHO_MAX 64
/* Bytes of MHD's last log line kept for api_new's why. */
#define API_MHD_MSG_MAX 256

#define JSON_TYPE "application/json; charset=utf-8"
#define ROUTES_TEXT                                                                  \
	"/healthz, /api/v1/overview, /api/v1/regions, /api/v1/regions/{code}, " \
	"/api/v1/sites, /api/v1/sites/{agent}, /api/v1/events, /api/v1/alerts, /api/v1/stats, " \
	"/metrics, and the dashboard at / and /ui/"

struct api {
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	bool poll_open, timer_open;
	int closing;                /* handles whose close callback is pending */
	struct query *q;
	struct respcache *cache;    /* the national replies, [api] cache_ms */
	const struct ingest_stats *stats;
	int64_t started_ms;
	int port;
	struct metrics_source metrics; /* what GET /metrics shows */
	char web_dir[512];             /* the dashboard's files; "" serves none */
	char mhd_msg[API_MHD_MSG_MAX];
};

enum route {
	R_NONE,
	R_HEALTH,
	R_REGIONS,
	R_REGION,
	R_SITE,
	R_SITES,
	R_STATS,
	R_EVENTS,
	R_OVERVIEW,
	R_ALERTS,
	R_METRICS,
};

/* What a request gets: an HTTP status and a JSON body (owned). */
struct reply {
	unsigned status;
	json_t *body;
	bool allow;                 /* add "Allow: GET, HEAD" (405) */
	char *text;                 /* instead of body: ready text (owned) */
	size_t text_len;
	const char *text_type;      /* its Content-Type; NULL: Prometheus text */
	int64_t age_ms;             /* >= 0: a cached reply this old (Age header) */
	bool gzip;                  /* text is gzipped (Content-Encoding) */
	bool vary;                  /* the reply depends on Accept-Encoding */
	struct webfile file;        /* instead of body: a dashboard file (fd >= 0, owned) */
};

static void reply_error(struct reply *r, unsigned status, const char *fmt, ...)
    PANTAU_PRINTF(3, 4);

static void
reply_error(struct reply *r, unsigned status, const char *fmt, ...)
{
	char msg[API_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(r->body);
	r->status = status;
	r->body = json_pack("{s:s}", "error", msg);
}

static void
reply_ok(struct reply *r, json_t *body)
{
	r->status = MHD_HTTP_OK;
	r->body = body;
}

/* Client input made safe to quote in an error: printable ASCII, at most
 * API_ECHO_MAX characters ("..." marks a cut). len >= API_ECHO_MAX + 1. */
static const char *
echo(const char *in, char *buf, size_t len)
{
	size_t n = 0;
	for (; in[n] != '\0' && n < API_ECHO_MAX && n + 1 < len; n++)
		buf[n] = in[n] >= 0x20 && in[n] < 0x7f ? in[n] : '?';
	buf[n] = '\0';
	if (in[n] != '\0' && n >= 3)
		memcpy(buf + n - 3, "...", 3);
	return buf;
}

/* Map a query failure to a reply; not_found is the 404 sentence. */
static void
reply_query(struct reply *r, pantau_err rc, json_t *body, const char *not_found)
{
	if (rc == PANTAU_OK)
		reply_ok(r, body);
	else if (rc == PANTAU_ERR_NOT_FOUND)
		reply_error(r, MHD_HTTP_NOT_FOUND, "%s", not_found);
	else if (rc == PANTAU_ERR_NOMEM)
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the collector ran out of memory building this reply; try again");
	else
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the collector could not read its database (%s); see its log",
		    pantau_strerror(rc));
}

/* ---- query string ---- */

struct args_check {
	const char *allowed;        /* the parameters this route takes ("a b"), or NULL */
	char bad[API_ECHO_MAX + 4];
	bool empty;                 /* the allowed parameter came without a value */
};

/* key is one of the space-separated words of list. */
static bool
word_in(const char *key, const char *list)
{
	size_t n = strlen(key);
	for (const char *p = list; n > 0 && (p = strstr(p, key)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args_check *c = cls;
	(void)kind;
	if (c->allowed != NULL && word_in(key, c->allowed)) {
		c->empty = c->empty || value == NULL || value[0] == '\0';
		return MHD_YES;
	}
	if (c->bad[0] == '\0')
		echo(key, c->bad, sizeof(c->bad));
	return MHD_YES;
}

static bool
args_ok(struct MHD_Connection *c, enum route id, struct reply *r)
{
	struct args_check k = { .allowed = id == R_REGIONS ? "province" :
	                                   id == R_EVENTS ? "since limit scope" :
	                                   id == R_SITE ? "range" : NULL };
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &k);
	if (k.bad[0] != '\0') {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "unknown query parameter \"%s\"; %s", k.bad,
		    id == R_REGIONS ? "this route takes only province=PP" :
		    id == R_EVENTS  ? "this route takes since=ISO-time, limit=N and scope=site|regency" :
		    id == R_SITE    ? "this route takes only range=1h|24h|7d" :
		                      "this route takes no parameters");
		return false;
	}
	if (k.empty) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "%s",
		    id == R_REGIONS ? "province needs a value: a 2-digit province code such as "
		                      "province=32" :
		    id == R_SITE    ? "range needs a value: 1h, 24h or 7d, e.g. range=24h" :
		                      "a query parameter came without a value; e.g. limit=100");
		return false;
	}
	return true;
}

/* ---- routes ---- */

static void
do_health(struct api *a, int64_t now, struct reply *r)
{
	int64_t started = a->stats->started_ms > 0 ? a->stats->started_ms : a->started_ms;
	reply_ok(r, json_pack("{s:b,s:s,s:I}", "ok", 1, "version", PANTAU_VERSION, "uptime_s",
	    (json_int_t)((now - started) / 1000)));
}

static bool
two_digits(const char *s)
{
	return strlen(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9';
}

static void
do_regions(struct api *a, struct MHD_Connection *c, int64_t now, struct reply *r)
{
	char e[API_ECHO_MAX + 4], msg[API_ERROR_MAX];
	json_t *doc = NULL;
	const char *prov = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "province");
	if (prov != NULL && !two_digits(prov)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "province must be a 2-digit province code such as 32 (Jawa Barat); got \"%s\"",
		    echo(prov, e, sizeof(e)));
		return;
	}
	pantau_err rc = query_regions(a->q, prov, now, &doc);
	snprintf(msg, sizeof(msg), "no province %s in the catalog; codes look like 32",
	    prov != NULL ? prov : "");
	reply_query(r, rc, doc, msg);
}

/* "32.73" or "3273" into "32.73"; false when it is neither. */
static bool
regency_code(const char *in, char out[6])
{
	if (strlen(in) == 4 && strspn(in, "0123456789") == 4) {
		snprintf(out, 6, "%.2s.%.2s", in, in + 2);
		return true;
	}
	if (!wire_regency_code_valid(in))
		return false;
	memcpy(out, in, 6);
	return true;
}

static void
do_region(struct api *a, const char *arg, int64_t now, struct reply *r)
{
	char code[6], e[API_ECHO_MAX + 4], msg[API_ERROR_MAX];
	json_t *doc = NULL;
	if (!regency_code(arg, code)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "regency codes look like 32.73 (or 3273): province, dot, regency; got \"%s\"",
		    echo(arg, e, sizeof(e)));
		return;
	}
	pantau_err rc = query_region(a->q, code, now, &doc);
	snprintf(msg, sizeof(msg), "no regency %s in the catalog; codes look like 32.73", code);
	reply_query(r, rc, doc, msg);
}

/* ?range=1h|24h|7d (default 1h) */
static void
do_site(struct api *a, struct MHD_Connection *c, const char *agent, int64_t now,
    struct reply *r)
{
	char e[API_ECHO_MAX + 4], msg[API_ERROR_MAX];
	json_t *doc = NULL;
	enum query_range range = QUERY_RANGE_1H;
	const char *rs = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "range");
	if (rs != NULL && !query_range_parse(rs, &range)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "range must be 1h, 24h or 7d; got \"%s\"",
		    echo(rs, e, sizeof(e)));
		return;
	}
	if (!wire_agent_id_valid(agent)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "agent ids are 1-%d characters of A-Z a-z 0-9 - _; got \"%s\"", WIRE_AGENT_MAX,
		    echo(agent, e, sizeof(e)));
		return;
	}
	pantau_err rc = query_site(a->q, agent, range, now, &doc);
	snprintf(msg, sizeof(msg), "no site with agent id %s has reported to this collector; "
	    "check the id (GET /api/v1/regions/{code} lists a regency's sites)", agent);
	reply_query(r, rc, doc, msg);
}

static void
do_sites(struct api *a, int64_t now, struct reply *r)
{
	json_t *doc = NULL;
	pantau_err rc = query_sites(a->q, now, &doc);
	reply_query(r, rc, doc, "");
}

/* The cache key of a national request (regions, with or without a
 * province, and sites); false for anything else. */
static bool
cache_key(struct MHD_Connection *c, enum route id, char *key, size_t len)
{
	if (id == R_SITES) {
		snprintf(key, len, "sites");
		return true;
	}
	const char *prov = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "province");
	if (id != R_REGIONS || (prov != NULL && !two_digits(prov)))
		return false;
	snprintf(key, len, "regions?province=%s", prov != NULL ? prov : "");
	return true;
}

/* text (len bytes, borrowed) as a JSON reply, gzipped or not; false when
 * it cannot be copied. */
static bool
reply_copy(struct reply *r, const char *text, size_t len, bool gz, int64_t age_ms)
{
	if ((r->text = malloc(len + 1)) == NULL)
		return false;
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->text_len = len;
	r->text_type = JSON_TYPE;
	r->gzip = gz;
	r->status = MHD_HTTP_OK;
	r->age_ms = age_ms;
	return true;
}

/* The gzip form of a cached text, made now and kept beside it. */
static bool
reply_cached_gz(struct api *a, const char *key, int64_t now, struct reply *r)
{
	size_t len, gz_len;
	int64_t age;
	char *gz;
	const char *text = respcache_get(a->cache, key, now, false, &len, &age);
	if (text == NULL || gzip_compress(text, len, &gz, &gz_len) != PANTAU_OK)
		return false;
	bool ok = reply_copy(r, gz, gz_len, true, age);
	respcache_put_gz(a->cache, key, gz, gz_len);
	return ok;
}

/* From the cache while it is fresh: the form the client takes. */
static bool
reply_cached(struct api *a, const char *key, int64_t now, bool gz, struct reply *r)
{
	size_t len;
	int64_t age;
	const char *hit = respcache_get(a->cache, key, now, gz, &len, &age);
	if (hit != NULL)
		return reply_copy(r, hit, len, gz, age);
	return gz && reply_cached_gz(a, key, now, r);
}

/* A reply just built as text (r->text), kept for the next viewers, and
 * gzipped when the client takes it. */
static void
keep_built(struct api *a, const char *key, int64_t now, bool gz, struct reply *r)
{
	char *z;
	size_t z_len;
	if (respcache_put(a->cache, key, now, r->text, r->text_len) != PANTAU_OK)
		log_warnx("api: no memory to keep the %s reply; it is built again next time", key);
	char *plain = r->text;
	if (!gz || gzip_compress(plain, r->text_len, &z, &z_len) != PANTAU_OK)
		return;
	if (!reply_copy(r, z, z_len, true, -1)) {
		r->text = plain;        /* sent as it is */
		free(z);
		return;
	}
	free(plain);
	respcache_put_gz(a->cache, key, z, z_len);
}

/* /api/v1/regions and /api/v1/sites: from the cache while it is fresh,
 * else built, and a good reply kept for the next viewers (respcache.h);
 * gzipped for clients that accept it (gzip.h). */
static void
do_national(struct api *a, struct MHD_Connection *c, enum route id, int64_t now,
    struct reply *r)
{
	char key[RESPCACHE_KEY_MAX + 1];
	bool gz = gzip_accepted(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING));
	bool keyed = cache_key(c, id, key, sizeof(key));
	r->vary = true;
	if (keyed && reply_cached(a, key, now, gz, r))
		return;
	if (id == R_SITES)
		do_sites(a, now, r);
	else
		do_regions(a, c, now, r);
	char *text = keyed && r->status == MHD_HTTP_OK && r->body != NULL ?
	    json_dumps(r->body, WIRE_JSON_FLAGS) : NULL;
	if (text == NULL)
		return;
	json_decref(r->body);
	r->body = NULL;
	r->text = text;
	r->text_len = strlen(text);
	r->text_type = JSON_TYPE;
	keep_built(a, key, now, gz, r);
}

static void
do_web(struct api *a, const char *name, struct reply *r)
{
	char e[API_ECHO_MAX + 4];
	if (a->web_dir[0] == '\0') {
		reply_error(r, MHD_HTTP_NOT_FOUND, "this collector serves no dashboard: [api] web_dir "
		    "is empty; set it to the folder of the dashboard (share/pantau/web)");
		return;
	}
	pantau_err rc = webfiles_open(a->web_dir, name, &r->file);
	if (rc == PANTAU_OK) {
		r->status = MHD_HTTP_OK;
		return;
	}
	if (rc == PANTAU_ERR_INVAL)
		reply_error(r, MHD_HTTP_BAD_REQUEST, "dashboard file names are letters, digits, - _ . "
		    "and /, with no segment starting with a dot; got \"%s\"", echo(name, e, sizeof(e)));
	else
		reply_error(r, MHD_HTTP_NOT_FOUND, "no dashboard file \"%s\" in %.200s; run 'make' "
		    "(or 'make install'), or set [api] web_dir", echo(name, e, sizeof(e)), a->web_dir);
}

/* The dashboard's file name of a path, or NULL when path is an API route. */
static const char *
web_name(const char *path)
{
	if (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0)
		return "index.html";
	if (strncmp(path, "/ui/", 4) == 0)
		return path + 4;
	return NULL;
}

static void
do_stats(struct api *a, struct reply *r)
{
	json_t *doc = NULL;
	int64_t started = a->stats->started_ms > 0 ? a->stats->started_ms : a->started_ms;
	pantau_err rc = query_stats(a->q, a->stats, started, &doc);
	reply_query(r, rc, doc, "");
}

static void
do_overview(struct api *a, int64_t now, struct reply *r)
{
	json_t *doc = NULL;
	pantau_err rc = query_overview(a->q, now, &doc);
	reply_query(r, rc, doc, "the status engine is not running in this collector");
}

static void
do_alerts(struct api *a, struct reply *r)
{
	json_t *doc = NULL;
	pantau_err rc = query_alerts(a->q, &doc);
	reply_query(r, rc, doc, "");
}

static void
do_metrics(struct api *a, int64_t now, struct reply *r)
{
	a->metrics.started_ms = a->stats->started_ms > 0 ? a->stats->started_ms : a->started_ms;
	if (query_db_bytes(a->q, &a->metrics.store_bytes) != PANTAU_OK)
		a->metrics.store_bytes = -1;
	r->text = metrics_render(&a->metrics, now, &r->text_len);
	if (r->text == NULL)
		reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the collector ran out of memory building the metrics; try again");
	else
		r->status = MHD_HTTP_OK;
}

/* ?since=ISO&limit=N&scope=site|regency */
static void
do_events(struct api *a, struct MHD_Connection *c, struct reply *r)
{
	char e[API_ECHO_MAX + 4];
	json_t *doc = NULL;
	int64_t since = -1;
	long limit = 100;
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	const char *scope = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scope");
	if (s != NULL && clock_parse_iso(s, &since) != PANTAU_OK) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "since must be a UTC time like "
		    "2029-02-14T06:00:00Z; got \"%s\"", echo(s, e, sizeof(e)));
		return;
	}
	char *end = NULL;
	if (l != NULL && ((limit = strtol(l, &end, 10)) < 1 || limit > 10000 || *end != '\0')) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "limit must be a number from 1 to 10000; got "
		    "\"%s\"", echo(l, e, sizeof(e)));
		return;
	}
	if (scope != NULL && strcmp(scope, "site") != 0 && strcmp(scope, "regency") != 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "scope must be site or regency; got \"%s\"",
		    echo(scope, e, sizeof(e)));
		return;
	}
	pantau_err rc = query_events(a->q, since, (int)limit, scope, &doc);
	reply_query(r, rc, doc, "");
}

/* Match a path (trailing slash removed); *arg points at {code} / {agent}. */
static enum route
match(const char *path, const char **arg)
{
	static const struct {
		const char *path;
		enum route id;
		bool takes_arg;     /* path is a prefix followed by one segment */
	} routes[] = {
		{ "/healthz", R_HEALTH, false },
		{ "/api/v1/regions", R_REGIONS, false },
		{ "/api/v1/stats", R_STATS, false },
		{ "/api/v1/sites", R_SITES, false },
		{ "/api/v1/events", R_EVENTS, false },
		{ "/api/v1/overview", R_OVERVIEW, false },
		{ "/api/v1/alerts", R_ALERTS, false },
		{ "/metrics", R_METRICS, false },
		{ "/api/v1/regions/", R_REGION, true },
		{ "/api/v1/sites/", R_SITE, true },
	};
	*arg = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);
		if (!routes[i].takes_arg && strcmp(path, routes[i].path) == 0)
			return routes[i].id;
		if (routes[i].takes_arg && strncmp(path, routes[i].path, n) == 0 &&
		    path[n] != '\0' && strchr(path + n, '/') == NULL) {
			*arg = path + n;
			return routes[i].id;
		}
	}
	return R_NONE;
}

static void
route(struct api *a, struct MHD_Connection *c, const char *url, const char *method,
    struct reply *r)
{
	char path[API_MAX_PATH + 1], e[API_ECHO_MAX + 4];
	const char *arg;
	size_t n = strlen(url);
	if (n > API_MAX_PATH) {
		reply_error(r, MHD_HTTP_URI_TOO_LONG, "the path is longer than %d bytes; the API's "
		    "paths are short, e.g. /api/v1/regions/32.73", API_MAX_PATH);
		return;
	}
	memcpy(path, url, n + 1);
	if (n > 1 && path[n - 1] == '/')
		path[n - 1] = '\0';
	const char *web = web_name(path);
	enum route id = web != NULL ? R_NONE : match(path, &arg);
	if (id == R_NONE && web == NULL) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no such resource \"%s\"; the API serves " ROUTES_TEXT,
		    echo(path, e, sizeof(e)));
		return;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method %s is not allowed; the API is read-only: use GET", echo(method, e, sizeof(e)));
		r->allow = true;
		return;
	}
	if (web != NULL) {
		do_web(a, web, r);
		return;
	}
	if (!args_ok(c, id, r))
		return;
	int64_t now = clock_real_ms();
	switch (id) {
	case R_HEALTH: do_health(a, now, r); break;
	case R_REGIONS: do_national(a, c, id, now, r); break;
	case R_REGION: do_region(a, arg, now, r); break;
	case R_SITE: do_site(a, c, arg, now, r); break;
	case R_SITES: do_national(a, c, id, now, r); break;
	case R_STATS: do_stats(a, r); break;
	case R_EVENTS: do_events(a, c, r); break;
	case R_OVERVIEW: do_overview(a, now, r); break;
	case R_ALERTS: do_alerts(a, r); break;
	case R_METRICS: do_metrics(a, now, r); break;
	case R_NONE: break;
	}
}

static enum MHD_Result
send_text(struct MHD_Connection *c, struct reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->text_len, r->text,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r->text);
		return MHD_NO;
	}
	r->text = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    r->text_type != NULL ? r->text_type : PROMTEXT_CONTENT_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (r->vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (r->age_ms >= 0) {
		char age[24];
		snprintf(age, sizeof(age), "%lld", (long long)(r->age_ms / 1000));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_AGE, age);
	}
	enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
send_file(struct MHD_Connection *c, struct reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_fd64(r->file.size, r->file.fd);
	if (resp == NULL) {
		close(r->file.fd);
		return MHD_NO;
	}
	r->file.fd = -1;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->file.type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
send_reply(struct MHD_Connection *c, struct reply *r)
{
	static const char oom[] = "{\"error\":\"the collector ran out of memory building this "
	                          "reply; try again\"}";
	struct MHD_Response *resp;
	if (r->text != NULL)
		return send_text(c, r);
	if (r->file.fd >= 0)
		return send_file(c, r);
	char *text = r->body != NULL ? json_dumps(r->body, WIRE_JSON_FLAGS) : NULL;
	json_decref(r->body);
	r->body = NULL;
	if (text != NULL) {
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	} else {
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom,
		    MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Every request is answered on its first call: GET has no body, and any
 * other method is refused before its body is read. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct reply r = { .status = MHD_HTTP_INTERNAL_SERVER_ERROR, .file = { .fd = -1 },
		.age_ms = -1 };
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	route(a, c, url, method, &r);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("api: %.16s %.200s -> %u", method, url, r.status);
	return send_reply(c, &r);
}

/* ---- libuv glue ---- */

static void on_timer(uv_timer_t *t);

/* MHD must run again within the time it asks for (pending data, idle
 * timeouts), whatever the epoll fd says. */
static void
rearm(struct api *a)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(a->mhd, &ms) == MHD_YES)
		uv_timer_start(&a->timer, on_timer, (uint64_t)ms, 0);
	else
		uv_timer_stop(&a->timer);
}

static void
on_timer(uv_timer_t *t)
{
	struct api *a = t->data;
	MHD_run(a->mhd);
	rearm(a);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct api *a = p->data;
	(void)events;
	if (status < 0)
		log_warnx("api: polling the HTTP server failed: %s", uv_strerror(status));
	MHD_run(a->mhd);
	rearm(a);
}

static void
on_closed(uv_handle_t *h)
{
	struct api *a = h->data;
	if (--a->closing == 0)
		free(a);
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	query_free(a->q);
	a->q = NULL;
	/* Stop watching the epoll fd before MHD closes it. */
	if (a->poll_open) {
		a->closing++;
		uv_close((uv_handle_t *)&a->poll, on_closed);
		a->poll_open = false;
	}
	if (a->timer_open) {
		a->closing++;
		uv_close((uv_handle_t *)&a->timer, on_closed);
		a->timer_open = false;
	}
	if (a->mhd != NULL) {
		MHD_stop_daemon(a->mhd);
		a->mhd = NULL;
	}
	respcache_free(a->cache);
	a->cache = NULL;
	if (a->closing == 0)
		free(a);
}

int
api_port(const struct api *a)
{
	return a->port;
}

/* ---- start ---- */

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	vsnprintf(a->mhd_msg, sizeof(a->mhd_msg), fmt, ap);
	a->mhd_msg[strcspn(a->mhd_msg, "\r\n")] = '\0';
	log_warnx("api: libmicrohttpd: %s", a->mhd_msg);
}

static pantau_err
listen_addr(const struct api_opts *o, const char *host, struct sockaddr_storage *ss,
    unsigned *flags, char *why, size_t len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (o->port < 0 || o->port > 65535) {
		snprintf(why, len, "[api] port %d is not a TCP port; use 1 to 65535", o->port);
		return PANTAU_ERR_CONFIG;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)o->port);
		return PANTAU_OK;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)o->port);
		*flags |= MHD_USE_IPv6;
		return PANTAU_OK;
	}
	snprintf(why, len, "[api] listen \"%s\" is not an IP address; use 127.0.0.1 (this "
	    "machine only), 0.0.0.0 (every interface) or ::1", host);
	return PANTAU_ERR_CONFIG;
}

static pantau_err
start_mhd(struct api *a, const struct api_opts *o, char *why, size_t len)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const char *host = o->listen != NULL && o->listen[0] != '\0' ? o->listen : "127.0.0.1";
	pantau_err rc = listen_addr(o, host, &ss, &flags, why, len);
	if (rc != PANTAU_OK)
		return rc;
	/* The logger goes first so that MHD reports everything through it. */
	a->mhd = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, a,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_CONNECTION_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNECTIONS, MHD_OPTION_END);
	if (a->mhd == NULL) {
		snprintf(why, len, "cannot serve the HTTP API on %s port %d (%s); set [api] listen "
		    "and port to a free address of this machine", host, o->port,
		    a->mhd_msg[0] != '\0' ? a->mhd_msg : "libmicrohttpd refused to start");
		return PANTAU_ERR_NET;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info != NULL ? info->port : o->port;
	return PANTAU_OK;
}

static pantau_err
watch_mhd(struct api *a, uv_loop_t *loop, char *why, size_t len)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		snprintf(why, len, "libmicrohttpd gave no epoll descriptor (built without epoll?)");
		return PANTAU_ERR_UNSUPPORTED;
	}
	uv_timer_init(loop, &a->timer);
	a->timer.data = a;
	a->timer_open = true;
	int e = uv_poll_init(loop, &a->poll, info->epoll_fd);
	if (e == 0) {
		a->poll.data = a;
		a->poll_open = true;
		e = uv_poll_start(&a->poll, UV_READABLE, on_poll);
	}
	if (e != 0) {
		snprintf(why, len, "cannot watch the HTTP server's descriptor: %s", uv_strerror(e));
		return PANTAU_ERR_IO;
	}
	rearm(a);
	return PANTAU_OK;
}

pantau_err
api_new(uv_loop_t *loop, const struct api_opts *o, struct store *store,
    const struct ingest_stats *stats, const struct catalog *catalog, struct api **out,
    char *why, size_t len)
{
	pantau_err rc = PANTAU_ERR_NOMEM;
	struct api *a = calloc(1, sizeof(*a));
	struct query_opts qo = { .window_s = o->window_s, .rules = o->rules, .engine = o->engine,
		.alerts = o->alerts, .retention = o->retention_stats };
	snprintf(why, len, "out of memory");
	if (a == NULL)
		goto out;
	a->stats = stats;
	if ((a->cache = respcache_new(o->cache_ms)) == NULL)
		goto out;
	snprintf(a->web_dir, sizeof(a->web_dir), "%s", o->web_dir != NULL ? o->web_dir : "");
	a->started_ms = clock_real_ms();
	a->metrics = (struct metrics_source){ .catalog = catalog, .ingest = stats,
		.engine = o->engine, .alerts = o->alerts, .notify = o->notify_stats,
		.retention = o->retention_stats };
	if ((rc = query_new(store_db(store), catalog, &qo, &a->q, why, len)) != PANTAU_OK ||
	    (rc = start_mhd(a, o, why, len)) != PANTAU_OK ||
	    (rc = watch_mhd(a, loop, why, len)) != PANTAU_OK)
		goto out;
	log_info("api: serving HTTP on %s port %d",
	    o->listen != NULL && o->listen[0] != '\0' ? o->listen : "127.0.0.1", a->port);
out:
	if (rc != PANTAU_OK) {
		api_free(a);
		a = NULL;
	}
	*out = a;
	return rc;
}
