/* What `pantau` prints, byte for byte: JSON in, text out, the clock injected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collector/cli/format.h"
#include "collector/cli/spark.h"
#include "collector/cli/text.h"

/* 2024-02-14T06:05:00.000Z */
#define NOW_MS 1707890700000LL

static const char regions_json[] =
    "{\"generated\":\"2024-02-14T06:05:00.000Z\",\"window_s\":300,\"regions\":["
    "{\"code\":\"95.01\",\"name\":\"Kabupaten Jayawijaya\",\"province\":\"95\","
    "\"province_name\":\"Papua Pegunungan\",\"sites_known\":5,\"sites_reporting\":3,"
    "\"status_counts\":{\"UNKNOWN\":0,\"OK\":3,\"DEGRADED\":0,\"CRITICAL\":0,\"OFFLINE\":2},"
    "\"status\":\"OFFLINE\",\"reason\":\"2 of 5 sites OFFLINE: ag-9501-0003 connection lost "
    "(last will) 3 min ago\",\"last_result\":\"2024-02-14T06:04:30.125Z\","
    "\"rtt_p50_ms\":640.5,\"rtt_p95_ms\":1512.25,\"loss_pct\":12.5},"
    "{\"code\":\"11.09\",\"name\":\"Kabupaten Simeulue Dan Pulau-Pulau Sekitarnya\","
    "\"province\":\"11\",\"province_name\":\"Aceh\",\"sites_known\":1,\"sites_reporting\":0,"
    "\"status_counts\":{\"UNKNOWN\":1,\"OK\":0,\"DEGRADED\":0,\"CRITICAL\":0,\"OFFLINE\":0},"
    "\"status\":\"UNKNOWN\",\"reason\":\"1 of 1 site UNKNOWN: ag-1109-0001 no result received "
    "yet\",\"last_result\":null,\"rtt_p50_ms\":null,\"rtt_p95_ms\":null,\"loss_pct\":null},"
    "{\"code\":\"32.73\",\"name\":\"Kota Bandung\",\"province\":\"32\","
    "\"province_name\":\"Jawa Barat\",\"sites_known\":3,\"sites_reporting\":3,"
    "\"status_counts\":{\"UNKNOWN\":0,\"OK\":3,\"DEGRADED\":0,\"CRITICAL\":0,\"OFFLINE\":0},"
    "\"status\":\"OK\",\"reason\":\"all 3 sites reporting\","
    "\"last_result\":\"2024-02-14T04:55:00.000Z\",\"rtt_p50_ms\":43,\"rtt_p95_ms\":47.9,"
    "\"loss_pct\":0}]}";

static const char site_json[] =
    "{\"agent\":\"ag-3273-0001\",\"site\":\"SMPN 2 Bandung\",\"regency\":\"32.73\","
    "\"regency_name\":\"Kota Bandung\",\"province\":\"32\",\"province_name\":\"Jawa Barat\","
    "\"link\":\"fiber\",\"lat\":-6.915,\"lon\":107.61,\"status\":\"OK\","
    "\"reason\":\"reporting; last result 30 s ago\",\"first_seen\":\"2024-02-01T00:00:00.000Z\","
    "\"last_result\":\"2024-02-14T06:04:30.125Z\",\"boot\":17,\"version\":\"0.1.0\","
    "\"interval_s\":60,\"skew_ms\":875,\"clock_skew_ms\":-10800000,"
    "\"clock\":\"agent clock 3 h 0 min behind\",\"outbox\":{\"pending\":0,\"dropped\":2},"
    "\"delivery\":{\"expected\":1042,\"stored\":1040,\"missing\":2,\"duplicates\":3,"
    "\"dropped\":2},"
    "\"latest_batch\":{\"boot\":17,\"seq\":1042,\"ts\":\"2024-02-14T06:04:30.125Z\"},"
    "\"latest\":["
    "{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"sent\":10,\"recv\":10,\"loss_pct\":0,"
    "\"rtt_ms\":{\"min\":41.2,\"p50\":43.0,\"avg\":43.4,\"p95\":47.9,\"max\":52.1},"
    "\"jitter_ms\":1.9},"
    "{\"probe\":\"http\",\"target\":\"https://tally.example/api/ping\",\"ok\":true,"
    "\"status\":200,\"total_ms\":141.0},"
    "{\"probe\":\"tcp\",\"target\":\"tally.example:443\",\"ok\":false,"
    "\"error\":\"connection refused\"}],\"series\":[]}";

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);
	if (doc == NULL)
		fail_msg("test JSON: %s at %d", e.text, e.position);
	return doc;
}

/* Run a formatter into a string (caller frees). */
static char *
render(pantau_err (*fn)(FILE *, const json_t *, const struct fmt_opts *), const char *json,
    int width, bool color, pantau_err *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *doc = load(json);
	struct fmt_opts o = { .now_ms = NOW_MS, .width = width, .color = color };
	assert_non_null(out);
	*rc = fn(out, doc, &o);
	fclose(out);
	json_decref(doc);
	return text;
}

/* got (freed here) is want to the byte; both are printed when not. */
static void
output_is(char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("output differs.\n--- got\n%s--- want\n%s---", got, want);
	free(got);
}

/* got (freed here) holds each of the n parts. */
static void
output_has(char *got, const char *const *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(got, parts[i]) == NULL)
			fail_msg("no \"%s\" in:\n%s", parts[i], got);
	free(got);
}

#define OUTPUT_HAS(got, parts) output_has((got), (parts), sizeof(parts) / sizeof((parts)[0]))

/* Every line of got (freed here) fits in cols columns. */
static void
output_fits(char *got, size_t cols)
{
	for (char *line = got, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		assert_true(text_cols(line) <= cols);
	}
	free(got);
}

static void
expect(pantau_err (*fn)(FILE *, const json_t *, const struct fmt_opts *), const char *json,
    int width, bool color, const char *want)
{
	pantau_err rc;
	char *got = render(fn, json, width, color, &rc);
	assert_int_equal(rc, PANTAU_OK);
	output_is(got, want);
}

static void
test_summary_piped(void **state)
{
	(void)state;
	expect(fmt_summary, regions_json, 0, false,
	    "STATUS    REGENCY                     PROVINCE      SITES  RTT p50/p95 ms  LOSS %  "
	    "LAST    REASON\n"
	    "OFFLINE   95.01 Kab. Jayawijaya       Papua Pegun\xe2\x80\xa6    3/5        640/1512    "
	    "12.5  29 s    2 of 5 sites OFFLINE: ag-9501-0003 connection lost (last will) 3 min ago\n"
	    "UNKNOWN   11.09 Kab. Simeulue Dan P\xe2\x80\xa6  Aceh            0/1             -/-       "
	    "-  never   1 of 1 site UNKNOWN: ag-1109-0001 no result received yet\n"
	    "OK        32.73 Kota Bandung          Jawa Barat      3/3       43.0/47.9     0.0  "
	    "70 min  all 3 sites reporting\n"
	    "\n"
	    "3 regencies: 1 OFFLINE, 1 UNKNOWN, 1 OK; sites: 2 OFFLINE, 1 UNKNOWN, 6 OK\n");
}

static void
test_summary_80_columns(void **state)
{
	(void)state;
	expect(fmt_summary, regions_json, 80, false,
	    "STATUS    REGENCY                     SITES  RTT p50/p95 ms  LOSS %  LAST\n"
	    "OFFLINE   95.01 Kab. Jayawijaya         3/5        640/1512    12.5  29 s\n"
	    "          2 of 5 sites OFFLINE: ag-9501-0003 connection lost (last will) 3 min \xe2\x80\xa6\n"
	    "UNKNOWN   11.09 Kab. Simeulue Dan P\xe2\x80\xa6    0/1             -/-       -  never\n"
	    "          1 of 1 site UNKNOWN: ag-1109-0001 no result received yet\n"
	    "OK        32.73 Kota Bandung            3/3       43.0/47.9     0.0  70 min\n"
	    "          all 3 sites reporting\n"
	    "\n"
	    "3 regencies: 1 OFFLINE, 1 UNKNOWN, 1 OK; sites: 2 OFFLINE, 1 UNKNOWN, 6 OK\n");
}

static void
test_summary_wide_terminal_cuts_reason(void **state)
{
	(void)state;
	pantau_err rc;
	char *got = render(fmt_summary, regions_json, FMT_W_FIXED + FMT_W_REASON_INLINE, false,
	    &rc);
	assert_int_equal(rc, PANTAU_OK);
	assert_non_null(strstr(got, "2 of 5 sites OFFLINE: ag-9501-0003 connection l\xe2\x80\xa6\n"));
	output_fits(got, FMT_W_FIXED + FMT_W_REASON_INLINE);   /* every line fits the terminal */
}

static void
test_summary_colour(void **state)
{
	(void)state;
	pantau_err rc;
	/* the status word is coloured, its padding is not */
	static const char *const coloured[] = { "\n\033[1;31mOFFLINE\033[0m   95.01",
		"\n\033[32mOK\033[0m        32.73", "1 \033[35mUNKNOWN\033[0m, 1 \033[32mOK\033[0m;" };
	OUTPUT_HAS(render(fmt_summary, regions_json, 0, true, &rc), coloured);
	char *got = render(fmt_summary, regions_json, 0, false, &rc);
	assert_null(strchr(got, '\033'));
	free(got);
}

static void
test_summary_empty_and_bad(void **state)
{
	(void)state;
	pantau_err rc;
	expect(fmt_summary, "{\"regions\":[]}", 0, false,
	    "no regency has a known site yet\n");
	char *got = render(fmt_summary, "{\"error\":\"x\"}", 0, false, &rc);
	assert_int_equal(rc, PANTAU_ERR_PARSE);
	free(got);
	got = render(fmt_site, "{\"regions\":[]}", 0, false, &rc);
	assert_int_equal(rc, PANTAU_ERR_PARSE);
	free(got);
}

static void
test_site(void **state)
{
	(void)state;
	expect(fmt_site, site_json, 0, false,
	    "site      SMPN 2 Bandung (ag-3273-0001)\n"
	    "regency   32.73 Kota Bandung, Jawa Barat\n"
	    "link      fiber, every 60 s, agent 0.1.0, boot 17\n"
	    "location  -6.915, 107.61\n"
	    "status    OK: reporting; last result 30 s ago\n"
	    "last      2024-02-14T06:04:30.125Z (29 s ago), clock skew 875 ms\n"
	    "clock     agent clock 3 h 0 min behind\n"
	    "outbox    0 pending, 2 dropped\n"
	    "delivery  1040 of 1042 batches stored, 2 missing, 3 duplicates suppressed, 2 dropped "
	    "by the outbox\n"
	    "rtt 1 h   no icmp result in the last hour\n"
	    "\n"
	    "latest results, measured 2024-02-14T06:04:30.125Z:\n"
	    "  icmp 203.0.113.10: 10/10 replies, loss 0 %, rtt p50 43.0 ms p95 47.9 ms, "
	    "jitter 1.9 ms\n"
	    "  http https://tally.example/api/ping: 200 in 141 ms\n"
	    "  tcp tally.example:443: FAILED connection refused\n");
}

static void
test_site_never_reported(void **state)
{
	(void)state;
	expect(fmt_site,
	    "{\"agent\":\"ag-9501-0009\",\"site\":null,\"regency\":\"95.01\","
	    "\"regency_name\":\"Kabupaten Jayawijaya\",\"province\":\"95\","
	    "\"province_name\":\"Papua Pegunungan\",\"link\":\"vsat-geo\",\"lat\":null,\"lon\":null,"
	    "\"status\":\"UNKNOWN\",\"reason\":\"no result received yet\",\"last_result\":null,"
	    "\"boot\":null,\"version\":null,\"interval_s\":null,\"skew_ms\":null,"
	    "\"outbox\":{\"pending\":null,\"dropped\":null},\"latest_batch\":null,\"latest\":[]}",
	    0, false,
	    "site      ag-9501-0009 (no site name yet)\n"
	    "regency   95.01 Kabupaten Jayawijaya, Papua Pegunungan\n"
	    "link      vsat-geo, agent version unknown\n"
	    "status    UNKNOWN: no result received yet\n"
	    "last      no result yet\n"
	    "outbox    not reported\n"
	    "\n"
	    "no result received yet\n");
}

static void
result_is(const char *json, bool color, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *r = load(json);
	fmt_result(out, r, color);
	fclose(out);
	json_decref(r);
	output_is(text, want);
}

static void
test_result_lines(void **state)
{
	(void)state;
	result_is("{\"probe\":\"icmp\",\"target\":\"10.0.0.1\",\"sent\":20,\"recv\":19,"
	          "\"loss_pct\":5,\"rtt_ms\":{\"p50\":612.4,\"p95\":1840.2}}", false,
	    "icmp 10.0.0.1: 19/20 replies, loss 5 %, rtt p50 612 ms p95 1840 ms");
	result_is("{\"probe\":\"icmp\",\"target\":\"10.0.0.1\",\"sent\":3,\"recv\":2,"
	          "\"loss_pct\":33.333,\"rtt_ms\":{\"p50\":4.25,\"p95\":9}}", false,
	    "icmp 10.0.0.1: 2/3 replies, loss 33.3 %, rtt p50 4.2 ms p95 9.0 ms");
	result_is("{\"probe\":\"icmp\",\"target\":\"10.0.0.1\",\"sent\":10,\"recv\":0,"
	          "\"loss_pct\":100}", false, "icmp 10.0.0.1: 0/10 replies, loss 100 %");
	result_is("{\"probe\":\"icmp\",\"target\":\"tally.example\",\"sent\":0,\"recv\":0,"
	          "\"loss_pct\":100,\"error\":\"name does not resolve\"}", false,
	    "icmp tally.example: FAILED name does not resolve");
	result_is("{\"probe\":\"http\",\"target\":\"https://t.example/\",\"ok\":false,"
	          "\"status\":503,\"error\":\"service unavailable\"}", false,
	    "http https://t.example/: FAILED status 503: service unavailable");
	result_is("{\"probe\":\"http\",\"target\":\"https://t.example/\",\"ok\":false,"
	          "\"status\":0,\"error\":\"TLS handshake failed\"}", true,
	    "http https://t.example/: \033[31mFAILED\033[0m TLS handshake failed");
	result_is("{\"probe\":\"tcp\",\"target\":\"t.example:443\",\"ok\":true,\"connect_ms\":44}",
	    false, "tcp t.example:443: connected in 44.0 ms");
	result_is("{\"probe\":\"stamp\",\"target\":\"10.0.0.2:862\",\"ok\":true,\"owd_ms\":3}",
	    false, "stamp 10.0.0.2:862: ok");
	result_is("{\"probe\":\"stamp\",\"target\":\"10.0.0.2:862\",\"ok\":false,"
	          "\"error\":\"no reflector\"}", false, "stamp 10.0.0.2:862: FAILED no reflector");
}


/* ---- the last hour as a sparkline ---- */

static const char spark_site_json[] =
    "{\"agent\":\"ag-9501-0001\",\"site\":\"SD Wamena\",\"regency\":\"95.01\","
    "\"regency_name\":\"Kabupaten Jayawijaya\",\"province\":\"95\","
    "\"province_name\":\"Papua Pegunungan\",\"link\":\"vsat-geo\",\"status\":\"DEGRADED\","
    "\"reason\":\"rtt p95 600 ms above its usual 41 ms\","
    "\"last_result\":\"2024-02-14T06:04:30.000Z\",\"interval_s\":60,"
    "\"outbox\":{\"pending\":3,\"dropped\":0},"
    "\"latest_batch\":{\"ts\":\"2024-02-14T06:04:30.000Z\"},"
    "\"latest\":[{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"sent\":20,\"recv\":20,"
    "\"loss_pct\":0,\"rtt_ms\":{\"p50\":40,\"p95\":41}}],"
    "\"series\":["
    "{\"probe\":\"http\",\"target\":\"https://t.example/\",\"points\":["
    "{\"ts\":\"2024-02-14T06:00:00.000Z\",\"ok\":true,\"status\":200,\"total_ms\":900}]},"
    "{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"points\":["
    "{\"ts\":\"2024-02-14T04:00:00.000Z\",\"rtt_p95_ms\":9999,\"loss_pct\":0},"
    "{\"ts\":\"2024-02-14T05:06:00.000Z\",\"rtt_p95_ms\":40,\"loss_pct\":0},"
    "{\"ts\":\"2024-02-14T05:10:00.000Z\",\"rtt_p95_ms\":42,\"loss_pct\":0},"
    "{\"ts\":\"2024-02-14T05:30:00.000Z\",\"rtt_p95_ms\":null,\"loss_pct\":100},"
    "{\"ts\":\"2024-02-14T06:00:00.000Z\",\"rtt_p95_ms\":600,\"loss_pct\":5},"
    "{\"ts\":\"2024-02-14T06:04:30.000Z\",\"rtt_p95_ms\":41,\"loss_pct\":0}]},"
    "{\"probe\":\"icmp\",\"target\":\"203.0.113.99\",\"points\":["
    "{\"ts\":\"2024-02-14T05:40:00.000Z\",\"rtt_p95_ms\":null,\"loss_pct\":100}]}]}";

#define B1 "\xe2\x96\x81"
#define B8 "\xe2\x96\x88"
#define DOT "\xc2\xb7"

static void
test_site_sparkline(void **state)
{
	(void)state;
	expect(fmt_site, spark_site_json, 0, false,
	    "site      SD Wamena (ag-9501-0001)\n"
	    "regency   95.01 Kabupaten Jayawijaya, Papua Pegunungan\n"
	    "link      vsat-geo, every 60 s, agent version unknown\n"
	    "status    DEGRADED: rtt p95 600 ms above its usual 41 ms\n"
	    "last      2024-02-14T06:04:30.000Z (30 s ago)\n"
	    "outbox    3 pending, 0 dropped\n"
	    "rtt 1 h   " B1 DOT B1 DOT DOT DOT DOT DOT DOT DOT DOT DOT "x" DOT DOT DOT DOT DOT
	    DOT DOT DOT DOT DOT DOT DOT DOT DOT B8 DOT B1 "  icmp 203.0.113.10, p95 40.0-600 ms\n"
	    "          " DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT
	    "x" DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT DOT "  icmp 203.0.113.99, every packet lost\n"
	    "\n"
	    "latest results, measured 2024-02-14T06:04:30.000Z:\n"
	    "  icmp 203.0.113.10: 20/20 replies, loss 0 %, rtt p50 40.0 ms p95 41.0 ms\n");
}

static void
test_spark_levels(void **state)
{
	(void)state;
	struct spark s;
	char line[SPARK_MAX];
	/* 8 points rising evenly over the last 16 minutes: every level once */
	char buf[1024] = "[";
	size_t used = 1;
	for (int i = 0; i < 8; i++) {
		char iso[CLOCK_ISO_LEN], pt[128];
		clock_format_iso(NOW_MS - (7 - i) * 120000LL, iso);
		snprintf(pt, sizeof(pt), "%s{\"ts\":\"%s\",\"rtt_p95_ms\":%d}", i ? "," : "", iso,
		    100 + i * 10);
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s", pt);
	}
	snprintf(buf + used, sizeof(buf) - used, "]");
	json_t *points = load(buf);
	spark_bin_points(points, "rtt_p95_ms", NOW_MS, &s);
	spark_draw(&s, line, sizeof(line));
	assert_int_equal(s.points, 8);
	assert_string_equal(line + 22 * 2,
	    "\xe2\x96\x81\xe2\x96\x82\xe2\x96\x83\xe2\x96\x84\xe2\x96\x85\xe2\x96\x86\xe2\x96\x87"
	    "\xe2\x96\x88");
	json_decref(points);
	/* a point exactly at now - 1 h is out, one at now is in the last bin */
	points = load("[{\"ts\":\"2024-02-14T05:05:00.000Z\",\"rtt_p95_ms\":5},"
	              "{\"ts\":\"2024-02-14T06:05:00.000Z\",\"rtt_p95_ms\":5}]");
	spark_bin_points(points, "rtt_p95_ms", NOW_MS, &s);
	assert_int_equal(s.points, 1);
	assert_int_equal(s.kind[SPARK_BINS - 1], SPARK_VALUE);
	json_decref(points);
}

/* ---- regions --at-risk ---- */

static const char risk_json[] =
    "{\"generated\":\"2024-02-14T06:05:00.000Z\",\"window_s\":300,\"regions\":["
    "{\"code\":\"95.01\",\"name\":\"Kabupaten Jayawijaya\",\"province\":\"95\","
    "\"province_name\":\"Papua Pegunungan\",\"sites_known\":2,\"sites_reporting\":1,"
    "\"status_counts\":{\"UNKNOWN\":0,\"OK\":1,\"DEGRADED\":0,\"CRITICAL\":1,\"OFFLINE\":0},"
    "\"status\":\"CRITICAL\",\"at_risk\":true,\"is_3t\":true,\"tertinggal\":true,"
    "\"since\":\"2024-02-14T05:53:00.000Z\",\"reason\":\"3T site ag-9501-0001 CRITICAL for "
    "12 min: loss 50 % above 10 %\"},"
    "{\"code\":\"32.73\",\"name\":\"Kota Bandung\",\"province\":\"32\","
    "\"province_name\":\"Jawa Barat\",\"sites_known\":4,\"sites_reporting\":2,"
    "\"status_counts\":{\"UNKNOWN\":0,\"OK\":2,\"DEGRADED\":0,\"CRITICAL\":1,\"OFFLINE\":1},"
    "\"status\":\"OFFLINE\",\"at_risk\":true,\"is_3t\":false,"
    "\"since\":\"2024-02-14T03:05:00.000Z\",\"reason\":\"2 of 4 sites CRITICAL or OFFLINE: "
    "ag-3273-0002 connection lost (last will) 3 h ago\"},"
    "{\"code\":\"33.01\",\"name\":\"Kabupaten Cilacap\",\"province\":\"33\","
    "\"province_name\":\"Jawa Tengah\",\"sites_known\":1,\"sites_reporting\":1,"
    "\"status_counts\":{\"UNKNOWN\":0,\"OK\":1,\"DEGRADED\":0,\"CRITICAL\":0,\"OFFLINE\":0},"
    "\"status\":\"OK\",\"at_risk\":false,\"is_3t\":false,"
    "\"since\":\"2024-02-14T00:00:00.000Z\",\"reason\":\"the only site is OK\"}]}";

static void
test_at_risk(void **state)
{
	(void)state;
	expect(fmt_at_risk, risk_json, 0, false,
	    "REGENCY                     PROVINCE      3T   DOWN  SINCE   REASON\n"
	    "95.01 Kab. Jayawijaya       Papua Pegun\xe2\x80\xa6  3T    1/2  12 min  3T site "
	    "ag-9501-0001 CRITICAL for 12 min: loss 50 % above 10 %\n"
	    "32.73 Kota Bandung          Jawa Barat          2/4  3 h     2 of 4 sites CRITICAL or "
	    "OFFLINE: ag-3273-0002 connection lost (last will) 3 h ago\n"
	    "\n"
	    "2 of 3 regencies at risk\n");
	expect(fmt_at_risk, "{\"regions\":[{\"code\":\"33.01\",\"at_risk\":false}]}", 0, false,
	    "no regency is at risk (1 regency with sites)\n");
	json_t *doc = load(risk_json), *only = fmt_at_risk_json(doc);
	json_t *regions = json_object_get(only, "regions");
	assert_int_equal(json_array_size(regions), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(regions, 1), "code")),
	    "32.73");
	assert_string_equal(json_string_value(json_object_get(only, "generated")),
	    "2024-02-14T06:05:00.000Z");
	assert_int_equal(json_array_size(json_object_get(doc, "regions")), 3);
	json_decref(only);
	json_decref(doc);
	pantau_err rc;
	free(render(fmt_at_risk, "{\"alerts\":[]}", 0, false, &rc));
	assert_int_equal(rc, PANTAU_ERR_PARSE);
}

/* ---- alerts ---- */

static const char alerts_json[] =
    "{\"firing\":2,\"alerts\":["
    "{\"key\":\"PantauSiteDown/ag-9501-0001\",\"alertname\":\"PantauSiteDown\","
    "\"severity\":\"critical\",\"province\":\"95\",\"regency\":\"95.01\","
    "\"regency_name\":\"Kabupaten Jayawijaya\",\"site\":\"ag-9501-0001\","
    "\"link\":\"vsat-geo\",\"is_3t\":true,\"status\":\"CRITICAL\","
    "\"reason\":\"loss 50 % above 10 %\",\"firing\":true,"
    "\"since\":\"2024-02-14T05:52:00.000Z\",\"starts_at\":\"2024-02-14T05:53:00.000Z\","
    "\"ends_at\":null},"
    "{\"key\":\"PantauRegencyAtRisk/95.01\",\"alertname\":\"PantauRegencyAtRisk\","
    "\"severity\":\"warning\",\"province\":\"95\",\"regency\":\"95.01\","
    "\"regency_name\":\"Kabupaten Jayawijaya\",\"site\":\"\",\"status\":\"CRITICAL\","
    "\"reason\":\"3T site ag-9501-0001 CRITICAL for 12 min: loss 50 % above 10 %\","
    "\"firing\":true,\"starts_at\":\"2024-02-14T05:53:00.000Z\",\"ends_at\":null},"
    "{\"key\":\"PantauSiteDown/ag-3273-0002\",\"alertname\":\"PantauSiteDown\","
    "\"severity\":\"warning\",\"province\":\"32\",\"regency\":\"32.73\","
    "\"regency_name\":\"Kota Bandung\",\"site\":\"ag-3273-0002\",\"status\":\"OK\","
    "\"reason\":\"all figures within bounds\",\"firing\":false,"
    "\"starts_at\":\"2024-02-14T04:00:00.000Z\",\"ends_at\":\"2024-02-14T06:00:00.000Z\"}]}";

static void
test_alerts(void **state)
{
	(void)state;
	expect(fmt_alerts, alerts_json, 0, false,
	    "STATE     SEVERITY  ALERT                WHERE                                 AGE     "
	    "REASON\n"
	    "FIRING    critical  PantauSiteDown       ag-9501-0001, 95.01 Kab. Jayawijaya   12 min  "
	    "CRITICAL: loss 50 % above 10 %\n"
	    "FIRING    warning   PantauRegencyAtRisk  95.01 Kab. Jayawijaya                 12 min  "
	    "CRITICAL: 3T site ag-9501-0001 CRITICAL for 12 min: loss 50 % above 10 %\n"
	    "resolved  warning   PantauSiteDown       ag-3273-0002, 32.73 Kota Bandung      5 min   "
	    "OK: all figures within bounds\n"
	    "\n"
	    "2 firing, 1 resolved\n");
	expect(fmt_alerts, "{\"firing\":0,\"alerts\":[]}", 0, false, "no alert\n");
	pantau_err rc;
	static const char *const coloured[] = { "\n\033[1;31mFIRING\033[0m    critical",
		"\n\033[33mFIRING\033[0m    warning", "\nresolved  warning" };
	OUTPUT_HAS(render(fmt_alerts, alerts_json, 0, true, &rc), coloured);
	/* a terminal of 100 columns: the reason is cut at its edge */
	output_fits(render(fmt_alerts, alerts_json, 100, false, &rc), 100);
}

/* ---- watch ---- */

static const char overview_json[] =
    "{\"generated\":\"2024-02-14T06:05:00.000Z\","
    "\"nation\":{\"regencies\":3,\"regencies_at_risk\":2,\"sites\":7,"
    "\"site_counts\":{\"UNKNOWN\":0,\"OK\":4,\"DEGRADED\":0,\"CRITICAL\":2,\"OFFLINE\":1},"
    "\"status\":\"OFFLINE\",\"at_risk\":true,\"reason\":\"2 of 3 regencies at risk\"},"
    "\"provinces\":[],\"counting\":{\"configured\":true,\"active\":true,\"zones\":{"
    "\"WIB\":{\"local_time\":\"2024-02-14T13:05:00\",\"active\":true},"
    "\"WITA\":{\"local_time\":\"2024-02-14T14:05:00\",\"active\":false},"
    "\"WIT\":{\"local_time\":\"2024-02-14T15:05:00\",\"active\":true}}}}";

static char *
render_watch(size_t rows, bool color)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *ov = load(overview_json), *rg = load(risk_json), *al = load(alerts_json);
	struct fmt_watch_docs d = { "http://127.0.0.1:8080", ov, rg, al };
	struct fmt_opts o = { .now_ms = NOW_MS, .width = 0, .color = color };
	assert_int_equal(fmt_watch(out, &d, &o, rows), PANTAU_OK);
	fclose(out);
	json_decref(ov);
	json_decref(rg);
	json_decref(al);
	return text;
}

static void
test_watch(void **state)
{
	(void)state;
	char *got = render_watch(2, false);
	const char *want =
	    "pantau watch  http://127.0.0.1:8080  2024-02-14 06:05:00 UTC  WIB 13:05  WITA 14:05  "
	    "WIT 15:05\n"
	    "VOTE COUNTING WINDOW ACTIVE: WIB, WIT\n"
	    "sites 7: 1 OFFLINE, 2 CRITICAL, 4 OK; regencies at risk: 2 of 3; alerts firing: 2\n"
	    "\n"
	    "STATUS    REGENCY                     PROVINCE      SITES  RTT p50/p95 ms  LOSS %  "
	    "LAST    REASON\n"
	    "CRITICAL  95.01 Kab. Jayawijaya       Papua Pegun\xe2\x80\xa6    1/2             -/-       "
	    "-  never   3T site ag-9501-0001 CRITICAL for 12 min: loss 50 % above 10 %\n"
	    "OFFLINE   32.73 Kota Bandung          Jawa Barat      2/4             -/-       -  "
	    "never   2 of 4 sites CRITICAL or OFFLINE: ag-3273-0002 connection lost (last will) 3 h "
	    "ago\n"
	    "... 1 more regency: pantau summary\n";
	output_is(got, want);
	got = render_watch(0, true);
	assert_non_null(strstr(got, "\033[1;35mVOTE COUNTING WINDOW ACTIVE: WIB, WIT\033[0m\n"));
	assert_non_null(strstr(got, "regencies at risk: \033[31m2\033[0m of 3"));
	assert_null(strstr(got, "more regenc"));
	assert_non_null(strstr(got, "33.01 Kab. Cilacap"));
	free(got);
}

static void
test_text_fit(void **state)
{
	(void)state;
	char buf[16], age[TEXT_AGE_MAX];
	text_fit(buf, sizeof(buf), "Kota Bandung", 20);
	assert_string_equal(buf, "Kota Bandung");
	text_fit(buf, sizeof(buf), "Kota Bandung", 6);
	assert_string_equal(buf, "Kota \xe2\x80\xa6");
	assert_int_equal(text_cols(buf), 6);
	/* never split a UTF-8 sequence, even when the byte buffer is short */
	text_fit(buf, 6, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10);
	assert_string_equal(buf, "\xc3\xa9\xc3\xa9");
	text_fit(buf, sizeof(buf), "abc", 0);
	assert_string_equal(buf, "");
	text_age(119999, age, sizeof(age));
	assert_string_equal(age, "119 s");
	text_age(120000, age, sizeof(age));
	assert_string_equal(age, "2 min");
	text_age(3 * 3600 * 1000LL, age, sizeof(age));
	assert_string_equal(age, "3 h");
	text_age(50 * 3600 * 1000LL, age, sizeof(age));
	assert_string_equal(age, "2 d");
	text_age(-5000, age, sizeof(age));
	assert_string_equal(age, "0 s");
}

#include "unit_main.h"
