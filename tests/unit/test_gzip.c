/* gzip of the API's replies (collector/api/gzip.c): who takes it, and a round
 * trip through zlib's own inflate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "collector/api/gzip.h"

static void
test_accepted(void **state)
{
	(void)state;
	static const char *const yes[] = { "gzip", "gzip, deflate, br", "br,gzip",
		"deflate, GZIP;q=0.5", "x-gzip", "gzip;q=1", " gzip ;q=0.01" };
	static const char *const no[] = { "", "deflate, br", "gzip;q=0", "gzip; q=0.000",
		"identity", "gzipx", "xgzip", "br;q=1, gzip;q=0" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!gzip_accepted(yes[i]))
			fail_msg("\"%s\" should accept gzip", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (gzip_accepted(no[i]))
			fail_msg("\"%s\" should not accept gzip", no[i]);
	assert_false(gzip_accepted(NULL));
}

static void
test_round_trip(void **state)
{
	(void)state;
	size_t n = 200000, zlen = 0;
	char *in = malloc(n), *z = NULL, *back = malloc(n + 1);
	assert_non_null(in);
	assert_non_null(back);
	for (size_t i = 0; i < n; i++)
		in[i] = "{\"agent\":\"sim-1101-0001\",\"status\":\"OK\"},"[i % 40];
	assert_int_equal(gzip_compress(in, n, &z, &zlen), PANTAU_OK);
	assert_non_null(z);
	assert_true(zlen < n / 10);
	assert_int_equal((unsigned char)z[0], 0x1f);  /* the gzip magic */
	assert_int_equal((unsigned char)z[1], 0x8b);

	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)z;
	zs.avail_in = (uInt)zlen;
	zs.next_out = (Bytef *)back;
	zs.avail_out = (uInt)(n + 1);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, n);
	assert_memory_equal(back, in, n);
	inflateEnd(&zs);
	free(in);
	free(z);
	free(back);
}

static void
test_empty(void **state)
{
	(void)state;
	char *z = NULL;
	size_t zlen = 0;
	assert_int_equal(gzip_compress("", 0, &z, &zlen), PANTAU_OK);
	assert_true(zlen >= 18);  /* header and trailer of an empty member */
	free(z);
}

#include "unit_main.h"
