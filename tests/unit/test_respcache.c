/* The API's reply cache (collector/api/respcache.c), with the clock given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api/respcache.h"

static void
test_hit_until_max_age(void **state)
{
	(void)state;
	struct respcache *c = respcache_new(5000);
	size_t len = 0;
	int64_t age = -1;
	assert_non_null(c);
	assert_null(respcache_get(c, "sites", 1000, false, &len, &age));
	assert_int_equal(respcache_put(c, "sites", 1000, "{\"a\":1}", 7), PANTAU_OK);
	const char *t = respcache_get(c, "sites", 5999, false, &len, &age);
	assert_non_null(t);
	assert_string_equal(t, "{\"a\":1}");
	assert_int_equal(len, 7);
	assert_int_equal(age, 4999);
	assert_null(respcache_get(c, "sites", 6000, false, &len, &age));  /* max age reached */
	assert_null(respcache_get(c, "sites", 999, false, &len, &age));   /* clock stepped back */
	assert_null(respcache_get(c, "regions?province=", 2000, false, &len, &age));
	assert_int_equal(respcache_put(c, "sites", 7000, "{\"a\":2}", 7), PANTAU_OK);
	assert_string_equal(respcache_get(c, "sites", 7001, false, &len, &age), "{\"a\":2}");
	respcache_free(c);
}

static void
test_keys_apart_and_oldest_replaced(void **state)
{
	(void)state;
	struct respcache *c = respcache_new(60000);
	char key[RESPCACHE_KEY_MAX + 1], text[32];
	size_t len;
	int64_t age;
	for (int i = 0; i < RESPCACHE_SLOTS; i++) {
		snprintf(key, sizeof(key), "regions?province=%02d", i);
		snprintf(text, sizeof(text), "p%d", i);
		assert_int_equal(respcache_put(c, key, 100 + i, text, strlen(text)), PANTAU_OK);
	}
	assert_string_equal(respcache_get(c, "regions?province=07", 200, false, &len, &age), "p7");
	/* One more key: the oldest (province 00) makes room, the others stay. */
	assert_int_equal(respcache_put(c, "sites", 300, "s", 1), PANTAU_OK);
	assert_null(respcache_get(c, "regions?province=00", 301, false, &len, &age));
	assert_string_equal(respcache_get(c, "regions?province=01", 301, false, &len, &age), "p1");
	assert_string_equal(respcache_get(c, "sites", 301, false, &len, &age), "s");
	respcache_free(c);
}

static void
test_off_and_long_keys(void **state)
{
	(void)state;
	char longkey[RESPCACHE_KEY_MAX + 2];
	size_t len;
	int64_t age;
	struct respcache *off = respcache_new(0);
	assert_int_equal(respcache_put(off, "sites", 1, "x", 1), PANTAU_OK);
	assert_null(respcache_get(off, "sites", 1, false, &len, &age));
	respcache_free(off);

	struct respcache *c = respcache_new(1000);
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(respcache_put(c, longkey, 1, "x", 1), PANTAU_OK);
	assert_null(respcache_get(c, longkey, 1, false, &len, &age));
	respcache_free(c);
	respcache_free(NULL);
}

static void
test_gzip_form(void **state)
{
	(void)state;
	struct respcache *c = respcache_new(5000);
	size_t len;
	int64_t age;
	char *gz = malloc(3);
	assert_non_null(gz);
	memcpy(gz, "GZ", 3);
	assert_int_equal(respcache_put(c, "sites", 1000, "plain", 5), PANTAU_OK);
	assert_null(respcache_get(c, "sites", 1001, true, &len, &age));  /* none added yet */
	respcache_put_gz(c, "sites", gz, 2);
	assert_string_equal(respcache_get(c, "sites", 1002, true, &len, &age), "GZ");
	assert_int_equal(len, 2);
	assert_string_equal(respcache_get(c, "sites", 1002, false, &len, &age), "plain");
	assert_null(respcache_get(c, "sites", 6000, true, &len, &age));  /* stale with its text */
	/* A new text drops the old gzip form. */
	assert_int_equal(respcache_put(c, "sites", 7000, "newer", 5), PANTAU_OK);
	assert_null(respcache_get(c, "sites", 7001, true, &len, &age));
	/* A gzip form of a key not kept is freed (ASan would see a leak). */
	respcache_put_gz(c, "regions?province=", strdup("x"), 1);
	respcache_free(c);
}

#include "unit_main.h"
