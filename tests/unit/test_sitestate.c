/* Site liveness: OK, OFFLINE (will or silence, said apart), UNKNOWN, collector grace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "collector/status/sitestate.h"

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
	assert_int_equal(eval((struct site_facts){ -1, -1, -1, NULL, -1, -1 }, why), SITE_UNKNOWN);
	assert_string_equal(why, "no result received yet");
	/* reporting on time */
	assert_int_equal(eval((struct site_facts){ NOW - 30000, -1, 1, NULL, 60, -1 }, why), SITE_OK);
	/* silent for just under and over 3 intervals of 10 s */
	assert_int_equal(eval((struct site_facts){ NOW - 29000, -1, 1, NULL, 10, -1 }, why), SITE_OK);
	assert_int_equal(eval((struct site_facts){ NOW - 31000, -1, -1, NULL, 10, -1 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "no result for 31 s (3 intervals of 10 s)");
	/* silent while its broker connection is up (birth, no will): said apart */
	assert_int_equal(eval((struct site_facts){ NOW - 31000, NOW - 600000, 1, NULL, 10, -1 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "silent for 31 s (3 intervals of 10 s) but its broker connection "
	                         "is up, no last will: the agent is stuck or its clock jumped");
	/* unknown interval: the default 60 s applies */
	assert_int_equal(eval((struct site_facts){ NOW - 170000, -1, -1, NULL, -1, -1 }, why), SITE_OK);
	assert_int_equal(eval((struct site_facts){ NOW - 14 * 60000, -1, -1, NULL, -1, -1 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "no result for 14 min (3 intervals of 60 s)");
}

static void
test_collector_restart_grace(void **state)
{
	(void)state;
	char why[160];
	/* silent for 10 min, but the collector started listening 20 s ago: a site
	 * reporting every 10 s has not had its three chances yet */
	struct site_facts f = { NOW - 600000, -1, -1, NULL, 10, NOW - 20000 };
	assert_int_equal(eval(f, why), SITE_OK);
	/* 31 s after the collector started: now the silence counts */
	f.grace_from_ms = NOW - 31000;
	assert_int_equal(eval(f, why), SITE_OFFLINE);
	assert_string_equal(why, "no result for 10 min (3 intervals of 10 s)");
	/* a last will is news, grace or not */
	f = (struct site_facts){ NOW - 600000, NOW - 5000, 0, "lost", 10, NOW - 1000 };
	assert_int_equal(eval(f, why), SITE_OFFLINE);
	assert_string_equal(why, "connection lost (last will) 5 s ago");
}

static void
test_last_will(void **state)
{
	(void)state;
	char why[128];
	/* will after the last result: offline at once */
	assert_int_equal(eval((struct site_facts){ NOW - 5000, NOW - 2000, 0, "lost", 60, -1 }, why),
	    SITE_OFFLINE);
	assert_string_equal(why, "connection lost (last will) 2 s ago");
	assert_int_equal(eval((struct site_facts){ NOW - 5000, NOW - 2000, 0, "shutdown", 60, -1 },
	                     why), SITE_OFFLINE);
	assert_string_equal(why, "agent shut down 2 s ago");
	/* a result after the will (a stale will, or the agent is back): OK */
	assert_int_equal(eval((struct site_facts){ NOW - 1000, NOW - 2000, 0, "lost", 60, -1 }, why),
	    SITE_OK);
	/* a will for a site that never reported */
	assert_int_equal(eval((struct site_facts){ -1, NOW - 7200000, 0, "lost", 60, -1 }, why),
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

#include "unit_main.h"
