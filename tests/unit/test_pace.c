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
	assert_false(pace_take(&p, 1000, 0));   /* 500 left */
	assert_int_equal(pace_wait_ms(&p, 1000, 0), 500);
	assert_false(pace_take(&p, 1000, 499));
	assert_true(pace_take(&p, 1000, 500));
	assert_true(pace_take(&p, 2000, 100000)); /* long idle: capped at burst */
	assert_false(pace_take(&p, 1, 100000));
}

static void
test_burst_at_least_rate(void **state)
{
	(void)state;
	struct pace p;
	pace_init(&p, 5000, 100, 0);
	assert_true(pace_take(&p, 5000, 0));
	assert_int_equal(pace_wait_ms(&p, 1, 0), 1);
	assert_int_equal(pace_wait_ms(&p, 0, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_burst_at_least_rate),
	};
	return cmocka_run_group_tests_name("pace", tests, NULL, NULL);
}
