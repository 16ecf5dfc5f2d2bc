#include "api.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "auth.h"
#include "clock.h"
#include "collector/enrol/enrolapi.h"
#include "gzip.h"
#include "httpd.h"
#include "listenaddr.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "respcache.h"
#include "webfiles.h"
#include "query.h"
#include "wire.h"

struct api {
	struct httpd *http;
	struct query *q;
	struct store *store;
	bool auth;                  /* tokens asked for ([api] auth, listen) */
	struct respcache *cache;    /* the national replies, [api] cache_ms */
	struct enrolapi *enrol;     /* the enrolment routes; NULL: off */
	const struct ingest_stats *stats;
	int64_t started_ms;
	struct metrics_source metrics; /* what GET /metrics shows */
	char web_dir[512];             /* the dashboard's files; "" serves none */
};


/* ---- routes ---- */

/* Seconds a client is asked to wait while the database is down. */
#define API_RETRY_AFTER_S 5

/* While the database is down: 503, for every route that reads it. */
static void
unavailable(struct reply *r)
{
	reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the store is unavailable: the database "
	    "cannot be reached; the collector is trying again (docs/storage.md)");
	r->retry_after_s = API_RETRY_AFTER_S;
}

static void
do_health(struct api *a, int64_t now, struct reply *r)
{
	int64_t started = a->stats->started_ms > 0 ? a->stats->started_ms : a->started_ms;
	if (!store_up(a->store)) {
		unavailable(r);
		return;
	}
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
	char e[REPLY_ECHO_MAX + 4], msg[REPLY_ERROR_MAX];
	json_t *doc = NULL;
	const char *prov = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "province");
	if (prov != NULL && !two_digits(prov)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "province must be a 2-digit province code such as 32 (Jawa Barat); got \"%s\"",
		    reply_echo(prov, e, sizeof(e)));
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
	char code[6], e[REPLY_ECHO_MAX + 4], msg[REPLY_ERROR_MAX];
	json_t *doc = NULL;
	if (!regency_code(arg, code)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "regency codes look like 32.73 (or 3273): province, dot, regency; got \"%s\"",
		    reply_echo(arg, e, sizeof(e)));
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
	char e[REPLY_ECHO_MAX + 4], msg[REPLY_ERROR_MAX];
	json_t *doc = NULL;
	enum query_range range = QUERY_RANGE_1H;
	const char *rs = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "range");
	if (rs != NULL && !query_range_parse(rs, &range)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "range must be 1h, 24h or 7d; got \"%s\"",
		    reply_echo(rs, e, sizeof(e)));
		return;
	}
	if (!wire_agent_id_valid(agent)) {
		reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "agent ids are 1-%d characters of A-Z a-z 0-9 - _; got \"%s\"", WIRE_AGENT_MAX,
		    reply_echo(agent, e, sizeof(e)));
		return;
	}
	pantau_err rc = query_site(a->q, agent, range, now, &doc);
	snprintf(msg, sizeof(msg), "no site with agent id %s has reported to this collector; "
	    "check the id (GET /api/v1/regions/{code} lists a regency's sites)", agent);
	reply_query(r, rc, doc, msg);
}

/* The handlers of one route each: a query into doc, then its reply; alike by
 * design, each with its own query's arguments. */
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
	r->text_type = REPLY_JSON_TYPE;
	keep_built(a, key, now, gz, r);
}

static void
do_web(struct api *a, const char *name, struct reply *r)
{
	char e[REPLY_ECHO_MAX + 4];
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
		    "and /, with no segment starting with a dot; got \"%s\"", reply_echo(name, e, sizeof(e)));
	else
		reply_error(r, MHD_HTTP_NOT_FOUND, "no dashboard file \"%s\" in %.200s; run 'make' "
		    "(or 'make install'), or set [api] web_dir", reply_echo(name, e, sizeof(e)), a->web_dir);
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
do_incidents(struct api *a, struct MHD_Connection *c, struct reply *r)
{
	json_t *doc = NULL;
	const char *open = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "open");
	bool only_open = open != NULL && strcmp(open, "1") == 0;
	if (open != NULL && !only_open && strcmp(open, "0") != 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "open must be 1 (open incidents only) or 0");
		return;
	}
	pantau_err rc = query_incidents(a->q, only_open, &doc);
	reply_query(r, rc, doc, "");
}

static void
do_metrics(struct api *a, int64_t now, struct reply *r)
{
	a->metrics.started_ms = a->stats->started_ms > 0 ? a->stats->started_ms : a->started_ms;
	a->metrics.store_up = store_up(a->store);
	if (!a->metrics.store_up || query_db_bytes(a->q, &a->metrics.store_bytes) != PANTAU_OK)
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
	char e[REPLY_ECHO_MAX + 4];
	json_t *doc = NULL;
	int64_t since = -1;
	long limit = 100;
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	const char *scope = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scope");
	if (s != NULL && clock_parse_iso(s, &since) != PANTAU_OK) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "since must be a UTC time like "
		    "2029-02-14T06:00:00Z; got \"%s\"", reply_echo(s, e, sizeof(e)));
		return;
	}
	char *end = NULL;
	if (l != NULL && ((limit = strtol(l, &end, 10)) < 1 || limit > 10000 || *end != '\0')) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "limit must be a number from 1 to 10000; got "
		    "\"%s\"", reply_echo(l, e, sizeof(e)));
		return;
	}
	if (scope != NULL && strcmp(scope, "site") != 0 && strcmp(scope, "regency") != 0) {
		reply_error(r, MHD_HTTP_BAD_REQUEST, "scope must be site or regency; got \"%s\"",
		    reply_echo(scope, e, sizeof(e)));
		return;
	}
	pantau_err rc = query_events(a->q, since, (int)limit, scope, &doc);
	reply_query(r, rc, doc, "");
}

/* What a revocation wrote is committed before the reply says so: the
 * store's open transaction first, then the revocation on its own. */
static void
do_revoke(struct api *a, const char *arg, int64_t now, struct reply *r)
{
	if (store_commit(a->store) != PANTAU_OK)
		log_warnx("api: the store's pending rows could not be committed before a token's "
		    "revocation; see above");
	auth_revoke_token(store_db(a->store), arg, now, r);
}

static void route_to(struct api *a, struct MHD_Connection *c, enum route id, const char *arg,
    int64_t now, struct reply *r);

static void
route(struct api *a, struct MHD_Connection *c, const char *url, const char *method,
    struct reply *r)
{
	char path[API_MAX_PATH + 1], e[REPLY_ECHO_MAX + 4];
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
	enum route id = web != NULL ? R_NONE : args_route(path, &arg);
	if (id == R_NONE && web == NULL) {
		reply_error(r, MHD_HTTP_NOT_FOUND, "no such resource \"%s\"; the API serves " ARGS_ROUTES_TEXT,
		    reply_echo(path, e, sizeof(e)));
		return;
	}
	if (web != NULL) {
		if (args_method_ok(R_NONE, method, r))
			do_web(a, web, r);
		return;
	}
	int64_t now = clock_real_ms();
	enum auth_need need = id == R_HEALTH ? AUTH_OPEN : id == R_TOKENS || id == R_TOKEN ?
	    AUTH_ADMIN : AUTH_READ;
	if (id != R_HEALTH && id != R_METRICS && !store_up(a->store)) {
		unavailable(r);
		return;
	}
	if (a->auth && !auth_allow(store_db(a->store), c, need, now, r))
		return;
	if (!args_method_ok(id, method, r) || !args_ok(c, id, r))
		return;
	route_to(a, c, id, arg, now, r);
	/* A query that found the connection gone. */
	if (r->status == MHD_HTTP_INTERNAL_SERVER_ERROR && !store_up(a->store))
		unavailable(r);
}

static void
route_to(struct api *a, struct MHD_Connection *c, enum route id, const char *arg, int64_t now,
    struct reply *r)
{
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
	case R_INCIDENTS: do_incidents(a, c, r); break;
	case R_METRICS: do_metrics(a, now, r); break;
	case R_TOKENS: auth_list_tokens(store_db(a->store), r); break;
	case R_TOKEN: do_revoke(a, arg, now, r); break;
	case R_NONE: break;
	}
}

/* Every request is answered on its first call: GET has no body, and any
 * other method is refused before its body is read; but the enrolment
 * routes, which read a JSON body (collector/enrol/enrolapi.h). */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *upload, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct reply r = { .status = MHD_HTTP_INTERNAL_SERVER_ERROR, .file = { .fd = -1 },
		.age_ms = -1 };
	if (enrolapi_route(url))    /* authenticated by the token or certificate they carry */
		return enrolapi_request(a->enrol, c, url, method, upload, upload_size, con_cls);
	route(a, c, url, method, &r);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("api: %.16s %.200s -> %u", method, url, r.status);
	return reply_send(c, &r);
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	httpd_stop(a->http);
	query_free(a->q);
	respcache_free(a->cache);
	enrolapi_free(a->enrol);
	free(a);
}

int
api_port(const struct api *a)
{
	return httpd_port(a->http);
}

/* Beyond loopback: HTTPS only, and tokens always. */
static pantau_err
exposure(const struct api_opts *o, bool *auth, char *why, size_t len)
{
	struct listen_addr la;
	if (listen_addr_parse(o->listen, "127.0.0.1", o->port, &la, why, len) != PANTAU_OK)
		return PANTAU_OK;       /* httpd_start says what is wrong with it */
	bool local = listen_addr_loopback(&la);
	bool tls = o->tls_cert != NULL && o->tls_cert[0] != '\0';
	*auth = o->auth == API_AUTH_ON || (o->auth == API_AUTH_AUTO && !local);
	if (!local && !tls) {
		snprintf(why, len, "[api] listen %s is reachable from the network, where the API "
		    "serves HTTPS only: set [api] tls_cert and tls_key, or listen on 127.0.0.1",
		    la.host);
		return PANTAU_ERR_CONFIG;
	}
	if (!local && !*auth) {
		snprintf(why, len, "[api] auth off is for loopback only, and listen %s is reachable "
		    "from the network", la.host);
		return PANTAU_ERR_CONFIG;
	}
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
		.alerts = o->alerts, .incidents = o->incidents, .paths = o->paths,
		.retention = o->retention_stats, .replay = o->replay_stats };
	snprintf(why, len, "out of memory");
	if (a == NULL)
		goto out;
	a->stats = stats;
	if ((a->cache = respcache_new(o->cache_ms)) == NULL)
		goto out;
	snprintf(a->web_dir, sizeof(a->web_dir), "%s", o->web_dir != NULL ? o->web_dir : "");
	a->started_ms = clock_real_ms();
	a->metrics = (struct metrics_source){ .catalog = catalog, .ingest = stats,
		.engine = o->engine, .alerts = o->alerts, .incidents = o->incidents,
		.notify = o->notify_stats,
		.retention = o->retention_stats, .replay = o->replay_stats };
	const struct httpd_opts ho = { .section = "api", .what = "the HTTP API",
		.listen = o->listen, .def_host = "127.0.0.1", .port = o->port,
		.max_connections = o->max_connections > 0 ? (unsigned)o->max_connections :
		    API_MAX_CONNECTIONS,
		.per_ip = o->per_client > 0 ? (unsigned)o->per_client : API_PER_CLIENT,
		.timeout_s = API_CONNECTION_TIMEOUT_S,
		.mhd_log = LOG_LEVEL_WARN, .on_request = on_request, .ctx = a,
		.free_conn = enrolapi_free_conn,
		.tls_cert = o->tls_cert, .tls_key = o->tls_key };
	a->store = store;
	if ((rc = exposure(o, &a->auth, why, len)) != PANTAU_OK ||
	    (rc = query_new(store_db(store), catalog, &qo, &a->q, why, len)) != PANTAU_OK ||
	    (o->enrol != NULL &&
	        (rc = enrolapi_new(o->enrol, store, a->auth, &a->enrol, why, len)) != PANTAU_OK) ||
	    (rc = httpd_start(loop, &ho, &a->http, why, len)) != PANTAU_OK)
		goto out;
	log_info("api: serving %s on %s port %d, %s", httpd_tls(a->http) ? "HTTPS" : "HTTP",
	    httpd_host(a->http), httpd_port(a->http), a->auth ? "tokens asked for" :
	    "no tokens asked for (loopback)");
out:
	if (rc != PANTAU_OK) {
		api_free(a);
		a = NULL;
	}
	*out = a;
	return rc;
}
