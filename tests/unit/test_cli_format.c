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
    "\"interval_s\":60,\"skew_ms\":875,\"outbox\":{\"pending\":0,\"dropped\":2},"
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

static void
expect(pantau_err (*fn)(FILE *, const json_t *, const struct fmt_opts *), const char *json,
    int width, bool color, const char *want)
{
	pantau_err rc;
	char *got = render(fn, json, width, color, &rc);
	assert_int_equal(rc, PANTAU_OK);
	if (strcmp(got, want) != 0)
		fail_msg("output differs.\n--- got\n%s--- want\n%s---", got, want);
	free(got);
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
	/* every line fits the terminal */
	for (char *line = got, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		assert_true(text_cols(line) <= FMT_W_FIXED + FMT_W_REASON_INLINE);
	}
	free(got);
}

static void
test_summary_colour(void **state)
{
	(void)state;
	pantau_err rc;
	char *got = render(fmt_summary, regions_json, 0, true, &rc);
	/* the status word is coloured, its padding is not */
	assert_non_null(strstr(got, "\n\033[1;31mOFFLINE\033[0m   95.01"));
	assert_non_null(strstr(got, "\n\033[32mOK\033[0m        32.73"));
	assert_non_null(strstr(got, "1 \033[35mUNKNOWN\033[0m, 1 \033[32mOK\033[0m;"));
	free(got);
	got = render(fmt_summary, regions_json, 0, false, &rc);
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
	    "outbox    0 pending, 2 dropped\n"
	    "delivery  1040 of 1042 batches stored, 2 missing, 3 duplicates suppressed, 2 dropped "
	    "by the outbox\n"
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
	if (strcmp(text, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", text, want);
	free(text);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_piped),
		cmocka_unit_test(test_summary_80_columns),
		cmocka_unit_test(test_summary_wide_terminal_cuts_reason),
		cmocka_unit_test(test_summary_colour),
		cmocka_unit_test(test_summary_empty_and_bad),
		cmocka_unit_test(test_site),
		cmocka_unit_test(test_site_never_reported),
		cmocka_unit_test(test_result_lines),
		cmocka_unit_test(test_text_fit),
	};
	return cmocka_run_group_tests_name("cli_format", tests, NULL, NULL);
}
