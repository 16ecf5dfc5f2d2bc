/*
 * The HTTP API against a real SQLite store, a real libuv loop and a real
 * libmicrohttpd on a free loopback port. Requests are made with libcurl on
 * libuv's thread pool while the test thread runs the loop; the loop stops
 * when the request is done (curl's own timeout is the deadline).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "catalog.h"
#include "db_harness.h"
#include "clock.h"
#include "collector/api/api.h"
#include "collector/api/query.h"
#include "collector/store/store.h"
#include "wire.h"

#define FETCH_TIMEOUT_MS 10000L
#define S(x) ((int64_t)(x) * 1000)

struct fixture {
	struct db_fixture fx;
	struct ingest_stats stats;
	uv_loop_t loop;
	struct api *api;
	int64_t now;
	char base[64];
};

struct fetch {
	char url[1024];
	const char *method;
	long status;
	char *body;
	size_t len;
	char content_type[128];
	char allow[64];
	CURLcode rc;
};

/* ---- data ---- */


/* An icmp result; rtt figures only when something came back. */
static const char *
icmp(char *buf, size_t len, int sent, int recv, double p50, double p95)
{
	double loss = (double)(sent - recv) * 100.0 / sent;
	if (recv == 0)
		snprintf(buf, len, "{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"sent\":%d,"
		    "\"recv\":0,\"loss_pct\":%.3f}", sent, loss);
	else
		snprintf(buf, len, "{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"sent\":%d,"
		    "\"recv\":%d,\"loss_pct\":%.3f,\"rtt_ms\":{\"min\":%.1f,\"p50\":%.1f,\"avg\":%.1f,"
		    "\"p95\":%.1f,\"max\":%.1f},\"jitter_ms\":1.9}", sent, recv, loss, p50 - 1, p50, p50,
		    p95, p95 + 1);
	return buf;
}

static void
put_batch(struct fixture *f, const char *regency, const char *agent, int seq, int64_t ago_ms,
    const char *results)
{
	char iso[CLOCK_ISO_LEN], topic[WIRE_TOPIC_MAX], payload[4096];
	struct wire_topic t;
	struct wire_error err;
	struct wire_batch b;
	clock_format_iso(f->now - ago_ms, iso);
	snprintf(payload, sizeof(payload), "{\"v\":1,\"agent\":\"%s\",\"boot\":1,\"seq\":%d,"
	    "\"ts\":\"%s\",\"results\":[%s],\"outbox\":{\"pending\":2,\"dropped\":1}}", agent, seq,
	    iso, results);
	assert_int_equal(wire_topic_result(topic, sizeof(topic), regency, agent), PANTAU_OK);
	assert_true(wire_topic_parse(topic, &t, &err));
	if (wire_batch_decode(&t, payload, strlen(payload), &b, &err) != WIRE_ACCEPT)
		fail_msg("batch rejected: %s: %s", wire_reason_name(err.reason), err.detail);
	/* received 750 ms after it was measured */
	assert_int_equal(store_batch(f->fx.store, regency, &b, f->now - ago_ms + 750), PANTAU_OK);
	wire_batch_clear(&b);
}

static void
put_status(struct fixture *f, const char *regency, const char *agent, const char *payload,
    int64_t ago_ms)
{
	char topic[WIRE_TOPIC_MAX];
	struct wire_topic t;
	struct wire_error err;
	struct wire_status st;
	assert_int_equal(wire_topic_status(topic, sizeof(topic), regency, agent), PANTAU_OK);
	assert_true(wire_topic_parse(topic, &t, &err));
	if (wire_status_decode(&t, payload, strlen(payload), &st, &err) != WIRE_ACCEPT)
		fail_msg("status rejected: %s: %s", wire_reason_name(err.reason), err.detail);
	assert_int_equal(store_status(f->fx.store, regency, agent, &st, f->now - ago_ms), PANTAU_OK);
	wire_status_clear(&st);
}

/*
 * 32.73: ag-a OK (two batches, loss 0), ag-b OK (one batch outside the
 *        window with 100 % loss, one inside with 10 %), ag-c OFFLINE (last
 *        will after its batch);
 * 95.01: ag-e UNKNOWN (birth only);
 * 31.71: ag-f OK, loss 20 %;  33.01: ag-g OK, loss 0, p95 100;
 * 32.04: ag-d OK, loss 0, p95 25.
 */
static void
load_sites(struct fixture *f)
{
	char a[512], b[512], both[1024];
	const char *http = "{\"probe\":\"http\",\"target\":\"https://tally.example/api/ping\","
	                   "\"ok\":true,\"status\":200,\"dns_ms\":3.1,\"connect_ms\":44.0,"
	                   "\"tls_ms\":92.5,\"ttfb_ms\":140.2,\"total_ms\":141.0}";
	const char *tcp_bad = "{\"probe\":\"tcp\",\"target\":\"tally.example:443\",\"ok\":false,"
	                      "\"error\":\"connection refused\"}";
	const char *other = "{\"probe\":\"stamp\",\"target\":\"198.51.100.7:862\",\"ok\":true,"
	                    "\"sent\":4,\"recv\":4,\"loss_pct\":0,\"rtt_ms\":{\"min\":11,"
	                    "\"p50\":12,\"avg\":12,\"p95\":13,\"max\":13},\"owd_ms\":12.5}";
	put_status(f, "32.73", "ag-a", "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-a\",\"boot\":1,"
	    "\"site\":\"SMPN 2 Bandung\",\"link\":\"fiber\",\"interval\":60,\"version\":\"0.1.0\","
	    "\"lat\":-6.915,\"lon\":107.61}", S(600));
	snprintf(both, sizeof(both), "%s,%s", icmp(a, sizeof(a), 10, 10, 40, 50), http);
	put_batch(f, "32.73", "ag-a", 1, S(120), both);
	snprintf(both, sizeof(both), "%s,%s,%s,%s", icmp(a, sizeof(a), 10, 10, 42, 52), http,
	    tcp_bad, other);
	put_batch(f, "32.73", "ag-a", 2, S(60), both);
	put_batch(f, "32.73", "ag-b", 1, S(400), icmp(b, sizeof(b), 10, 0, 0, 0));
	put_batch(f, "32.73", "ag-b", 2, S(30), icmp(b, sizeof(b), 10, 9, 60, 300));
	put_batch(f, "32.73", "ag-c", 1, S(100), icmp(b, sizeof(b), 20, 18, 50, 70));
	put_status(f, "32.73", "ag-c", "{\"v\":1,\"state\":\"offline\",\"agent\":\"ag-c\","
	    "\"reason\":\"lost\"}", S(50));
	put_status(f, "95.01", "ag-e", "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-e\",\"boot\":4,"
	    "\"link\":\"vsat-geo\"}", S(10));
	put_batch(f, "31.71", "ag-f", 1, S(30), icmp(b, sizeof(b), 10, 8, 30, 40));
	put_batch(f, "33.01", "ag-g", 1, S(30), icmp(b, sizeof(b), 10, 10, 20, 100));
	put_batch(f, "32.04", "ag-d", 1, S(30), icmp(b, sizeof(b), 10, 10, 20, 25));
}

/* ---- HTTP ---- */

static size_t
on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct fetch *x = ctx;
	char *body = realloc(x->body, x->len + size * n + 1);
	if (body == NULL)
		return 0;
	memcpy(body + x->len, data, size * n);
	x->body = body;
	x->len += size * n;
	x->body[x->len] = '\0';
	return size * n;
}

static void
header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
	size_t k = strlen(name);
	if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	size_t start = k + 1, end = n;
	while (start < end && line[start] == ' ')
		start++;
	while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'))
		end--;
	snprintf(out, outlen, "%.*s", (int)(end - start), line + start);
}

static size_t
on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct fetch *x = ctx;
	header_value(line, size * n, "Content-Type", x->content_type, sizeof(x->content_type));
	header_value(line, size * n, "Allow", x->allow, sizeof(x->allow));
	return size * n;
}

/* The test's own libcurl request, not collector/cli/client.c's: the API is
 * checked with a client of its own, so the option list looks like the
 * CLI's (duplicates lists the pair). */
static void
fetch_work(uv_work_t *w)
{
	struct fetch *x = w->data;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, x->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
	if (strcmp(x->method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	x->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	curl_easy_cleanup(c);
}

static void
fetch_done(uv_work_t *w, int status)
{
	(void)status;
	uv_stop(w->loop);
}

/* Request path with method while the loop serves it; returns the parsed
 * body (NULL when not JSON). */
static json_t *
request(struct fixture *f, const char *method, const char *path, struct fetch *x)
{
	uv_work_t w;
	memset(x, 0, sizeof(*x));
	snprintf(x->url, sizeof(x->url), "%s%s", f->base, path);
	x->method = method;
	w.data = x;
	assert_int_equal(uv_queue_work(&f->loop, &w, fetch_work, fetch_done), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	if (x->rc != CURLE_OK)
		fail_msg("GET %s: %s", x->url, curl_easy_strerror(x->rc));
	json_t *doc = x->body != NULL ? json_loads(x->body, 0, NULL) : NULL;
	free(x->body);
	x->body = NULL;
	return doc;
}

/* GET path expecting status; returns the JSON body (caller decrefs). */
static json_t *
get(struct fixture *f, const char *path, long status)
{
	struct fetch x;
	json_t *doc = request(f, "GET", path, &x);
	if (x.status != status)
		fail_msg("GET %s: status %ld, expected %ld", path, x.status, status);
	assert_string_equal(x.content_type, "application/json; charset=utf-8");
	assert_non_null(doc);
	return doc;
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL)
		fail_msg("\"%s\" is not a string", key);
	return s;
}

static double
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		fail_msg("\"%s\" is not a number", key);
	return json_number_value(v);
}

/* A GET answered with an error: its status and its "error" text, the
 * whole text when whole, else a part of it (NULL: not looked at). */
struct bad_get {
	const char *path;
	long status;
	const char *error;
	bool whole;
};

static void
get_errors(struct fixture *f, const struct bad_get *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *doc = get(f, v[i].path, v[i].status);
		if (v[i].error != NULL) {
			const char *e = str(doc, "error");
			if (v[i].whole ? strcmp(e, v[i].error) != 0 : strstr(e, v[i].error) == NULL)
				fail_msg("GET %s: error \"%s\", expected %s\"%s\"", v[i].path, e,
				    v[i].whole ? "" : "a text with ", v[i].error);
		}
		json_decref(doc);
	}
}

#define GET_ERRORS(f, table) get_errors((f), (table), sizeof(table) / sizeof((table)[0]))

static json_t *
region_by_code(json_t *regions, const char *code)
{
	size_t i;
	json_t *r;
	json_array_foreach(regions, i, r)
		if (strcmp(str(r, "code"), code) == 0)
			return r;
	fail_msg("no region %s", code);
	return NULL;
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	char why[256];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct fixture *f = calloc(1, sizeof(*f));
	db_fixture_open(&f->fx, "api", 100000);
	f->now = clock_real_ms();
	load_sites(f);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK); /* delivery counts are written then */
	assert_int_equal(uv_loop_init(&f->loop), 0);
	struct api_opts ao = { .listen = "127.0.0.1", .port = 0, .window_s = 300,
		.rules = { .offline_intervals = 3, .default_interval_s = 60 } };
	f->stats.started_ms = f->now - S(90);
	if (api_new(&f->loop, &ao, f->fx.store, &f->stats, f->fx.cat, &f->api, why, sizeof(why)) !=
	    PANTAU_OK)
		fail_msg("api_new: %s", why);
	assert_true(api_port(f->api) > 0);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", api_port(f->api));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	api_free(f->api);
	uv_run(&f->loop, UV_RUN_DEFAULT);   /* the handles finish closing */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	db_fixture_close(&f->fx);
	free(f);
	curl_global_cleanup();
	return 0;
}

/* ---- tests ---- */

static void
test_healthz(void **state)
{
	struct fixture *f = *state;
	json_t *doc = get(f, "/healthz", 200);
	assert_true(json_is_true(json_object_get(doc, "ok")));
	assert_string_equal(str(doc, "version"), PANTAU_VERSION);
	assert_true(num(doc, "uptime_s") >= 90);
	json_decref(doc);
}

static void
test_regions_worst_first(void **state)
{
	static const char *const order[] = { "32.73", "95.01", "31.71", "33.01", "32.04" };
	struct fixture *f = *state;
	json_t *doc = get(f, "/api/v1/regions", 200);
	json_t *regions = json_object_get(doc, "regions");
	assert_int_equal(num(doc, "window_s"), 300);
	assert_int_equal(json_array_size(regions), 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(str(json_array_get(regions, i), "code"), order[i]);

	json_t *r = region_by_code(regions, "32.73");
	assert_string_equal(str(r, "name"), "Kota Bandung");
	assert_string_equal(str(r, "province"), "32");
	assert_string_equal(str(r, "province_name"), "Jawa Barat");
	assert_string_equal(str(r, "status"), "OFFLINE");
	assert_int_equal(num(r, "sites_known"), 3);
	assert_int_equal(num(r, "sites_reporting"), 2);
	json_t *counts = json_object_get(r, "status_counts");
	assert_int_equal(num(counts, "OK"), 2);
	assert_int_equal(num(counts, "OFFLINE"), 1);
	assert_int_equal(num(counts, "UNKNOWN"), 0);
	/* pooled: (0 + 0 + 1 + 2) lost of (10 + 10 + 10 + 20) sent; the batch
	 * 400 s old with 100 % loss is outside the window */
	assert_float_equal(num(r, "loss_pct"), 6.0, 1e-9);
	/* median of 40, 42, 50, 60; R-7 95th percentile of 50, 52, 70, 300 */
	assert_float_equal(num(r, "rtt_p50_ms"), 46.0, 1e-9);
	assert_float_equal(num(r, "rtt_p95_ms"), 265.5, 1e-9);
	assert_non_null(strstr(str(r, "reason"),
	    "1 of 3 sites OFFLINE: ag-c connection lost (last will) 50 s ago"));
	char iso[CLOCK_ISO_LEN];
	clock_format_iso(f->now - S(30), iso);
	assert_string_equal(str(r, "last_result"), iso);

	r = region_by_code(regions, "95.01");
	assert_string_equal(str(r, "status"), "UNKNOWN");
	assert_true(json_is_null(json_object_get(r, "loss_pct")));
	assert_true(json_is_null(json_object_get(r, "rtt_p50_ms")));
	assert_true(json_is_null(json_object_get(r, "last_result")));
	assert_string_equal(str(r, "reason"), "1 of 1 site UNKNOWN: ag-e no result received yet");
	assert_string_equal(str(region_by_code(regions, "32.04"), "reason"),
	    "the only site is reporting");
	assert_float_equal(num(region_by_code(regions, "31.71"), "loss_pct"), 20.0, 1e-9);
	json_decref(doc);

	doc = get(f, "/api/v1/regions?province=32", 200);
	regions = json_object_get(doc, "regions");
	assert_int_equal(json_array_size(regions), 2);
	assert_string_equal(str(json_array_get(regions, 0), "code"), "32.73");
	assert_string_equal(str(json_array_get(regions, 1), "code"), "32.04");
	json_decref(doc);
}

static void
test_region_detail(void **state)
{
	struct fixture *f = *state;
	json_t *doc = get(f, "/api/v1/regions/3273", 200);
	assert_string_equal(str(doc, "code"), "32.73");
	assert_string_equal(str(doc, "status"), "OFFLINE");
	assert_float_equal(num(doc, "loss_pct"), 6.0, 1e-9);
	json_t *sites = json_object_get(doc, "sites");
	assert_int_equal(json_array_size(sites), 3);
	json_t *c = json_array_get(sites, 0), *b = json_array_get(sites, 1);
	json_t *a = json_array_get(sites, 2);
	assert_string_equal(str(c, "agent"), "ag-c");
	assert_string_equal(str(c, "status"), "OFFLINE");
	assert_string_equal(str(b, "agent"), "ag-b");   /* OK, latest loss 10 % */
	assert_float_equal(num(b, "loss_pct"), 10.0, 1e-9);
	assert_float_equal(num(b, "rtt_p95_ms"), 300.0, 1e-9);
	assert_string_equal(str(a, "agent"), "ag-a");
	assert_string_equal(str(a, "site"), "SMPN 2 Bandung");
	assert_string_equal(str(a, "link"), "fiber");
	assert_float_equal(num(a, "lat"), -6.915, 1e-9);
	assert_float_equal(num(a, "rtt_p50_ms"), 42.0, 1e-9);
	assert_int_equal(num(a, "skew_ms"), 750);
	assert_int_equal(num(json_object_get(a, "outbox"), "pending"), 2);
	assert_int_equal(num(json_object_get(a, "outbox"), "dropped"), 1);
	assert_true(json_is_null(json_object_get(c, "site")));
	json_decref(doc);

	doc = get(f, "/api/v1/regions/32.73/", 200);   /* trailing slash, dotted code */
	assert_int_equal(json_array_size(json_object_get(doc, "sites")), 3);
	json_decref(doc);

	doc = get(f, "/api/v1/regions/32.01", 200);    /* Kabupaten Bogor: no site */
	assert_string_equal(str(doc, "name"), "Kabupaten Bogor");
	assert_int_equal(json_array_size(json_object_get(doc, "sites")), 0);
	assert_int_equal(num(doc, "sites_known"), 0);
	json_decref(doc);

	static const struct bad_get bad[] = {
		{ "/api/v1/regions/99.99", 404,
		  "no regency 99.99 in the catalog; codes look like 32.73", true },
		{ "/api/v1/regions/32-73", 400, "regency codes look like 32.73", false },
	};
	GET_ERRORS(f, bad);
}

static void
test_site(void **state)
{
	struct fixture *f = *state;
	json_t *doc = get(f, "/api/v1/sites/ag-a", 200);
	assert_string_equal(str(doc, "regency"), "32.73");
	assert_string_equal(str(doc, "regency_name"), "Kota Bandung");
	assert_string_equal(str(doc, "province"), "32");
	assert_string_equal(str(doc, "status"), "OK");
	assert_int_equal(num(doc, "interval_s"), 60);
	assert_int_equal(num(doc, "boot"), 1);
	assert_string_equal(str(doc, "version"), "0.1.0");
	json_t *latest = json_object_get(doc, "latest");
	assert_int_equal(json_array_size(latest), 4);
	json_t *ping = json_array_get(latest, 0), *http = json_array_get(latest, 1);
	json_t *tcp = json_array_get(latest, 2), *other = json_array_get(latest, 3);
	assert_string_equal(str(ping, "probe"), "icmp");
	assert_int_equal(num(ping, "sent"), 10);
	assert_float_equal(num(json_object_get(ping, "rtt_ms"), "p50"), 42.0, 1e-9);
	assert_null(json_object_get(ping, "ok"));          /* nulls are omitted */
	assert_null(json_object_get(ping, "error"));
	assert_int_equal(num(http, "status"), 200);
	assert_float_equal(num(http, "total_ms"), 141.0, 1e-9);
	assert_true(json_is_true(json_object_get(http, "ok")));
	assert_true(json_is_false(json_object_get(tcp, "ok")));
	assert_string_equal(str(tcp, "error"), "connection refused");
	assert_null(json_object_get(tcp, "connect_ms"));
	assert_float_equal(num(other, "owd_ms"), 12.5, 1e-9); /* kept whole: as received */
	assert_int_equal(num(json_object_get(doc, "latest_batch"), "seq"), 2);
	json_t *d = json_object_get(doc, "delivery");
	assert_int_equal(num(d, "expected"), 2);
	assert_int_equal(num(d, "stored"), 2);
	assert_int_equal(num(d, "missing"), 0);
	assert_int_equal(num(d, "duplicates"), 0);
	assert_int_equal(num(d, "dropped"), 1);  /* the batches' outbox.dropped */

	json_t *series = json_object_get(doc, "series");
	assert_int_equal(json_array_size(series), 4);      /* http, icmp, stamp, tcp */
	json_t *s0 = json_array_get(series, 0), *s1 = json_array_get(series, 1);
	assert_string_equal(str(s0, "probe"), "http");
	assert_int_equal(json_array_size(json_object_get(s0, "points")), 2);
	assert_int_equal(num(json_array_get(json_object_get(s0, "points"), 0), "status"), 200);
	assert_string_equal(str(s1, "probe"), "icmp");
	json_t *points = json_object_get(s1, "points");
	assert_int_equal(json_array_size(points), 2);
	assert_float_equal(num(json_array_get(points, 0), "rtt_p50_ms"), 40.0, 1e-9);
	assert_float_equal(num(json_array_get(points, 1), "rtt_p95_ms"), 52.0, 1e-9);
	assert_float_equal(num(json_array_get(points, 1), "loss_pct"), 0.0, 1e-9);
	json_decref(doc);

	doc = get(f, "/api/v1/sites/ag-c", 200);
	assert_string_equal(str(doc, "status"), "OFFLINE");
	assert_non_null(strstr(str(doc, "reason"), "last will"));
	json_decref(doc);

	doc = get(f, "/api/v1/sites/ag-e", 200);           /* birth only */
	assert_string_equal(str(doc, "status"), "UNKNOWN");
	assert_int_equal(json_array_size(json_object_get(doc, "latest")), 0);
	assert_true(json_is_null(json_object_get(doc, "latest_batch")));
	json_decref(doc);

	static const struct bad_get bad[] = {
		{ "/api/v1/sites/ag-zz", 404, "no site with agent id ag-zz", false },
		{ "/api/v1/sites/bad%21id", 400, "agent ids are 1-64 characters", false },
	};
	GET_ERRORS(f, bad);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	struct fetch x;
	char path[API_MAX_PATH + 64];
	static const struct bad_get bad[] = {
		{ "/nope", 404, "the API serves /healthz", false },
		{ "/api/v1/regions?province=3x", 400, "2-digit province code", false },
		{ "/api/v1/regions?province=", 400, NULL, false },
		{ "/api/v1/regions?province=99", 404,
		  "no province 99 in the catalog; codes look like 32", true },
		{ "/api/v1/regions?provinse=32", 400, "unknown query parameter \"provinse\"", false },
		{ "/api/v1/stats?x=1", 400, NULL, false },
	};
	GET_ERRORS(f, bad);
	json_t *doc = request(f, "POST", "/api/v1/regions", &x);
	assert_int_equal(x.status, 405);
	assert_string_equal(x.allow, "GET, HEAD");
	assert_non_null(strstr(str(doc, "error"), "method POST is not allowed"));
	json_decref(doc);
	doc = request(f, "DELETE", "/api/v1/sites/ag-a", &x);
	assert_int_equal(x.status, 405);
	json_decref(doc);
	memset(path, 'a', sizeof(path));
	memcpy(path, "/api/v1/sites/", 14);
	path[API_MAX_PATH + 10] = '\0';
	doc = get(f, path, 414);
	json_decref(doc);
}

static void
test_stats(void **state)
{
	struct fixture *f = *state;
	f->stats.received = 12;
	f->stats.batches_stored = 9;
	f->stats.results_stored = 14;
	f->stats.rejected = 3;
	f->stats.rejected_by[WIRE_REJ_NOT_JSON] = 2;
	f->stats.rejected_by[WIRE_REJ_UNKNOWN_REGION] = 1;
	f->stats.last_message_ms = f->now;
	json_t *doc = get(f, "/api/v1/stats", 200);
	assert_int_equal(num(doc, "received"), 12);
	assert_int_equal(num(doc, "stored"), 9);
	assert_int_equal(num(doc, "results_stored"), 14);
	assert_int_equal(num(doc, "rejected"), 3);
	assert_int_equal(num(doc, "duplicates"), 0);
	assert_int_equal(num(doc, "sites_known"), 7);
	assert_true(num(doc, "db_bytes") > 0);
	json_t *by = json_object_get(doc, "rejected_by");
	assert_int_equal(json_object_size(by), WIRE_REASON_COUNT - 1);
	assert_int_equal(num(by, "not_json"), 2);
	assert_int_equal(num(by, "unknown_region"), 1);
	assert_int_equal(num(by, "too_large"), 0);
	assert_null(json_object_get(by, "accepted"));
	const char *keys[] = { "status_stored", "ignored", "store_errors" };
	for (size_t i = 0; i < 3; i++)
		assert_true(json_is_integer(json_object_get(doc, keys[i])));
	char iso[CLOCK_ISO_LEN];
	clock_format_iso(f->now - S(90), iso);
	assert_string_equal(str(doc, "started"), iso);
	clock_format_iso(f->now, iso);
	assert_string_equal(str(doc, "last_message"), iso);
	json_t *agents = json_object_get(doc, "agents"), *a0 = json_array_get(agents, 0);
	assert_true(json_array_size(agents) >= 5);   /* every agent that sent a batch */
	assert_string_equal(str(a0, "agent"), "ag-a"); /* by agent id */
	assert_int_equal(num(a0, "expected"), 2);
	assert_int_equal(num(a0, "stored"), 2);
	assert_int_equal(num(a0, "missing"), 0);
	assert_int_equal(num(a0, "dropped"), 1);
	json_decref(doc);
}

/* The window is ts_ms > now - window_s: a result exactly window_s old is out. */
static void
test_window_boundary(void **state)
{
	struct fixture *f = *state;
	char a[512], why[256];
	struct query *q;
	json_t *doc;
	struct query_opts qo = { .window_s = 300, .rules = { 3, 60 } };
	put_batch(f, "34.71", "ag-w", 1, S(300), icmp(a, sizeof(a), 10, 0, 0, 0));
	put_batch(f, "34.71", "ag-w", 2, S(300) - 1, icmp(a, sizeof(a), 10, 10, 5, 6));
	assert_int_equal(query_new(store_db(f->fx.store), f->fx.cat, &qo, &q, why, sizeof(why)),
	    PANTAU_OK);
	assert_int_equal(query_regions(q, "34", f->now, &doc), PANTAU_OK);
	json_t *r = json_array_get(json_object_get(doc, "regions"), 0);
	assert_string_equal(str(r, "code"), "34.71");
	assert_float_equal(num(r, "loss_pct"), 0.0, 1e-9);
	assert_float_equal(num(r, "rtt_p50_ms"), 5.0, 1e-9);
	json_decref(doc);
	assert_int_equal(query_regions(q, "99", f->now, &doc), PANTAU_ERR_NOT_FOUND);
	assert_int_equal(query_region(q, "99.99", f->now, &doc), PANTAU_ERR_NOT_FOUND);
	assert_int_equal(query_site(q, "ag-nobody", QUERY_RANGE_1H, f->now, &doc),
	    PANTAU_ERR_NOT_FOUND);
	query_free(q);
}

/* GET /metrics answers in the Prometheus text format (its content is
 * tests/unit/test_metrics.c; a real Prometheus parses it in
 * tests/e2e/test_prometheus.py). */
static void
test_metrics_route(void **state)
{
	struct fixture *f = *state;
	struct fetch x;
	json_t *doc = request(f, "GET", "/metrics", &x);
	assert_null(doc);
	assert_int_equal(x.status, 200);
	assert_string_equal(x.content_type, "text/plain; version=0.0.4; charset=utf-8");
	doc = request(f, "POST", "/metrics", &x);
	assert_int_equal(x.status, 405);
	json_decref(doc);
}

static void
test_listen_errors(void **state)
{
	struct fixture *f = *state;
	char why[256];
	struct api *other = NULL;
	struct api_opts ao = { .listen = "not-an-address", .port = 0 };
	assert_int_equal(api_new(&f->loop, &ao, f->fx.store, &f->stats, f->fx.cat, &other, why,
	    sizeof(why)), PANTAU_ERR_CONFIG);
	assert_null(other);
	assert_non_null(strstr(why, "is not an IP address"));
	ao.listen = NULL;  /* default 127.0.0.1, on the port already taken */
	ao.port = api_port(f->api);
	assert_int_equal(api_new(&f->loop, &ao, f->fx.store, &f->stats, f->fx.cat, &other, why,
	    sizeof(why)), PANTAU_ERR_NET);
	assert_non_null(strstr(why, "cannot serve the HTTP API on 127.0.0.1 port"));
	uv_run(&f->loop, UV_RUN_NOWAIT);
}


/* The series of ?range=: every measurement over 1 h; 5-minute buckets over
 * 24 h and 1-hour buckets over 7 d, with pooled loss, the worst p95, mean
 * times and rates; a bad range is a 400 naming the ranges. */
static json_t *
series_of(json_t *doc, const char *probe)
{
	size_t i;
	json_t *sr;
	json_array_foreach(json_object_get(doc, "series"), i, sr)
		if (strcmp(str(sr, "probe"), probe) == 0)
			return json_object_get(sr, "points");
	fail_msg("no %s series", probe);
	return NULL;
}

static void
put_range_batches(struct fixture *f, int64_t base)
{
	char a[512], all[2048];
	const char *http_ok = "{\"probe\":\"http\",\"target\":\"https://t.example/\",\"ok\":true,"
	                      "\"status\":200,\"dns_ms\":2,\"connect_ms\":10,\"tls_ms\":20,"
	                      "\"ttfb_ms\":40,\"total_ms\":50}";
	const char *http_bad = "{\"probe\":\"http\",\"target\":\"https://t.example/\",\"ok\":false,"
	                       "\"status\":0,\"error\":\"timeout\"}";
	const char *tp = "{\"probe\":\"throughput\",\"target\":\"198.51.100.7:8080\",\"ok\":true,"
	                 "\"download\":{\"mbps\":%d},\"upload\":{\"mbps\":%d}}";
	char tp1[256], tp2[256];
	snprintf(tp1, sizeof(tp1), tp, 40, 8);
	snprintf(tp2, sizeof(tp2), tp, 20, 4);
	snprintf(all, sizeof(all), "%s,%s,%s", icmp(a, sizeof(a), 10, 10, 20, 30), http_ok, tp1);
	put_batch(f, "35.78", "ag-r", 1, f->now - (base + S(600)), all);
	snprintf(all, sizeof(all), "%s,%s,%s", icmp(a, sizeof(a), 10, 5, 40, 90), http_bad, tp2);
	put_batch(f, "35.78", "ag-r", 2, f->now - (base + S(720)), all);
	snprintf(all, sizeof(all), "%s,{\"probe\":\"upload_task\",\"target\":\"https://t.example/"
	    "up\",\"ok\":true,\"mbps\":2}", icmp(a, sizeof(a), 20, 20, 30, 60));
	put_batch(f, "35.78", "ag-r", 3, f->now - (base + S(1800)), all);
	put_batch(f, "35.78", "ag-r", 4, S(3 * 86400), icmp(a, sizeof(a), 10, 10, 20, 30));
	put_batch(f, "35.78", "ag-r", 5, S(8 * 86400), icmp(a, sizeof(a), 10, 10, 20, 30));
	snprintf(all, sizeof(all), "%s,%s", icmp(a, sizeof(a), 10, 9, 25, 35), tp1);
	put_batch(f, "35.78", "ag-r", 6, S(300), all);
	/* late: an older upload rate does not replace the newer one */
	snprintf(tp1, sizeof(tp1), tp, 9, 1);
	put_batch(f, "35.78", "ag-r", 7, S(6 * 86400), tp1);
	/* a second site whose latest upload is 2 days old: not in the median */
	snprintf(tp1, sizeof(tp1), tp, 200, 100);
	put_batch(f, "35.78", "ag-s", 1, S(2 * 86400), tp1);
}

static void
test_site_ranges(void **state)
{
	struct fixture *f = *state;
	/* an hour boundary 2-3 h ago: batches 1-3 fall in one hour bucket and
	 * in two 5-minute buckets (base + 10 min, base + 30 min) */
	int64_t base = (f->now - S(7200)) / S(3600) * S(3600) - S(3600);
	put_range_batches(f, base);

	json_t *doc = get(f, "/api/v1/sites/ag-r", 200);   /* default 1h: raw */
	assert_string_equal(str(doc, "range"), "1h");
	assert_int_equal(num(doc, "bucket_s"), 0);
	json_t *p = series_of(doc, "icmp");
	assert_int_equal(json_array_size(p), 1);
	assert_float_equal(num(json_array_get(p, 0), "loss_pct"), 10.0, 1e-9);
	assert_null(json_object_get(json_array_get(p, 0), "results"));
	p = series_of(doc, "throughput");
	assert_float_equal(num(json_array_get(p, 0), "download_mbps"), 40.0, 1e-9);
	assert_float_equal(num(json_array_get(p, 0), "upload_mbps"), 8.0, 1e-9);
	json_decref(doc);

	doc = get(f, "/api/v1/sites/ag-r?range=24h", 200);
	assert_string_equal(str(doc, "range"), "24h");
	assert_int_equal(num(doc, "bucket_s"), 300);
	p = series_of(doc, "icmp");
	assert_int_equal(json_array_size(p), 3);           /* base+10m, base+30m, 5 min ago */
	json_t *b = json_array_get(p, 0);
	assert_int_equal(num(b, "results"), 2);
	assert_float_equal(num(b, "loss_pct"), 25.0, 1e-9);   /* 5 lost of 20 sent */
	assert_float_equal(num(b, "rtt_p95_ms"), 90.0, 1e-9); /* the worst */
	assert_float_equal(num(b, "rtt_p50_ms"), 30.0, 1e-9); /* the mean */
	p = series_of(doc, "http");
	assert_int_equal(json_array_size(p), 1);
	b = json_array_get(p, 0);
	assert_true(json_is_false(json_object_get(b, "ok")));
	assert_int_equal(num(b, "failed"), 1);
	assert_float_equal(num(b, "total_ms"), 50.0, 1e-9);
	assert_float_equal(num(b, "tls_ms"), 20.0, 1e-9);
	b = json_array_get(series_of(doc, "throughput"), 0);
	assert_float_equal(num(b, "download_mbps"), 30.0, 1e-9);
	assert_float_equal(num(b, "upload_mbps"), 6.0, 1e-9);
	b = json_array_get(series_of(doc, "upload_task"), 0);
	assert_float_equal(num(b, "upload_mbps"), 2.0, 1e-9);
	json_decref(doc);

	doc = get(f, "/api/v1/sites/ag-r?range=7d", 200);
	assert_int_equal(num(doc, "bucket_s"), 3600);
	p = series_of(doc, "icmp");
	assert_int_equal(json_array_size(p), 3);           /* 3 d ago, base hour, now; not 8 d */
	b = json_array_get(p, 1);
	assert_int_equal(num(b, "results"), 3);
	assert_float_equal(num(b, "loss_pct"), 12.5, 1e-9);   /* 5 of 40 */
	char iso[CLOCK_ISO_LEN];
	clock_format_iso(base, iso);
	assert_string_equal(str(b, "ts"), iso);               /* the bucket's start */
	assert_true(json_is_false(json_object_get(doc, "series_truncated")));
	json_decref(doc);

	/* the regency's upload: the median of its sites' latest rates of the
	 * last 24 h (ag-r's newest, 8; not ag-s's of 2 days ago) */
	doc = get(f, "/api/v1/regions?province=35", 200);
	json_t *reg = region_by_code(json_object_get(doc, "regions"), "35.78");
	assert_float_equal(num(reg, "upload_mbps"), 8.0, 1e-9);
	json_decref(doc);
	doc = get(f, "/api/v1/regions/35.78", 200);
	json_t *site0 = json_array_get(json_object_get(doc, "sites"), 0);
	assert_string_equal(str(site0, "agent"), "ag-r");
	assert_float_equal(num(site0, "upload_mbps"), 8.0, 1e-9);
	clock_format_iso(f->now - S(300), iso);
	assert_string_equal(str(site0, "upload_time"), iso);
	assert_float_equal(num(json_array_get(json_object_get(doc, "sites"), 1), "upload_mbps"),
	    100.0, 1e-9);
	json_decref(doc);
	doc = get(f, "/api/v1/regions/32.73", 200);       /* no throughput: null */
	assert_true(json_is_null(json_object_get(doc, "upload_mbps")));
	json_decref(doc);

	static const struct bad_get bad[] = {
		{ "/api/v1/sites/ag-r?range=2d", 400, "range must be 1h, 24h or 7d; got \"2d\"", true },
		{ "/api/v1/sites/ag-r?range=", 400, "range needs a value: 1h, 24h or 7d", false },
		{ "/api/v1/sites/ag-r?rang=1h", 400, "this route takes only range=1h|24h|7d", false },
	};
	GET_ERRORS(f, bad);
}

#define UNIT_GROUP_SETUP setup
#define UNIT_GROUP_TEARDOWN teardown
#include "unit_main.h"
