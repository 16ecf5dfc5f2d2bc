/*
 * The path kind against the loopback: the destination answers at TTL 1
 * with port unreachable. Its socket-free parts: test_pathtrace.c; routers,
 * silent hops and route changes: tests/lab/pathlab.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe_harness.h"
#include "port_harness.h"
#include "agent/probes/pathtrace.h"

static void
test_path_loopback_reached(void **state)
{
	struct fx *f = *state;
	char keys[64];
	snprintf(keys, sizeof(keys), "port = %d", harness_free_port(SOCK_DGRAM));
	make_def(f, agent_kind("path"), "127.0.0.1", keys, 0);
	const json_t *r = run_probe(f);
	assert_wire_valid(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_true(json_is_true(json_object_get(r, "reached")));
	assert_string_equal(str(r, "proto"), "udp");
	assert_string_equal(str(r, "dest"), "127.0.0.1");
	const json_t *hops = json_object_get(r, "hops");
	assert_int_equal(json_array_size(hops), 1);
	const json_t *h = json_array_get(hops, 0);
	assert_int_equal((int)num(h, "ttl"), 1);
	assert_string_equal(str(h, "addr"), "127.0.0.1");
	assert_int_equal((int)num(h, "sent"), 3);
	assert_int_equal((int)num(h, "recv"), 3);
	assert_true(num(h, "rtt_p50_ms") < 100);
	struct pt_hop one = { .ttl = 1, .sent = 3, .recv = 3 };
	one.addr.s_addr = htonl(INADDR_LOOPBACK);
	char hash[17];
	pt_hash(&one, 1, hash, sizeof(hash));
	assert_string_equal(str(r, "path_hash"), hash);
	/* the train's 90 slots pass (10 ms apart), then no wait for the timeout */
	assert_true(num(r, "duration_ms") < 2500);
}

static void
test_path_more_probes_and_discard_port(void **state)
{
	struct fx *f = *state;
	make_def(f, agent_kind("path"), "127.0.0.1", "probes = 5\nport = 9", 0);
	const json_t *r = run_probe(f);
	assert_wire_valid(r);
	assert_true(json_is_true(json_object_get(r, "reached")));
	const json_t *h = json_array_get(json_object_get(r, "hops"), 0);
	assert_string_equal(str(h, "addr"), "127.0.0.1");
	assert_int_equal((int)num(h, "sent"), 5);
	assert_int_equal((int)num(h, "recv"), 5);
	assert_false(json_is_true(json_object_get(h, "rate_limited")));
}

static void
test_path_unresolvable_and_check(void **state)
{
	struct fx *f = *state;
	char why[256];
	make_def(f, agent_kind("path"), "nosuchhost.invalid", NULL, 0);
	const json_t *r = run_probe(f);
	assert_wire_valid(r);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_non_null(strstr(str(r, "error"), "cannot resolve host nosuchhost.invalid"));
	assert_true(check_target(f, agent_kind("path"), "198.18.1.2", NULL, why, sizeof(why)));
	assert_false(check_target(f, agent_kind("path"), "http://x/", NULL, why, sizeof(why)));
	assert_false(check_target(f, agent_kind("path"), "2001:db8::1", NULL, why, sizeof(why)));
	check_target(f, agent_kind("path"), "x", "max_hops = 10\nprobes = 2", why, sizeof(why));
	assert_int_equal(agent_kind("path")->spec->max_duration_ms(&f->def), 2 * 3000 + 20 * 10);
	assert_int_equal(agent_kind("path")->spec->default_interval_s, 600);
}

static void
test_path_cancel(void **state)
{
	struct fx *f = *state;
	/* A port that answers nothing would be a wait; the cancel comes first. */
	make_def(f, agent_kind("path"), "127.0.0.1", "port = 9", 5000);
	int before = open_handles(&f->loop);
	start_probe(f, &f->run, f);
	probe_run_cancel(&f->run);
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
	assert_int_equal(open_handles(&f->loop), before);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
