/* Site status before the status engine: OK, OFFLINE (will or silence), UNKNOWN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "collector/sitestate.h"

static const struct site_rules rules = { .offline_intervals = 3, .default_interval_s = 60 };
#define NOW 1700000000000LL

static enum site_status
eval(struct site_facts f, char *reason)
{
	return sitestate_eval(&f, &rules, NOW, reason, 128);
}

static void
test_states(void **state)
{
	(void)state;
	char why[128];
	/* never reported */
	assert_int_equal(eval((struct site_facts){ -1, -1, -1, NULL, -1 }, why), SITE_UNKNOWN);
	assert_string_equal(why, "no result received yet");
	/* reporting on time */
	assert_int_equal(eval((struct site_facts){ NOW - 30000, -1, 1, NULL, 60 }, why), SITE_OK);
	/* silent for just under and over 3 intervals of 10 s */
	assert_int_equal(eval((struct site_facts){ NOW - 29000, -1, 1, NULL, 10 }, why), SITE_OK);
	assert_int_equal(eval((struct site_facts){ NOW - 31000, -1, 1, NULL, 10 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "no result for 31 s (3 intervals of 10 s)");
	/* unknown interval: the default 60 s applies */
	assert_int_equal(eval((struct site_facts){ NOW - 170000, -1, -1, NULL, -1 }, why), SITE_OK);
	assert_int_equal(eval((struct site_facts){ NOW - 14 * 60000, -1, -1, NULL, -1 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "no result for 14 min (3 intervals of 60 s)");
}

static void
test_last_will(void **state)
{
	(void)state;
	char why[128];
	/* will after the last result: offline at once */
	assert_int_equal(eval((struct site_facts){ NOW - 5000, NOW - 2000, 0, "lost", 60 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "connection lost (last will) 2 s ago");
	assert_int_equal(eval((struct site_facts){ NOW - 5000, NOW - 2000, 0, "shutdown", 60 },
	                     why), SITE_OFFLINE);
	assert_string_equal(why, "agent shut down 2 s ago");
	/* a result after the will (a stale will, or the agent is back): OK */
	assert_int_equal(eval((struct site_facts){ NOW - 1000, NOW - 2000, 0, "lost", 60 }, why),
	    SITE_OK);
	/* a will for a site that never reported */
	assert_int_equal(eval((struct site_facts){ -1, NOW - 7200000, 0, "lost", 60 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "connection lost (last will) 2 h 0 min ago");
}

static void
test_names_and_rank(void **state)
{
	(void)state;
	assert_string_equal(sitestate_name(SITE_OFFLINE), "OFFLINE");
	assert_true(sitestate_rank(SITE_OFFLINE) > sitestate_rank(SITE_CRITICAL));
	assert_true(sitestate_rank(SITE_CRITICAL) > sitestate_rank(SITE_DEGRADED));
	assert_true(sitestate_rank(SITE_DEGRADED) > sitestate_rank(SITE_UNKNOWN));
	assert_true(sitestate_rank(SITE_UNKNOWN) > sitestate_rank(SITE_OK));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_last_will),
		cmocka_unit_test(test_names_and_rank),
	};
	return cmocka_run_group_tests_name("sitestate", tests, NULL, NULL);
}
