/* The agent's outbox: order, in-flight window, requeue, bounded drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/outbox.h"

static char *
payload(int64_t seq)
{
	char *p = malloc(32);
	snprintf(p, 32, "batch-%lld", (long long)seq);
	return p;
}

static void
test_order_and_ack(void **state)
{
	(void)state;
	struct outbox *ob = outbox_new(10);
	for (int64_t s = 1; s <= 3; s++)
		assert_int_equal(outbox_push(ob, s, payload(s), 7), PANTAU_OK);
	struct outbox_item *it = outbox_next(ob);
	assert_int_equal(it->seq, 1);
	outbox_mark_inflight(ob, it, 100);
	it = outbox_next(ob);
	assert_int_equal(it->seq, 2);
	outbox_mark_inflight(ob, it, 101);
	assert_int_equal(outbox_inflight(ob), 2);
	assert_false(outbox_ack(ob, 999));
	assert_true(outbox_ack(ob, 101)); /* out of order ack */
	assert_true(outbox_ack(ob, 100));
	assert_int_equal(outbox_pending(ob), 1);
	assert_int_equal(outbox_next(ob)->seq, 3);
	outbox_free(ob);
}

static void
test_requeue_after_disconnect(void **state)
{
	(void)state;
	struct outbox *ob = outbox_new(10);
	outbox_push(ob, 1, payload(1), 7);
	outbox_push(ob, 2, payload(2), 7);
	outbox_mark_inflight(ob, outbox_next(ob), 1);
	outbox_mark_inflight(ob, outbox_next(ob), 2);
	assert_null(outbox_next(ob));
	outbox_requeue(ob);
	assert_int_equal(outbox_inflight(ob), 0);
	assert_int_equal(outbox_next(ob)->seq, 1); /* resent oldest first */
	assert_false(outbox_ack(ob, 1));            /* old mids mean nothing now */
	outbox_free(ob);
}

static void
test_bounded_drops_oldest(void **state)
{
	(void)state;
	struct outbox *ob = outbox_new(3);
	outbox_push(ob, 1, payload(1), 7);
	outbox_mark_inflight(ob, outbox_next(ob), 1); /* in flight: kept */
	for (int64_t s = 2; s <= 6; s++)
		outbox_push(ob, s, payload(s), 7);
	assert_int_equal(outbox_pending(ob), 3);
	assert_int_equal(outbox_dropped(ob), 3); /* 2, 3, 4 dropped */
	assert_true(outbox_ack(ob, 1));
	assert_int_equal(outbox_next(ob)->seq, 5);
	outbox_free(ob);
}

static void
test_ring_wraps(void **state)
{
	(void)state;
	struct outbox *ob = outbox_new(4);
	int mid = 0;
	for (int64_t s = 1; s <= 50; s++) {
		outbox_push(ob, s, payload(s), 7);
		struct outbox_item *it = outbox_next(ob);
		assert_int_equal(it->seq, s);
		char want[32];
		snprintf(want, sizeof(want), "batch-%lld", (long long)s);
		assert_string_equal(it->payload, want);
		outbox_mark_inflight(ob, it, ++mid);
		assert_true(outbox_ack(ob, mid));
	}
	assert_int_equal(outbox_pending(ob), 0);
	assert_int_equal(outbox_dropped(ob), 0);
	outbox_free(ob);
	outbox_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_ack),
		cmocka_unit_test(test_requeue_after_disconnect),
		cmocka_unit_test(test_bounded_drops_oldest),
		cmocka_unit_test(test_ring_wraps),
	};
	return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
