/* grow_to: the growing arrays' one doubling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "grow.h"

static void
test_doubles_from_first(void **state)
{
	(void)state;
	size_t cap = 0;
	int *v = grow_to(NULL, &cap, 1, sizeof(*v), 4);
	assert_non_null(v);
	assert_int_equal(cap, 4);
	assert_ptr_equal(grow_to(v, &cap, 4, sizeof(*v), 4), v); /* room: as it is */
	v[3] = 7;
	v = grow_to(v, &cap, 5, sizeof(*v), 4);
	assert_int_equal(cap, 8);
	assert_int_equal(v[3], 7);
	v = grow_to(v, &cap, 40, sizeof(*v), 4); /* doubled until it fits */
	assert_int_equal(cap, 64);
	free(v);
}

static void
test_too_large_leaves_it(void **state)
{
	(void)state;
	size_t cap = 0;
	char *v = grow_to(NULL, &cap, 2, 1, 2);
	assert_non_null(v);
	assert_null(grow_to(v, &cap, SIZE_MAX / 2, 4, 2));
	assert_int_equal(cap, 2);
	free(v);
}

#include "unit_main.h"
