/* STAMP packets (RFC 8762), NTP timestamps, error estimates and the
 * reflector's per-source rate limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>

#include "ratelimit.h"
#include "stamp.h"

static void
test_ntp_timestamps(void **state)
{
	(void)state;
	/* 1970-01-01 is 2208988800 s after the NTP epoch; half a second is
	 * 0x80000000 of the fraction. */
	uint64_t t = stamp_ntp_from_unix_ns(500000000LL);
	assert_int_equal(t >> 32, 2208988800ULL);
	assert_int_equal(t & 0xffffffffULL, 0x80000000ULL);
	int64_t now = 1700000000123456789LL;
	int64_t back = stamp_ntp_to_unix_ns(stamp_ntp_from_unix_ns(now));
	assert_true(back - now <= 1 && now - back <= 1);
}

static void
test_error_estimate(void **state)
{
	(void)state;
	struct stamp_errest e = { .synced = true, .error_s = 0.001 }, d;
	uint16_t v = stamp_errest_encode(&e);
	assert_true(v & 0x8000);           /* S */
	assert_false(v & 0x4000);          /* Z = 0: NTP format */
	assert_int_not_equal(v & 0xff, 0); /* multiplier never 0 */
	stamp_errest_decode(v, &d);
	assert_true(d.synced);
	/* Rounded up, within one step of the 8-bit multiplier. */
	assert_true(d.error_s >= 0.001 && d.error_s < 0.001 * (1 + 1.0 / 128));
	/* RFC 4656 example: scale 0, multiplier 1 = 2^-32 s. */
	stamp_errest_decode(0x0001, &d);
	assert_false(d.synced);
	assert_true(fabs(d.error_s - ldexp(1, -32)) < 1e-15);
	e.synced = false;
	e.error_s = 16.0;
	stamp_errest_decode(stamp_errest_encode(&e), &d);
	assert_false(d.synced);
	assert_true(fabs(d.error_s - 16.0) < 1e-9);
}

static void
test_sender_packet_layout(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0xee, sizeof(buf));
	struct stamp_sender_pkt p = { .seq = 0x01020304, .ts = 0x1112131415161718ULL,
		.errest = 0x8101 }, q;
	assert_int_equal(stamp_sender_encode(&p, buf, 64), PANTAU_OK);
	static const uint8_t head[14] = { 1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x81, 0x01 };
	assert_memory_equal(buf, head, sizeof(head));
	for (size_t i = 14; i < 64; i++)
		assert_int_equal(buf[i], 0);  /* MBZ and padding */
	assert_int_equal(stamp_sender_decode(buf, 64, &q), PANTAU_OK);
	assert_int_equal(q.seq, p.seq);
	assert_true(q.ts == p.ts);
	assert_int_equal(q.errest, p.errest);
	assert_int_equal(stamp_sender_encode(&p, buf, 43), PANTAU_ERR_INVAL);
	assert_int_equal(stamp_sender_decode(buf, 43, &q), PANTAU_ERR_PARSE);
}

static void
test_reflector_packet_round_trip(void **state)
{
	(void)state;
	uint8_t buf[STAMP_PKT_MIN];
	struct stamp_reflector_pkt p = { .seq = 7, .ts = 0xa0a0a0a0b0b0b0b0ULL, .errest = 0x8005,
		.rx_ts = 0xa0a0a0a0a0a0a0a0ULL, .sender_seq = 7, .sender_ts = 0x9999999988888888ULL,
		.sender_errest = 0x0102, .sender_ttl = 63 }, q;
	assert_int_equal(stamp_reflector_encode(&p, buf, sizeof(buf)), PANTAU_OK);
	/* Fixed offsets of RFC 8762 4.3.1. */
	assert_int_equal(buf[16], 0xa0);   /* receive timestamp */
	assert_int_equal(buf[27], 7);      /* sender sequence number */
	assert_int_equal(buf[28], 0x99);   /* sender timestamp */
	assert_int_equal(buf[40], 63);     /* sender TTL */
	assert_int_equal(buf[14] | buf[15] | buf[38] | buf[39] | buf[41] | buf[42] | buf[43], 0);
	assert_int_equal(stamp_reflector_decode(buf, sizeof(buf), &q), PANTAU_OK);
	assert_int_equal(q.seq, 7);
	assert_true(q.ts == p.ts && q.rx_ts == p.rx_ts && q.sender_ts == p.sender_ts);
	assert_int_equal(q.errest, p.errest);
	assert_int_equal(q.sender_errest, p.sender_errest);
	assert_int_equal(q.sender_ttl, 63);
}

static struct sockaddr_in
v4(const char *a)
{
	struct sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static void
test_rate_limit_per_source(void **state)
{
	(void)state;
	struct ratelimit *r = NULL;
	assert_int_equal(ratelimit_new(10, 5, 64, &r), PANTAU_OK);
	struct sockaddr_in a = v4("198.18.0.1"), b = v4("198.18.0.2");
	int64_t t = 1000000000LL;
	for (int i = 0; i < 5; i++)
		assert_true(ratelimit_allow(r, (struct sockaddr *)&a, t));
	assert_false(ratelimit_allow(r, (struct sockaddr *)&a, t));  /* burst spent */
	assert_true(ratelimit_allow(r, (struct sockaddr *)&b, t));   /* b has its own */
	/* 10 per second: one token after 100 ms, not before. */
	assert_false(ratelimit_allow(r, (struct sockaddr *)&a, t + 90000000LL));
	assert_true(ratelimit_allow(r, (struct sockaddr *)&a, t + 100000000LL));
	assert_false(ratelimit_allow(r, (struct sockaddr *)&a, t + 100000000LL));
	/* Over 10 s at most burst + 10/s x 10 s pass, whatever is sent. */
	int passed = 0;
	for (int64_t ns = 0; ns < 10000000000LL; ns += 1000000LL)
		passed += ratelimit_allow(r, (struct sockaddr *)&a, t + 200000000LL + ns);
	assert_in_range(passed, 99, 106);
	ratelimit_free(r);
}

static void
test_rate_limit_table_is_bounded(void **state)
{
	(void)state;
	struct ratelimit *r = NULL;
	assert_int_equal(ratelimit_new(1, 1, 16, &r), PANTAU_OK);
	struct sockaddr_in6 s;
	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	/* Thousands of sources in a 16-slot table: each new one is answered
	 * once (a fresh bucket), memory stays fixed. */
	for (uint32_t i = 0; i < 5000; i++) {
		memcpy(&s.sin6_addr, &i, sizeof(i));
		assert_true(ratelimit_allow(r, (struct sockaddr *)&s, (int64_t)i));
	}
	struct sockaddr_un_like { sa_family_t f; } other = { AF_UNIX };
	assert_false(ratelimit_allow(r, (struct sockaddr *)&other, 0));
	ratelimit_free(r);
	assert_int_equal(ratelimit_new(0, 1, 16, &r), PANTAU_ERR_INVAL);
	assert_null(r);
	ratelimit_free(NULL);
}

#include "unit_main.h"
