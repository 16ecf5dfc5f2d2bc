/* ISO 8601 timestamps of the wire contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "byteorder.h"
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

static void
test_real_ns_and_timespec(void **state)
{
	(void)state;
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123456789 };
	assert_int_equal(clock_timespec_ns(&ts), 1700000000123456789LL);
	int64_t ms = clock_real_ms(), ns = clock_real_ns();
	assert_true(ns / 1000000 >= ms && ns / 1000000 - ms < 1000);
}

/* Network order whatever the host's, at any alignment. */
static void
test_byteorder(void **state)
{
	(void)state;
	uint8_t b[9] = { 0 };
	be_put16(b + 1, 0x0102);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 2);
	assert_int_equal(be_get16(b + 1), 0x0102);
	be_put32(b + 1, 0xa1b2c3d4u);
	assert_int_equal(b[1], 0xa1);
	assert_int_equal(b[4], 0xd4);
	assert_int_equal(be_get32(b + 1), 0xa1b2c3d4u);
	be_put64(b + 1, 0x0102030405060708ULL);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[8], 8);
	assert_true(be_get64(b + 1) == 0x0102030405060708ULL);
}

#include "unit_main.h"
