/*
 * The path kind: traces against the loopback (the destination answers at
 * TTL 1 with port unreachable), and its pure parts (pathtrace.h): the
 * error queue's messages, rate limiting, the hash. Routers, silent hops
 * and route changes: tests/lab/pathlab.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/ip_icmp.h>

#include "probe_harness.h"
#include "agent/probes/pathtrace.h"

/* A UDP port on 127.0.0.1 that nobody listens on (bound, then closed). */
static int
free_udp_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void
test_path_loopback_reached(void **state)
{
	struct fx *f = *state;
	char keys[64];
	snprintf(keys, sizeof(keys), "port = %d", free_udp_port());
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
	struct pt_hop one = { .ttl = 1, .addr = "127.0.0.1" };
	char hash[17];
	pathtrace_hash(&one, 1, hash);
	assert_string_equal(str(r, "path_hash"), hash);
	assert_true(num(r, "duration_ms") < 1000); /* no hop waited for its timeout */
}

static void
test_path_loopback_ipv6_and_probes(void **state)
{
	struct fx *f = *state;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	make_def(f, agent_kind("path"), "::1", "probes = 5\nport = 9", 0);
	const json_t *r = run_probe(f);
	assert_wire_valid(r);
	assert_true(json_is_true(json_object_get(r, "reached")));
	const json_t *h = json_array_get(json_object_get(r, "hops"), 0);
	assert_string_equal(str(h, "addr"), "::1");
	assert_int_equal((int)num(h, "recv"), 5);
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
	assert_non_null(strstr(why, "looks like a URL"));
	assert_false(check_target(f, agent_kind("path"), "a b", NULL, why, sizeof(why)));
	check_target(f, agent_kind("path"), "x", "budget_ms = 5000", why, sizeof(why));
	assert_int_equal(agent_kind("path")->spec->max_duration_ms(&f->def), 3000 + 5000 + 1000);
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
	f->def.exec->cancel(&f->run);
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
	assert_int_equal(open_handles(&f->loop), before);
}

/* ---- the pure parts ---- */

/* An error-queue message: an extended error from offender, and a time stamp. */
static void
make_msg(struct msghdr *m, uint8_t *control, size_t clen, uint8_t origin, uint8_t type,
    uint8_t code, const char *offender)
{
	memset(control, 0, clen);
	memset(m, 0, sizeof(*m));
	m->msg_control = control;
	m->msg_controllen = clen;
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	struct sock_extended_err ee = { .ee_origin = origin, .ee_type = type, .ee_code = code };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	inet_pton(AF_INET, offender, &sa.sin_addr);
	c->cmsg_level = SOL_IP;
	c->cmsg_type = IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(sa));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &sa, sizeof(sa));
	struct cmsghdr *t = CMSG_NXTHDR(m, c);
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 5 };
	t->cmsg_level = SOL_SOCKET;
	t->cmsg_type = SCM_TIMESTAMPNS;
	t->cmsg_len = CMSG_LEN(sizeof(ts));
	memcpy(CMSG_DATA(t), &ts, sizeof(ts));
	m->msg_controllen = CMSG_SPACE(sizeof(ee) + sizeof(sa)) + CMSG_SPACE(sizeof(ts));
}

static void
test_pathtrace_parse(void **state)
{
	(void)state;
	uint8_t control[256] __attribute__((aligned(8)));
	uint8_t payload[PT_PAYLOAD];
	struct msghdr m;
	struct pt_answer a;
	pathtrace_payload(payload, 0xdeadbeef, 300, 7);
	make_msg(&m, control, sizeof(control), SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED,
	    ICMP_EXC_TTL, "198.18.0.1");
	assert_true(pathtrace_parse(&m, payload, sizeof(payload), &a));
	assert_int_equal(a.kind, PT_TIME_EXCEEDED);
	assert_string_equal(a.addr, "198.18.0.1");
	assert_true(a.has_id);
	assert_int_equal(a.cookie, 0xdeadbeef);
	assert_int_equal(a.index, 300);
	assert_int_equal(a.ttl, 7);
	assert_true(a.real_ns == 1700000000LL * 1000000000 + 5);
	/* a router that quotes 8 bytes of UDP: no payload, no id */
	assert_true(pathtrace_parse(&m, payload, 0, &a));
	assert_false(a.has_id);
	make_msg(&m, control, sizeof(control), SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH,
	    ICMP_PORT_UNREACH, "198.18.1.2");
	assert_true(pathtrace_parse(&m, payload, sizeof(payload), &a));
	assert_int_equal(a.kind, PT_PORT_UNREACH);
	make_msg(&m, control, sizeof(control), SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH,
	    ICMP_HOST_UNREACH, "198.18.1.2");
	assert_true(pathtrace_parse(&m, payload, sizeof(payload), &a));
	assert_int_equal(a.kind, PT_UNREACH);
	make_msg(&m, control, sizeof(control), SO_EE_ORIGIN_LOCAL, 0, 0, "198.18.1.2");
	assert_true(pathtrace_parse(&m, payload, sizeof(payload), &a));
	assert_int_equal(a.kind, PT_NONE);
	/* a cut control buffer: the error's cmsg overruns it */
	make_msg(&m, control, sizeof(control), SO_EE_ORIGIN_ICMP, ICMP_TIME_EXCEEDED,
	    ICMP_EXC_TTL, "198.18.0.1");
	m.msg_controllen = CMSG_LEN(sizeof(struct sock_extended_err)) - 1;
	assert_false(pathtrace_parse(&m, payload, sizeof(payload), &a));
	m.msg_controllen = 0;
	assert_false(pathtrace_parse(&m, payload, sizeof(payload), &a));
}

static void
test_pathtrace_rate_limits_and_hash(void **state)
{
	(void)state;
	struct pt_hop h[5] = {
		{ .ttl = 1, .sent = 3, .recv = 3, .addr = "198.18.0.1" },
		{ .ttl = 2, .sent = 3, .recv = 1, .addr = "198.18.0.5" },  /* later hop clean */
		{ .ttl = 3, .sent = 3, .recv = 0 },                        /* silent: not limiting */
		{ .ttl = 4, .sent = 3, .recv = 3, .addr = "198.18.0.9" },
		{ .ttl = 5, .sent = 3, .recv = 2, .addr = "198.18.1.2" },  /* loss to the end */
	};
	pathtrace_rate_limits(h, 5);
	assert_false(h[0].rate_limited);
	assert_true(h[1].rate_limited);
	assert_false(h[2].rate_limited);
	assert_false(h[3].rate_limited);
	assert_false(h[4].rate_limited);
	char a[17], b[17];
	/* FNV-1a 64 of "" is its offset basis; of "*\n" by hand */
	pathtrace_hash(h, 0, a);
	assert_string_equal(a, "cbf29ce484222325");
	pathtrace_hash(&h[2], 1, a);
	uint64_t x = 0xcbf29ce484222325ULL;
	x = (x ^ '*') * 0x100000001b3ULL;
	x = (x ^ '\n') * 0x100000001b3ULL;
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)x);
	assert_string_equal(a, b);
	pathtrace_hash(h, 5, a);
	snprintf(h[3].addr, sizeof(h[3].addr), "198.18.0.13");
	pathtrace_hash(h, 5, b);
	assert_string_not_equal(a, b); /* a new hop: a new path */
	json_t *arr = pathtrace_hops_json(h, 5);
	const json_t *silent = json_array_get(arr, 2);
	assert_null(json_object_get(silent, "addr"));
	assert_null(json_object_get(silent, "rtt_p50_ms"));
	assert_true(json_number_value(json_object_get(silent, "loss_pct")) == 100);
	assert_true(json_number_value(json_object_get(json_array_get(arr, 1), "loss_pct")) ==
	            66.667);
	json_decref(arr);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
