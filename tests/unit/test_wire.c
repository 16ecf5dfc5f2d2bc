/* Wire contract v1: topics, batch round trip, every rejection reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static const char *const good_batch =
    "{\"v\":1,\"agent\":\"ag-3273-0001\",\"boot\":17,\"seq\":1042,"
    "\"ts\":\"2024-02-14T06:00:30.125Z\",\"results\":["
    "{\"probe\":\"icmp\",\"target\":\"203.0.113.10\",\"sent\":20,\"recv\":19,\"loss_pct\":5.0,"
    "\"rtt_ms\":{\"min\":41.2,\"p50\":43.0,\"avg\":43.4,\"p95\":47.9,\"max\":52.1},"
    "\"jitter_ms\":1.9,\"pdv_ms\":6.7},"
    "{\"probe\":\"http\",\"target\":\"https://tally.example/api/ping\",\"ok\":true,"
    "\"status\":200,\"dns_ms\":3.1,\"connect_ms\":44.0,\"tls_ms\":92.5,\"ttfb_ms\":140.2,"
    "\"total_ms\":141.0}],\"outbox\":{\"pending\":0,\"dropped\":0}}";

static struct wire_topic
topic_for(const char *agent)
{
	struct wire_topic t;
	struct wire_error err = { 0 };
	char buf[WIRE_TOPIC_MAX + 1];
	assert_int_equal(wire_topic_result(buf, sizeof(buf), "32.73", agent), PANTAU_OK);
	assert_true(wire_topic_parse(buf, &t, &err));
	return t;
}

static void
test_topics(void **state)
{
	(void)state;
	char buf[WIRE_TOPIC_MAX + 1];
	struct wire_topic t;
	struct wire_error err = { 0 };
	assert_int_equal(wire_topic_result(buf, sizeof(buf), "32.73", "ag-1"), PANTAU_OK);
	assert_string_equal(buf, "pantau/v1/32/3273/ag-1/result");
	assert_true(wire_topic_parse(buf, &t, &err));
	assert_int_equal(t.kind, WIRE_TOPIC_RESULT);
	assert_string_equal(t.province, "32");
	assert_string_equal(t.regency, "32.73");
	assert_string_equal(t.agent, "ag-1");
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag-1/status", &t, &err));
	assert_int_equal(t.kind, WIRE_TOPIC_STATUS);
	assert_true(wire_topic_parse("pantau/v1/cmd/ag-1", &t, &err));
	assert_int_equal(t.kind, WIRE_TOPIC_CMD);
	assert_true(wire_topic_parse("pantau/v1/mode", &t, &err));
	assert_int_equal(t.kind, WIRE_TOPIC_MODE);
	/* dots, wrong province prefix, bad levels */
	assert_int_equal(wire_topic_result(buf, sizeof(buf), "32.73", "ag.1"), PANTAU_ERR_INVAL);
	assert_int_equal(wire_topic_result(buf, sizeof(buf), "3273", "ag-1"), PANTAU_ERR_INVAL);
	const char *bad[] = { "pantau/v1/33/3273/ag-1/result", "pantau/v2/32/3273/ag-1/result",
		"pantau/v1/32/327/ag-1/result", "pantau/v1/32/3273/ag.1/result",
		"pantau/v1/32/3273/ag-1/other", "pantau/v1/32/3273/ag-1/result/x", "other/topic",
		"pantau/v1/32/3273//result" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_error e = { 0 };
		if (wire_topic_parse(bad[i], &t, &e) || e.reason != WIRE_REJ_BAD_TOPIC)
			fail_msg("topic %s not rejected as bad_topic", bad[i]);
	}
}

static void
test_decode_good_batch(void **state)
{
	(void)state;
	struct wire_topic t = topic_for("ag-3273-0001");
	struct wire_batch b;
	struct wire_error err;
	assert_int_equal(wire_batch_decode(&t, good_batch, strlen(good_batch), &b, &err),
	    WIRE_ACCEPT);
	assert_string_equal(b.agent, "ag-3273-0001");
	assert_int_equal(b.boot, 17);
	assert_int_equal(b.seq, 1042);
	assert_int_equal(b.ts_ms, 1707890430125LL);
	assert_int_equal(b.nresults, 2);
	assert_ptr_equal(b.results[0].kind, rk_find("icmp"));
	assert_true(b.results[0].col[RK_COL_RECV] == 19);
	assert_true(b.results[0].fig[RK_JUDGE_RECV] == 19);
	assert_true(fabs(b.results[0].col[RK_COL_RTT_P95] - 47.9) < 1e-9);
	assert_true(fabs(b.results[0].fig[RK_JUDGE_RTT_P95] - 47.9) < 1e-9);
	assert_ptr_equal(b.results[1].kind, rk_find("http"));
	assert_true(b.results[1].col[RK_COL_STATUS] == 200);
	assert_int_equal(b.results[1].ok, 1);
	assert_int_equal(b.outbox_dropped, 0);
	wire_batch_clear(&b);
}

static void
test_encode_round_trip(void **state)
{
	(void)state;
	json_t *results = json_array();
	json_t *r = wire_result_new("icmp", "127.0.0.1");
	json_object_set_new(r, "sent", json_integer(10));
	json_object_set_new(r, "recv", json_integer(9));
	wire_set_num(r, "loss_pct", 10.0);
	json_t *rtt = json_object();
	wire_set_num(rtt, "min", 0.0421);
	wire_set_num(rtt, "p50", 0.05);
	wire_set_num(rtt, "avg", 0.0612345);
	wire_set_num(rtt, "p95", 0.1);
	wire_set_num(rtt, "max", 0.11);
	json_object_set_new(r, "rtt_ms", rtt);
	json_array_append_new(results, r);
	json_array_append_new(results, wire_result_new("future-probe", "x"));
	struct wire_batch_hdr h = { "ag-1", 3, 7, 1707890430125LL, 2, 5, 86400123 };
	size_t len;
	pantau_err rc;
	char *text = wire_batch_encode(&h, results, &len, &rc);
	json_decref(results);
	assert_non_null(text);
	assert_null(strstr(text, "0.06123")); /* rounded to 3 decimals */

	struct wire_topic t = topic_for("ag-1");
	struct wire_batch b;
	struct wire_error err;
	assert_int_equal(wire_batch_decode(&t, text, len, &b, &err), WIRE_ACCEPT);
	assert_int_equal(b.boot, 3);
	assert_int_equal(b.seq, 7);
	assert_int_equal(b.ts_ms, 1707890430125LL);
	assert_int_equal(b.outbox_pending, 2);
	assert_int_equal(b.outbox_dropped, 5);
	assert_int_equal(b.mono_ms, 86400123);
	assert_int_equal(b.agent_ts_ms, b.ts_ms);
	assert_false(b.retimed);
	assert_true(b.results[0].col[RK_COL_SENT] == 10);
	assert_true(fabs(b.results[0].col[RK_COL_RTT_AVG] - 0.061) < 1e-9);
	assert_null(b.results[1].kind);
	wire_batch_clear(&b);
	free(text);
}

/* Replace the first occurrence of from with to in good_batch. */
static char *
mutate(const char *from, const char *to)
{
	const char *p = strstr(good_batch, from);
	assert_non_null(p);
	size_t n = strlen(good_batch) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(p - good_batch), good_batch, to, p + strlen(from));
	return out;
}

static void
expect_reject(const char *payload, size_t len, enum wire_reason want, const char *what)
{
	struct wire_topic t = topic_for("ag-3273-0001");
	struct wire_batch b;
	struct wire_error err;
	enum wire_reason got = wire_batch_decode(&t, payload, len, &b, &err);
	if (got != want)
		fail_msg("%s: expected %s, got %s (%s)", what, wire_reason_name(want),
		    wire_reason_name(got), err.detail);
	assert_true(strlen(err.detail) > 0);
}

static void
expect_mutation(const char *from, const char *to, enum wire_reason want)
{
	char *p = mutate(from, to);
	expect_reject(p, strlen(p), want, to);
	free(p);
}

static void
test_every_rejection(void **state)
{
	(void)state;
	char *big = malloc(WIRE_MAX_PAYLOAD + 2);
	memset(big, ' ', WIRE_MAX_PAYLOAD + 1);
	big[WIRE_MAX_PAYLOAD + 1] = '\0';
	expect_reject(big, WIRE_MAX_PAYLOAD + 1, WIRE_REJ_TOO_LARGE, "65537 bytes");
	free(big);
	expect_reject("{\"v\":1,", 7, WIRE_REJ_NOT_JSON, "truncated");
	expect_reject("[1,2]", 5, WIRE_REJ_NOT_OBJECT, "array");
	expect_mutation("\"v\":1", "\"v\":2", WIRE_REJ_UNKNOWN_VERSION);
	expect_mutation("\"seq\":1042,", "", WIRE_REJ_MISSING_FIELD);
	expect_mutation("\"boot\":17", "\"boot\":\"17\"", WIRE_REJ_WRONG_TYPE);
	expect_mutation("\"jitter_ms\":1.9", "\"jitter_ms\":-1.9", WIRE_REJ_BAD_NUMBER);
	expect_mutation("\"seq\":1042", "\"seq\":0", WIRE_REJ_BAD_NUMBER);
	expect_mutation("\"loss_pct\":5.0", "\"loss_pct\":105.0", WIRE_REJ_LOSS_RANGE);
	expect_mutation("\"recv\":19", "\"recv\":21", WIRE_REJ_INCONSISTENT);
	expect_mutation("\"loss_pct\":5.0", "\"loss_pct\":10.0", WIRE_REJ_INCONSISTENT);
	expect_mutation("\"min\":41.2", "\"min\":60.0", WIRE_REJ_INCONSISTENT);
	expect_mutation("\"target\":\"203.0.113.10\"", "\"target\":\"\"", WIRE_REJ_BAD_TEXT);
	expect_mutation("\"target\":\"203.0.113.10\"", "\"target\":\"a\\u0001b\"",
	    WIRE_REJ_BAD_TEXT);
	expect_mutation("2024-02-14T06:00:30.125Z", "2024-02-14 06:00", WIRE_REJ_BAD_TIMESTAMP);
	expect_mutation("\"agent\":\"ag-3273-0001\"", "\"agent\":\"ag-3273-0002\"",
	    WIRE_REJ_AGENT_MISMATCH);
	expect_mutation("\"ok\":true", "\"ok\":false", WIRE_REJ_MISSING_FIELD); /* no error */
	expect_mutation("\"v\":1,", "\"v\":1,\"v\":1,", WIRE_REJ_NOT_JSON);    /* duplicate key */
	expect_mutation("\"pdv_ms\":6.7", "\"pdv_ms\":1e999", WIRE_REJ_NOT_JSON);
}

static void
test_too_many_results(void **state)
{
	(void)state;
	json_t *results = json_array();
	for (int i = 0; i <= WIRE_MAX_RESULTS; i++)
		json_array_append_new(results, wire_result_new("x", "y"));
	json_t *root = json_pack("{s:i,s:s,s:i,s:i,s:s,s:o}", "v", 1, "agent", "ag-3273-0001",
	    "boot", 1, "seq", 1, "ts", "2024-02-14T06:00:30Z", "results", results);
	char *text = json_dumps(root, JSON_COMPACT);
	expect_reject(text, strlen(text), WIRE_REJ_TOO_MANY_RESULTS, "257 results");
	free(text);
	json_decref(root);
}

static void
test_status_messages(void **state)
{
	(void)state;
	struct wire_topic t;
	struct wire_error err = { 0 };
	struct wire_status s;
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag-1/status", &t, &err));
	const char *birth = "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-1\",\"boot\":4,"
	                    "\"ts\":\"2024-02-14T06:00:30.125Z\",\"site\":\"SDN 1\","
	                    "\"link\":\"vsat-geo\",\"lat\":-6.9,\"lon\":107.6,\"interval\":60}";
	assert_int_equal(wire_status_decode(&t, birth, strlen(birth), &s, &err), WIRE_ACCEPT);
	assert_true(s.online);
	assert_string_equal(s.link, "vsat-geo");
	assert_int_equal(s.interval_s, 60);
	assert_int_equal(s.simulated, -1);
	wire_status_clear(&s);
	const char *sim = "{\"state\":\"online\",\"simulated\":true}";
	assert_int_equal(wire_status_decode(&t, sim, strlen(sim), &s, &err), WIRE_ACCEPT);
	assert_int_equal(s.simulated, 1);
	wire_status_clear(&s);
	const char *will = "{\"v\":1,\"state\":\"offline\",\"agent\":\"ag-1\",\"reason\":\"lost\"}";
	assert_int_equal(wire_status_decode(&t, will, strlen(will), &s, &err), WIRE_ACCEPT);
	assert_false(s.online);
	assert_string_equal(s.reason, "lost");
	wire_status_clear(&s);
	const char *bad[][2] = {
		{ "{\"state\":\"maybe\"}", "bad_text" },
		{ "{\"state\":\"online\",\"link\":\"carrier-pigeon\"}", "bad_text" },
		{ "{\"state\":\"online\",\"lat\":-6.9}", "missing_field" },
		{ "{\"state\":\"online\",\"simulated\":\"yes\"}", "wrong_type" },
		{ "{\"state\":\"online\",\"agent\":\"ag-2\"}", "agent_mismatch" },
		{ "{\"v\":9,\"state\":\"online\"}", "unknown_version" },
		{ "{}", "missing_field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum wire_reason r = wire_status_decode(&t, bad[i][0], strlen(bad[i][0]), &s, &err);
		if (strcmp(wire_reason_name(r), bad[i][1]) != 0)
			fail_msg("%s: expected %s, got %s", bad[i][0], bad[i][1], wire_reason_name(r));
	}
}

static void
test_reason_names_unique(void **state)
{
	(void)state;
	for (int i = 0; i < WIRE_REASON_COUNT; i++)
		for (int j = i + 1; j < WIRE_REASON_COUNT; j++)
			assert_string_not_equal(wire_reason_name((enum wire_reason)i),
			    wire_reason_name((enum wire_reason)j));
}

static enum wire_reason
cmd(const char *text, struct wire_replay *r, struct wire_error *err)
{
	return wire_cmd_decode(text, strlen(text), r, err);
}

static void
test_replay_command(void **state)
{
	(void)state;
	struct wire_replay r = { 3, 10, 12 }, back;
	struct wire_error err;
	size_t len;
	char *text = wire_replay_encode(&r, &len);
	assert_string_equal(text, "{\"cmd\":\"replay\",\"boot\":3,\"from_seq\":10,\"to_seq\":12}");
	assert_int_equal(wire_cmd_decode(text, len, &back, &err), WIRE_ACCEPT);
	assert_int_equal(back.boot, 3);
	assert_int_equal(back.from_seq, 10);
	assert_int_equal(back.to_seq, 12);
	free(text);
	assert_int_equal(cmd("{\"cmd\":\"replay\",\"boot\":3,\"from_seq\":5}", &back, &err),
	    WIRE_ACCEPT);
	assert_int_equal(back.to_seq, 5); /* to_seq absent: one batch */
	assert_int_equal(cmd("{\"cmd\":\"reboot\"}", &back, &err), WIRE_REJ_BAD_TEXT);
	assert_non_null(strstr(err.detail, "reboot"));
	assert_int_equal(cmd("{\"cmd\":\"replay\",\"boot\":3,\"from_seq\":9,\"to_seq\":8}", &back,
	    &err), WIRE_REJ_INCONSISTENT);
	assert_int_equal(cmd("{\"cmd\":\"replay\",\"boot\":3,\"from_seq\":1,\"to_seq\":10001}",
	    &back, &err), WIRE_REJ_INCONSISTENT);
	assert_int_equal(cmd("{\"cmd\":\"replay\",\"from_seq\":1}", &back, &err),
	    WIRE_REJ_MISSING_FIELD);
	assert_int_equal(cmd("nope", &back, &err), WIRE_REJ_NOT_JSON);
}

#include "unit_main.h"
