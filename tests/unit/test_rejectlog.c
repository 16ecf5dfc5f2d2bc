/* The bounded log of rejected messages (collector/ingest/rejectlog.c): a
 * burst of lines per minute, the rest counted per reason, and a new minute
 * starting afresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/ingest/rejectlog.h"

#define T0 1700000000000LL

static void
test_a_burst_then_counted_per_reason(void **state)
{
	(void)state;
	struct rejectlog rl = { .window_start = T0 };
	for (int i = 0; i < REJECTLOG_BURST; i++)
		assert_true(rejectlog_allow(&rl, WIRE_REJ_NOT_JSON, T0 + i));
	for (int i = 0; i < 1000; i++)
		assert_false(rejectlog_allow(&rl, i % 4 ? WIRE_REJ_NOT_JSON : WIRE_REJ_BAD_TOPIC,
		    T0 + 100 + i));
	assert_int_equal(rl.unlogged, 1000);
	assert_int_equal(rl.unlogged_by[WIRE_REJ_NOT_JSON], 750);
	assert_int_equal(rl.unlogged_by[WIRE_REJ_BAD_TOPIC], 250);
}

static void
test_the_next_minute_starts_afresh(void **state)
{
	(void)state;
	struct rejectlog rl = { .window_start = T0 };
	for (int i = 0; i < REJECTLOG_BURST + 5; i++)
		rejectlog_allow(&rl, WIRE_REJ_TOO_LARGE, T0);
	rejectlog_flush(&rl, T0 + REJECTLOG_WINDOW_MS - 1); /* not over yet */
	assert_int_equal(rl.unlogged, 5);
	rejectlog_flush(&rl, T0 + REJECTLOG_WINDOW_MS);
	assert_int_equal(rl.unlogged, 0);
	assert_int_equal(rl.unlogged_by[WIRE_REJ_TOO_LARGE], 0);
	assert_true(rejectlog_allow(&rl, WIRE_REJ_TOO_LARGE, T0 + REJECTLOG_WINDOW_MS + 1));
	/* a rejection after a quiet spell ends the old window itself */
	for (int i = 0; i < REJECTLOG_BURST; i++)
		rejectlog_allow(&rl, WIRE_REJ_TOO_LARGE, T0 + REJECTLOG_WINDOW_MS + 2);
	assert_int_equal(rl.unlogged, 1);
	assert_true(rejectlog_allow(&rl, WIRE_REJ_TOO_LARGE, T0 + 5 * REJECTLOG_WINDOW_MS));
	assert_int_equal(rl.unlogged, 0);
}

#define UNIT_LOG_LEVEL LOG_LEVEL_ERROR
#include "unit_main.h"
