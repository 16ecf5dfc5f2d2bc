/*
 * The http probe and the libcurl glue against a libmicrohttpd server
 * started here on a free loopback port, and against sockets that refuse or
 * never answer. The shared fixture is probe_harness.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe_harness.h"

#define BIG_BODY 100000

static const char big_body[BIG_BODY];

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	unsigned code = MHD_HTTP_OK;
	const char *body = "hello";
	size_t len = 5;
	if (strcmp(url, "/fail") == 0) {
		code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		body = "broken";
		len = 6;
	} else if (strcmp(url, "/big") == 0) {
		body = big_body;
		len = sizeof(big_body);
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void
start_http_server(struct fx *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, f,
	    MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
	assert_non_null(f->mhd);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->mhd,
	    MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	f->http_port = info->port;
	assert_true(f->http_port > 0);
}

static void
http_def(struct fx *f, const char *path, const char *keys, int timeout_ms)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->http_port, path);
	make_def(f, worker_kind("http"), url, keys, timeout_ms);
}

/* The http probe of path with keys against the test server, started on
 * first use (a later one replaces the case's last probe): its result. */
static const json_t *
served(struct fx *f, const char *path, const char *keys)
{
	if (f->mhd == NULL)
		start_http_server(f);
	else
		next_probe(f);
	http_def(f, path, keys, 0);
	return run_probe(f);
}

static void
test_http_ok(void **state)
{
	struct fx *f = *state;
	start_http_server(f);
	http_def(f, "/ok", NULL, 0);
	assert_int_equal(f->def.timeout_ms, 10000);
	const json_t *r = run_probe(f);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "status"), 200);
	assert_int_equal((int)num(r, "bytes"), 5);
	double dns = num(r, "dns_ms"), conn = num(r, "connect_ms"), ttfb = num(r, "ttfb_ms");
	double total = num(r, "total_ms");
	assert_true(dns >= 0.0 && conn >= 0.0);
	assert_true(dns + conn <= ttfb + 0.002); /* cumulative ttfb covers both phases */
	assert_true(ttfb <= total);
	assert_null(json_object_get(r, "tls_ms")); /* plain http */
	assert_null(json_object_get(r, "error"));
	assert_null(json_object_get(r, "truncated"));
	assert_wire_valid(r);
}

static void
test_http_500(void **state)
{
	struct fx *f = *state;
	const json_t *r = served(f, "/fail", "expect_status = 0");
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "status"), 500);
	assert_string_equal(str(r, "error"), "HTTP status 500 (expected 2xx or 3xx)");
	assert_wire_valid(r);
}

static void
test_http_expect_status(void **state)
{
	struct fx *f = *state;
	const json_t *r = served(f, "/fail", "expect_status = 500");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "status"), 500);
	r = served(f, "/ok", "expect_status = 204");
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(str(r, "error"), "HTTP status 200 (expected 204)");
}

static void
test_http_max_bytes_and_head(void **state)
{
	struct fx *f = *state;
	const json_t *r = served(f, "/big", "max_bytes = 1000");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "bytes"), 1000);
	assert_true(json_is_true(json_object_get(r, "truncated")));
	assert_null(json_object_get(r, "error"));
	r = served(f, "/big", "method = HEAD");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "bytes"), 0);
	r = served(f, "/big", NULL);
	assert_int_equal((int)num(r, "bytes"), BIG_BODY);
	assert_null(json_object_get(r, "truncated"));
}

/* A server that accepts connections and never answers. */
static void
test_http_timeout(void **state)
{
	struct fx *f = *state;
	loopback_socket(f, 16, &f->http_port);
	http_def(f, "/slow", NULL, 300);
	int64_t t0 = clock_mono_ms();
	const json_t *r = run_probe(f);
	int64_t took = clock_mono_ms() - t0;
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "status"), 0);
	assert_non_null(strstr(str(r, "error"), "timed out"));
	assert_true(took >= 290 && took < 5000);
	assert_wire_valid(r);
}

static void
test_http_refused(void **state)
{
	struct fx *f = *state;
	loopback_socket(f, -1, &f->http_port);
	http_def(f, "/", NULL, 0);
	const json_t *r = run_probe(f);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "status"), 0);
	assert_true(strlen(str(r, "error")) > 0);
	assert_null(json_object_get(r, "connect_ms"));
	assert_wire_valid(r);
}

static void
test_http_cancel(void **state)
{
	struct fx *f = *state;
	loopback_socket(f, 16, &f->http_port);
	http_def(f, "/slow", NULL, 5000);
	start_probe(f, &f->run, f);
	assert_false(spin(&f->loop, &f->ndone, 100));
	assert_int_equal(curlglue_running(f->curl), 1);
	probe_run_cancel(&f->run);
	assert_int_equal(curlglue_running(f->curl), 0);
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
}

/* The agent's `check` command closes the whole environment from inside the
 * last probe's done(): curlglue must allow that. */
static void
test_http_free_glue_in_done(void **state)
{
	struct fx *f = *state;
	start_http_server(f);
	http_def(f, "/ok", NULL, 0);
	f->free_glue_in_done = true;
	const json_t *r = run_probe(f);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_null(f->curl);
}

static void
test_http_check(void **state)
{
	struct fx *f = *state;
	char why[256];
	const char *good[] = { "https://tally.example/api/ping", "http://203.0.113.1:8080/",
		"HTTP://example.com", "http://[2001:db8::1]/x" };
	const char *bad[] = { "ftp://example.com/", "example.com", "http://", "https:///x",
		"tally.example/api", "http://exa mple.com/", "http://host:99999/",
		"http://host:80x/", "http://[2001:db8::1/", "http://host/a b" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(check_target(f, agent_kind("http"), good[i], NULL, why, sizeof(why)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(check_target(f, agent_kind("http"), bad[i], NULL, why, sizeof(why)));
	assert_false(check_target(f, agent_kind("http"), "https://x.example/", "expect_status = 42",
	    why, sizeof(why)));
	assert_non_null(strstr(why, "expect_status"));
	assert_int_equal(agent_kind("http")->spec->max_duration_ms(&f->def), 10000);
}

static void
test_start_without_glue(void **state)
{
	struct fx *f = *state;
	f->env.curl = NULL;
	make_def(f, worker_kind("http"), "http://127.0.0.1:1/", NULL, 0);
	f->run = (struct probe_run){ .def = &f->def, .env = &f->env, .done = on_done, .owner = f };
	assert_int_equal(f->def.exec->start(&f->run), PANTAU_ERR_STATE);
	assert_null(f->run.state);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
