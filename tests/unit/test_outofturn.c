/*
 * Probes run out of their turn (agent/outofturn.c) with the path kind's
 * trigger keys: another probe's loss or RTT p95 past them marks the trace
 * due at the next cycle, at most once per trigger_gap_s since its last run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probe_harness.h"
#include "agent/outofturn.h"

/* A config whose only probe is a path probe with these keys. */
static struct agent_config *
path_config(struct fx *f, const char *keys)
{
	struct agent_config *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	make_def(f, agent_kind("path"), "198.18.1.2", keys, 0);
	c->probes[0] = f->def;
	c->nprobes = 1;
	return c;
}

static bool
judged_due(struct outofturn *o, const struct agent_config *c, const char *results,
    int64_t now_ms)
{
	json_t *r = json_loads(results, 0, NULL);
	assert_non_null(r);
	oot_judge(o, c, r, now_ms);
	json_decref(r);
	return oot_take(o, 0);
}

static void
test_oot_loss_runs_the_trace_once_per_gap(void **state)
{
	struct outofturn o;
	struct agent_config *c = path_config(*state, "trigger_gap_s = 60");
	const char *bad = "[{\"probe\":\"icmp\",\"target\":\"198.18.1.2\",\"loss_pct\":20},"
	                  "{\"probe\":\"tcp\",\"target\":\"198.18.1.2:80\",\"ok\":true}]";
	oot_reset(&o);
	assert_true(judged_due(&o, c, bad, 1000));    /* no run yet: no bound */
	assert_false(oot_take(&o, 0));                /* taken once */
	oot_ran(&o, 0, 1000);
	assert_false(judged_due(&o, c, bad, 30000));  /* 29 s after its run */
	assert_false(judged_due(&o, c, bad, 60999));
	assert_true(judged_due(&o, c, bad, 61000));   /* 60 s after */
	oot_ran(&o, 0, 61000);
	/* a run in turn counts as its last run too */
	oot_ran(&o, 0, 100000);
	assert_false(judged_due(&o, c, bad, 130000));
	/* a reload's probes start afresh */
	oot_reset(&o);
	assert_true(judged_due(&o, c, bad, 130000));
	free(c);
}

static void
test_oot_what_does_not_trigger(void **state)
{
	struct outofturn o;
	struct agent_config *c = path_config(*state, "trigger_rtt_ms = 150");
	oot_reset(&o);
	/* at the bound is within it; the path kind's own results do not count */
	assert_false(judged_due(&o, c, "[{\"probe\":\"icmp\",\"loss_pct\":2,"
	                               "\"rtt_ms\":{\"p95\":150}}]", 1000));
	assert_false(judged_due(&o, c, "[{\"probe\":\"path\",\"loss_pct\":50,"
	                               "\"rtt_ms\":{\"p95\":900}}]", 1000));
	assert_false(judged_due(&o, c, "[]", 1000));
	assert_false(judged_due(&o, c, "[{\"probe\":\"stamp\",\"loss_pct\":\"x\"}]", 1000));
	/* RTT p95 past trigger_rtt_ms, whatever the kind */
	assert_true(judged_due(&o, c, "[{\"probe\":\"stamp\",\"target\":\"r:862\","
	                              "\"loss_pct\":0,\"rtt_ms\":{\"p95\":151}}]", 1000));
	free(c);
}

static void
test_oot_triggers_off(void **state)
{
	struct outofturn o;
	struct agent_config *c = path_config(*state, "trigger_loss_pct = 0");
	oot_reset(&o);
	/* trigger_rtt_ms is 0 (off) by default, trigger_loss_pct set off */
	assert_false(judged_due(&o, c, "[{\"probe\":\"icmp\",\"loss_pct\":100,"
	                               "\"rtt_ms\":{\"p95\":5000}}]", 1000));
	free(c);
}

static void
test_oot_default_keys(void **state)
{
	struct outofturn o;
	struct agent_config *c = path_config(*state, "");
	oot_reset(&o);
	oot_ran(&o, 0, 0);
	/* trigger_loss_pct 2, trigger_gap_s 300 */
	const char *lossy = "[{\"probe\":\"icmp\",\"loss_pct\":2.5}]";
	assert_false(judged_due(&o, c, lossy, 299999));
	assert_true(judged_due(&o, c, lossy, 300000));
	free(c);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
