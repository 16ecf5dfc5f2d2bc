/*
 * GET /metrics text (collector/api/promtext.h, collector/api/metrics.h): the
 * exposition format itself (escaping, HELP/TYPE lines, numbers), and the
 * collector's metrics over a real status engine (injected clock, catalog
 * from the build) with a few sites and with 15,000: every family has one
 * HELP and one TYPE line before its samples, its samples are together, and
 * every series appears once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result_harness.h"
#include "catalog.h"
#include "harness_files.h"
#include "collector/alerts/alerts.h"
#include "collector/status/engine.h"
#include "collector/api/metrics.h"
#include "collector/api/promtext.h"
#include "log.h"

#define T0 1700000000000LL
#define SEC 1000LL
#define BIG_SITES 15000

/* ---- a checker of the exposition format ---- */

struct check {
	size_t families, samples;
	char **series;             /* every sample's name{labels} */
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Name of a metric or of the family a comment names. */
static void
word(const char *s, char *out, size_t len)
{
	size_t n = strcspn(s, "{ \n");
	assert_true(n > 0 && n < len);
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Check text line by line; fails the test with the offending line. */
static void
check_text(const char *text, struct check *c)
{
	char fam[128] = "", name[128], seen[4096] = " ";
	bool typed = false;
	size_t cap = 1024;
	memset(c, 0, sizeof(*c));
	c->series = malloc(cap * sizeof(char *));
	assert_true(text[strlen(text) - 1] == '\n');
	for (const char *p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		size_t n = strcspn(p, "\n");
		if (strncmp(p, "# HELP ", 7) == 0) {
			word(p + 7, fam, sizeof(fam));
			char key[140];
			snprintf(key, sizeof(key), " %s ", fam);
			if (strstr(seen, key) != NULL)
				fail_msg("family %s appears twice", fam);
			size_t used = strlen(seen);
			if (used + strlen(key) < sizeof(seen))
				snprintf(seen + used, sizeof(seen) - used, "%s", key + 1);
			typed = false;
			c->families++;
			continue;
		}
		if (strncmp(p, "# TYPE ", 7) == 0) {
			word(p + 7, name, sizeof(name));
			assert_string_equal(name, fam);
			const char *type = p + 7 + strlen(name) + 1;
			assert_true(strncmp(type, "gauge\n", 6) == 0 || strncmp(type, "counter\n", 8) == 0);
			typed = true;
			continue;
		}
		word(p, name, sizeof(name));
		if (!typed || strcmp(name, fam) != 0)
			fail_msg("sample outside its family: %.*s", (int)n, p);
		const char *sp = p + n;
		while (sp > p && sp[-1] != ' ')
			sp--;
		char *end;
		double v = strtod(sp, &end);
		(void)v;
		if (end != p + n)
			fail_msg("bad value: %.*s", (int)n, p);
		if (c->samples == cap)
			c->series = realloc(c->series, (cap *= 2) * sizeof(char *));
		c->series[c->samples++] = strndup(p, (size_t)(sp - p - 1));
	}
	qsort(c->series, c->samples, sizeof(char *), cmp_str);
	for (size_t i = 1; i < c->samples; i++)
		if (strcmp(c->series[i - 1], c->series[i]) == 0)
			fail_msg("series twice: %s", c->series[i]);
}

static void
check_free(struct check *c)
{
	for (size_t i = 0; i < c->samples; i++)
		free(c->series[i]);
	free(c->series);
}

/* The value of the sample line starting with series + " ", or NAN. */
static double
value_of(const char *text, const char *series)
{
	char key[512];
	snprintf(key, sizeof(key), "\n%s ", series);
	const char *p = strstr(text, key);
	return p != NULL ? strtod(p + strlen(key), NULL) : NAN;
}

/* The sample of series in text is exactly v. */
struct sample {
	const char *series;
	double v;
};

static void
samples_are(const char *text, const struct sample *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double got = value_of(text, want[i].series);
		if (!(got == want[i].v))
			fail_msg("%s: %.17g, expected %.17g", want[i].series, got, want[i].v);
	}
}

#define SAMPLES_ARE(text, want) samples_are((text), (want), sizeof(want) / sizeof((want)[0]))

static void
sample_is(const char *text, const char *series, double v)
{
	samples_are(text, &(struct sample){ series, v }, 1);
}

static size_t
count_prefix(const char *text, const char *prefix)
{
	size_t n = 0;
	char key[256];
	snprintf(key, sizeof(key), "\n%s", prefix);
	for (const char *p = text; (p = strstr(p, key)) != NULL; p++)
		n++;
	return n;
}

/* ---- the format ---- */

static void
test_format(void **state)
{
	struct promtext t;
	size_t len;
	(void)state;
	promtext_init(&t, 0);
	promtext_family(&t, "x_total", "counter", "Help with \\ and\nnew line and \"quotes\".");
	struct promtext_label l[] = { { "a", "back\\slash \"quoted\"\nline" }, { "b", NULL } };
	promtext_counter(&t, "x_total", l, 2, 18446744073709551615ULL);
	promtext_family(&t, "y", "gauge", "Y.");
	promtext_sample(&t, "y", NULL, 0, 47.9);
	promtext_sample(&t, "y", l + 1, 1, NAN);
	struct promtext_label z = { "c", "z" };
	promtext_sample(&t, "y", &z, 1, INFINITY);
	struct promtext_label w = { "c", "w" };
	promtext_sample(&t, "y", &w, 1, -3);
	char *text = promtext_take(&t, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text,
	    "# HELP x_total Help with \\\\ and\\nnew line and \"quotes\".\n"
	    "# TYPE x_total counter\n"
	    "x_total{a=\"back\\\\slash \\\"quoted\\\"\\nline\",b=\"\"} 18446744073709551615\n"
	    "# HELP y Y.\n"
	    "# TYPE y gauge\n"
	    "y 47.9\n"
	    "y{b=\"\"} NaN\n"
	    "y{c=\"z\"} +Inf\n"
	    "y{c=\"w\"} -3\n");
	free(text);
	promtext_init(&t, 0);
	text = promtext_take(&t, &len);
	assert_non_null(text);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
}

/* ---- the collector's metrics ---- */

struct fixture {
	struct catalog *cat;
	struct engine *e;
	struct alerts *al;
	struct ingest_stats in;
	struct notify_stats ns;
	int64_t seq;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->cat = harness_catalog();
	struct engine_opts o = harness_engine_opts();
	f->e = engine_new(&o, f->cat, NULL, NULL, T0);
	assert_non_null(f->e);
	assert_int_equal(engine_load(f->e), PANTAU_OK);
	struct alerts_rules r = { .resolve_hold_ms = 0, .forget_ms = 3600 * SEC };
	f->al = alerts_new(&r, f->cat);
	assert_non_null(f->al);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	engine_free(f->e);
	alerts_free(f->al);
	catalog_free(f->cat);
	free(f);
	return 0;
}

static void
birth(struct fixture *f, const char *regency, const char *agent, const char *link, int64_t t)
{
	struct wire_status st = { .online = true, .agent = agent, .boot = 1, .ts_ms = t,
		.link = link, .interval_s = 20, .lat = NAN, .lon = NAN };
	engine_status(f->e, regency, agent, &st, t);
}

static void
icmp(struct fixture *f, const char *regency, const char *agent, int64_t t, int lost, double p95)
{
	struct wire_result r;
	icmp_train(&r, 50, lost, p95, 1.5);
	struct wire_batch b = one_result_batch(agent, ++f->seq, t, &r);
	engine_batch(f->e, regency, &b, t);
}

/* The site's own traffic to one group: retrans_pct of segments, and its
 * other figures: handshake 44.2 ms, timestamps 45 ms, DNS 12 ms with 2.5 %
 * of 40 lookups failed, 3 resets, 1 SYN unanswered. */
static void
passive(struct fixture *f, const char *regency, const char *agent, int64_t t, double pct)
{
	struct wire_result r;
	wire_result_init(&r, rk_find("passive"), "passive", "tally");
	wire_result_set(&r, "segments", 5000);
	wire_result_set(&r, "retrans_pct", pct);
	wire_result_set(&r, "handshake_ms.p50", 44.2);
	wire_result_set(&r, "ts_rtt_ms.p50", 45);
	wire_result_set(&r, "dns_queries", 40);
	wire_result_set(&r, "dns_fail_pct", 2.5);
	wire_result_set(&r, "dns_ms.p50", 12);
	wire_result_set(&r, "resets", 3);
	wire_result_set(&r, "syn_unanswered", 1);
	struct wire_batch b = one_result_batch(agent, ++f->seq, t, &r);
	engine_batch(f->e, regency, &b, t);
}

static char *
render(struct fixture *f, int64_t now, size_t *len)
{
	struct metrics_source s = { .catalog = f->cat, .ingest = &f->in, .engine = f->e,
		.alerts = f->al, .notify = &f->ns, .started_ms = T0, .store_bytes = 81920 };
	char *text = metrics_render(&s, now, len);
	assert_non_null(text);
	assert_int_equal(*len, strlen(text));
	return text;
}

static void
test_metrics(void **state)
{
	struct fixture *f = *state;
	struct check c;
	size_t len;
	/* A 3T regency (tertinggal) with a name that needs escaping. */
	struct catalog_regency *r3t = NULL;
	for (size_t i = 0; i < f->cat->nregencies && r3t == NULL; i++)
		if (f->cat->regencies[i].tertinggal)
			r3t = &f->cat->regencies[i];
	assert_non_null(r3t);
	snprintf(r3t->name, sizeof(r3t->name), "KAB. \"UJI\" \\ A");
	birth(f, "32.73", "ag-3273-0001", "fiber", T0);
	birth(f, r3t->code, "ag-3t-0001", NULL, T0);
	for (int k = 0; k < 3; k++) {
		icmp(f, "32.73", "ag-3273-0001", T0 + k * 20 * SEC, 0, 47.9);
		icmp(f, r3t->code, "ag-3t-0001", T0 + k * 20 * SEC, 25, 900);
		passive(f, "32.73", "ag-3273-0001", T0 + k * 20 * SEC + SEC, 2.5);
	}
	engine_tick(f->e, T0 + 41 * SEC);
	alerts_evaluate(f->al, f->e, T0 + 41 * SEC);
	f->in = (struct ingest_stats){ .started_ms = T0, .received = 9, .batches_stored = 6,
		.results_stored = 6, .duplicates = 1, .retimed = 3, .rejected = 2, .store_errors = 0,
		.last_message_ms = T0 + 40 * SEC };
	f->in.rejected_by[WIRE_REJ_NOT_JSON] = 2;
	f->ns = (struct notify_stats){ .n = 3, .sink = { { "alertmanager", 0, 0 },
		{ "webhook", 3, 1 }, { "telegram", 0, 0 } } };
	char *text = render(f, T0 + 41 * SEC, &len);
	check_text(text, &c);
	char series[512];
	static const struct sample want[] = {
		{ "pantau_messages_received_total", 9 },
		{ "pantau_messages_rejected_total{reason=\"not_json\"}", 2 },
		{ "pantau_messages_rejected_total{reason=\"bad_topic\"}", 0 },
		{ "pantau_batches_duplicate_total", 1 },
		{ "pantau_batches_retimed_total", 3 },
		{ "pantau_ingest_lag_seconds", 1 },
		{ "pantau_store_bytes", 81920 },
		{ "pantau_alert_deliveries_sent_total{receiver=\"webhook\"}", 3 },
		{ "pantau_alert_deliveries_failed_total{receiver=\"webhook\"}", 1 },
		{ "pantau_site_rtt_p95_seconds{agent=\"ag-3273-0001\",regency=\"32.73\","
		  "link=\"fiber\"}", 0.0479 },
		{ "pantau_site_status{agent=\"ag-3273-0001\",regency=\"32.73\",link=\"fiber\"}", 0 },
		{ "pantau_regency_sites{regency=\"32.73\",province=\"32\",status=\"OK\"}", 1 },
		{ "pantau_sites{status=\"CRITICAL\"}", 1 },
		{ "pantau_regencies_at_risk", 1 },
		{ "pantau_alerts_firing{alertname=\"PantauSiteDown\"}", 1 },
		{ "pantau_alerts_firing{alertname=\"PantauRegencyAtRisk\"}", 1 },
		{ "pantau_counting_window_active{zone=\"WIT\"}", 0 },
		{ "pantau_site_retrans_ratio{agent=\"ag-3273-0001\",regency=\"32.73\","
		  "link=\"fiber\"}", 0.025 },
	};
	SAMPLES_ARE(text, want);
	snprintf(series, sizeof(series),
	    "pantau_site_loss_ratio{agent=\"ag-3t-0001\",regency=\"%s\",link=\"unknown\"}",
	    r3t->code);
	sample_is(text, series, 0.5);
	snprintf(series, sizeof(series),
	    "pantau_site_status{agent=\"ag-3t-0001\",regency=\"%s\",link=\"unknown\"}", r3t->code);
	sample_is(text, series, 3);
	snprintf(series, sizeof(series), "pantau_regency_at_risk{regency=\"%s\",province=\"%.2s\","
	    "name=\"KAB. \\\"UJI\\\" \\\\ A\",tertinggal=\"true\",three_t=\"true\"}", r3t->code,
	    r3t->code);
	sample_is(text, series, 1);
	snprintf(series, sizeof(series), "pantau_regency_sites{regency=\"%s\",province=\"%.2s\","
	    "status=\"CRITICAL\"}", r3t->code, r3t->code);
	sample_is(text, series, 1);
	/* the site's own traffic: medians of the batches' worst group, sums of counts */
	static const struct { const char *family; double v; } traffic[] = {
		{ "pantau_site_dns_fail_ratio", 0.025 },
		{ "pantau_site_handshake_rtt_seconds", 0.0442 },
		{ "pantau_site_tcp_timestamp_rtt_seconds", 0.045 },
		{ "pantau_site_dns_answer_seconds", 0.012 },
		{ "pantau_site_tcp_resets", 9 },
		{ "pantau_site_syn_unanswered", 3 },
	};
	for (size_t i = 0; i < sizeof(traffic) / sizeof(traffic[0]); i++) {
		snprintf(series, sizeof(series), "%s{agent=\"ag-3273-0001\",regency=\"32.73\","
		    "link=\"fiber\"}", traffic[i].family);
		assert_float_equal(value_of(text, series), traffic[i].v, 1e-9);
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "%s{", traffic[i].family);
		assert_int_equal(count_prefix(text, prefix), 1);  /* the 3T site has none */
		snprintf(prefix, sizeof(prefix), "# HELP %s ", traffic[i].family);
		assert_non_null(strstr(text, prefix));
	}
	assert_non_null(strstr(text, "# HELP pantau_site_dns_fail_ratio DNS lookups of the "
	                             "site's own traffic (passive) that failed"));
	/* No upload measured: no sample, rather than a made-up 0. */
	assert_int_equal(count_prefix(text, "pantau_site_upload_bits_per_second{"), 0);
	assert_int_equal(count_prefix(text, "pantau_site_retrans_ratio{"), 1);
	assert_int_equal(count_prefix(text, "pantau_site_status{"), 2);
	check_free(&c);
	free(text);
}

/* Without the engine and the alerts: only the collector's own metrics. */
static void
test_metrics_internals_only(void **state)
{
	struct ingest_stats in = { .started_ms = T0 };
	struct metrics_source s = { .ingest = &in, .store_bytes = -1 };
	struct check c;
	size_t len;
	(void)state;
	char *text = metrics_render(&s, T0 + 5 * SEC, &len);
	assert_non_null(text);
	check_text(text, &c);
	sample_is(text, "pantau_ingest_lag_seconds", 5);
	assert_null(strstr(text, "pantau_store_bytes"));
	assert_null(strstr(text, "pantau_site_"));
	assert_null(strstr(text, "pantau_alerts_firing"));
	check_free(&c);
	free(text);
}

/* 15,000 sites over every regency: valid text, one series per site and
 * figure (the render time is in make bench). */
static void
test_metrics_many_sites(void **state)
{
	struct fixture *f = *state;
	struct check c;
	size_t len;
	char agent[32];
	for (int i = 0; i < BIG_SITES; i++) {
		const struct catalog_regency *r = &f->cat->regencies[(size_t)i % f->cat->nregencies];
		snprintf(agent, sizeof(agent), "ag-%.2s%.2s-%05d", r->code, r->code + 3, i);
		icmp(f, r->code, agent, T0 + 10 * SEC, i % 100 == 0 ? 10 : 0, 40 + i % 7);
	}
	engine_tick(f->e, T0 + 11 * SEC);
	alerts_evaluate(f->al, f->e, T0 + 11 * SEC);
	char *text = render(f, T0 + 11 * SEC, &len);
	check_text(text, &c);
	assert_int_equal(count_prefix(text, "pantau_site_status{"), BIG_SITES);
	assert_int_equal(count_prefix(text, "pantau_site_rtt_p95_seconds{"), BIG_SITES);
	assert_int_equal(count_prefix(text, "pantau_site_loss_ratio{"), BIG_SITES);
	assert_int_equal(count_prefix(text, "pantau_regency_at_risk{"), f->cat->nregencies);
	assert_int_equal(count_prefix(text, "pantau_regency_sites{"),
	    f->cat->nregencies * SITE_STATUS_COUNT);
	double total = 0;
	for (int s = 0; s < SITE_STATUS_COUNT; s++) {
		char series[64];
		snprintf(series, sizeof(series), "pantau_sites{status=\"%s\"}",
		    sitestate_name((enum site_status)s));
		total += value_of(text, series);
	}
	assert_true(total == BIG_SITES);
	check_free(&c);
	free(text);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#define UNIT_LOG_LEVEL LOG_LEVEL_WARN
#include "unit_main.h"
