/* The result kinds' table: its own rules, and decoding every kind by it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resultkind.h"
#include "wire.h"

/* Each judged figure at most once per kind; sent and recv together. */
static void
test_judged_once(void **state)
{
	(void)state;
	for (size_t i = 0; resultkinds[i] != NULL; i++) {
		const struct resultkind *k = resultkinds[i];
		int seen[RK_JUDGE_COUNT] = { 0 };
		json_t *desc = rk_describe();
		assert_non_null(desc);
		json_t *fields = json_object_get(json_array_get(json_object_get(desc, "kinds"), i),
		    "fields");
		for (size_t j = 0; j < json_array_size(fields); j++) {
			const char *path = json_string_value(json_object_get(json_array_get(fields, j),
			    "name"));
			const struct rk_field *f = rk_field(k, path);
			if (f == NULL)
				fail_msg("%s: %s not found by its path", k->name, path);
			seen[f->judge]++;
		}
		json_decref(desc);
		for (int j = 1; j < RK_JUDGE_COUNT; j++)
			if (seen[j] > 1)
				fail_msg("%s judges %s twice", k->name, rk_judge_name((enum rk_judge)j));
		assert_int_equal(seen[RK_JUDGE_SENT], seen[RK_JUDGE_RECV]);
		assert_ptr_equal(rk_find(k->name), k);
	}
	assert_null(rk_find("no-such-kind"));
	assert_null(rk_find(NULL));
}

/* Series figures name numeric fields that are stored where the API reads. */
static void
test_series_fields(void **state)
{
	(void)state;
	for (size_t i = 0; resultkinds[i] != NULL; i++) {
		const struct resultkind *k = resultkinds[i];
		for (size_t j = 0; j < k->nseries; j++) {
			const struct rk_series *s = &k->series[j];
			const struct rk_field *f = rk_field(k, s->field);
			if (f == NULL || (f->type != RK_NUM && f->type != RK_INT))
				fail_msg("%s series %s: %s is not a numeric field", k->name, s->key,
				    s->field);
			if (k->store == RK_STORE_COLUMNS && f->column == RK_COL_NONE)
				fail_msg("%s series %s: %s has no column", k->name, s->key, s->field);
			if (s->agg == RK_AGG_POOLED_LOSS && (!(f->flags & RK_F_LOSS) ||
			                                        !rk_judges(k, RK_JUDGE_SENT)))
				fail_msg("%s series %s: pooled loss of a train's loss_pct only", k->name,
				    s->key);
			assert_true((s->chart == NULL) == (s->line == NULL));
		}
	}
}

/* A judged train's sent and recv are also its counts for the wire checks;
 * a kind's counts may go unjudged (dns), never the other way round. */
static void
test_train_counts_flagged(void **state)
{
	(void)state;
	for (size_t i = 0; resultkinds[i] != NULL; i++) {
		const struct resultkind *k = resultkinds[i];
		for (size_t j = 0; j < k->nfields; j++) {
			const struct rk_field *f = &k->fields[j];
			if (f->judge == RK_JUDGE_SENT && !(f->flags & RK_F_SENT))
				fail_msg("%s.%s: judged as sent without RK_F_SENT", k->name, f->name);
			if (f->judge == RK_JUDGE_RECV && !(f->flags & RK_F_RECV))
				fail_msg("%s.%s: judged as recv without RK_F_RECV", k->name, f->name);
		}
	}
	assert_false(rk_judges(rk_find("dns"), RK_JUDGE_SENT));
}

static void
test_lookups(void **state)
{
	(void)state;
	char buf[64], path[64];
	const struct resultkind *icmp = rk_find("icmp");
	assert_non_null(icmp);
	assert_int_equal(rk_field(icmp, "rtt_ms.p95")->column, RK_COL_RTT_P95);
	assert_null(rk_field(icmp, "rtt_ms.p99"));
	assert_null(rk_field(icmp, "sent.x"));
	assert_non_null(rk_judged(icmp, RK_JUDGE_RTT_P95, path, sizeof(path)));
	assert_string_equal(path, "rtt_ms.p95");
	assert_string_equal(rk_series_judged(icmp, RK_JUDGE_RTT_P95)->key, "rtt_p95_ms");
	assert_null(rk_series_judged(rk_find("stamp"), RK_JUDGE_RTT_P95));
	rk_names_judged(RK_JUDGE_RTT_P95, false, "/", buf, sizeof(buf));
	assert_string_equal(buf, "icmp/stamp");
	rk_names_judged(RK_JUDGE_RTT_P95, true, " or ", buf, sizeof(buf));
	assert_string_equal(buf, "icmp");
	rk_names_judged(RK_JUDGE_TALLY, false, " or ", buf, sizeof(buf));
	assert_string_equal(buf, "http or upload_task");
	rk_range_text(rk_field(icmp, "sent"), buf, sizeof(buf));
	assert_string_equal(buf, "0–1000000");
	rk_range_text(rk_field(icmp, "dup"), buf, sizeof(buf));
	assert_string_equal(buf, "≥ 0");
	rk_range_text(rk_field(icmp, "error"), buf, sizeof(buf));
	assert_string_equal(buf, "1–512 characters");
	rk_range_text(rk_field(icmp, "rtt_ms"), buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* column names are the store's */
	assert_string_equal(rk_column_name(RK_COL_RTT_P95), "rtt_p95");
	assert_true(rk_column_is_int(RK_COL_STATUS));
	assert_false(rk_column_is_int(RK_COL_LOSS));
	assert_string_equal(rk_column_name(RK_COL_NONE), "");
}

/* ---- decoding by the table ---- */

static enum wire_reason
decode_one(const char *result, struct wire_batch *b, struct wire_error *err)
{
	char text[4096];
	struct wire_topic t;
	snprintf(text, sizeof(text), "{\"v\":1,\"agent\":\"ag-1\",\"boot\":1,\"seq\":1,"
	    "\"ts\":\"2024-02-14T06:00:30Z\",\"results\":[%s]}", result);
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag-1/result", &t, err));
	return wire_batch_decode(&t, text, strlen(text), b, err);
}

static void
expect_accept(const char *result)
{
	struct wire_batch b;
	struct wire_error err = { 0 };
	if (decode_one(result, &b, &err) != WIRE_ACCEPT)
		fail_msg("rejected %s: %s", result, err.detail);
	wire_batch_clear(&b);
}

static void
expect_reject(const char *result, enum wire_reason want, const char *detail)
{
	struct wire_batch b;
	struct wire_error err = { 0 };
	enum wire_reason got = decode_one(result, &b, &err);
	if (got != want || strcmp(err.detail, detail) != 0)
		fail_msg("%s: expected %s \"%s\", got %s \"%s\"", result, wire_reason_name(want),
		    detail, wire_reason_name(got), err.detail);
}

static void
test_every_kind_decodes(void **state)
{
	(void)state;
	expect_accept("{\"probe\":\"stamp\",\"target\":\"r:862\",\"ok\":true,\"addr\":\"198.51.100.7\","
	       "\"port\":862,\"sent\":20,\"recv\":19,\"loss_pct\":5,\"rtt_ms\":{\"min\":1,"
	       "\"p50\":2,\"avg\":2,\"p95\":3,\"max\":4},\"jitter_ms\":0.5,\"pdv_ms\":1,\"mos\":4.4,"
	       "\"late\":1,\"ttl\":64,\"synced\":true,\"owd_fwd_ms\":{\"min\":0,\"p50\":1,\"avg\":1,"
	       "\"max\":2},\"owd_back_ms\":{\"min\":0,\"p50\":1,\"avg\":1,\"max\":2},"
	       "\"owd_err_ms\":1e9}");
	expect_accept("{\"probe\":\"stamp\",\"target\":\"r\",\"ok\":false,\"sent\":0,\"recv\":0,"
	       "\"loss_pct\":100,\"error\":\"cannot resolve host r\"}");
	expect_accept("{\"probe\":\"throughput\",\"target\":\"http://r/\",\"ok\":true,"
	       "\"download\":{\"mbps\":80.5,\"bytes\":100,\"duration_ms\":8000,\"warmup_ms\":2000,"
	       "\"stable\":true,\"connections\":4,\"rtt_idle_ms\":10,\"rtt_loaded_ms\":30,"
	       "\"bufferbloat_ms\":20},\"upload\":{\"error\":\"Failed to connect\"},"
	       "\"budget\":{\"limit_bytes\":0,\"used_bytes\":5}}");
	expect_accept("{\"probe\":\"throughput\",\"target\":\"http://r/\",\"skipped\":\"budget\","
	       "\"note\":\"the daily data budget is spent\"}");
	expect_accept("{\"probe\":\"upload_task\",\"target\":\"http://t/up\",\"ok\":true,\"status\":201,"
	       "\"size\":2000000,\"bytes\":2000000,\"dns_ms\":1,\"connect_ms\":2,\"total_ms\":900,"
	       "\"mbps\":17.8,\"unknown_field\":[1]}");
	expect_accept("{\"probe\":\"future\",\"target\":\"x\",\"anything\":-1}");
}

static void
test_bounds_name_field_and_bound(void **state)
{
	(void)state;
	expect_reject("{\"probe\":\"stamp\",\"target\":\"r\",\"ok\":true,\"sent\":1,\"recv\":1,"
	       "\"loss_pct\":0,\"rtt_ms\":{\"min\":1,\"p50\":1,\"avg\":1,\"p95\":1,\"max\":1},"
	       "\"ttl\":300}", WIRE_REJ_BAD_NUMBER, "results[0].ttl: 300 is outside 0..255");
	/* dns: sent and recv are not judged, yet checked as a train's */
	expect_reject("{\"probe\":\"dns\",\"target\":\"n\",\"ok\":false,\"sent\":1,\"recv\":1,"
	       "\"loss_pct\":0,\"time_ms\":{\"min\":1,\"p50\":1,\"avg\":1,\"p95\":1,\"max\":1},"
	       "\"answers\":0,\"error\":\"e\"}",
	    WIRE_REJ_MISSING_FIELD, "results[0].rcode: required when recv > 0");
	expect_reject("{\"probe\":\"dns\",\"target\":\"n\",\"ok\":false,\"sent\":2,\"recv\":0,"
	       "\"loss_pct\":0,\"error\":\"e\"}", WIRE_REJ_INCONSISTENT,
	    "results[0].loss_pct: 0 does not match sent 2 and recv 0");
	expect_reject("{\"probe\":\"dns\",\"target\":\"n\",\"ok\":true,\"sent\":1,\"recv\":2,"
	       "\"loss_pct\":0,\"time_ms\":{\"min\":1,\"p50\":1,\"avg\":1,\"p95\":1,\"max\":1},"
	       "\"rcode\":\"NOERROR\",\"answers\":1}", WIRE_REJ_INCONSISTENT,
	    "results[0]: recv 2 exceeds sent 1");
	expect_reject("{\"probe\":\"throughput\",\"target\":\"t\",\"upload\":{\"mbps\":-1}}",
	    WIRE_REJ_BAD_NUMBER, "results[0].upload.mbps: -1 is outside 0..1e+06");
	expect_reject("{\"probe\":\"throughput\",\"target\":\"t\",\"budget\":{\"limit_bytes\":1}}",
	    WIRE_REJ_MISSING_FIELD, "results[0].budget.used_bytes: required field is missing");
	expect_reject("{\"probe\":\"throughput\",\"target\":\"t\",\"download\":[]}", WIRE_REJ_WRONG_TYPE,
	    "results[0].download: expected an object");
	expect_reject("{\"probe\":\"throughput\",\"target\":\"t\",\"ok\":false}", WIRE_REJ_MISSING_FIELD,
	    "results[0].error: required when ok is false");
	expect_reject("{\"probe\":\"upload_task\",\"target\":\"t\",\"skipped\":\"\"}", WIRE_REJ_BAD_TEXT,
	    "results[0].skipped: must be 1 to 32 characters without NUL");
	expect_reject("{\"probe\":\"stamp\",\"target\":\"r\",\"ok\":true,\"sent\":4,\"recv\":2,"
	       "\"loss_pct\":101}", WIRE_REJ_LOSS_RANGE,
	    "results[0].loss_pct: 101 is not within 0..100");
	expect_reject("{\"probe\":\"stamp\",\"target\":\"r\",\"ok\":true,\"sent\":4,\"recv\":2,"
	       "\"loss_pct\":50}", WIRE_REJ_MISSING_FIELD,
	    "results[0].rtt_ms: required when recv > 0");
	expect_reject("{\"probe\":\"stamp\",\"target\":\"r\",\"ok\":true,\"sent\":4,\"recv\":5,"
	       "\"loss_pct\":0,\"rtt_ms\":{\"min\":1,\"p50\":1,\"avg\":1,\"p95\":1,\"max\":1}}",
	    WIRE_REJ_INCONSISTENT, "results[0]: recv 5 exceeds sent 4");
	expect_reject("{\"probe\":\"stamp\",\"target\":\"r\",\"ok\":true,\"sent\":4,\"recv\":4,"
	       "\"loss_pct\":0,\"rtt_ms\":{\"min\":1,\"p50\":3,\"avg\":1,\"p95\":2,\"max\":4}}",
	    WIRE_REJ_INCONSISTENT,
	    "results[0].rtt_ms: must satisfy min <= p50 <= p95 <= max and min <= avg <= max");
	expect_reject("{\"probe\":\"tcp\",\"target\":\"t:1\",\"ok\":true}", WIRE_REJ_MISSING_FIELD,
	    "results[0].connect_ms: required when ok is true");
	expect_reject("{\"probe\":\"icmp\",\"target\":\"t\",\"sent\":0,\"recv\":0,\"loss_pct\":100}",
	    WIRE_REJ_MISSING_FIELD, "results[0].error: required when nothing was sent");
}

/* ---- path: an array of hops ---- */

#define PATH_HEAD "{\"probe\":\"path\",\"target\":\"t\",\"ok\":true,\"proto\":\"udp\"," \
	"\"dest\":\"198.18.1.2\",\"reached\":true,\"path_hash\":\"0123456789abcdef\"," \
	"\"duration_ms\":812.5,"
#define HOP1 "{\"ttl\":1,\"addr\":\"198.18.0.1\",\"sent\":3,\"recv\":3,\"loss_pct\":0," \
	"\"rtt_p50_ms\":0.21,\"rate_limited\":false}"
#define HOP2_SILENT "{\"ttl\":2,\"sent\":3,\"recv\":0,\"loss_pct\":100,\"rate_limited\":false}"
#define HOP3 "{\"ttl\":3,\"addr\":\"198.18.1.2\",\"sent\":3,\"recv\":2,\"loss_pct\":33.33," \
	"\"rtt_p50_ms\":1.5,\"rate_limited\":true}"

static void
test_path_decodes(void **state)
{
	(void)state;
	expect_accept(PATH_HEAD "\"hops\":[" HOP1 "," HOP2_SILENT "," HOP3 "]}");
	expect_accept(PATH_HEAD "\"trigger\":\"degraded\",\"hops\":[" HOP2_SILENT "]}");
	expect_accept("{\"probe\":\"path\",\"target\":\"t\",\"ok\":false,"
	              "\"error\":\"cannot resolve host t\"}");
	const struct resultkind *k = rk_find("path");
	assert_non_null(k);
	assert_int_equal(rk_field(k, "hops")->type, RK_ARR);
	assert_int_equal(rk_field(k, "hops[].ttl")->type, RK_INT);
	assert_null(rk_field(k, "hops.ttl"));
	assert_null(rk_field(k, "hops[].nope"));
	char buf[64];
	rk_range_text(rk_field(k, "hops"), buf, sizeof(buf));
	assert_string_equal(buf, "1–64 elements");
	rk_range_text(rk_field(k, "path_hash"), buf, sizeof(buf));
	assert_string_equal(buf, "16 characters");
	/* the status engine judges nothing of a path: silent hops are no loss */
	for (int j = RK_JUDGE_NONE + 1; j < RK_JUDGE_COUNT; j++)
		assert_false(rk_judges(k, (enum rk_judge)j));
}

static void
test_path_bad_hops_rejected(void **state)
{
	(void)state;
	expect_reject(PATH_HEAD "\"hops\":[{\"ttl\":0,\"sent\":3,\"recv\":0,\"loss_pct\":100,"
	              "\"rate_limited\":false}]}", WIRE_REJ_BAD_NUMBER,
	    "results[0].hops[0].ttl: 0 is outside 1..64");
	expect_reject(PATH_HEAD "\"hops\":[" HOP1 ",{\"ttl\":2,\"sent\":3,\"recv\":0,"
	              "\"loss_pct\":101,\"rate_limited\":false}]}", WIRE_REJ_LOSS_RANGE,
	    "results[0].hops[1].loss_pct: 101 is not within 0..100");
	expect_reject(PATH_HEAD "\"hops\":[" HOP1 "," HOP1 "]}", WIRE_REJ_INCONSISTENT,
	    "results[0].hops[1].ttl: 1 does not follow 1 (hops are in TTL order)");
	expect_reject(PATH_HEAD "\"hops\":[{\"ttl\":1,\"sent\":3,\"recv\":1,\"loss_pct\":66.67,"
	              "\"rate_limited\":false}]}", WIRE_REJ_MISSING_FIELD,
	    "results[0].hops[0].addr: required when recv > 0");
	expect_reject(PATH_HEAD "\"hops\":[{\"ttl\":1,\"sent\":3,\"recv\":1,\"loss_pct\":0,"
	              "\"addr\":\"a\",\"rtt_p50_ms\":1,\"rate_limited\":false}]}",
	    WIRE_REJ_INCONSISTENT,
	    "results[0].hops[0].loss_pct: 0 does not match sent 3 and recv 1");
	expect_reject(PATH_HEAD "\"hops\":[{\"ttl\":1,\"sent\":1,\"recv\":2,\"loss_pct\":0,"
	              "\"addr\":\"a\",\"rtt_p50_ms\":1,\"rate_limited\":false}]}",
	    WIRE_REJ_INCONSISTENT, "results[0].hops[0]: recv 2 exceeds sent 1");
	expect_reject(PATH_HEAD "\"hops\":[{\"ttl\":1,\"sent\":3,\"recv\":0,\"loss_pct\":100}]}",
	    WIRE_REJ_MISSING_FIELD, "results[0].hops[0].rate_limited: required field is missing");
	expect_reject(PATH_HEAD "\"hops\":[3]}", WIRE_REJ_WRONG_TYPE,
	    "results[0].hops[0]: expected an object");
	expect_reject(PATH_HEAD "\"hops\":{}}", WIRE_REJ_WRONG_TYPE,
	    "results[0].hops: expected an array");
	expect_reject(PATH_HEAD "\"hops\":[]}", WIRE_REJ_BAD_NUMBER,
	    "results[0].hops: 0 elements is outside 1..64");
	expect_reject("{\"probe\":\"path\",\"target\":\"t\",\"ok\":true,\"proto\":\"udp\","
	              "\"dest\":\"d\",\"reached\":true,\"path_hash\":\"0123456789ABCDEF\","
	              "\"duration_ms\":1,\"hops\":[" HOP1 "]}", WIRE_REJ_BAD_TEXT,
	    "results[0].path_hash: must be lowercase hexadecimal digits");
	expect_reject("{\"probe\":\"path\",\"target\":\"t\",\"ok\":true,\"proto\":\"udp\","
	              "\"dest\":\"d\",\"reached\":true,\"path_hash\":\"0123\","
	              "\"duration_ms\":1,\"hops\":[" HOP1 "]}", WIRE_REJ_BAD_TEXT,
	    "results[0].path_hash: must be 16 to 16 characters");
	expect_reject(PATH_HEAD "\"hops\":[" HOP1 "],\"trigger\":1}", WIRE_REJ_WRONG_TYPE,
	    "results[0].trigger: expected a string");
	expect_reject("{\"probe\":\"path\",\"target\":\"t\",\"ok\":true,\"proto\":\"udp\","
	              "\"dest\":\"d\",\"reached\":false,\"path_hash\":\"0123456789abcdef\","
	              "\"duration_ms\":1}", WIRE_REJ_MISSING_FIELD,
	    "results[0].hops: required when ok is true");
	expect_reject("{\"probe\":\"path\",\"target\":\"t\",\"ok\":false}", WIRE_REJ_MISSING_FIELD,
	    "results[0].error: required when ok is false");
}

/* What the store and the status engine get of a decoded result. */
static void
test_figures_kept(void **state)
{
	(void)state;
	struct wire_batch b;
	struct wire_error err = { 0 };
	assert_int_equal(decode_one("{\"probe\":\"throughput\",\"target\":\"t\",\"ok\":true,"
	                            "\"download\":{\"mbps\":9},\"upload\":{\"mbps\":1.5}}",
	                     &b, &err), WIRE_ACCEPT);
	const struct wire_result *r = &b.results[0];
	assert_true(r->fig[RK_JUDGE_UPLOAD] == 1.5);
	assert_int_equal(r->ok, 1);
	for (int c = RK_COL_NONE + 1; c < RK_COL_COUNT; c++)
		assert_true(isnan(r->col[c]));   /* kept whole, in extra */
	wire_batch_clear(&b);
	struct wire_result m;
	wire_result_init(&m, rk_find("http"), "http", "https://t/");
	wire_result_set(&m, "ok", 0);
	wire_result_set(&m, "total_ms", 12);
	wire_result_set(&m, "no_such", 1);
	assert_int_equal(m.ok, 0);
	assert_true(m.col[RK_COL_TOTAL] == 12);
	assert_true(isnan(m.col[RK_COL_DNS]));
}

#include "unit_main.h"
