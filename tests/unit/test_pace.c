/* The backfill pace: a token bucket with an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/pace.h"

static void
test_burst_then_rate(void **state)
{
	(void)state;
	struct pace p;
	pace_init(&p, 1000, 2000, 0); /* 1000 bytes/s, 2000 saved up at most */
	assert_true(pace_take(&p, 1500, 0));
	assert_true(pace_take(&p, 1000, 0));    /* 500 left: goes, 500 in debt */
	assert_false(pace_take(&p, 1, 0));
	assert_int_equal(pace_wait_ms(&p, 0), 500);
	assert_false(pace_take(&p, 1, 499));
	assert_true(pace_take(&p, 1000, 500));
	assert_int_equal(pace_wait_ms(&p, 500), 1000);
	assert_true(pace_take(&p, 2001, 100000)); /* long idle: capped at burst */
	assert_false(pace_take(&p, 1, 100000));
}

static void
test_large_message_and_rate(void **state)
{
	(void)state;
	struct pace p;
	int sent = 0;
	pace_init(&p, 100, 10, 0);           /* burst raised to one second: 100 */
	assert_true(pace_take(&p, 5000, 0)); /* larger than the burst: goes, 50 s of debt */
	assert_int_equal(pace_wait_ms(&p, 0), 49000);
	for (int64_t t = 49000; t <= 59000; t += 10)
		sent += pace_take(&p, 100, t);
	assert_int_equal(sent, 11); /* the one at 49 s, then 100 bytes/s: 10 in 10 s */
}

#include "unit_main.h"
