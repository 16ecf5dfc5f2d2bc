/*
 * The icmp and tcp probe kinds against real loopback peers: icmp needs an
 * ICMP socket (root or a ping group; otherwise those cases are skipped),
 * tcp runs against plain sockets. And echo, the test-only kind
 * (agent/probes/echo.c, not in the table of these builds). The shared
 * fixture is probe_harness.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe_harness.h"

/* ---- icmp ---- */

static void
assert_rtt_sane(const json_t *r, double timeout_ms)
{
	const json_t *rtt = json_object_get(r, "rtt_ms");
	assert_true(json_is_object(rtt));
	double min = num(rtt, "min"), p50 = num(rtt, "p50"), avg = num(rtt, "avg");
	double p95 = num(rtt, "p95"), max = num(rtt, "max");
	assert_true(min >= 0.0);
	assert_true(min <= p50);
	assert_true(p50 <= p95);
	assert_true(p95 <= max);
	assert_true(min <= avg && avg <= max);
	assert_true(max <= timeout_ms);
	assert_true(num(r, "pdv_ms") >= 0.0);
	assert_true(num(r, "pdv_ms") <= max - min + 0.001);
}

/* A train's counts: requests sent, replies received. */
static void
assert_sent_recv(const json_t *r, int sent, int recv)
{
	assert_int_equal((int)num(r, "sent"), sent);
	assert_int_equal((int)num(r, "recv"), recv);
}

/* An icmp definition on sock; the case is skipped where the box gives
 * the test no ICMP socket of that family. */
static void
icmp_def(struct fx *f, const struct icmpsock *sock, const char *target, const char *keys,
    int timeout_ms)
{
	if (sock == NULL)
		skip();
	make_def(f, agent_kind("icmp"), target, keys, timeout_ms);
}

static void
test_icmp_loopback(void **state)
{
	struct fx *f = *state;
	icmp_def(f, f->icmp4, "127.0.0.1", "count = 10\nspacing_ms = 10", 1000);
	const json_t *r = run_probe(f);
	assert_sent_recv(r, 10, 10);
	assert_true(num(r, "loss_pct") == 0.0);
	assert_string_equal(str(r, "addr"), "127.0.0.1");
	assert_rtt_sane(r, 1000.0);
	assert_true(num(r, "jitter_ms") >= 0.0);
	assert_null(json_object_get(r, "dup"));
	assert_null(json_object_get(r, "late"));
	assert_null(json_object_get(r, "error"));
	assert_wire_valid(r);
}

static void
test_icmp_ipv6_loopback(void **state)
{
	struct fx *f = *state;
	icmp_def(f, f->icmp6, "::1", "count = 5\nspacing_ms = 10\nsize = 100", 1000);
	const json_t *r = run_probe(f);
	assert_sent_recv(r, 5, 5);
	assert_string_equal(str(r, "addr"), "::1");
	assert_rtt_sane(r, 1000.0);
	assert_wire_valid(r);
}

struct twin {
	struct fx *f;
	int ndone;
	json_t *result;
};

static void
on_twin_done(struct probe_run *run, json_t *result)
{
	struct twin *t = run->owner;
	t->ndone++;
	t->f->ndone++;
	json_decref(t->result);
	t->result = result;
}

/* Two trains at once on the one shared socket: each gets exactly its own
 * replies (cookie matching), none counted twice. */
static void
test_icmp_two_trains_share_socket(void **state)
{
	struct fx *f = *state;
	struct twin a = { .f = f }, b = { .f = f };
	struct probe_run ra, rb;
	icmp_def(f, f->icmp4, "127.0.0.1", "count = 8\nspacing_ms = 10", 1000);
	start_probe_with(f, &ra, &a, on_twin_done);
	start_probe_with(f, &rb, &b, on_twin_done);
	assert_true(spin_until(&f->loop, &f->ndone, 2, DEADLINE_MS));
	assert_int_equal(a.ndone, 1);
	assert_int_equal(b.ndone, 1);
	for (struct twin *t = &a; t != NULL; t = t == &a ? &b : NULL) {
		assert_int_equal((int)num(t->result, "sent"), 8);
		assert_int_equal((int)num(t->result, "recv"), 8);
		assert_null(json_object_get(t->result, "dup"));
		json_decref(t->result);
	}
}

/* No socket at all (not root, no ping group): a failure result that says
 * what to do, delivered from the loop. */
static void
test_icmp_no_socket(void **state)
{
	struct fx *f = *state;
	f->env.icmp4 = f->env.icmp6 = NULL;
	make_def(f, agent_kind("icmp"), "127.0.0.1", NULL, 0);
	const json_t *r = run_probe(f);
	assert_sent_recv(r, 0, 0);
	assert_true(num(r, "loss_pct") == 100.0);
	assert_non_null(strstr(str(r, "error"), "no ICMP socket"));
	assert_non_null(strstr(str(r, "error"), "ping_group_range"));
	assert_wire_valid(r);
}

static void
test_icmp_unresolvable(void **state)
{
	struct fx *f = *state;
	icmp_def(f, f->icmp4, "nosuchhost.invalid", "count = 3\nspacing_ms = 10", 200);
	const json_t *r = run_probe(f);
	assert_sent_recv(r, 0, 0);
	assert_true(num(r, "loss_pct") == 100.0);
	assert_null(json_object_get(r, "rtt_ms"));
	assert_ptr_equal(strstr(str(r, "error"), "cannot resolve host nosuchhost.invalid"),
	    str(r, "error"));
	assert_wire_valid(r);
}

/*
 * 198.51.100.1 (TEST-NET-2, RFC 5737) is never routed to a host: behind a
 * default route the request dies on the way (perhaps with an ICMP error,
 * which is not an echo reply), without one the kernel refuses to send it.
 * Either way every request is lost, and the train takes its timeout.
 */
static void
test_icmp_no_answer(void **state)
{
	struct fx *f = *state;
	icmp_def(f, f->icmp4, "198.51.100.1", "count = 3\nspacing_ms = 10", 100);
	int64_t t0 = clock_mono_ms();
	const json_t *r = run_probe(f);
	int64_t took = clock_mono_ms() - t0;
	assert_sent_recv(r, 3, 0);
	assert_true(num(r, "loss_pct") == 100.0);
	assert_null(json_object_get(r, "rtt_ms"));
	assert_null(json_object_get(r, "jitter_ms"));
	if (json_object_get(r, "error") == NULL)
		assert_true(took >= 2 * 10 + 100 - 2); /* waited for the last timeout */
	assert_true(took < 2000);
	assert_wire_valid(r);
}

static void
test_icmp_cancel_midrun(void **state)
{
	struct fx *f = *state;
	icmp_def(f, f->icmp4, "127.0.0.1", "count = 100\nspacing_ms = 10", 1000);
	int before = open_handles(&f->loop);
	start_probe(f, &f->run, f);
	assert_false(spin(&f->loop, &f->ndone, 60)); /* still running after 60 ms */
	assert_non_null(f->run.state);
	assert_true(open_handles(&f->loop) > before);
	probe_run_cancel(&f->run);
	assert_null(f->run.state);
	assert_int_equal(open_handles(&f->loop), before); /* closing at once */
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
}

static void
test_icmp_cancel_while_resolving(void **state)
{
	struct fx *f = *state;
	make_def(f, agent_kind("icmp"), "localhost", "count = 3\nspacing_ms = 10", 1000);
	int before = open_handles(&f->loop);
	start_probe(f, &f->run, f);
	probe_run_cancel(&f->run);
	probe_run_cancel(&f->run); /* twice is harmless */
	assert_int_equal(open_handles(&f->loop), before);
	assert_false(spin(&f->loop, &f->ndone, 100)); /* the resolve finishes unseen */
	assert_int_equal(f->ndone, 0);
}

static void
test_icmp_check(void **state)
{
	struct fx *f = *state;
	char why[256];
	const char *good[] = { "203.0.113.1", "gw.example.net", "localhost", "::1",
		"fe80::1%eth0", "host-1.example.net." };
	const char *bad[] = { "", "http://203.0.113.1/", "203.0.113.1:80", "bad host",
		"a..b", "-x.example", "x!y" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(check_target(f, agent_kind("icmp"), good[i], NULL, why, sizeof(why)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(check_target(f, agent_kind("icmp"), bad[i], NULL, why, sizeof(why)));
	check_target(f, agent_kind("icmp"), "http://x/", NULL, why, sizeof(why));
	assert_non_null(strstr(why, "URL"));
	check_target(f, agent_kind("icmp"), "10.0.0.1:80", NULL, why, sizeof(why));
	assert_non_null(strstr(why, "no port"));
}

/* The key table's bounds reach the configuration errors. */
static void
test_icmp_keys(void **state)
{
	struct fx *f = *state;
	const char *bad[] = { "count = 0", "count = 1001", "spacing_ms = 9", "size = 15",
		"size = 1473" };
	make_def(f, agent_kind("icmp"), "127.0.0.1", NULL, 0);
	assert_int_equal(f->def.timeout_ms, 1000);
	assert_int_equal(agent_kind("icmp")->spec->max_duration_ms(&f->def), 9 * 100 + 1000 + 3000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		struct cfg_file *file = NULL;
		snprintf(text, sizeof(text), "[probe.t]\n%s\n", bad[i]);
		assert_int_equal(cfg_file_read_string("t.ini", text, &file), PANTAU_OK);
		cfg_apply(file, "probe.t", agent_kind("icmp")->spec->keys, agent_kind("icmp")->spec->nkeys,
		    f->def.params);
		assert_int_equal(file->nerrors, 1);
		cfg_file_free(file);
	}
}

/* ---- tcp ---- */

static void
test_tcp_connect_ok(void **state)
{
	struct fx *f = *state;
	char target[64];
	int port;
	loopback_socket(f, 16, &port);
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	make_def(f, agent_kind("tcp"), target, NULL, 0);
	assert_int_equal(f->def.timeout_ms, 5000);
	const json_t *r = run_probe(f);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(num(r, "connect_ms") >= 0.0);
	assert_true(num(r, "connect_ms") < 5000.0);
	assert_true(num(r, "dns_ms") >= 0.0);
	assert_string_equal(str(r, "addr"), "127.0.0.1");
	assert_null(json_object_get(r, "error"));
	assert_wire_valid(r);
}

static void
test_tcp_refused(void **state)
{
	struct fx *f = *state;
	char target[64];
	int port;
	loopback_socket(f, -1, &port); /* bound, not listening: the port is ours and closed */
	snprintf(target, sizeof(target), "localhost:%d", port);
	make_def(f, agent_kind("tcp"), target, NULL, 0);
	const json_t *r = run_probe(f);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(str(r, "error"), "connection refused");
	assert_null(json_object_get(r, "connect_ms"));
	assert_wire_valid(r);
}

/* A listener whose accept queue is full (backlog 0, one connection
 * waiting) drops further SYNs: the handshake never completes. Its
 * host:port into target. */
static void
full_listener(struct fx *f, char *target, size_t len)
{
	int port;
	loopback_socket(f, 0, &port);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int filler = socket(AF_INET, SOCK_STREAM, 0);
	f->fds[3] = filler;
	assert_int_equal(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(target, len, "127.0.0.1:%d", port);
}

static void
test_tcp_timeout(void **state)
{
	struct fx *f = *state;
	char target[64];
	full_listener(f, target, sizeof(target));
	make_def(f, agent_kind("tcp"), target, NULL, 150);
	const json_t *r = run_probe(f);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(str(r, "error"), "timed out after 150 ms");
	assert_true(num(r, "dns_ms") >= 0.0);
	assert_wire_valid(r);
}

static void
test_tcp_ipv6(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sa);
	char target[64];
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	f->fds[0] = fd;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		skip(); /* no IPv6 on this machine */
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(target, sizeof(target), "[::1]:%d", ntohs(sa.sin6_port));
	make_def(f, agent_kind("tcp"), target, NULL, 0);
	const json_t *r = run_probe(f);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(r, "addr"), "::1");
	assert_wire_valid(r);
}

static void
test_tcp_unresolvable(void **state)
{
	struct fx *f = *state;
	make_def(f, agent_kind("tcp"), "nosuchhost.invalid:443", NULL, 0);
	const json_t *r = run_probe(f);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_ptr_equal(strstr(str(r, "error"), "cannot resolve host nosuchhost.invalid: "),
	    str(r, "error"));
	assert_wire_valid(r);
}

static void
test_tcp_check(void **state)
{
	struct fx *f = *state;
	char why[256];
	const char *good[] = { "example.com:443", "203.0.113.1:80", "[2001:db8::1]:443",
		"[::1]:1", "localhost:65535" };
	const char *bad[] = { "example.com", "example.com:", "example.com:0", "example.com:65536",
		"example.com:http", "[::1]", "[::1]443", "::1:80", "[nothex]:80", ":80",
		"bad host:80" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(check_target(f, agent_kind("tcp"), good[i], NULL, why, sizeof(why)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(check_target(f, agent_kind("tcp"), bad[i], NULL, why, sizeof(why)));
	check_target(f, agent_kind("tcp"), "example.com", NULL, why, sizeof(why));
	assert_non_null(strstr(why, "no port"));
	assert_int_equal(agent_kind("tcp")->spec->max_duration_ms(&f->def), 5000);
}

static void
test_tcp_cancel(void **state)
{
	struct fx *f = *state;
	char target[64];
	full_listener(f, target, sizeof(target));
	make_def(f, agent_kind("tcp"), target, NULL, 5000);
	int before = open_handles(&f->loop);
	start_probe(f, &f->run, f);
	assert_false(spin(&f->loop, &f->ndone, 100)); /* resolved, handshake hanging */
	assert_int_equal(open_handles(&f->loop), before + 2); /* timer and TCP handle */
	probe_run_cancel(&f->run);
	assert_int_equal(open_handles(&f->loop), before);
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
}

/* ---- echo (tests only) ---- */

extern const struct probe_spec probe_echo_spec;
extern const struct probe_exec probe_echo_exec;
static const struct probe_kind echo_kind = { &probe_echo_spec, &probe_echo_exec };

static void
test_echo_answers_fails_and_times_out(void **state)
{
	struct fx *f = *state;
	make_def(f, &echo_kind, "here", "delay_ms = 20", 0);
	int64_t t0 = clock_mono_ns();
	const json_t *r = run_probe(f);
	assert_true(clock_mono_ns() - t0 >= 19 * 1000000LL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "delay_ms"), 20);
	assert_wire_valid(r);
	next_probe(f);
	make_def(f, &echo_kind, "here", "fail = no luck", 0);
	r = run_probe(f);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(r, "error"), "no luck");
	next_probe(f);
	make_def(f, &echo_kind, "here", "delay_ms = 500", 30);
	r = run_probe(f);
	assert_string_equal(str(r, "error"), "timed out after 30 ms");
	assert_wire_valid(r);
}

static void
test_echo_cancel_and_check(void **state)
{
	struct fx *f = *state;
	char why[256];
	make_def(f, &echo_kind, "here", "delay_ms = 5000", 10000);
	int before = open_handles(&f->loop);
	start_probe(f, &f->run, f);
	assert_int_equal(open_handles(&f->loop), before + 1); /* its timer */
	probe_run_cancel(&f->run);
	probe_run_cancel(&f->run); /* twice is harmless */
	assert_int_equal(open_handles(&f->loop), before);
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
	assert_true(check_target(f, &echo_kind, "here", NULL, why, sizeof(why)));
	assert_false(check_target(f, &echo_kind, "not here", NULL, why, sizeof(why)));
	assert_int_equal(probe_echo_spec.max_duration_ms(&f->def), 1000);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
