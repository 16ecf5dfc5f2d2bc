/* The status engine with an injected clock over a real SQLite store:
 * hysteresis per site, link types, liveness, restart grace, roll-ups,
 * baselines, profiles and what survives a restart. */
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

#include "result_harness.h"
#include "catalog.h"
#include "db_harness.h"
#include "clock.h"
#include "collector/alerts/alerts.h"
#include "collector/alerts/alertstate.h"
#include "collector/status/engine.h"
#include "collector/store/store.h"

#define T0 1700000000000LL
#define SEC 1000LL
#define MIN 60000LL
#define MAX_EVENTS 64

struct fixture {
	struct db_fixture fx;
	struct statusdb *sdb;
	struct profiles *prof;
	struct engine *e;
	struct engine_opts o;
	int64_t seq;
	int nev;
	struct { char key[80]; enum site_status from, to; bool risk_to; char reason[320]; } ev[MAX_EVENTS];
};

static void
on_event(void *ctx, const struct engine_event *ev)
{
	struct fixture *f = ctx;
	if (f->nev >= MAX_EVENTS)
		return;
	snprintf(f->ev[f->nev].key, sizeof(f->ev[0].key), "%s%s", ev->regency_scope ? "reg:" : "",
	    ev->key);
	f->ev[f->nev].from = ev->from;
	f->ev[f->nev].to = ev->to;
	f->ev[f->nev].risk_to = ev->at_risk_to;
	snprintf(f->ev[f->nev].reason, sizeof(f->ev[0].reason), "%s", ev->reason);
	f->nev++;
}

static void
start_engine(struct fixture *f, int64_t now)
{
	f->e = engine_new(&f->o, f->fx.cat, f->prof, f->sdb, now);
	assert_non_null(f->e);
	engine_on_event(f->e, on_event, f);
	assert_int_equal(engine_load(f->e), PANTAU_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	db_fixture_open(&f->fx, "engine", 1000);
	assert_int_equal(statusdb_open(store_db(f->fx.store), &f->sdb), PANTAU_OK);
	f->o = harness_engine_opts();
	start_engine(f, T0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	engine_free(f->e);
	statusdb_close(f->sdb);
	profiles_free(f->prof);
	db_fixture_close(&f->fx);
	free(f);
	return 0;
}

/* A birth message of boot of agent in regency with link and interval 20 s. */
static void
birth_of(struct fixture *f, const char *regency, const char *agent, const char *link,
    int64_t boot, int64_t t)
{
	struct wire_status st = { .online = true, .agent = agent, .boot = boot, .ts_ms = t,
		.link = link, .interval_s = 20, .lat = NAN, .lon = NAN };
	assert_int_equal(store_status(f->fx.store, regency, agent, &st, t), PANTAU_OK);
	engine_status(f->e, regency, agent, &st, t);
}

static void
birth(struct fixture *f, const char *regency, const char *agent, const char *link, int64_t t)
{
	birth_of(f, regency, agent, link, 1, t);
}

static void
will(struct fixture *f, const char *regency, const char *agent, int64_t t)
{
	struct wire_status st = { .online = false, .agent = agent, .boot = 1, .ts_ms = -1,
		.reason = "lost", .interval_s = -1, .lat = NAN, .lon = NAN };
	engine_status(f->e, regency, agent, &st, t);
}

/* A batch (boot, seq) with one icmp train of 50 packets measured at ts,
 * received at t. */
static void
icmp_seq(struct fixture *f, const char *regency, const char *agent, int64_t boot, int64_t seq,
    int64_t t, int64_t ts, int lost, double p95)
{
	struct wire_result r;
	icmp_train(&r, 50, lost, p95, 1);
	struct wire_batch b = one_result_batch(agent, seq, ts, &r);
	b.boot = boot;
	assert_int_equal(store_batch(f->fx.store, regency, &b, t), PANTAU_OK);
	engine_batch(f->e, regency, &b, t);
}

/* The next seq of boot 1, measured at ts. */
static void
icmp_at(struct fixture *f, const char *regency, const char *agent, int64_t t, int64_t ts,
    int lost, double p95)
{
	icmp_seq(f, regency, agent, 1, ++f->seq, t, ts, lost, p95);
}

static void
icmp(struct fixture *f, const char *regency, const char *agent, int64_t t, int lost, double p95)
{
	icmp_at(f, regency, agent, t, t, lost, p95);
}

static enum site_status
shown(struct fixture *f, const char *agent, int64_t now)
{
	struct engine_site_view v;
	assert_true(engine_site(f->e, agent, now, &v));
	return v.status;
}

static void
test_degrade_and_recover(void **state)
{
	struct fixture *f = *state;
	const char *ag = "ag-3273-0001";
	birth(f, "32.73", ag, "fiber", T0);
	assert_int_equal(shown(f, ag, T0), SITE_UNKNOWN);
	icmp(f, "32.73", ag, T0 + 20 * SEC, 0, 20);
	assert_int_equal(shown(f, ag, T0), SITE_OK);        /* first result shown at once */
	/* windows of 60 s, one batch every 20 s: 10 of 50 lost is 20 % for
	 * the window holding only it */
	icmp(f, "32.73", ag, T0 + 80 * SEC + 1, 10, 20);
	assert_int_equal(shown(f, ag, T0), SITE_OK);        /* one bad window */
	icmp(f, "32.73", ag, T0 + 100 * SEC, 10, 20);
	assert_int_equal(shown(f, ag, T0), SITE_CRITICAL);  /* two: entered */
	assert_string_equal(f->ev[f->nev - 1].reason, "loss 20 % above 10 %");
	int before = f->nev;
	/* good batches: the 60 s window still holds bad ones for a while, so
	 * the way back is CRITICAL (13 %), DEGRADED (6.7 %), then OK; three
	 * better windows are needed for each step, to the worst of them */
	int64_t t = T0 + 120 * SEC;
	for (int i = 0; i < 4; i++, t += 20 * SEC)
		icmp(f, "32.73", ag, t, 0, 20);
	assert_int_equal(shown(f, ag, t), SITE_DEGRADED);
	for (int i = 0; i < 3; i++, t += 20 * SEC)
		icmp(f, "32.73", ag, t, 0, 20);
	assert_int_equal(shown(f, ag, t), SITE_OK);
	assert_int_equal(f->nev, before + 2);
	assert_int_equal(f->ev[before].from, SITE_CRITICAL);
	assert_int_equal(f->ev[before].to, SITE_DEGRADED);
	assert_int_equal(f->ev[before + 1].to, SITE_OK);
}

/* The site's own DNS lookups through the engine: 30 % of 50 failing is
 * CRITICAL once two windows say so, with the resolver's group in the
 * reason; the window keeps the shown figures beside it. */
static void
test_passive_dns_failures(void **state)
{
	struct fixture *f = *state;
	const char *ag = "ag-3273-0002";
	birth(f, "32.73", ag, "fiber", T0);
	static const struct { const char *path; double v; } fields[] = {
		{ "dns_queries", 50 }, { "dns_fail_pct", 30 }, { "dns_ms.p50", 80 }, { "resets", 2 },
	};
	for (int k = 1; k <= 2; k++) {
		struct wire_result r;
		wire_result_init(&r, rk_find("passive"), "passive", "other");
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			wire_result_set(&r, fields[i].path, fields[i].v);
		int64_t t = T0 + k * 20 * SEC;
		struct wire_batch b = one_result_batch(ag, ++f->seq, t, &r);
		engine_batch(f->e, "32.73", &b, t);
	}
	struct engine_site_view v;
	assert_true(engine_site(f->e, ag, T0 + 40 * SEC, &v));
	assert_int_equal(v.status, SITE_CRITICAL);
	assert_string_equal(f->ev[f->nev - 1].reason, "DNS failures 30 % to other above 25 %");
	assert_float_equal(v.metrics.traffic[WT_DNS_TIME], 80, 1e-9);
	assert_float_equal(v.metrics.traffic[WT_RESETS], 4, 1e-9);
	assert_true(isnan(v.metrics.traffic[WT_RETRANS]));
}

static void
test_link_types(void **state)
{
	struct fixture *f = *state;
	/* 700 ms: ordinary on GEO VSAT, critical on cellular */
	birth(f, "95.01", "ag-geo", "vsat-geo", T0);
	birth(f, "32.73", "ag-cell", "cellular", T0);
	for (int i = 0; i < 3; i++) {
		icmp(f, "95.01", "ag-geo", T0 + i * 20 * SEC, 0, 700);
		icmp(f, "32.73", "ag-cell", T0 + i * 20 * SEC, 0, 700);
	}
	assert_int_equal(shown(f, "ag-geo", T0), SITE_OK);
	assert_int_equal(shown(f, "ag-cell", T0), SITE_CRITICAL);
}

static void
test_will_silence_and_backfill(void **state)
{
	struct fixture *f = *state;
	birth(f, "32.73", "ag-1", "fiber", T0);
	icmp(f, "32.73", "ag-1", T0 + 10 * SEC, 0, 20);
	will(f, "32.73", "ag-1", T0 + 15 * SEC);
	assert_int_equal(shown(f, "ag-1", T0), SITE_OFFLINE);
	assert_string_equal(f->ev[f->nev - 1].reason, "connection lost (last will) 0 s ago");
	birth(f, "32.73", "ag-1", "fiber", T0 + 60 * SEC);
	assert_int_equal(shown(f, "ag-1", T0), SITE_UNKNOWN);
	/* the live batch (seq 5) comes first, then the outage's backlog: history,
	 * no verdict, however bad */
	icmp_seq(f, "32.73", "ag-1", 1, 5, T0 + 61 * SEC, T0 + 61 * SEC, 0, 20);
	assert_int_equal(shown(f, "ag-1", T0), SITE_OK);
	for (int64_t seq = 2; seq <= 4; seq++)
		icmp_seq(f, "32.73", "ag-1", 1, seq, T0 + 62 * SEC, T0 + 5 * SEC, 50, 20);
	assert_int_equal(shown(f, "ag-1", T0), SITE_OK);
	/* silence for 3 intervals of 20 s, birth seen and no will */
	engine_tick(f->e, T0 + 62 * SEC + 59 * SEC);
	assert_int_equal(shown(f, "ag-1", T0), SITE_OK);
	engine_tick(f->e, T0 + 62 * SEC + 61 * SEC);
	assert_int_equal(shown(f, "ag-1", T0), SITE_OFFLINE);
	assert_non_null(strstr(f->ev[f->nev - 2].reason, "but its broker connection is up"));
}

/* Live or history by (boot, seq), never by the agent's clock: a batch
 * stamped a day ahead does not make the corrected ones that follow look
 * old; a new boot, or a counter reset to 0 (announced by its birth), is
 * live; an older boot's batch is history. */
static void
test_order_by_seq_not_clock(void **state)
{
	struct fixture *f = *state;
	const char *ag = "ag-1";
	birth_of(f, "32.73", ag, "fiber", 1, T0);
	icmp_seq(f, "32.73", ag, 1, 1, T0 + 20 * SEC, T0 + 24 * 3600 * SEC, 0, 20);
	assert_int_equal(shown(f, ag, T0), SITE_OK);
	icmp_seq(f, "32.73", ag, 1, 2, T0 + 80 * SEC + 1, T0 + 80 * SEC, 25, 20);
	icmp_seq(f, "32.73", ag, 1, 3, T0 + 100 * SEC, T0 + 100 * SEC, 25, 20);
	assert_int_equal(shown(f, ag, T0), SITE_CRITICAL); /* loss 50 %, two windows */
	/* a new boot whose clock went back to 1970 */
	icmp_seq(f, "32.73", ag, 2, 1, T0 + 120 * SEC, 0, 0, 20);
	icmp_seq(f, "32.73", ag, 1, 4, T0 + 121 * SEC, T0 + 121 * SEC, 50, 20); /* history */
	int64_t t = T0 + 140 * SEC;
	for (int64_t seq = 2; seq <= 7; seq++, t += 20 * SEC)
		icmp_seq(f, "32.73", ag, 2, seq, t, 0, 0, 20);
	assert_int_equal(shown(f, ag, t), SITE_OK);
	/* the agent lost its state: boot 0 again, announced by its birth */
	birth_of(f, "32.73", ag, "fiber", 0, t);
	icmp_seq(f, "32.73", ag, 0, 1, t + 20 * SEC, t, 25, 20);
	icmp_seq(f, "32.73", ag, 0, 2, t + 40 * SEC + 1, t, 25, 20);
	assert_int_equal(shown(f, ag, t), SITE_CRITICAL);
}

/* An agent clock off by more than 5 s is a DEGRADED reason of its own. */
static void
test_clock_skew_reason(void **state)
{
	struct fixture *f = *state;
	struct wire_result r;
	birth_of(f, "32.73", "ag-1", "fiber", 1, T0);
	for (int i = 1; i <= 3; i++) {
		icmp_train(&r, 50, 0, 20, 1);
		struct wire_batch b = one_result_batch("ag-1", i, T0, &r);
		b.skew_known = true;
		b.clock_skew_ms = i == 1 ? 4000 : -3 * 3600 * SEC;
		engine_batch(f->e, "32.73", &b, T0 + i * 20 * SEC);
	}
	struct engine_site_view v;
	assert_true(engine_site(f->e, "ag-1", T0 + 60 * SEC, &v));
	assert_int_equal(v.status, SITE_DEGRADED);
	assert_string_equal(v.reason, "agent clock 3 h 0 min behind");
	assert_true(v.metrics.clock_skew_ms == -3 * 3600 * SEC);
}

static void
test_regency_at_risk_3t(void **state)
{
	struct fixture *f = *state;
	/* Jayawijaya (95.01) is tertinggal: one site down of four is at risk */
	const char *ag[4] = { "ag-9501-1", "ag-9501-2", "ag-9501-3", "ag-9501-4" };
	for (int i = 0; i < 4; i++)
		birth(f, "95.01", ag[i], "vsat-geo", T0);
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 4; i++)
			icmp(f, "95.01", ag[i], T0 + k * 20 * SEC, i == 0 ? 25 : 0, 600);
	engine_tick(f->e, T0 + 60 * SEC);
	struct engine_regency_view rv;
	assert_true(engine_regency(f->e, "95.01", &rv));
	assert_true(rv.rollup->at_risk);
	assert_string_equal(rv.rollup->reason,
	    "3T site ag-9501-1 CRITICAL for 60 s: loss 50 % above 10 %");
	assert_string_equal(f->ev[f->nev - 1].key, "reg:95.01");
	assert_true(f->ev[f->nev - 1].risk_to);
	const struct area_rollup *p = engine_province(f->e, "95");
	assert_int_equal(p->at_risk, 1);
	assert_string_equal(p->reason, "1 of 1 regencies at risk: Kabupaten Jayawijaya");
	assert_int_equal(engine_nation(f->e)->at_risk, 1);
	/* the same in Kota Bandung (not 3T): 1 of 4 is 25 %, at risk too; with
	 * a fifth site it is not */
	for (int i = 0; i < 5; i++) {
		char a[32];
		snprintf(a, sizeof(a), "ag-3273-%d", i);
		for (int k = 0; k < 3; k++)
			icmp(f, "32.73", a, T0 + k * 20 * SEC, i == 0 ? 25 : 0, 20);
	}
	engine_tick(f->e, T0 + 61 * SEC);
	assert_true(engine_regency(f->e, "32.73", &rv));
	assert_false(rv.rollup->at_risk);
	assert_string_equal(rv.rollup->reason,
	    "1 of 5 sites CRITICAL or OFFLINE: ag-3273-0 loss 50 % above 10 %");
}

static void
test_restart_keeps_status_and_grace(void **state)
{
	struct fixture *f = *state;
	birth(f, "32.73", "ag-1", "fiber", T0);
	for (int k = 0; k < 3; k++)
		icmp(f, "32.73", "ag-1", T0 + k * 20 * SEC, 25, 20);
	engine_tick(f->e, T0 + 41 * SEC);
	assert_int_equal(shown(f, "ag-1", T0), SITE_CRITICAL);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	/* the collector is down for 10 minutes; then it restarts */
	engine_free(f->e);
	f->nev = 0;
	int64_t back = T0 + 11 * MIN;
	start_engine(f, back);
	engine_tick(f->e, back + 1 * SEC);
	/* nothing re-fires, nothing is forgotten: still CRITICAL, regency unchanged */
	assert_int_equal(shown(f, "ag-1", back), SITE_CRITICAL);
	assert_int_equal(f->nev, 0);
	/* the site had no fair chance yet (3 intervals of 20 s from our start) */
	engine_tick(f->e, back + 59 * SEC);
	assert_int_equal(shown(f, "ag-1", back), SITE_CRITICAL);
	engine_tick(f->e, back + 61 * SEC);
	assert_int_equal(shown(f, "ag-1", back), SITE_OFFLINE);
}

static void
test_baseline(void **state)
{
	struct fixture *f = *state;
	birth(f, "32.73", "ag-1", "fiber", T0);
	int64_t t = T0;
	/* a day and a bit at 12 ms, one batch a minute */
	for (; t < T0 + 25 * 60 * MIN; t += MIN)
		icmp(f, "32.73", "ag-1", t, 0, 12);
	assert_int_equal(shown(f, "ag-1", t), SITE_OK);
	/* 100 ms is within the fiber bounds, but not this site's usual */
	icmp(f, "32.73", "ag-1", t, 0, 100);
	icmp(f, "32.73", "ag-1", t + MIN, 0, 100);
	assert_int_equal(shown(f, "ag-1", t), SITE_DEGRADED);
	assert_string_equal(f->ev[f->nev - 1].reason, "RTT p95 100 ms above its usual 12 ms");
}


static void
test_profiles(void **state)
{
	struct fixture *f = *state;
	char path[HARNESS_PATH_MAX];
	harness_file(path, "[link.cellular]\nrtt_p95_degraded_ms = 300\n"
	                   "rtt_p95_critical_ms = 900\n"
	                   "dns_fail_critical_pct = 40\n"
	                   "[site.ag-special]\nlink = vsat-geo\nloss_degraded_pct = 5\n"
	                   "latitude = -4.09\nlongitude = 138.95\n");
	assert_int_equal(profiles_load(path, &f->prof, stderr), PANTAU_OK);
	unlink(path);
	struct thresholds t;
	profiles_thresholds(f->prof, "ag-x", "cellular", &t);
	assert_float_equal(t.rtt_p95_ms[TH_DEGRADED], 300, 1e-9);
	assert_float_equal(t.jitter_ms[TH_DEGRADED], 30, 1e-9);  /* not overridden */
	assert_float_equal(t.dns_fail_pct[TH_CRITICAL], 40, 1e-9);
	assert_float_equal(t.dns_fail_pct[TH_DEGRADED], 10, 1e-9);  /* not overridden */
	/* the site's link type wins over its agent's, then its own keys */
	profiles_thresholds(f->prof, "ag-special", "fiber", &t);
	assert_float_equal(t.rtt_p95_ms[TH_DEGRADED], 800, 1e-9);
	assert_float_equal(t.loss_pct[TH_DEGRADED], 5, 1e-9);
	assert_float_equal(t.loss_pct[TH_CRITICAL], 10, 1e-9);
	double lat, lon;
	assert_true(profiles_site_coords(f->prof, "ag-special", &lat, &lon));
	assert_float_equal(lon, 138.95, 1e-9);
	/* the engine uses them: 700 ms at ag-special is fine */
	engine_free(f->e);
	start_engine(f, T0);
	birth(f, "95.01", "ag-special", "fiber", T0);
	for (int k = 0; k < 3; k++)
		icmp(f, "95.01", "ag-special", T0 + k * 20 * SEC, 0, 700);
	assert_int_equal(shown(f, "ag-special", T0), SITE_OK);
}

static void
test_profiles_errors(void **state)
{
	(void)state;
	struct profiles *p = NULL;
	char out[2048] = "";
	FILE *errs = fmemopen(out, sizeof(out) - 1, "w");
	char path[HARNESS_PATH_MAX];
	harness_file(path, "[link.satellite]\nloss_degraded_pct = 3\n"
	                   "[link.fiber]\nloss_degraded_pct = 20\n"
	                   "[site.ag-1]\nlatitude = -4\nrtt_p95_degraded_ms = fast\n");
	assert_int_equal(profiles_load(path, &p, errs), PANTAU_ERR_CONFIG);
	fclose(errs);
	unlink(path);
	assert_null(p);
	assert_non_null(strstr(out, ":1: [link.satellite]: not a link type"));
	assert_non_null(strstr(out, ":3: [link.fiber]: loss_critical_pct (10) is below "
	                   "loss_degraded_pct (20)"));
	assert_non_null(strstr(out, ":5: [site.ag-1]: latitude and longitude go together"));
	assert_non_null(strstr(out, ":7: [site.ag-1] rtt_p95_degraded_ms"));
}

/* A country's worth of sites and more: every [site.*] section is read
 * (there is no cap; there was one of 20,000). */
static void
test_profiles_25000_sites(void **state)
{
	(void)state;
	enum { N = 25000 };
	size_t cap = (size_t)N * 64, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "[site.ag-%05d]\nlatitude = -1.5\n"
		    "longitude = %d.5\n", i, 100 + i % 40);
	struct profiles *p = NULL;
	char path[HARNESS_PATH_MAX];
	harness_file(path, text);
	free(text);
	assert_int_equal(profiles_load(path, &p, stderr), PANTAU_OK);
	unlink(path);
	double lat, lon;
	assert_true(profiles_site_coords(p, "ag-24999", &lat, &lon));
	assert_float_equal(lon, 100 + 24999 % 40 + 0.5, 1e-9);
	assert_true(profiles_site_coords(p, "ag-00000", &lat, &lon));
	assert_false(profiles_site_coords(p, "ag-25000", &lat, &lon));
	profiles_free(p);
}

static struct alert *
alert(struct alerts *a, const char *key)
{
	return alerts_get(a, key);
}

/* Jayawijaya's 3T site at 25 % loss for 41 s, judged by new alert rules r:
 * its site-down and its regency's at-risk alerts fire (at T0 + 41 s). */
static struct alerts *
jayawijaya_down(struct fixture *f, const struct alerts_rules *r)
{
	struct alerts *a = alerts_new(r, f->fx.cat);
	const char *ag = "ag-9501-0001";
	birth(f, "95.01", ag, "vsat-geo", T0);
	for (int k = 0; k < 3; k++)
		icmp(f, "95.01", ag, T0 + k * 20 * SEC, 25, 600);
	engine_tick(f->e, T0 + 41 * SEC);
	alerts_evaluate(a, f->e, T0 + 41 * SEC);
	return a;
}

static void
test_alerts_fire_escalate_resolve(void **state)
{
	struct fixture *f = *state;
	struct alerts_rules r = { .resolve_hold_ms = 0, .forget_ms = 3600 * SEC };
	struct alerts *a = jayawijaya_down(f, &r);
	struct alert *down = alert(a, "PantauSiteDown/ag-9501-0001");
	struct alert *risk = alert(a, "PantauRegencyAtRisk/95.01");
	assert_non_null(down);
	assert_non_null(risk);
	assert_true(down->firing && risk->firing);
	assert_string_equal(down->severity, "warning");
	assert_string_equal(down->regency, "95.01");
	assert_string_equal(down->province, "95");
	assert_string_equal(down->link, "vsat-geo");
	assert_true(down->tertinggal);
	assert_string_equal(risk->site, "");
	assert_int_equal(alerts_firing(a), 2);
	unsigned v = down->version;
	/* evaluating again changes nothing */
	alerts_evaluate(a, f->e, T0 + 42 * SEC);
	assert_int_equal(alert(a, "PantauSiteDown/ag-9501-0001")->version, v);
	/* the restart path: encoded, decoded, restored: same alert, no re-fire */
	json_t *o = alert_json(alert(a, "PantauSiteDown/ag-9501-0001"));
	struct alert back;
	assert_true(alert_from_json(o, &back));
	json_decref(o);
	assert_string_equal(back.key, "PantauSiteDown/ag-9501-0001");
	assert_int_equal(back.version, v);
	assert_int_equal(back.starts_ms, T0 + 41 * SEC);
	struct alerts *b = alerts_new(&r, f->fx.cat);
	alerts_restore(b, &back);
	alerts_evaluate(b, f->e, T0 + 43 * SEC);
	assert_int_equal(alert(b, "PantauSiteDown/ag-9501-0001")->version, v);
	alerts_free(b);
	/* recovery: the alert resolves once the site is OK */
	int64_t t = T0 + 60 * SEC;
	for (int k = 0; k < 8; k++, t += 20 * SEC)
		icmp(f, "95.01", "ag-9501-0001", t, 0, 600);
	engine_tick(f->e, t);
	alerts_evaluate(a, f->e, t);
	down = alert(a, "PantauSiteDown/ag-9501-0001");
	assert_false(down->firing);
	assert_int_equal(down->ends_ms, t);
	assert_int_equal(down->version, v + 1);
	assert_int_equal(alerts_firing(a), 0);
	alerts_free(a);
}

static void
test_alerts_counting_window(void **state)
{
	struct fixture *f = *state;
	char why[128];
	struct alerts_rules r = { .resolve_hold_ms = 0, .forget_ms = 3600 * SEC };
	/* counting from 13:00 to 18:00 local; at 05:30 UTC WIT (UTC+9) is in it */
	int64_t t;
	assert_int_equal(clock_parse_iso("2029-02-14T05:30:00Z", &t), PANTAU_OK);
	engine_free(f->e);
	assert_int_equal(countwin_parse("2029-02-14 13:00", "2029-02-14 18:00", &f->o.counting,
	    why, sizeof(why)), PANTAU_OK);
	start_engine(f, t);
	struct alerts *a = alerts_new(&r, f->fx.cat);
	/* a DEGRADED 3T site alerts only while counting; Bandung (WIB) is not counting */
	birth(f, "95.01", "ag-3t", "vsat-geo", t);
	birth(f, "32.73", "ag-wib", "fiber", t);
	for (int k = 0; k < 3; k++) {
		icmp(f, "95.01", "ag-3t", t + k * 20 * SEC, 2, 600);   /* 4 %: DEGRADED */
		icmp(f, "32.73", "ag-wib", t + k * 20 * SEC, 2, 20);
	}
	engine_tick(f->e, t + 41 * SEC);
	alerts_evaluate(a, f->e, t + 41 * SEC);
	struct alert *d = alert(a, "PantauSiteDegraded/ag-3t");
	assert_non_null(d);
	assert_string_equal(d->severity, "critical");
	assert_null(alert(a, "PantauSiteDegraded/ag-wib"));
	assert_int_equal(alerts_firing(a), 1);
	alerts_free(a);
}

/* How often ag-flap's PantauSiteDown started and stopped firing. */
struct flaps {
	int firings, resolves;
	bool was;
};

/* Windows k = from .. to-1 of 61 s after t0: 25 of 50 lost in odd ones, none in
 * even ones, each judged and its alerts evaluated. */
static void
flap(struct fixture *f, struct alerts *a, int64_t t0, int from, int to, struct flaps *fl)
{
	for (int k = from; k < to; k++) {
		int64_t t = t0 + k * 61 * SEC;
		icmp(f, "32.73", "ag-flap", t, k % 2 ? 25 : 0, 20);
		engine_tick(f->e, t);
		alerts_evaluate(a, f->e, t);
		struct alert *al = alert(a, "PantauSiteDown/ag-flap");
		bool now = al != NULL && al->firing;
		fl->firings += now && !fl->was;
		fl->resolves += fl->was && !now;
		fl->was = now;
	}
}

static void
test_alerts_flapping(void **state)
{
	struct fixture *f = *state;
	struct alerts_rules r = { .resolve_hold_ms = 0, .forget_ms = 3600 * SEC };
	struct alerts *a = alerts_new(&r, f->fx.cat);
	birth(f, "32.73", "ag-flap", "fiber", T0);
	struct flaps fl = { 0 };
	/* one batch per 60 s window, alternating 50 % loss and none, for 2 hours */
	flap(f, a, T0, 0, 120, &fl);
	assert_int_equal(fl.firings, 0);
	assert_int_equal(fl.resolves, 0);
	/* the same after it went down for real: it stays one alert while it flaps */
	for (int k = 0; k < 3; k++)
		icmp(f, "32.73", "ag-flap", T0 + (200 + k) * 61 * SEC, 25, 20);
	flap(f, a, T0 + 200 * 61 * SEC, 3, 123, &fl);
	assert_int_equal(fl.firings, 1);
	assert_int_equal(fl.resolves, 0);
	alerts_free(a);
}

/* Partitioned collectors: ctx names the one regency owned ("" none). */
static bool
owns_one(void *ctx, const char *regency)
{
	return strcmp(ctx, regency) == 0;
}

/* An alert is marked saved only once its transaction is committed: a commit
 * that fails (here a deferred foreign key that a trigger breaks) leaves it
 * dirty, and the next save writes it. */
static void
test_alert_saved_only_when_committed(void **state)
{
	struct fixture *f = *state;
	struct alerts_rules r = { .resolve_hold_ms = 0, .forget_ms = 3600 * SEC };
	struct alerts *a = jayawijaya_down(f, &r);
	assert_int_equal(alerts_firing(a), 2);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	struct db *db = store_db(f->fx.store);
	assert_false(db_in_transaction(db));
	assert_int_equal(db_exec(db, "PRAGMA foreign_keys=ON;"
	    "CREATE TABLE t_parent(id INTEGER PRIMARY KEY);"
	    "CREATE TABLE t_child(p INTEGER REFERENCES t_parent(id) DEFERRABLE INITIALLY DEFERRED);"
	    "CREATE TRIGGER t_break AFTER INSERT ON alerts BEGIN INSERT INTO t_child VALUES(1); END;"),
	    DB_OK);
	alertstate_save(a, f->sdb);
	assert_false(db_in_transaction(db));
	assert_int_equal(db_fixture_count(&f->fx, "SELECT count(*) FROM alerts"), 0);
	assert_true(alert(a, "PantauSiteDown/ag-9501-0001")->dirty);
	assert_int_equal(db_exec(db, "DROP TRIGGER t_break"), DB_OK);
	alertstate_save(a, f->sdb);
	assert_int_equal(db_fixture_count(&f->fx, "SELECT count(*) FROM alerts"), 2);
	assert_false(alert(a, "PantauSiteDown/ag-9501-0001")->dirty);
	alerts_free(a);
}

/* The owner judges and saves; a standby judges nothing, shows what the
 * owner saved, and after taking over goes on with the firing alerts as
 * they were told, without firing them again. */
static void
test_partition_owner_and_standby(void **state)
{
	struct fixture *f = *state;
	struct alerts_rules r = { .resolve_hold_ms = 0, .forget_ms = 3600 * SEC };
	const char *ag = "ag-9501-0001";
	char jaya[] = "95.01", none[] = "";
	engine_set_owner(f->e, owns_one, jaya);
	struct alerts *a = alerts_new(&r, f->fx.cat);
	alerts_set_owner(a, owns_one, jaya);
	struct engine *sb = engine_new(&f->o, f->fx.cat, NULL, f->sdb, T0);
	engine_set_owner(sb, owns_one, none);
	birth(f, "95.01", ag, "vsat-geo", T0);
	for (int k = 0; k < 3; k++)
		icmp(f, "95.01", ag, T0 + k * 20 * SEC, 25, 600);
	engine_tick(f->e, T0 + 41 * SEC);
	alerts_evaluate(a, f->e, T0 + 41 * SEC);
	assert_non_null(alert(a, "PantauSiteDown/ag-9501-0001"));
	unsigned v = alert(a, "PantauSiteDown/ag-9501-0001")->version;
	assert_true(alert_set_told(alert(a, "PantauSiteDown/ag-9501-0001"), "webhook", v));
	alertstate_save(a, f->sdb);
	/* the standby: a batch of the site is not its to judge; the view is the owner's */
	struct wire_status st = { .online = false, .agent = ag, .boot = 1, .ts_ms = -1,
		.reason = "lost", .interval_s = -1, .lat = NAN, .lon = NAN };
	engine_status(sb, "95.01", ag, &st, T0 + 42 * SEC);
	assert_int_equal(engine_refresh(sb), PANTAU_OK);
	engine_tick(sb, T0 + 3600 * SEC);  /* silent for an hour: not its site's liveness */
	struct engine_site_view view;
	assert_true(engine_site(sb, ag, T0 + 43 * SEC, &view));
	assert_int_equal(view.status, SITE_CRITICAL);
	struct alerts *b = alerts_new(&r, f->fx.cat);
	alerts_set_owner(b, owns_one, none);
	alerts_evaluate(b, sb, T0 + 43 * SEC);
	assert_int_equal(alerts_firing(b), 0);
	/* the takeover: its alerts loaded, the same version, told, not fired again */
	engine_set_owner(sb, owns_one, jaya);
	alerts_set_owner(b, owns_one, jaya);
	assert_int_equal(alertstate_load(b, f->sdb, 0, 0), PANTAU_OK);
	engine_listening(sb, T0 + 44 * SEC);
	engine_tick(sb, T0 + 44 * SEC);
	alerts_evaluate(b, sb, T0 + 44 * SEC);
	struct alert *down = alert(b, "PantauSiteDown/ag-9501-0001");
	assert_non_null(down);
	assert_true(down->firing);
	assert_int_equal(down->version, v);
	assert_int_equal(alert_told(down, "webhook"), v);
	/* let go again: its alerts are forgotten here, not resolved */
	alerts_set_owner(b, owns_one, none);
	alerts_drop_unowned(b);
	assert_int_equal(alerts_firing(b), 0);
	alerts_free(b);
	alerts_free(a);
	engine_free(sb);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
