/* The agent's reading of pantau/v1/mode: its own zone decides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "agent/mode.h"
#include "clock.h"

static const char zones[] =
    "{\"mode\":\"counting\",\"until\":\"2029-02-16T16:59:00.000Z\",\"zones\":{"
    "\"WIB\":{\"active\":false,\"from\":\"2029-02-14T06:00:00.000Z\","
    "\"until\":\"2029-02-16T16:59:00.000Z\"},"
    "\"WITA\":{\"active\":true,\"from\":\"2029-02-14T05:00:00.000Z\","
    "\"until\":\"2029-02-16T15:59:00.000Z\"},"
    "\"WIT\":{\"active\":true,\"from\":\"2029-02-14T04:00:00.000Z\","
    "\"until\":\"2029-02-16T14:59:00.000Z\"}}}";

static void
test_own_zone(void **state)
{
	(void)state;
	struct agent_mode m;
	char why[128];
	int64_t until;
	assert_int_equal(agent_mode_parse(zones, strlen(zones), "95.01", &m, why, sizeof(why)),
	    PANTAU_OK);
	assert_true(m.counting);                       /* Papua: WIT */
	assert_int_equal(clock_parse_iso("2029-02-16T14:59:00Z", &until), PANTAU_OK);
	assert_int_equal(m.until_ms, until);
	assert_int_equal(agent_mode_parse(zones, strlen(zones), "73.71", &m, why, sizeof(why)),
	    PANTAU_OK);
	assert_true(m.counting);                       /* Makassar: WITA */
	assert_int_equal(agent_mode_parse(zones, strlen(zones), "32.73", &m, why, sizeof(why)),
	    PANTAU_OK);
	assert_false(m.counting);                      /* Bandung: WIB, not yet */
	assert_int_equal(m.until_ms, -1);
}

static void
test_without_zones_and_cleared(void **state)
{
	(void)state;
	struct agent_mode m;
	char why[128];
	const char *all = "{\"mode\":\"counting\",\"until\":\"2029-02-16T16:59:00Z\"}";
	assert_int_equal(agent_mode_parse(all, strlen(all), "32.73", &m, why, sizeof(why)),
	    PANTAU_OK);
	assert_true(m.counting);
	const char *normal = "{\"mode\":\"normal\"}";
	assert_int_equal(agent_mode_parse(normal, strlen(normal), "32.73", &m, why, sizeof(why)),
	    PANTAU_OK);
	assert_false(m.counting);
	assert_int_equal(agent_mode_parse("", 0, "32.73", &m, why, sizeof(why)), PANTAU_OK);
	assert_false(m.counting);
}

static void
test_not_a_mode(void **state)
{
	(void)state;
	struct agent_mode m;
	char why[128];
	const char *bad[] = { "[]", "{\"mode\":\"panic\"}", "not json" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(agent_mode_parse(bad[i], strlen(bad[i]), "32.73", &m, why,
		    sizeof(why)), PANTAU_ERR_PARSE);
		assert_non_null(strstr(why, "not a mode message"));
		assert_false(m.counting);
	}
}

#include "unit_main.h"
