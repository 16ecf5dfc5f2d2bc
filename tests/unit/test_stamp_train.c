/* The STAMP train's bookkeeping with made-up timestamps: RTT without the
 * reflector's time, late, duplicate, reordered and stray replies, one-way
 * delays only with synchronised clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "agent/probes/stamp_train.h"
#include "mos.h"

#define MS 1000000LL
#define BASE 1700000000000000000LL
#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static const struct stamp_errest unsynced = { false, 1.0 };
static const struct stamp_errest synced = { true, 0.0005 };

static uint64_t
ntp(int64_t ns)
{
	return stamp_ntp_from_unix_ns(ns);
}

/* Send packet i at BASE + i*10 ms. */
static void
send_all(struct stamp_train *t, int n)
{
	for (int i = 0; i < n; i++) {
		int64_t t1 = stamp_ntp_to_unix_ns(ntp(BASE + i * 10 * MS));
		stamp_train_sent(t, i, t1, ntp(BASE + i * 10 * MS));
	}
}

/* The reflector got packet i fwd ms after it left, held it 1 ms; the
 * reply took back ms. */
static enum stamp_reply
reply(struct stamp_train *t, int i, double fwd, double back, bool rsync)
{
	struct stamp_errest e = { rsync, 0.0005 };
	int64_t t1 = BASE + i * 10 * MS;
	int64_t t2 = t1 + (int64_t)(fwd * MS), t3 = t2 + 1 * MS;
	struct stamp_reflector_pkt p = { .seq = (uint32_t)i, .ts = ntp(t3),
		.errest = stamp_errest_encode(&e), .rx_ts = ntp(t2), .sender_seq = (uint32_t)i,
		.sender_ts = ntp(t1), .sender_ttl = 61 };
	return stamp_train_reply(t, &p, t3 + (int64_t)(back * MS));
}

static double
num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
test_rtt_excludes_reflector_time(void **state)
{
	(void)state;
	struct stamp_train *t = stamp_train_new(4, 1000, &unsynced);
	send_all(t, 4);
	assert_int_equal(stamp_train_pending(t), 4);
	assert_int_equal(reply(t, 0, 10, 10, true), STAMP_REPLY_OK);
	assert_int_equal(reply(t, 1, 10, 12, true), STAMP_REPLY_OK);
	assert_int_equal(reply(t, 2, 15, 15, true), STAMP_REPLY_OK);
	assert_int_equal(reply(t, 3, 10, 10, true), STAMP_REPLY_OK);
	assert_int_equal(stamp_train_pending(t), 0);
	json_t *r = stamp_train_result(t, "refl:862", "127.0.0.1", 862);
	const json_t *rtt = json_object_get(r, "rtt_ms");
	NEAR(num(rtt, "min"), 20);        /* 1 ms at the reflector not counted */
	NEAR(num(rtt, "max"), 30);
	NEAR(num(rtt, "p50"), 21);
	/* IPDV: 2, 8, 10 -> 6.667 */
	NEAR(num(r, "jitter_ms"), 6.667);
	NEAR(num(r, "loss_pct"), 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "ttl")), 61);
	/* Unsynchronised here: no one-way figures. */
	assert_true(json_is_false(json_object_get(r, "synced")));
	assert_null(json_object_get(r, "owd_fwd_ms"));
	NEAR(num(r, "mos"), round(mos_estimate(23.0, 20.0 / 3, 0) * 1000) / 1000);
	json_decref(r);
	stamp_train_free(t);
}

static void
test_late_duplicate_reordered_stray(void **state)
{
	(void)state;
	struct stamp_train *t = stamp_train_new(5, 100, &unsynced);
	send_all(t, 4);
	stamp_train_send_failed(t, 4, 101);  /* ENETUNREACH */
	assert_int_equal(reply(t, 1, 5, 5, false), STAMP_REPLY_OK);
	assert_int_equal(reply(t, 0, 5, 5, false), STAMP_REPLY_OK);     /* reordered */
	assert_int_equal(reply(t, 0, 5, 6, false), STAMP_REPLY_DUP);
	assert_int_equal(reply(t, 2, 60, 60, false), STAMP_REPLY_LATE);  /* 121 ms > 100 */
	assert_int_equal(reply(t, 2, 5, 5, false), STAMP_REPLY_DUP);     /* never credited */
	assert_int_equal(reply(t, 9, 5, 5, false), STAMP_REPLY_STRAY);
	struct stamp_reflector_pkt forged = { .sender_seq = 3, .sender_ts = 12345 };
	assert_int_equal(stamp_train_reply(t, &forged, BASE), STAMP_REPLY_STRAY);
	json_t *r = stamp_train_result(t, "x", "198.18.0.1", 862);
	assert_int_equal(json_integer_value(json_object_get(r, "sent")), 5);
	assert_int_equal(json_integer_value(json_object_get(r, "recv")), 2);
	NEAR(num(r, "loss_pct"), 60);
	assert_int_equal(json_integer_value(json_object_get(r, "dup")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "late")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "reordered")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(r, "error")),
	    "1 of 5 test packets could not be sent"));
	json_decref(r);
	stamp_train_free(t);
}

static void
test_one_way_only_when_both_clocks_synced(void **state)
{
	(void)state;
	struct stamp_train *t = stamp_train_new(2, 1000, &synced);
	send_all(t, 2);
	reply(t, 0, 30, 10, true);
	reply(t, 1, 40, 12, true);
	json_t *r = stamp_train_result(t, "x", "198.18.0.1", 862);
	assert_true(json_is_true(json_object_get(r, "synced")));
	const json_t *f = json_object_get(r, "owd_fwd_ms"), *b = json_object_get(r, "owd_back_ms");
	NEAR(num(f, "min"), 30);
	NEAR(num(f, "max"), 40);
	NEAR(num(f, "p50"), 35);
	NEAR(num(b, "avg"), 11);
	/* Local 0.5 ms plus the reflector's (encoded, rounded up) 0.5 ms. */
	assert_true(num(r, "owd_err_ms") >= 1.0 && num(r, "owd_err_ms") < 1.01);
	json_decref(r);
	stamp_train_free(t);
	/* One reply from an unsynchronised reflector voids the split. */
	t = stamp_train_new(2, 1000, &synced);
	send_all(t, 2);
	reply(t, 0, 30, 10, true);
	reply(t, 1, 40, 12, false);
	r = stamp_train_result(t, "x", "198.18.0.1", 862);
	assert_true(json_is_false(json_object_get(r, "synced")));
	assert_null(json_object_get(r, "owd_err_ms"));
	json_decref(r);
	stamp_train_free(t);
}

/* Both clocks say synchronised but the reflector's is 58 days ahead: the
 * one-way split cannot be (one direction below zero), so none is given;
 * the collector would otherwise reject the whole batch (bounds of
 * owd_fwd_ms). Found by tests/fuzz/fuzz_stamp. */
static void
test_clocks_that_disagree_give_no_one_way(void **state)
{
	(void)state;
	const double ahead = 58.0 * 86400 * 1000;
	struct stamp_train *t = stamp_train_new(2, 1000, &synced);
	send_all(t, 2);
	reply(t, 0, ahead + 15, -ahead + 5, true);
	reply(t, 1, ahead + 16, -ahead + 6, true);
	json_t *r = stamp_train_result(t, "x", "198.18.0.1", 862);
	assert_int_equal(num(r, "recv"), 2);
	NEAR(num(json_object_get(r, "rtt_ms"), "min"), 20);
	assert_true(json_is_false(json_object_get(r, "synced")));
	assert_null(json_object_get(r, "owd_fwd_ms"));
	assert_null(json_object_get(r, "owd_back_ms"));
	json_decref(r);
	stamp_train_free(t);
}

static void
test_nothing_back(void **state)
{
	(void)state;
	struct stamp_train *t = stamp_train_new(3, 1000, &synced);
	send_all(t, 3);
	json_t *r = stamp_train_result(t, "x", "198.18.0.1", 862);
	assert_true(json_is_false(json_object_get(r, "ok")));
	NEAR(num(r, "loss_pct"), 100);
	NEAR(num(r, "mos"), 1.0);
	assert_null(json_object_get(r, "rtt_ms"));
	assert_true(json_is_false(json_object_get(r, "synced")));
	assert_non_null(json_object_get(r, "error"));
	json_decref(r);
	stamp_train_free(t);
}

#include "unit_main.h"
