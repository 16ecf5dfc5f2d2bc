/* strsorted_find: binary search by a string key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "strsorted.h"

static const char *const keys[] = { "b", "d", "f", "h" };

static const char *
key_at(const void *ctx, size_t i)
{
	return ((const char *const *)ctx)[i];
}

static void
test_finds_each(void **state)
{
	(void)state;
	bool found = false;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(strsorted_find(keys, 4, key_at, keys[i], &found), i);
		assert_true(found);
	}
}

static void
test_where_it_would_go(void **state)
{
	(void)state;
	bool found = true;
	assert_int_equal(strsorted_find(keys, 4, key_at, "a", &found), 0);
	assert_false(found);
	assert_int_equal(strsorted_find(keys, 4, key_at, "e", &found), 2);
	assert_false(found);
	assert_int_equal(strsorted_find(keys, 4, key_at, "z", &found), 4);
	assert_false(found);
	found = true;
	assert_int_equal(strsorted_find(keys, 0, key_at, "b", &found), 0);
	assert_false(found);
}

#include "unit_main.h"
