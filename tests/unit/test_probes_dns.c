/*
 * The dns probe kind against a real dnsmasq on loopback (started once for
 * the file; skipped when dnsmasq is not installed): an answer, NXDOMAIN,
 * REFUSED (a name dnsmasq has no upstream for), a truncated reply, a
 * resolver that never answers and a port with nothing behind it. Also the
 * reply-header parser and the resolver lists (dnsreply.c, dnsservers.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "probe_harness.h"
#include "agent/probes/dnsreply.h"
#include "agent/probes/dnsservers.h"
#include "harness_files.h"
#include "port_harness.h"

/* The one dnsmasq of this file (a test's fixture, not product state). */
static pid_t dnsmasq_pid = -1;
static int dnsmasq_port;

/* dnsmasq answers a query on the port within ms. */
static bool
dnsmasq_ready(int port, int ms)
{
	unsigned char *q = NULL, buf[512];
	int qlen = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 0, 50000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ares_create_query("ok.pantau.test", 1, 1, 7, 1, &q, &qlen, 0);
	bool ok = false;
	for (int i = 0; i < ms / 50 && !ok; i++) {
		sendto(fd, q, (size_t)qlen, 0, (struct sockaddr *)&sa, sizeof(sa));
		ok = recv(fd, buf, sizeof(buf), 0) > 0;
	}
	ares_free_string(q);
	close(fd);
	return ok;
}

static int
group_setup(void **state)
{
	char port[32];
	(void)state;
	dnsmasq_port = harness_free_port(SOCK_DGRAM);
	snprintf(port, sizeof(port), "--port=%d", dnsmasq_port);
	dnsmasq_pid = fork();
	if (dnsmasq_pid == 0) {
		char *argv[40] = { "dnsmasq", "--no-daemon", port, "--listen-address=127.0.0.1",
			"--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
			"--pid-file=", "--log-facility=/dev/null",
			"--address=/ok.pantau.test/198.18.0.7", "--address=/nx.pantau.test/" };
		static char txt[12][96];
		int n = 12;
		for (int i = 0; i < 12; i++) {
			snprintf(txt[i], sizeof(txt[i]), "--txt-record=big.pantau.test,%064d", i);
			argv[n++] = txt[i];
		}
		argv[n] = NULL;
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execvp("dnsmasq", argv);
		_exit(127);
	}
	if (!dnsmasq_ready(dnsmasq_port, 5000)) {
		kill(dnsmasq_pid, SIGTERM);
		waitpid(dnsmasq_pid, NULL, 0);
		dnsmasq_pid = -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGTERM);
		waitpid(dnsmasq_pid, NULL, 0);
	}
	return 0;
}

static const json_t *
run_dns(struct fx *f, const char *name, const char *record, int port, const char *more,
    int timeout_ms)
{
	char keys[256];
	if (dnsmasq_pid < 0)
		skip();
	snprintf(keys, sizeof(keys), "record = %s\nresolvers = 127.0.0.1:%d\n%s", record, port,
	    more != NULL ? more : "");
	make_def(f, agent_kind("dns"), name, keys, timeout_ms);
	return run_probe(f);
}

static void
test_dns_answer(void **state)
{
	struct fx *f = *state;
	const json_t *r = run_dns(f, "ok.pantau.test", "A", dnsmasq_port, "count = 4", 2000);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "sent"), 4);
	assert_int_equal((int)num(r, "recv"), 4);
	assert_true(num(r, "loss_pct") == 0.0);
	assert_string_equal(str(r, "rcode"), "NOERROR");
	assert_int_equal((int)num(r, "answers"), 1);
	assert_false(json_is_true(json_object_get(r, "truncated")));
	assert_false(json_is_true(json_object_get(r, "ad")));
	assert_string_equal(str(r, "record"), "A");
	const json_t *t = json_object_get(r, "time_ms");
	assert_true(num(t, "min") >= 0 && num(t, "min") <= num(t, "p50"));
	assert_true(num(t, "p50") <= num(t, "p95") && num(t, "p95") <= num(t, "max"));
	assert_true(num(t, "max") < 2000);
	assert_null(json_object_get(r, "error"));
	assert_wire_valid(r);
}

static void
test_dns_nxdomain(void **state)
{
	struct fx *f = *state;
	const json_t *r = run_dns(f, "nx.pantau.test", "AAAA", dnsmasq_port, NULL, 2000);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "recv"), 3);
	assert_string_equal(str(r, "rcode"), "NXDOMAIN");
	assert_int_equal((int)num(r, "answers"), 0);
	assert_string_equal(str(r, "error"), "NXDOMAIN: nx.pantau.test does not exist");
	assert_wire_valid(r);
}

static void
test_dns_refused(void **state)
{
	struct fx *f = *state;
	const json_t *r = run_dns(f, "other.example", "A", dnsmasq_port, "tries = 1", 2000);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_int_equal((int)num(r, "recv"), 3); /* an answer, not a loss */
	assert_string_equal(str(r, "rcode"), "REFUSED");
	assert_non_null(strstr(str(r, "error"), "REFUSED"));
	assert_wire_valid(r);
}

static void
test_dns_truncated(void **state)
{
	struct fx *f = *state;
	const json_t *r = run_dns(f, "big.pantau.test", "TXT", dnsmasq_port,
	    "edns = 0\ncount = 1", 2000);
	assert_true(json_is_true(json_object_get(r, "truncated")));
	assert_int_equal((int)num(r, "recv"), 1);
	assert_wire_valid(r);
	next_probe(f);
	r = run_dns(f, "big.pantau.test", "TXT", dnsmasq_port, "edns = 4096\ncount = 1", 2000);
	assert_false(json_is_true(json_object_get(r, "truncated")));
	assert_int_equal((int)num(r, "answers"), 12);
}

static void
test_dns_silent_resolver_times_out(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa; /* a socket that never answers */
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	f->fds[0] = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	int64_t t0 = clock_mono_ns();
	const json_t *r = run_dns(f, "ok.pantau.test", "A", ntohs(sa.sin_port), "count = 2", 300);
	int64_t took = clock_mono_ns() - t0;
	assert_int_equal((int)num(r, "recv"), 0);
	assert_true(num(r, "loss_pct") == 100.0);
	assert_null(json_object_get(r, "time_ms"));
	assert_non_null(strstr(str(r, "error"), "no reply from 127.0.0.1:"));
	assert_true(took >= 2 * 280 * 1000000LL && took < 2 * 600 * 1000000LL);
	assert_wire_valid(r);
}

static void
test_dns_nothing_on_the_port(void **state)
{
	struct fx *f = *state;
	int port = harness_free_port(SOCK_DGRAM);
	const json_t *r = run_dns(f, "ok.pantau.test", "A", port, "count = 1", 1000);
	assert_int_equal((int)num(r, "recv"), 0);
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_non_null(str(r, "error"));
	assert_wire_valid(r);
}

static void
test_dns_cancel_leaves_nothing(void **state)
{
	struct fx *f = *state;
	if (dnsmasq_pid < 0)
		skip();
	int before = open_handles(&f->loop);
	make_def(f, agent_kind("dns"), "ok.pantau.test", "resolvers = 127.0.0.1:9", 1000);
	start_probe(f, &f->run, f);
	probe_run_cancel(&f->run);
	assert_false(spin(&f->loop, &f->ndone, 50));
	assert_int_equal(f->ndone, 0);
	assert_int_equal(open_handles(&f->loop), before);
}

static void
test_dns_reply_header(void **state)
{
	(void)state;
	struct dnsreply r;
	char name[16];
	unsigned char h[12] = { 0x12, 0x34, 0x82, 0x23, 0, 1, 0, 2, 0, 0, 0, 0 };
	assert_true(dnsreply_parse(h, sizeof(h), &r));
	assert_int_equal(r.id, 0x1234);
	assert_true(r.truncated);
	assert_true(r.authentic);
	assert_int_equal(r.rcode, 3);
	assert_int_equal(r.answers, 2);
	assert_false(dnsreply_parse(h, 11, &r));
	h[2] = 0x02; /* a query */
	assert_false(dnsreply_parse(h, sizeof(h), &r));
	assert_string_equal(dnsreply_rcode_name(5, name, sizeof(name)), "REFUSED");
	assert_string_equal(dnsreply_rcode_name(12, name, sizeof(name)), "RCODE12");
}

static void
test_dns_server_lists(void **state)
{
	(void)state;
	struct dnsservers s;
	char why[256];
	assert_true(dnsservers_parse("198.18.0.1:5353, [2001:db8::53]:53,198.18.0.2", &s, why,
	    sizeof(why)));
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "198.18.0.1:5353");
	assert_string_equal(s.text[1], "[2001:db8::53]:53");
	assert_string_equal(s.text[2], "198.18.0.2:53");
	assert_ptr_equal(s.node[0].next, &s.node[1]);
	assert_null(s.node[2].next);
	assert_false(dnsservers_parse("198.18.0.1:0", &s, why, sizeof(why)));
	assert_false(dnsservers_parse("resolver.example", &s, why, sizeof(why)));
	assert_non_null(strstr(why, "not a resolver address"));
	assert_false(dnsservers_parse("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", &s, why, sizeof(why)));
	char path[HARNESS_PATH_MAX];
	harness_file(path, "# x\nsearch example\nnameserver 198.18.0.9\nnameserver fe80::1%eth0\n"
	                   "nameserver ::1\n");
	assert_true(dnsservers_read_conf(path, &s, why, sizeof(why)));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.text[1], "[::1]:53");
	unlink(path);
	assert_false(dnsservers_read_conf(path, &s, why, sizeof(why)));
	assert_non_null(strstr(why, "cannot read"));
}

static void
test_dns_checks(void **state)
{
	struct fx *f = *state;
	char why[256];
	const struct probe_kind *k = agent_kind("dns");
	assert_true(check_target(f, k, "tally.kpu.go.id", NULL, why, sizeof(why)));
	assert_true(check_target(f, k, ".", NULL, why, sizeof(why)));
	assert_false(check_target(f, k, "bad..name", NULL, why, sizeof(why)));
	assert_false(check_target(f, k, "https://x.example/", NULL, why, sizeof(why)));
	assert_int_equal(k->spec->max_duration_ms(&f->def), 3 * 2000);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#define UNIT_GROUP_SETUP group_setup
#define UNIT_GROUP_TEARDOWN group_teardown
#include "unit_main.h"
