/*
 * Running a libuv loop in a unit test until a condition holds, with a
 * deadline (never a fixed sleep). Included after cmocka.h.
 */
#ifndef PANTAU_TEST_LOOP_HARNESS_H
#define PANTAU_TEST_LOOP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

static inline void
on_dog(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Run the loop until *count reaches want (or, with count NULL, until
 * nothing is left to run) or ms pass; true when that happened in time. */
static inline bool
spin_until(uv_loop_t *loop, const int *count, int want, int ms)
{
	bool expired = false;
	uv_timer_t dog;
	uv_timer_init(loop, &dog);
	dog.data = &expired;
	uv_timer_start(&dog, on_dog, (uint64_t)ms, 0);
	uv_unref((uv_handle_t *)&dog);
	while ((count == NULL || *count < want) && !expired && uv_loop_alive(loop))
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&dog, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return count != NULL ? *count >= want : !uv_loop_alive(loop);
}

#endif
