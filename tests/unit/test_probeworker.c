/*
 * The probe worker: the request and reply the agent and pantau-probe-worker
 * exchange (agent/probes/workerproto.c), and the agent's spawner
 * (agent/probes/probeworker.c) against the real worker and against small shell
 * scripts standing in for a worker that crashes, prints garbage, hangs or
 * is missing. The fixture is probe_harness.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sys/stat.h>

#include "probe_harness.h"
#include "agent/probes/budget.h"
#include "agent/probes/probeworker.h"
#include "agent/probes/curlkinds.h"
#include "agent/probes/workerproto.h"


/* ---- request ---- */

static void
test_request_round_trip(void **state)
{
	struct fx *f = *state;
	char why[256];
	struct probe_def back;
	struct workerproto_budget b = { 100000000, 2500000 }, b2;
	make_def(f, agent_kind("upload_task"), "https://tally.example/up",
	    "size = 1234\nmethod = PUT\ncontent_type = text/plain\ninsecure = yes", 7000);
	char *req = workerproto_request(&f->def, &b);
	assert_non_null(req);
	assert_int_equal(workerproto_request_parse(req, strlen(req), worker_kinds, &back, &b2, why,
	    sizeof(why)), PANTAU_OK);
	assert_ptr_equal(back.spec, agent_kind("upload_task")->spec);
	assert_ptr_equal(back.exec, worker_kind("upload_task")->exec);
	assert_string_equal(back.name, "t");
	assert_string_equal(back.target, "https://tally.example/up");
	assert_int_equal(back.timeout_ms, 7000);
	assert_int_equal(b2.limit_bytes, b.limit_bytes);
	assert_int_equal(b2.used_bytes, b.used_bytes);
	const struct up_params *p = f->def.params, *q = back.params;
	assert_int_equal(q->size, 1234);
	assert_int_equal(q->method, UP_PUT);
	assert_true(q->insecure);
	assert_string_equal(q->content_type, "text/plain");
	assert_memory_equal(p, q, offsetof(struct up_params, content_type));
	free(back.params);
	free(req);
}

static void
expect_bad_request(const char *req, const char *needle)
{
	char why[256] = "";
	struct probe_def def;
	struct workerproto_budget b;
	assert_int_equal(workerproto_request_parse(req, strlen(req), worker_kinds, &def, &b, why,
	    sizeof(why)), PANTAU_ERR_PARSE);
	free(def.params);
	if (strstr(why, needle) == NULL)
		fail_msg("why \"%s\" does not say \"%s\"", why, needle);
}

#define BUDGET "\"budget\":{\"limit_bytes\":0,\"used_bytes\":0}"

static void
test_request_errors(void **state)
{
	(void)state;
	expect_bad_request("hello", "not a JSON object");
	expect_bad_request("{\"kind\":\"icmp\",\"name\":\"t\",\"target\":\"x\",\"timeout_ms\":1,"
	    "\"params\":{}," BUDGET "}", "kind");
	expect_bad_request("{\"kind\":\"http\",\"name\":\"t\",\"target\":\"http://x/\","
	    "\"timeout_ms\":0,\"params\":{}," BUDGET "}", "timeout_ms");
	expect_bad_request("{\"kind\":\"http\",\"name\":\"t\",\"target\":\"http://x/\","
	    "\"timeout_ms\":10,\"params\":{\"colour\":\"red\"}," BUDGET "}", "colour");
	expect_bad_request("{\"kind\":\"http\",\"name\":\"t\",\"target\":\"http://x/\","
	    "\"timeout_ms\":10,\"params\":{\"method\":\"PUT\"}," BUDGET "}", "method");
	expect_bad_request("{\"kind\":\"http\",\"name\":\"t\",\"target\":\"ftp://x/\","
	    "\"timeout_ms\":10,\"params\":{}," BUDGET "}", "not an http");
	expect_bad_request("{\"kind\":\"http\",\"name\":\"t\",\"target\":\"http://x/\","
	    "\"timeout_ms\":10,\"params\":{}}", "budget");
}

/* ---- reply ---- */

static const char *
reply_error(struct fx *f, const char *out, int64_t status, int sig)
{
	struct workerproto_stats st;
	json_decref(f->result);
	f->result = workerproto_reply_parse(&f->def, out, strlen(out), status, sig, &st);
	assert_non_null(f->result);
	assert_true(json_is_false(json_object_get(f->result, "ok")));
	assert_int_equal(st.spent_bytes, 0);
	assert_wire_valid(f->result);
	return json_string_value(json_object_get(f->result, "error"));
}

static void
test_reply_parse(void **state)
{
	struct fx *f = *state;
	struct workerproto_stats st;
	make_def(f, agent_kind("http"), "http://127.0.0.1:9/", NULL, 0);
	const char *good = "{\"result\":{\"probe\":\"http\",\"target\":\"http://127.0.0.1:9/\","
	    "\"ok\":true,\"status\":200,\"total_ms\":1.5,\"bytes\":5},\"spent_bytes\":7,"
	    "\"maxrss_kb\":9000,\"cpu_ms\":12}\n";
	json_t *r = workerproto_reply_parse(&f->def, good, strlen(good), 0, 0, &st);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(st.spent_bytes, 7);
	assert_int_equal(st.maxrss_kb, 9000);
	assert_int_equal(st.cpu_ms, 12);
	json_decref(r);
	assert_non_null(strstr(reply_error(f, good, 0, 11), "signal 11"));
	assert_non_null(strstr(reply_error(f, good, 3, 0), "status 3"));
	assert_non_null(strstr(reply_error(f, "hello\n", 0, 0), "no valid result"));
	assert_non_null(strstr(reply_error(f, "", 0, 0), "nothing at all"));
	assert_non_null(strstr(reply_error(f, "{\"result\":{\"probe\":\"tcp\",\"target\":"
	    "\"http://127.0.0.1:9/\"}}", 0, 0), "no valid result"));
	assert_non_null(strstr(reply_error(f, "[1]", 0, 0), "not an object"));
}

/* ---- the spawner ---- */

/* A stand-in worker: a shell script in a temporary folder. */
static void
script(struct fx *f, char *path, size_t len, const char *body)
{
	char dir[] = "/tmp/pantau-pw-XXXXXX";
	assert_non_null(mkdtemp(dir));
	snprintf(path, len, "%s/worker.sh", dir);
	FILE *s = fopen(path, "w");
	assert_non_null(s);
	fprintf(s, "#!/bin/sh\n%s\n", body);
	fclose(s);
	assert_int_equal(chmod(path, 0755), 0);
	(void)f;
}

static void
unscript(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	unlink(path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

/* Run an http probe through the spawner with worker as the worker. */
static const char *
via_worker_to(struct fx *f, const char *worker, const char *target, int timeout_ms)
{
	struct budget *b = NULL;
	assert_int_equal(budget_new(NULL, 10000000, clock_real_ms(), &b), PANTAU_OK);
	f->env.budget = b;
	f->env.worker = worker;
	next_probe(f);
	make_def(f, agent_kind("http"), target, NULL, timeout_ms);
	const json_t *r = run_probe(f);
	assert_null(f->run.state);
	f->env.budget = NULL;
	budget_free(b);
	return json_string_value(json_object_get(r, "error"));
}

static const char *
via_worker(struct fx *f, const char *worker, int timeout_ms)
{
	return via_worker_to(f, worker, "http://127.0.0.1:9/", timeout_ms);
}

static void
test_spawn_failures(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	const char *why = via_worker(f, "/nonexistent/pantau-probe-worker", 1000);
	assert_non_null(strstr(why, "cannot start the probe worker /nonexistent"));
	/* Each stand-in worker, the timeout it runs under, what the agent says. */
	static const struct { const char *body; int timeout_ms; const char *says; } bad[] = {
		{ "cat >/dev/null; kill -SEGV $$", 1000, "signal 11" },
		{ "cat >/dev/null; echo hello; exit 0", 1000, "no valid result" },
		{ "cat >/dev/null; exit 4", 1000, "status 4" },
		/* hangs with stdin unread: killed at 100 ms + the slack */
		{ "exec sleep 60", 100, "did not finish within 3100 ms" },
		{ "cat >/dev/null; exec yes", 1000, "printed more than" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		script(f, path, sizeof(path), bad[i].body);
		const char *says = via_worker(f, path, bad[i].timeout_ms);
		if (strstr(says, bad[i].says) == NULL)
			fail_msg("worker \"%s\": \"%s\", not \"%s\"", bad[i].body, says, bad[i].says);
		unscript(path);
	}
}

static void
test_cancel_kills_worker(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];
	struct budget *b = NULL;
	script(f, path, sizeof(path), "exec sleep 60");
	assert_int_equal(budget_new(NULL, 0, clock_real_ms(), &b), PANTAU_OK);
	f->env.budget = b;
	f->env.worker = path;
	make_def(f, agent_kind("http"), "http://127.0.0.1:9/", NULL, 0);
	f->run = (struct probe_run){ .def = &f->def, .env = &f->env, .done = on_done, .owner = f };
	assert_int_equal(f->def.exec->start(&f->run), PANTAU_OK);
	spin_until(&f->loop, NULL, 0, 200);
	probe_run_cancel(&f->run);
	assert_null(f->run.state);
	/* Everything but the fixture's own handles closes once sleep is reaped. */
	icmpsock_free(f->icmp4);
	icmpsock_free(f->icmp6);
	f->icmp4 = f->icmp6 = NULL;
	curlglue_free(f->curl);
	f->curl = NULL;
	assert_true(spin(&f->loop, NULL, 5000));
	assert_int_equal(f->ndone, 0);
	f->env.budget = NULL;
	budget_free(b);
	unscript(path);
}

/* The real worker, next to the unit tests' folder (build/tests/..). */
static void
test_real_worker(void **state)
{
	struct fx *f = *state;
	char self[PATH_MAX], worker[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(worker, sizeof(worker), "%s/../%s", self, PROBEWORKER_NAME);
	char url[64];
	int port;
	loopback_socket(f, -1, &port);  /* bound, not listening: refused */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	const char *why = via_worker_to(f, worker, url, 2000);
	assert_non_null(why);
	assert_null(strstr(why, "probe worker"));  /* the probe's own reason */
	assert_wire_valid(f->result);
	assert_int_equal(json_integer_value(json_object_get(f->result, "status")), 0);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
