/* ISO 8601 timestamps of the wire contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "clock.h"

static void
test_format_and_parse_round_trip(void **state)
{
	(void)state;
	char buf[CLOCK_ISO_LEN];
	int64_t ms;
	clock_format_iso(1707890430125LL, buf);
	assert_string_equal(buf, "2024-02-14T06:00:30.125Z");
	assert_int_equal(clock_parse_iso(buf, &ms), PANTAU_OK);
	assert_int_equal(ms, 1707890430125LL);
	clock_format_iso(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
}

static void
test_parse_fractions(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(clock_parse_iso("2024-02-14T06:00:30Z", &ms), PANTAU_OK);
	assert_int_equal(ms, 1707890430000LL);
	assert_int_equal(clock_parse_iso("2024-02-14T06:00:30.1Z", &ms), PANTAU_OK);
	assert_int_equal(ms, 1707890430100LL);
	assert_int_equal(clock_parse_iso("2024-02-14T06:00:30.123456789Z", &ms), PANTAU_OK);
	assert_int_equal(ms, 1707890430123LL);
	assert_int_equal(clock_parse_iso("2024-02-29T00:00:00Z", &ms), PANTAU_OK);
}

static void
test_parse_rejects(void **state)
{
	(void)state;
	int64_t ms;
	const char *bad[] = {
		"", "2024-02-14", "2024-02-14T06:00:30", "2024-02-14T06:00:30+07:00",
		"2024-02-14 06:00:30Z", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
		"2024-02-14T24:00:00Z", "2024-02-14T06:00:30.Z", "2024-02-14T06:00:30.1234567890Z",
		"1969-12-31T23:59:59Z", "2024-02-14T06:00:30Zjunk", "２024-02-14T06:00:30Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (clock_parse_iso(bad[i], &ms) != PANTAU_ERR_PARSE)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_parse_round_trip),
		cmocka_unit_test(test_parse_fractions),
		cmocka_unit_test(test_parse_rejects),
	};
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
