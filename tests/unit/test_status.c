/* The status engine's pure parts: thresholds per link type, the verdict,
 * baselines, hysteresis, the window, roll-ups and the counting window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collector/status/countwin.h"
#include "collector/status/hysteresis.h"
#include "collector/status/rollup.h"
#include "collector/status/thresholds.h"
#include "collector/status/verdict.h"
#include "collector/status/window.h"

#define NOW 1700000000000LL
#define MIN 60000LL

static const struct baseline_rules br = { .factor = 2.0, .rtt_floor_ms = 30, .loss_floor_pct = 1 };

static struct window_metrics
metrics(double loss, double p95, double jitter, double up, int http_fails)
{
	return (struct window_metrics){ .results = 5, .loss_pct = loss, .rtt_p95_ms = p95,
		.jitter_ms = jitter, .upload_mbps = up, .http_fail_streak = http_fails };
}

static enum site_status
judge(const char *link, struct window_metrics m, char *why)
{
	struct thresholds t;
	thresholds_default(link, &t);
	return verdict_eval(&m, &t, NULL, &br, why, 256);
}

static void
test_thresholds_per_link(void **state)
{
	(void)state;
	char why[256];
	/* 600 ms RTT: critical on fiber, normal on GEO VSAT */
	assert_int_equal(judge("fiber", metrics(0, 600, 5, NAN, 0), why), SITE_CRITICAL);
	assert_string_equal(why, "RTT p95 600 ms above 400 ms");
	assert_int_equal(judge("vsat-geo", metrics(0, 600, 5, NAN, 0), why), SITE_OK);
	assert_string_equal(why, "all figures within bounds");
	assert_int_equal(judge("vsat-geo", metrics(0, 900, 5, NAN, 0), why), SITE_DEGRADED);
	assert_string_equal(why, "RTT p95 900 ms above 800 ms");
	assert_int_equal(judge("cellular", metrics(0, 200, 5, NAN, 0), why), SITE_DEGRADED);
	/* LEO counts as terrestrial */
	assert_int_equal(judge("vsat-leo", metrics(0, 450, 5, NAN, 0), why), SITE_CRITICAL);
	/* jitter 45 ms: degraded on fiber, fine on GEO */
	assert_int_equal(judge("fiber", metrics(0, 20, 45, NAN, 0), why), SITE_DEGRADED);
	assert_string_equal(why, "jitter 45 ms above 30 ms");
	assert_int_equal(judge("vsat-geo", metrics(0, 620, 45, NAN, 0), why), SITE_OK);
	/* loss is the same everywhere; the boundary itself is not beyond it */
	assert_int_equal(judge("vsat-geo", metrics(2.0, 620, 5, NAN, 0), why), SITE_OK);
	assert_int_equal(judge("vsat-geo", metrics(2.5, 620, 5, NAN, 0), why), SITE_DEGRADED);
	assert_string_equal(why, "loss 2.5 % above 2 %");
	/* several conditions: critical ones first */
	assert_int_equal(judge("fiber", metrics(12, 200, 5, 0.1, 0), why), SITE_CRITICAL);
	assert_string_equal(why, "loss 12 % above 10 %; upload 0.10 Mbit/s below 0.256 Mbit/s; "
	                         "RTT p95 200 ms above 150 ms");
	/* absent figures judge nothing */
	assert_int_equal(judge("fiber", metrics(NAN, NAN, NAN, NAN, 0), why), SITE_OK);
}

static void
test_upload_and_http(void **state)
{
	(void)state;
	char why[256];
	assert_int_equal(judge("vsat-geo", metrics(0, 600, 5, 0.8, 0), why), SITE_DEGRADED);
	assert_string_equal(why, "upload 0.80 Mbit/s below 1 Mbit/s");
	assert_int_equal(judge("vsat-geo", metrics(0, 600, 5, 2.0, 0), why), SITE_OK);
	struct window_metrics m = metrics(0, 20, 1, NAN, 1);
	snprintf(m.http_error, sizeof(m.http_error), "https://tally.example/ timeout");
	assert_int_equal(judge("fiber", m, why), SITE_DEGRADED);
	assert_string_equal(why, "tally upload path failed: https://tally.example/ timeout");
	m.http_fail_streak = 2;
	assert_int_equal(judge("fiber", m, why), SITE_DEGRADED);
	m.http_fail_streak = 3;
	assert_int_equal(judge("fiber", m, why), SITE_CRITICAL);
	assert_string_equal(why, "tally upload path failed 3 times in a row: "
	                         "https://tally.example/ timeout");
}

static void
test_thresholds_check(void **state)
{
	(void)state;
	char why[160];
	struct thresholds t;
	thresholds_default("fiber", &t);
	assert_string_equal(thresholds_check(&t, why, sizeof(why)), "");
	t.rtt_p95_ms[TH_CRITICAL] = 100;
	assert_string_equal(thresholds_check(&t, why, sizeof(why)),
	    "rtt_p95_critical_ms (100) is below rtt_p95_degraded_ms (150)");
	thresholds_default("fiber", &t);
	t.upload_mbps[TH_CRITICAL] = 5;
	assert_non_null(strstr(thresholds_check(&t, why, sizeof(why)), "critical means slower"));
	thresholds_default("fiber", &t);
	t.dns_fail_pct[TH_CRITICAL] = 5;
	assert_string_equal(thresholds_check(&t, why, sizeof(why)),
	    "dns_fail_critical_pct (5) is below dns_fail_degraded_pct (10)");
}

static void
test_baseline(void **state)
{
	(void)state;
	char why[256];
	struct thresholds t;
	thresholds_default("fiber", &t);
	struct baseline b = { .rtt_p95_ms = 12, .loss_pct = 0.1, .ready = 1 };
	/* 100 ms is within the fixed bounds but far above this site's usual 12 ms */
	struct window_metrics m = metrics(0, 100, 2, NAN, 0);
	assert_int_equal(verdict_eval(&m, &t, &b, &br, why, sizeof(why)), SITE_DEGRADED);
	assert_string_equal(why, "RTT p95 100 ms above its usual 12 ms");
	/* twice the usual but less than the floor above it: fine */
	m = metrics(0, 30, 2, NAN, 0);
	assert_int_equal(verdict_eval(&m, &t, &b, &br, why, sizeof(why)), SITE_OK);
	/* loss: factor and floor */
	m = metrics(1.5, 12, 2, NAN, 0);
	assert_int_equal(verdict_eval(&m, &t, &b, &br, why, sizeof(why)), SITE_DEGRADED);
	assert_string_equal(why, "loss 1.5 % above its usual 0.1 %");
	/* a baseline not ready yet judges nothing */
	b.ready = 0;
	m = metrics(0, 100, 2, NAN, 0);
	assert_int_equal(verdict_eval(&m, &t, &b, &br, why, sizeof(why)), SITE_OK);
	/* a GEO site judged against itself: usual 610 ms, now 1300 ms */
	thresholds_default("vsat-geo", &t);
	b = (struct baseline){ .rtt_p95_ms = 610, .loss_pct = 0.5, .ready = 1 };
	m = metrics(0, 1300, 10, NAN, 0);
	assert_int_equal(verdict_eval(&m, &t, &b, &br, why, sizeof(why)), SITE_DEGRADED);
	assert_string_equal(why, "RTT p95 1300 ms above 800 ms");
}

static enum site_status
feed_all(struct hyst *h, const enum site_status *v, size_t n, int *changes)
{
	static const struct hyst_rules r = { .enter = 2, .leave = 3 };
	for (size_t i = 0; i < n; i++)
		*changes += hyst_feed(h, v[i], &r);
	return h->shown;
}

static void
test_hysteresis(void **state)
{
	(void)state;
	struct hyst h;
	int changes = 0;
	enum site_status O = SITE_OK, D = SITE_DEGRADED, C = SITE_CRITICAL;
	hyst_reset(&h, O);
	/* one bad window is not enough; two are */
	assert_int_equal(feed_all(&h, (enum site_status[]){ D }, 1, &changes), O);
	assert_int_equal(feed_all(&h, (enum site_status[]){ D }, 1, &changes), D);
	assert_int_equal(changes, 1);
	/* two good windows are not enough to leave; the third is */
	assert_int_equal(feed_all(&h, (enum site_status[]){ O, O }, 2, &changes), D);
	assert_int_equal(feed_all(&h, (enum site_status[]){ O }, 1, &changes), O);
	/* worse by different amounts: the mildest of the run */
	hyst_reset(&h, O);
	assert_int_equal(feed_all(&h, (enum site_status[]){ C, D }, 2, &changes), D);
	assert_int_equal(feed_all(&h, (enum site_status[]){ C, C }, 2, &changes), C);
	/* better by different amounts: the worst of the run */
	assert_int_equal(feed_all(&h, (enum site_status[]){ O, D, O }, 3, &changes), D);
	/* an equal window breaks a run */
	hyst_reset(&h, D);
	assert_int_equal(feed_all(&h, (enum site_status[]){ O, O, D, O, O }, 5, &changes), D);
}

static void
test_flapping(void **state)
{
	(void)state;
	struct hyst h;
	int changes = 0;
	hyst_reset(&h, SITE_OK);
	/* alternating every window for an hour of 1-minute windows: never shown */
	for (int i = 0; i < 60; i++)
		feed_all(&h, (enum site_status[]){ i % 2 ? SITE_CRITICAL : SITE_OK }, 1, &changes);
	assert_int_equal(changes, 0);
	assert_int_equal(h.shown, SITE_OK);
	/* two bad, one good: once bad it stays bad (never three good in a row) */
	for (int i = 0; i < 60; i++)
		feed_all(&h, (enum site_status[]){ i % 3 == 2 ? SITE_OK : SITE_CRITICAL }, 1, &changes);
	assert_int_equal(changes, 1);
	assert_int_equal(h.shown, SITE_CRITICAL);
}

static struct win_sample
sample(int64_t t, int sent, int recv, float p95)
{
	struct win_sample s = { .t_ms = t, .sent = sent, .recv = recv, .rtt_p95_ms = p95,
		.jitter_ms = NAN, .upload_mbps = NAN };
	for (int i = 0; i < WT_COUNT; i++)
		s.traffic[i] = NAN;
	return s;
}

static const struct win_groups no_groups;

/* A passive group's result (docs/protocol.md) with its segments and
 * retransmitted %, resets and unanswered SYNs, and more (",..." or ""). */
#define PASSIVE_RESULT_MORE(group, segs, retrans, pct, resets, syns, more)                 \
	"{\"probe\":\"passive\",\"target\":\"" group "\",\"ok\":true,\"window_s\":50,"          \
	"\"packets\":9000,\"flows\":20,\"bytes\":100000,\"segments\":" #segs ","                \
	"\"retrans\":" #retrans ",\"retrans_pct\":" #pct ",\"resets\":" #resets ","             \
	"\"syn_unanswered\":" #syns more "}"
#define PASSIVE_RESULT(group, segs, retrans, pct)                                          \
	PASSIVE_RESULT_MORE(group, segs, retrans, pct, 0, 0, "")
/* Quantiles all v. */
#define Q(v) "{\"min\":" #v ",\"p50\":" #v ",\"avg\":" #v ",\"p95\":" #v ",\"max\":" #v "}"

static void
decode_sample(const char *results, struct win_sample *s, struct win_groups *g)
{
	char text[2048], err[WINDOW_ERROR_MAX];
	snprintf(text, sizeof(text), "{\"v\":1,\"agent\":\"ag\",\"boot\":1,\"seq\":1,"
	    "\"ts\":\"2024-02-14T06:00:30Z\",\"results\":[%s]}", results);
	struct wire_topic t;
	struct wire_error e = { 0 };
	struct wire_batch b;
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag/result", &t, &e));
	assert_int_equal(wire_batch_decode(&t, text, strlen(text), &b, &e), WIRE_ACCEPT);
	window_sample_of(&b, NOW, s, err, g);
	wire_batch_clear(&b);
}

/* The site's own traffic: the worst group with enough segments, its name in
 * the reason. */
static void
test_retransmissions(void **state)
{
	(void)state;
	char why[256];
	struct win_groups g;
	struct win_sample s;
	decode_sample(PASSIVE_RESULT("tally", 500, 60, 12) "," PASSIVE_RESULT("portal", 400, 4, 1)
	    "," PASSIVE_RESULT("other", 10, 5, 50), &s, &g);
	assert_float_equal(s.traffic[WT_RETRANS], 12, 1e-6); /* "other": too few segments */
	assert_string_equal(g.to[WT_RETRANS], "tally");
	struct window *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	window_add(w, &s, "", &g);
	struct window_metrics m;
	window_metrics(w, NOW, MIN, &m);
	window_free(w);
	free(w);
	assert_float_equal(m.traffic[WT_RETRANS], 12, 1e-6);
	assert_string_equal(m.traffic_to[WT_RETRANS], "tally");
	assert_true(isnan(m.traffic[WT_DNS_FAIL]));    /* no DNS seen: nothing said */
	assert_int_equal(judge("fiber", m, why), SITE_DEGRADED);
	assert_string_equal(why, "retransmissions 12 % to tally above 5 %");
	m.traffic[WT_RETRANS] = 20;
	assert_int_equal(judge("vsat-geo", m, why), SITE_CRITICAL);
	assert_string_equal(why, "retransmissions 20 % to tally above 15 %");
	m.traffic[WT_RETRANS] = NAN;
	assert_int_equal(judge("fiber", m, why), SITE_OK);
}

/* Every figure of the site's own traffic: the worst group's (DNS failures:
 * of groups with 20 queries or more), resets and unanswered SYNs summed;
 * DNS failures judged against 10 / 25 %. */
static void
test_traffic_figures(void **state)
{
	(void)state;
	char why[256];
	struct win_groups g;
	struct win_sample s;
	decode_sample(PASSIVE_RESULT_MORE("tally", 500, 60, 12, 2, 1,
	                  ",\"handshakes\":9,\"handshake_ms\":" Q(40) ",\"ts_rtt_ms\":" Q(42)) ","
	    PASSIVE_RESULT_MORE("portal", 400, 4, 1, 3, 0,
	        ",\"handshakes\":3,\"handshake_ms\":" Q(90) ",\"ts_rtt_ms\":" Q(41)) ","
	    PASSIVE_RESULT_MORE("resolver", 0, 0, 0, 0, 0,
	        ",\"dns_queries\":50,\"dns_fail\":15,\"dns_fail_pct\":30,\"dns_ms\":" Q(25)) ","
	    PASSIVE_RESULT_MORE("other", 0, 0, 0, 0, 0,
	        ",\"dns_queries\":5,\"dns_fail\":5,\"dns_fail_pct\":100,\"dns_ms\":" Q(7)),
	    &s, &g);
	assert_float_equal(s.traffic[WT_DNS_FAIL], 30, 1e-6);  /* "other": 5 queries say nothing */
	assert_string_equal(g.to[WT_DNS_FAIL], "resolver");
	assert_float_equal(s.traffic[WT_HANDSHAKE], 90, 1e-6);
	assert_string_equal(g.to[WT_HANDSHAKE], "portal");
	assert_float_equal(s.traffic[WT_TS_RTT], 42, 1e-6);
	assert_float_equal(s.traffic[WT_DNS_TIME], 25, 1e-6);   /* any answered query is timed */
	assert_float_equal(s.traffic[WT_RESETS], 5, 1e-6);
	assert_float_equal(s.traffic[WT_SYN_UNANSWERED], 1, 1e-6);
	struct window *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	window_add(w, &s, "", &g);
	s.t_ms = NOW - 1000;
	s.traffic[WT_HANDSHAKE] = 70;
	window_add(w, &s, "", &g);
	struct window_metrics m;
	window_metrics(w, NOW, MIN, &m);
	window_free(w);
	free(w);
	assert_float_equal(m.traffic[WT_HANDSHAKE], 80, 1e-6);     /* median of 90 and 70 */
	assert_float_equal(m.traffic[WT_RESETS], 10, 1e-6);        /* two batches' sums */
	assert_float_equal(m.traffic[WT_SYN_UNANSWERED], 2, 1e-6);
	assert_int_equal(judge("fiber", m, why), SITE_CRITICAL);
	assert_string_equal(why, "DNS failures 30 % to resolver above 25 %; "
	                         "retransmissions 12 % to tally above 5 %");
	m.traffic[WT_RETRANS] = NAN;
	m.traffic[WT_DNS_FAIL] = 12;
	assert_int_equal(judge("vsat-geo", m, why), SITE_DEGRADED);
	assert_string_equal(why, "DNS failures 12 % to resolver above 10 %");
	m.traffic[WT_DNS_FAIL] = 10;                               /* at the bound: within */
	assert_int_equal(judge("fiber", m, why), SITE_OK);
	/* shown, not judged: a slow handshake or many resets alone say nothing */
	m.traffic[WT_HANDSHAKE] = 5000;
	m.traffic[WT_RESETS] = 1e6;
	assert_int_equal(judge("fiber", m, why), SITE_OK);
}

static void
test_window(void **state)
{
	(void)state;
	struct window *w = calloc(1, sizeof(*w));
	struct window_metrics m;
	/* five batches a minute apart; the window holds the last five minutes */
	for (int i = 0; i < 5; i++) {
		struct win_sample s = sample(NOW - (4 - i) * MIN, 10, i == 4 ? 0 : 10, 40.0f + (float)i);
		window_add(w, &s, "", &no_groups);
	}
	window_metrics(w, NOW, 5 * MIN, &m);
	assert_int_equal(m.results, 5);
	assert_float_equal(m.loss_pct, 20.0, 1e-9);      /* pooled: 10 of 50 */
	assert_float_equal(m.rtt_p95_ms, 42.0, 1e-9);    /* median of 40..44 */
	assert_true(isnan(m.jitter_ms));
	/* two minutes later the two oldest are outside */
	window_metrics(w, NOW + 2 * MIN, 5 * MIN, &m);
	assert_int_equal(m.results, 3);
	assert_float_equal(m.loss_pct, 100.0 * 10 / 30, 1e-9);
	/* the ring keeps the newest WINDOW_MAX_SAMPLES */
	for (int i = 0; i < WINDOW_MAX_SAMPLES + 3; i++) {
		struct win_sample s = sample(NOW + i, 1, 1, 1);
		window_add(w, &s, "", &no_groups);
	}
	assert_int_equal(w->n, WINDOW_MAX_SAMPLES);
	window_metrics(w, NOW + WINDOW_MAX_SAMPLES + 3, 5 * MIN, &m);
	assert_int_equal(m.results, WINDOW_MAX_SAMPLES);
	window_free(w);
	free(w);
}

static void
test_window_http_streak(void **state)
{
	(void)state;
	struct window *w = calloc(1, sizeof(*w));
	struct window_metrics m;
	struct win_sample s = sample(NOW, 0, 0, NAN);
	s.http_total = 1;
	s.http_failed = 1;
	window_add(w, &s, "https://tally.example/ HTTP 503", &no_groups);
	window_add(w, &s, "https://tally.example/ HTTP 503", &no_groups);
	s.http_total = 0;       /* a batch without an http result keeps the streak */
	s.http_failed = 0;
	window_add(w, &s, "", &no_groups);
	window_metrics(w, NOW, MIN, &m);
	assert_int_equal(m.http_fail_streak, 2);
	assert_string_equal(m.http_error, "https://tally.example/ HTTP 503");
	s.http_total = 1;       /* a success ends it */
	window_add(w, &s, "", &no_groups);
	window_metrics(w, NOW, MIN, &m);
	assert_int_equal(m.http_fail_streak, 0);
	window_free(w);
	free(w);
}

static void
test_sample_of_batch(void **state)
{
	(void)state;
	/* Every kind the status engine judges something of, as decoded. */
	static const char *const text =
	    "{\"v\":1,\"agent\":\"ag\",\"boot\":1,\"seq\":1,\"ts\":\"2024-02-14T06:00:30Z\","
	    "\"results\":["
	    "{\"probe\":\"icmp\",\"target\":\"a\",\"sent\":10,\"recv\":9,\"loss_pct\":10,"
	    "\"rtt_ms\":{\"min\":1,\"p50\":2,\"avg\":3,\"p95\":50,\"max\":60},\"jitter_ms\":3},"
	    "{\"probe\":\"stamp\",\"target\":\"b\",\"ok\":true,\"sent\":100,\"recv\":100,"
	    "\"loss_pct\":0,\"rtt_ms\":{\"min\":1,\"p50\":2,\"avg\":3,\"p95\":70,\"max\":80},"
	    "\"jitter_ms\":1.0},"
	    "{\"probe\":\"http\",\"target\":\"https://t/\",\"ok\":false,\"status\":0,"
	    "\"error\":\"timeout\"},"
	    "{\"probe\":\"throughput\",\"target\":\"c\",\"ok\":true,"
	    "\"upload\":{\"mbps\":0.75}}]}";
	struct wire_topic t;
	struct wire_error e = { 0 };
	struct wire_batch b;
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag/result", &t, &e));
	assert_int_equal(wire_batch_decode(&t, text, strlen(text), &b, &e), WIRE_ACCEPT);
	struct win_sample s;
	char err[WINDOW_ERROR_MAX];
	struct win_groups g;
	window_sample_of(&b, NOW, &s, err, &g);
	assert_int_equal(s.sent, 110);
	assert_int_equal(s.recv, 109);
	assert_float_equal(s.rtt_p95_ms, 70, 1e-9);
	assert_float_equal(s.jitter_ms, 3, 1e-9);
	assert_float_equal(s.upload_mbps, 0.75, 1e-9);
	assert_int_equal(s.http_failed, 1);
	assert_string_equal(err, "https://t/ timeout");
	wire_batch_clear(&b);
}

static void
test_rollup_regency(void **state)
{
	(void)state;
	struct regency_rollup r;
	struct rollup_site s[4] = {
		{ "ag-1", SITE_OK, NOW - 60 * MIN, "all figures within bounds" },
		{ "ag-2", SITE_CRITICAL, NOW - 5 * MIN, "loss 12 % above 10 %" },
		{ "ag-3", SITE_OK, NOW - 60 * MIN, "all figures within bounds" },
		{ "ag-4", SITE_DEGRADED, NOW - 9 * MIN, "jitter 45 ms above 30 ms" },
	};
	/* 1 of 4 down: 25 % is at risk */
	rollup_regency(s, 4, false, 0.25, NOW, &r);
	assert_true(r.at_risk);
	assert_int_equal(r.worst, SITE_CRITICAL);
	assert_string_equal(r.reason, "1 of 4 sites CRITICAL or OFFLINE: ag-2 loss 12 % above 10 %");
	/* 1 of 5: not at risk in an ordinary regency... */
	struct rollup_site five[5];
	memcpy(five, s, sizeof(s));
	five[4] = s[0];
	rollup_regency(five, 5, false, 0.25, NOW, &r);
	assert_false(r.at_risk);
	/* ...but at risk in a 3T regency */
	rollup_regency(five, 5, true, 0.25, NOW, &r);
	assert_true(r.at_risk);
	assert_string_equal(r.reason, "3T site ag-2 CRITICAL for 5 min: loss 12 % above 10 %");
	/* DEGRADED alone is never at risk, even in 3T */
	s[1].status = SITE_OK;
	rollup_regency(s, 4, true, 0.25, NOW, &r);
	assert_false(r.at_risk);
	assert_string_equal(r.reason, "1 of 4 sites DEGRADED: ag-4 jitter 45 ms above 30 ms");
	s[3].status = SITE_OK;
	rollup_regency(s, 4, true, 0.25, NOW, &r);
	assert_string_equal(r.reason, "all 4 sites OK");
	rollup_regency(s, 0, true, 0.25, NOW, &r);
	assert_int_equal(r.worst, SITE_UNKNOWN);
	assert_string_equal(r.reason, "no site known in this regency");
}

static void
test_rollup_offline_3t(void **state)
{
	(void)state;
	struct regency_rollup r;
	struct rollup_site s[2] = {
		{ "ag-9501-0001", SITE_OFFLINE, NOW - 14 * MIN, "connection lost (last will)" },
		{ "ag-9501-0002", SITE_OFFLINE, NOW - 3 * MIN, "connection lost (last will)" },
	};
	rollup_regency(s, 2, true, 0.25, NOW, &r);
	assert_true(r.at_risk);
	/* the one down longest is named */
	assert_string_equal(r.reason,
	    "3T site ag-9501-0001 OFFLINE for 14 min: connection lost (last will)");
}

static void
test_rollup_area(void **state)
{
	(void)state;
	struct area_rollup a;
	struct regency_rollup r1 = { .known = 2, .worst = SITE_OFFLINE, .at_risk = true };
	struct regency_rollup r2 = { .known = 3, .worst = SITE_OK };
	struct regency_rollup r3 = { .known = 1, .worst = SITE_CRITICAL, .at_risk = true };
	struct regency_rollup empty = { .known = 0, .worst = SITE_UNKNOWN };
	r1.counts[SITE_OFFLINE] = 2;
	r2.counts[SITE_OK] = 3;
	r3.counts[SITE_CRITICAL] = 1;
	rollup_area_init(&a);
	rollup_area_add(&a, &r1, "Kabupaten Jayawijaya");
	rollup_area_add(&a, &r2, "Kota Jayapura");
	rollup_area_add(&a, &empty, "Kabupaten Mimika");
	rollup_area_add(&a, &r3, "Kabupaten Nduga");
	rollup_area_finish(&a);
	assert_int_equal(a.regencies, 3);
	assert_int_equal(a.at_risk, 2);
	assert_int_equal(a.sites, 6);
	assert_int_equal(a.worst, SITE_OFFLINE);
	assert_string_equal(a.reason,
	    "2 of 3 regencies at risk: Kabupaten Jayawijaya, Kabupaten Nduga");
	rollup_area_init(&a);
	rollup_area_add(&a, &r2, "Kota Jayapura");
	rollup_area_finish(&a);
	assert_string_equal(a.reason, "no regency at risk; 3 of 3 sites OK, 0 DEGRADED");
}

static int64_t
utc(const char *iso)
{
	int64_t ms;
	assert_int_equal(clock_parse_iso(iso, &ms), PANTAU_OK);
	return ms;
}

static void
test_counting_window(void **state)
{
	(void)state;
	struct countwin cw;
	char why[160];
	assert_int_equal(countwin_parse("2029-02-14 13:00", "2029-02-15 18:00", &cw, why,
	    sizeof(why)), PANTAU_OK);
	/* 13:00 local: 06:00Z in WIB, 05:00Z in WITA, 04:00Z in WIT */
	int64_t t = utc("2029-02-14T05:30:00Z");
	assert_false(countwin_active(&cw, CATALOG_WIB, t));
	assert_true(countwin_active(&cw, CATALOG_WITA, t));
	assert_true(countwin_active(&cw, CATALOG_WIT, t));
	assert_true(countwin_active(&cw, CATALOG_WIB, utc("2029-02-14T06:00:00Z")));
	assert_false(countwin_active(&cw, CATALOG_WIB, utc("2029-02-14T05:59:59Z")));
	/* the end: 18:00 WIT is 09:00Z, 18:00 WIB 11:00Z */
	t = utc("2029-02-15T10:00:00Z");
	assert_false(countwin_active(&cw, CATALOG_WIT, t));
	assert_false(countwin_active(&cw, CATALOG_WITA, t));
	assert_true(countwin_active(&cw, CATALOG_WIB, t));
	assert_true(countwin_any_active(&cw, t));
	assert_int_equal(countwin_next_change(&cw, t), utc("2029-02-15T11:00:00Z"));
	assert_int_equal(countwin_next_change(&cw, utc("2029-02-14T00:00:00Z")),
	    utc("2029-02-14T04:00:00Z"));
	assert_int_equal(countwin_next_change(&cw, utc("2029-03-01T00:00:00Z")), -1);
}

static void
test_counting_mode_json(void **state)
{
	(void)state;
	struct countwin cw;
	char why[160];
	assert_int_equal(countwin_parse("2029-02-14 13:00", "2029-02-15 18:00", &cw, why,
	    sizeof(why)), PANTAU_OK);
	char *j = countwin_mode_json(&cw, utc("2029-02-14T05:30:00Z"));
	json_t *o = json_loads(j, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "mode")), "counting");
	assert_string_equal(json_string_value(json_object_get(o, "until")),
	    "2029-02-15T10:00:00.000Z");  /* WITA's end: the latest of the active zones */
	json_t *wib = json_object_get(json_object_get(o, "zones"), "WIB");
	assert_false(json_is_true(json_object_get(wib, "active")));
	assert_string_equal(json_string_value(json_object_get(wib, "from")),
	    "2029-02-14T06:00:00.000Z");
	json_decref(o);
	free(j);
	j = countwin_mode_json(&cw, utc("2029-01-01T00:00:00Z"));
	o = json_loads(j, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "mode")), "normal");
	assert_null(json_object_get(o, "until"));
	json_decref(o);
	free(j);
	/* none configured */
	assert_int_equal(countwin_parse("", "", &cw, why, sizeof(why)), PANTAU_OK);
	assert_false(countwin_any_active(&cw, NOW));
	j = countwin_mode_json(&cw, NOW);
	assert_string_equal(j, "{\"mode\":\"normal\"}");
	free(j);
}

static void
test_counting_errors(void **state)
{
	(void)state;
	struct countwin cw;
	char why[200];
	assert_int_equal(countwin_parse("2029-02-14 13:00", "", &cw, why, sizeof(why)),
	    PANTAU_ERR_PARSE);
	assert_non_null(strstr(why, "like '2029-02-14 13:00'"));
	assert_int_equal(countwin_parse("2029-02-14T13:00", "2029-02-15 13:00", &cw, why,
	    sizeof(why)), PANTAU_ERR_PARSE);
	assert_int_equal(countwin_parse("2029-02-15 13:00", "2029-02-14 13:00", &cw, why,
	    sizeof(why)), PANTAU_ERR_PARSE);
	assert_string_equal(why,
	    "counting end '2029-02-14 13:00' is not after its start '2029-02-15 13:00'");
}

#include "unit_main.h"
