/* The agent's configuration file: values, defaults and every agent-specific error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_config.h"
#include "agent/probes/kinds.h"
#include "harness_files.h"

#define GOOD_AGENT                                                                   \
	"[agent]\nid = ag-3273-0001\nregion = 32.73\nsite = SMPN 2 Bandung\nlink = vsat-geo\n"

struct loaded {
	pantau_err rc;
	char *errors;
	struct agent_config cfg;
};

static void
load(const char *text, struct loaded *out)
{
	char path[HARNESS_PATH_MAX];
	harness_file(path, text);
	size_t len = 0;
	FILE *errs = open_memstream(&out->errors, &len);
	out->rc = agent_config_load(path, &out->cfg, errs);
	fclose(errs);
	unlink(path);
}

static void
unload(struct loaded *l)
{
	agent_config_clear(&l->cfg);
	free(l->errors);
}

static void
expect_error(const char *text, const char *want)
{
	struct loaded l;
	load(text, &l);
	assert_int_equal(l.rc, PANTAU_ERR_CONFIG);
	if (strstr(l.errors, want) == NULL)
		fail_msg("no \"%s\" in:\n%s", want, l.errors);
	unload(&l);
}

static void
test_retired_key_is_a_note(void **state)
{
	(void)state;
	struct loaded l;
	load(GOOD_AGENT "outbox_batches = 1440\n[probe.gw]\ntype = tcp\ntarget = 10.0.0.1:80\n",
	    &l);
	assert_int_equal(l.rc, PANTAU_OK);
	assert_non_null(strstr(l.errors, ":6: [agent] outbox_batches: no longer used"));
	unload(&l);
}

static void
test_counting_interval(void **state)
{
	(void)state;
	struct loaded l;
	/* default: half of interval */
	load(GOOD_AGENT "interval = 60\n[probe.gw]\ntype = tcp\ntarget = 10.0.0.1:80\n", &l);
	assert_int_equal(l.rc, PANTAU_OK);
	assert_int_equal(l.cfg.counting_interval_s, 30);
	unload(&l);
	/* default, but a cycle needs longer than half: what it needs */
	load(GOOD_AGENT "interval = 10\nsplay = 5\n[probe.gw]\ntype = tcp\ntarget = 10.0.0.1:80\n"
	     "timeout_ms = 8000\n", &l);
	assert_int_equal(l.rc, PANTAU_OK);
	assert_int_equal(l.cfg.counting_interval_s, 8);
	unload(&l);
	load(GOOD_AGENT "interval = 60\ncounting_interval = 15\n"
	     "[probe.gw]\ntype = tcp\ntarget = 10.0.0.1:80\n", &l);
	assert_int_equal(l.cfg.counting_interval_s, 15);
	unload(&l);
	expect_error(GOOD_AGENT "interval = 60\ncounting_interval = 90\n"
	             "[probe.gw]\ntype = tcp\ntarget = 10.0.0.1:80\n",
	    ":7: [agent] counting_interval: 90 s is longer than interval (60 s)");
	expect_error(GOOD_AGENT "interval = 60\ncounting_interval = 2\n"
	             "[probe.gw]\ntype = tcp\ntarget = 10.0.0.1:80\ntimeout_ms = 5000\n",
	    ":7: [agent] counting_interval: a cycle takes up to 5 s, longer than 2 s");
}

static void
test_good_file(void **state)
{
	(void)state;
	struct loaded l;
	load(GOOD_AGENT "latitude = -4.1\nlongitude = 138.9\ninterval = 30\n"
	     "[broker]\nhost = mqtt.example\nport = 8883\n"
	     "[probe.gw]\ntype = icmp\ntarget = 192.0.2.1\ncount = 20\n"
	     "[probe.tally]\ntype = http\ntarget = https://tally.example/ping\ninterval = 300\n"
	     "timeout_ms = 5000\n",
	    &l);
	assert_int_equal(l.rc, PANTAU_OK);
	assert_string_equal(l.errors, "");
	assert_string_equal(l.cfg.id, "ag-3273-0001");
	assert_string_equal(wire_link_names[l.cfg.link], "vsat-geo");
	assert_true(fabs(l.cfg.lat + 4.1) < 1e-9);
	assert_int_equal(l.cfg.interval_s, 30);
	assert_int_equal(l.cfg.splay_s, 30);                    /* default */
	assert_int_equal(l.cfg.outbox_max_kb, 65536);           /* 64 MB */
	assert_int_equal(l.cfg.outbox_max_age_s, 7 * 86400);
	assert_int_equal(l.cfg.outbox_retention_s, 86400);
	assert_int_equal(l.cfg.backfill_rate, 16384);
	assert_string_equal(l.cfg.broker.username, "ag-3273-0001"); /* defaults to the id */
	assert_int_equal(l.cfg.nprobes, 2);
	assert_string_equal(l.cfg.probes[0].name, "gw");
	assert_string_equal(l.cfg.probes[0].spec->kind, "icmp");
	assert_int_equal(l.cfg.probes[0].timeout_ms, 1000);     /* the kind's default */
	assert_int_equal(l.cfg.probes[1].timeout_ms, 5000);
	assert_int_equal(agent_config_probe_every(&l.cfg, &l.cfg.probes[0]), 1);
	assert_int_equal(agent_config_probe_every(&l.cfg, &l.cfg.probes[1]), 10);
	unload(&l);
}

static void
test_agent_errors(void **state)
{
	(void)state;
	const char *probe = "[probe.gw]\ntype = icmp\ntarget = 192.0.2.1\n";
	char buf[1024];
	snprintf(buf, sizeof(buf), "[agent]\nid = ag/1\nregion = 32.73\nsite = S\nlink = fiber\n%s",
	    probe);
	expect_error(buf, ":2: [agent] id: \"ag/1\" is not a valid id");
	snprintf(buf, sizeof(buf), "[agent]\nid = a\nregion = 32-73\nsite = S\nlink = fiber\n%s",
	    probe);
	expect_error(buf, ":3: [agent] region: \"32-73\" is not a regency code");
	snprintf(buf, sizeof(buf), "[agent]\nid = a\nregion = 32.73\nsite = S\nlink = dsl\n%s",
	    probe);
	expect_error(buf, ":5: [agent] link: expected one of fiber, microwave, cellular, "
	                  "vsat-geo, vsat-leo, got \"dsl\"");
	snprintf(buf, sizeof(buf), GOOD_AGENT "latitude = -6.9\n%s", probe);
	expect_error(buf, "[agent] latitude and longitude go together");
	snprintf(buf, sizeof(buf), GOOD_AGENT "latitude = 107.6\nlongitude = -6.9\n%s", probe);
	expect_error(buf, ":6: [agent] latitude: expected a number from -12 to 7");
	snprintf(buf, sizeof(buf), GOOD_AGENT "interval = 10\nsplay = 20\n%s", probe);
	expect_error(buf, "[agent] splay (20 s) is longer than interval (10 s)");
	expect_error(GOOD_AGENT, "no [probe.NAME] section");
	snprintf(buf, sizeof(buf), GOOD_AGENT "%s[broker]\nreconnect_min = 90\n"
	    "reconnect_max = 30\n", probe);
	expect_error(buf, "[broker] reconnect_min (90) is larger than reconnect_max (30)");
	snprintf(buf, sizeof(buf), GOOD_AGENT "%s[broker]\ncertfile = /etc/hostname\n", probe);
	expect_error(buf, "[broker] certfile and keyfile go together");
}

static void
test_probe_errors(void **state)
{
	(void)state;
	expect_error(GOOD_AGENT "[probe.gw]\ntarget = 192.0.2.1\n",
	    ":6: [probe.gw] type: required key is missing");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = ping\ntarget = x\n",
	    ":7: [probe.gw] type: \"ping\" is not a probe kind");
	expect_error(GOOD_AGENT "[probe.g w]\ntype = icmp\ntarget = x\n",
	    ":6: [probe.g w]: probe names are 1-63 letters");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = icmp\n",
	    ":6: [probe.gw] target: required key is missing");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = tcp\ntarget = example.org\n",
	    ":8: [probe.gw] target: ");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = http\ntarget = ftp://example.org/\n",
	    ":8: [probe.gw] target: ");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = icmp\ntarget = x\ncount = 0\n",
	    ":9: [probe.gw] count: expected a whole number from 1 to 1000, got \"0\"");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = icmp\ntarget = caf\xe9\n",
	    ":8: [probe.gw] target: \"caf\xe9\" must be UTF-8 text without control characters");
	expect_error(GOOD_AGENT "[probe.gw]\ntype = icmp\ntarget = x\nport = 80\n",
	    ":9: [probe.gw] port: unknown key");
	expect_error(GOOD_AGENT "interval = 5\n[probe.gw]\ntype = icmp\ntarget = x\n"
	                        "count = 100\n",
	    ":7: [probe.gw]: takes up to");
}

/* A path probe runs every 10 minutes unless its section says otherwise. */
static void
test_path_interval_and_keys(void **state)
{
	(void)state;
	struct loaded l;
	load(GOOD_AGENT "[probe.up]\ntype = path\ntarget = 198.18.1.2\n"
	                "[probe.up2]\ntype = path\ntarget = 198.18.1.2\ninterval = 0\n", &l);
	assert_int_equal(l.rc, PANTAU_OK);
	assert_int_equal(l.cfg.probes[0].interval_s, 600);
	assert_int_equal(l.cfg.probes[1].interval_s, 0);
	unload(&l);
	expect_error(GOOD_AGENT "[probe.up]\ntype = path\ntarget = x\nmax_hops = 31\n",
	    ":9: [probe.up] max_hops: expected a whole number from 1 to 30, got \"31\"");
	expect_error(GOOD_AGENT "[probe.up]\ntype = path\ntarget = x\nprobes = 0\n",
	    ":9: [probe.up] probes: expected a whole number from 1 to 10, got \"0\"");
	expect_error(GOOD_AGENT "[probe.up]\ntype = path\ntarget = 2001:db8::1\n",
	    ":8: [probe.up] target: a host name or IPv4 address");
	expect_error(GOOD_AGENT "[probe.up]\ntype = path\ntarget = x\nport = 0\n",
	    ":9: [probe.up] port: expected a whole number from 1 to 65535, got \"0\"");
	expect_error(GOOD_AGENT "[probe.up]\ntype = path\ntarget = x\ncount = 3\n",
	    ":9: [probe.up] count: unknown key");
}

static void
test_reference_lists_every_kind(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	agent_config_reference(fp);
	fclose(fp);
	for (size_t i = 0; probe_kinds[i].spec != NULL; i++) {
		char want[64];
		snprintf(want, sizeof(want), "type = %s", probe_kinds[i].spec->kind);
		assert_non_null(strstr(buf, want));
	}
	assert_non_null(strstr(buf, "| `outbox_max_kb` |"));
	free(buf);
}

#include "unit_main.h"
