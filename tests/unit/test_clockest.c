/* The collector's estimate of an agent boot's clock offset and what it
 * makes of a batch's timestamp (collector/ingest/clockest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/ingest/clockest.h"

#define T0 1700000000000LL   /* 2023-11-14: a collector time */
#define SEC 1000LL
#define DAY (86400 * SEC)

/* The least receive - mono: a delayed message never raises it. */
static void
test_least_difference(void **state)
{
	(void)state;
	struct clockest c = { 0 };
	clockest_feed(&c, 1000, T0 + 1000 + 300, false);       /* 300 ms on the way */
	assert_true(c.known);
	assert_int_equal(clockest_time(&c, 1000), T0 + 1300);
	clockest_feed(&c, 2000, T0 + 2000 + 40, false);        /* a prompter one lowers it */
	assert_int_equal(clockest_time(&c, 2000), T0 + 2040);
	clockest_feed(&c, 3000, T0 + 3000 + 3600 * SEC, false); /* an hour in an outbox */
	assert_int_equal(clockest_time(&c, 3000), T0 + 3040);
	clockest_feed(&c, 2500, T0 + 2500 + 10, false);        /* older, and prompter still */
	assert_int_equal(clockest_time(&c, 2500), T0 + 2510);
}

/* The least ages upward at 100 ppm, so clocks drifting apart are followed:
 * a day later it may be 8.64 s higher, and is as high as the next
 * prompt message says. */
static void
test_drift_followed(void **state)
{
	(void)state;
	struct clockest c = { 0 };
	clockest_feed(&c, 0, T0, false);
	clockest_feed(&c, DAY, T0 + DAY + 2000, false);        /* the agent's crystal is slow */
	assert_int_equal(c.offset_ms, T0 + 2000);
	clockest_feed(&c, 2 * DAY, T0 + 2 * DAY + 60000, false); /* delayed: bounded by the ageing */
	assert_int_equal(c.offset_ms, T0 + 2000 + 8640);
}

static void
test_plausible(void **state)
{
	(void)state;
	assert_true(clockest_plausible(CLOCKEST_EARLIEST_MS, T0));
	assert_false(clockest_plausible(CLOCKEST_EARLIEST_MS - 1, T0));
	assert_false(clockest_plausible(0, T0));
	assert_true(clockest_plausible(T0 + DAY, T0));
	assert_false(clockest_plausible(T0 + DAY + 1, T0));
	assert_false(clockest_plausible(253402300799000LL, T0)); /* 9999-12-31 */
}

/* With mono_ms: the agent's timestamp when within 5 s of the estimate,
 * else the estimate, and the skew either way. */
static void
test_judge_with_mono(void **state)
{
	(void)state;
	struct clockest c = { 0 };
	struct clockest_time t;
	clockest_feed(&c, 5000, T0 + 20, true);              /* a birth */
	clockest_judge(&c, T0 + 1500, 5000, T0 + 20, &t);   /* NTP-synced: 1.5 s off */
	assert_false(t.retimed);
	assert_int_equal(t.ts_ms, T0 + 1500);
	assert_true(t.skew_known);
	assert_int_equal(t.skew_ms, 1500 - 20);
	clockest_judge(&c, T0 + DAY - 1, 5000, T0 + 20, &t); /* a day ahead: plausible, off */
	assert_true(t.retimed);
	assert_int_equal(t.ts_ms, T0 + 20);
	assert_int_equal(t.skew_ms, DAY - 21);
	clockest_judge(&c, 0, 5000, T0 + 20, &t);            /* 1970: placed, not rejected */
	assert_false(t.reject);
	assert_true(t.retimed);
	assert_int_equal(t.ts_ms, T0 + 20);
	assert_int_equal(t.skew_ms, -(T0 + 20));
}

/* A boot heard of only through its backlog: every figure may be late, so
 * its estimate places only an implausible ts; a birth anchors it. */
static void
test_judge_unanchored(void **state)
{
	(void)state;
	struct clockest c = { 0 };
	struct clockest_time t;
	clockest_feed(&c, 5000, T0 + 7200 * SEC, false);     /* two hours in the outbox */
	clockest_judge(&c, T0, 5000, T0 + 7200 * SEC, &t);
	assert_false(t.retimed);
	assert_false(t.skew_known);
	assert_int_equal(t.ts_ms, T0);
	clockest_judge(&c, 0, 5000, T0 + 7200 * SEC, &t);
	assert_true(t.retimed);
	assert_int_equal(t.ts_ms, T0 + 7200 * SEC);
	clockest_feed(&c, 9000, T0 + 4000 + 30, true);
	assert_true(c.anchored);
	clockest_judge(&c, T0 + DAY, 9000, T0 + 4030, &t);
	assert_true(t.retimed);
	assert_int_equal(t.ts_ms, T0 + 4030);
}

/* Without mono_ms: implausible is rejected; measured after its own receipt
 * is placed at the receipt; behind cannot be told from a backlog. */
static void
test_judge_without_mono(void **state)
{
	(void)state;
	struct clockest_time t;
	clockest_judge(NULL, 253402300799000LL, -1, T0, &t);
	assert_true(t.reject);
	clockest_judge(NULL, 1000, -1, T0, &t);
	assert_true(t.reject);
	clockest_judge(NULL, T0 + 3600 * SEC, -1, T0, &t);
	assert_false(t.reject);
	assert_true(t.retimed);
	assert_int_equal(t.ts_ms, T0);
	assert_int_equal(t.skew_ms, 3600 * SEC);
	clockest_judge(NULL, T0 - 3600 * SEC, -1, T0, &t);
	assert_false(t.retimed);
	assert_false(t.skew_known);
	assert_int_equal(t.ts_ms, T0 - 3600 * SEC);
}

#include "unit_main.h"
