/* block_alloc and block_take: a struct and its arrays in one allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdalign.h>
#include <stdlib.h>

#include "block.h"

struct head {
	char tag;   /* an odd size: the arrays still start aligned */
};

static void
test_arrays_follow_aligned(void **state)
{
	(void)state;
	struct block b;
	struct head *h = block_alloc(sizeof(*h), 3 * sizeof(double) + 3, &b);
	assert_non_null(h);
	double *d = block_take(&b, 3, sizeof(*d));
	uint8_t *u = block_take(&b, 3, sizeof(*u));
	assert_int_equal((uintptr_t)d % alignof(double), 0);
	assert_true((char *)d > (char *)h);
	assert_ptr_equal((char *)u, (char *)(d + 3));
	assert_true(d[0] == 0.0 && d[2] == 0.0 && u[2] == 0); /* zeroed */
	d[2] = 1.5;
	u[2] = 7;
	free(h);
}

#include "unit_main.h"
