/*
 * The passive probe kind (agent/probes/passive.c) and its destination
 * groups (passive_groups.c): the groups and local keys, which end is the
 * site's, the capture filter, the keys through the real config path; and a
 * run capturing on the loopback interface while a TCP connection to a
 * group's destination opens, carries data and closes. Capturing needs
 * CAP_NET_RAW: without it that test is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe_harness.h"
#include <pcap/pcap.h>

#include "agent/probes/passive_groups.h"

static void
test_groups_parse(void **state)
{
	struct pg_config c = { 0 };
	char why[256];
	(void)state;
	assert_true(pg_parse_groups("tally 198.18.5.0/24:443 198.18.6.7:443, portal "
	    "203.0.113.0/24 [2001:db8::/32]:443", &c, why, sizeof(why)));
	assert_int_equal(c.ngroups, 2);
	assert_string_equal(c.group[0].name, "tally");
	assert_int_equal(c.group[0].ndest, 2);
	assert_int_equal(c.group[0].dest[0].len, 24);
	assert_int_equal(c.group[0].dest[0].port, 443);
	assert_int_equal(c.group[0].dest[1].len, 32);
	assert_int_equal(c.group[1].dest[0].port, 0);
	assert_int_equal(c.group[1].dest[1].family, 6);
	assert_int_equal(c.group[1].dest[1].port, 443);
	assert_true(pg_parse_groups("", &c, why, sizeof(why)));
	assert_int_equal(c.ngroups, 0);
	const char *bad[] = { "tally", "tally 198.18.5.0/33", "other 198.18.5.1",
		"tally 198.18.5.1:0", "tally 198.18.5.1, tally 198.18.5.2", "t@lly 198.18.5.1",
		"tally 198.18.5.1:443:1", "tally [2001:db8::1", "a 1.1.1.1, b 1.1.1.2, c 1.1.1.3, "
		"d 1.1.1.4, e 1.1.1.5, f 1.1.1.6, g 1.1.1.7, h 1.1.1.8, i 1.1.1.9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_false(pg_parse_groups(bad[i], &c, why, sizeof(why)));
		assert_true(strlen(why) > 0);
	}
	assert_true(pg_parse_local("192.168.1.0/24, 2001:db8:1::/48", &c, why, sizeof(why)));
	assert_int_equal(c.nlocal, 2);
	assert_false(pg_parse_local("192.168.1.0/24:80", &c, why, sizeof(why)));
}

static struct pd_packet
packet(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct pd_packet p = { .family = 4, .proto = 6, .sport = sport, .dport = dport };
	inet_pton(AF_INET, src, p.src);
	inet_pton(AF_INET, dst, p.dst);
	return p;
}

static void
test_classify(void **state)
{
	struct pg_config c = { 0 };
	char why[256];
	bool site = false;
	(void)state;
	assert_true(pg_parse_groups("tally 198.18.5.0/24:443", &c, why, sizeof(why)));
	assert_true(pg_parse_local("192.168.1.0/24", &c, why, sizeof(why)));
	struct pd_packet p = packet("192.168.1.9", 40000, "198.18.5.20", 443);
	assert_int_equal(pg_classify(&c, &p, &site), 0);
	assert_true(site);
	p = packet("198.18.5.20", 443, "192.168.1.9", 40000);
	assert_int_equal(pg_classify(&c, &p, &site), 0);
	assert_false(site);
	p = packet("198.18.5.20", 80, "192.168.1.9", 40000); /* another port: other */
	assert_int_equal(pg_classify(&c, &p, &site), 1);
	assert_false(site);
	/* connections opened from outside: the local end is still the site */
	p = packet("203.0.113.5", 50000, "192.168.1.9", 22);
	assert_int_equal(pg_classify(&c, &p, &site), 1);
	assert_false(site);
	/* no local prefix: a group's end is the far end */
	c.nlocal = 0;
	p = packet("10.0.0.1", 40000, "198.18.5.1", 443);
	assert_int_equal(pg_classify(&c, &p, &site), 0);
	assert_true(site);
}

static void
test_filter(void **state)
{
	struct pg_config c = { 0 };
	char why[256], f[PG_FILTER_MAX];
	(void)state;
	assert_true(pg_parse_groups("tally 198.18.5.0/24:443 198.18.6.7", &c, why, sizeof(why)));
	assert_true(pg_filter(&c, true, false, f, sizeof(f)));
	assert_string_equal(f, "(tcp or udp port 53)");
	assert_true(pg_filter(&c, false, false, f, sizeof(f)));
	assert_string_equal(f, "((tcp or udp) and ((net 198.18.5.0/24 and port 443) or "
	    "(net 198.18.6.7/32)))");
	assert_true(pg_filter(&c, true, true, f, sizeof(f)));
	assert_string_equal(f, "(tcp or udp port 53) or (vlan and (tcp or udp port 53))");
	assert_false(pg_filter(&c, false, true, f, 20));
}

static void
test_keys(void **state)
{
	struct fx *f = *state;
	char why[256];
	const struct probe_kind *k = agent_kind("passive");
	assert_true(check_target(f, k, "eth0", "groups = tally 198.18.5.0/24:443\nwindow = 10",
	    why, sizeof(why)));
	assert_int_equal(k->spec->max_duration_ms(&f->def), 10500);
	assert_false(check_target(f, k, "eth0/1", NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "interface name"));
	assert_false(check_target(f, k, "averyveryverylongname", NULL, why, sizeof(why)));
}

/* The keys' own checks, as the config reports them. */
static void
test_bad_keys(void **state)
{
	struct cfg_file *file = NULL;
	(void)state;
	const struct probe_spec *spec = agent_kind("passive")->spec;
	void *params = calloc(1, spec->params_size);
	assert_int_equal(cfg_file_read_string("t.ini", "[probe.p]\ngroups = tally\n"
	    "local = 10.0.0.0/8:80\nmax_flows = 1\n", &file), PANTAU_OK);
	cfg_apply(file, "probe.p", spec->keys, spec->nkeys, params);
	assert_int_equal(file->nerrors, 3);
	cfg_file_free(file);
	free(params);
}

static bool
can_capture(void)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_create("lo", err);
	bool ok = pc != NULL && pcap_activate(pc) >= 0;
	if (pc != NULL)
		pcap_close(pc);
	return ok;
}

static const json_t *
group_named(const json_t *all, const char *name)
{
	size_t i;
	const json_t *r;
	json_array_foreach(all, i, r)
		if (strcmp(json_string_value(json_object_get(r, "target")), name) == 0)
			return r;
	fail_msg("no result for group %s", name);
	return NULL;
}

/* Connect to the listener, write, read the echo-less close; on the loop. */
static void
talk(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
}

static void
test_capture_lo(void **state)
{
	struct fx *f = *state;
	char keys[128];
	int port = 0;
	if (!can_capture())
		skip();
	int lfd = loopback_socket(f, 8, &port);
	snprintf(keys, sizeof(keys), "groups = svc 127.0.0.1/32:%d\nwindow = 1", port);
	make_def(f, agent_kind("passive"), "lo", keys, 0);
	start_probe(f, &f->run, f);
	for (int i = 0; i < 3; i++) {
		talk(port);
		int c = accept(lfd, NULL, NULL);
		assert_true(c >= 0);
		close(c);
	}
	assert_true(spin(&f->loop, &f->ndone, DEADLINE_MS));
	assert_true(json_is_array(f->result));
	assert_int_equal(json_array_size(f->result), 2);
	const json_t *svc = group_named(f->result, "svc");
	group_named(f->result, "other");
	assert_true(json_is_true(json_object_get(svc, "ok")));
	assert_string_equal(str(svc, "interface"), "lo");
	assert_int_equal(num(svc, "flows"), 3);
	assert_int_equal(num(svc, "handshakes"), 3);
	assert_true(num(json_object_get(svc, "handshake_ms"), "p50") >= 0);
	assert_true(num(svc, "segments") >= 3);
	assert_true(num(svc, "bytes") > 0);
	assert_int_equal(num(svc, "retrans"), 0);
	assert_int_equal(num(svc, "syn_unanswered"), 0);
	size_t i;
	const json_t *r;
	json_array_foreach(f->result, i, r)
		assert_wire_valid(r);
}

static void
test_no_interface(void **state)
{
	struct fx *f = *state;
	make_def(f, agent_kind("passive"), "nosuch0", "window = 1", 0);
	start_probe(f, &f->run, f);
	assert_true(spin(&f->loop, &f->ndone, DEADLINE_MS));
	assert_true(json_is_object(f->result));
	assert_true(json_is_false(json_object_get(f->result, "ok")));
	const char *e = str(f->result, "error");
	assert_true(strstr(e, "no interface nosuch0") != NULL ||
	    strstr(e, "no permission") != NULL);
	assert_wire_valid(f->result);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
