/* The replay scheduler (collector/ingest/replaysched.h): fairness over
 * agents, the rate, per-gap backoff, giving up, and forgetting seqs that
 * arrived or are gone. The clock is injected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "collector/ingest/replaysched.h"

static struct replaysched *
sched(double rate, int64_t backoff, int64_t backoff_max, int max_asks)
{
	struct replaysched_opts o = { rate, backoff, backoff_max, max_asks };
	struct replaysched *s = replaysched_new(&o);
	assert_non_null(s);
	return s;
}

static enum replaysched_do
next(struct replaysched *s, int64_t now, struct replay_gap *g)
{
	memset(g, 0, sizeof(*g));
	return replaysched_next(s, now, g);
}

/* The asks handed out at now until the scheduler has none due. */
static int
drain(struct replaysched *s, int64_t now)
{
	struct replay_gap g;
	int n = 0;
	while (next(s, now, &g) == RS_ASK)
		n++;
	return n;
}

/* One agent with many gaps and many agents with one each: the asks go
 * round robin, and within an agent the gap found first goes first. */
static void
test_round_robin_over_agents(void **state)
{
	(void)state;
	struct replaysched *s = sched(1000, 60000, 60000, 5);
	struct replay_gap g;
	for (int64_t i = 0; i < 10; i++)
		assert_true(replaysched_add(s, "big", 1, 10 * i + 1, 10 * i + 5, 100 + i));
	assert_true(replaysched_add(s, "b", 1, 3, 3, 500));
	assert_true(replaysched_add(s, "c", 7, 1, 2, 400));
	assert_int_equal(replaysched_stats(s)->agents, 3);
	assert_int_equal(replaysched_stats(s)->gaps, 12);
	assert_int_equal(replaysched_stats(s)->seqs, 53);
	assert_int_equal(next(s, 1000, &g), RS_ASK);
	assert_string_equal(g.agent, "big");
	assert_int_equal(g.from_seq, 1);
	assert_int_equal(g.asks, 1);
	assert_int_equal(next(s, 1000, &g), RS_ASK);
	assert_string_equal(g.agent, "b");
	assert_int_equal(next(s, 1000, &g), RS_ASK);
	assert_string_equal(g.agent, "c");
	assert_int_equal(g.boot, 7);
	assert_int_equal(next(s, 1000, &g), RS_ASK);
	assert_string_equal(g.agent, "big");
	assert_int_equal(g.from_seq, 11);
	/* b and c are backing off now: big's gaps follow one another */
	for (int64_t i = 2; i < 10; i++) {
		assert_int_equal(next(s, 1000, &g), RS_ASK);
		assert_string_equal(g.agent, "big");
		assert_int_equal(g.from_seq, 10 * i + 1);
	}
	assert_int_equal(next(s, 1000, &g), RS_NONE);
	assert_int_equal(replaysched_stats(s)->asked, 12);
	replaysched_free(s);
}

/* A gap found later but never asked goes before one asked already; the
 * one asked longest ago goes first. */
static void
test_longest_unasked_first(void **state)
{
	(void)state;
	struct replaysched *s = sched(1000, 100, 100, 10);
	struct replay_gap g;
	assert_true(replaysched_add(s, "a", 1, 1, 1, 0));
	assert_true(replaysched_add(s, "a", 1, 5, 5, 0));
	assert_int_equal(next(s, 0, &g), RS_ASK);
	assert_int_equal(g.from_seq, 1);
	assert_int_equal(next(s, 50, &g), RS_ASK);
	assert_int_equal(g.from_seq, 5);
	assert_true(replaysched_add(s, "a", 1, 9, 9, 120));
	/* at 200 all four are due, by when each was last asked or found: 1
	 * (asked at 0), boot 2's (found at 10), 5 (asked at 50), 9 (found at 120) */
	assert_true(replaysched_add(s, "a", 2, 3, 3, 10));
	assert_int_equal(next(s, 200, &g), RS_ASK);
	assert_int_equal(g.from_seq, 1);
	assert_int_equal(next(s, 200, &g), RS_ASK);
	assert_int_equal(g.boot, 2);
	assert_int_equal(next(s, 200, &g), RS_ASK);
	assert_int_equal(g.from_seq, 5);
	assert_int_equal(next(s, 200, &g), RS_ASK);
	assert_int_equal(g.from_seq, 9);
	assert_int_equal(next(s, 200, &g), RS_NONE);
	replaysched_free(s);
}

/* rate commands per second, a burst of one second's worth. */
static void
test_rate(void **state)
{
	(void)state;
	struct replaysched *s = sched(50, 3600000, 3600000, 5);
	char id[32];
	for (int i = 0; i < 15000; i++) {
		snprintf(id, sizeof(id), "ag-%d", i);
		assert_true(replaysched_add(s, id, 1, 4, 4, 0));
	}
	int asked = drain(s, 0);
	assert_int_equal(asked, 50);
	for (int64_t t = 100; t <= 10000; t += 100)
		asked += drain(s, t);
	assert_int_equal(asked, 550); /* 50 + 10 s at 50/s */
	for (int64_t t = 10100; t <= 300000; t += 100)
		asked += drain(s, t);
	assert_int_equal(asked, 15000); /* every agent once within 5 minutes */
	assert_int_equal(replaysched_stats(s)->agents, 15000);
	/* a slow rate: one command every 4 s */
	struct replaysched_opts o = { 0.25, 1000, 1000, 5 };
	replaysched_set_opts(s, &o);
	asked = 0;
	for (int64_t t = 3600000; t < 3600000 + 40000; t += 100)
		asked += drain(s, t);
	assert_int_equal(asked, 10);
	replaysched_free(s);
}

/* Exponential backoff per gap, capped; then given up after max_asks, and
 * never handed out again. */
static void
test_backoff_and_give_up(void **state)
{
	(void)state;
	struct replaysched *s = sched(100, 1000, 4000, 5);
	struct replay_gap g;
	const int64_t at[] = { 0, 1000, 3000, 7000, 11000 }; /* waits 1, 2, 4, 4 s */
	assert_true(replaysched_add(s, "mute", 3, 10, 12, 0));
	for (int k = 0; k < 5; k++) {
		if (k > 0)
			assert_int_equal(next(s, at[k] - 1, &g), RS_NONE);
		assert_int_equal(next(s, at[k], &g), RS_ASK);
		assert_int_equal(g.asks, k + 1);
		assert_int_equal(next(s, at[k], &g), RS_NONE);
	}
	assert_int_equal(next(s, 14999, &g), RS_NONE);
	assert_int_equal(next(s, 15000, &g), RS_LOST);
	assert_string_equal(g.agent, "mute");
	assert_int_equal(g.boot, 3);
	assert_int_equal(g.from_seq, 10);
	assert_int_equal(g.to_seq, 12);
	assert_int_equal(g.asks, 5);
	for (int64_t t = 15000; t < 1000000; t += 1000)
		assert_int_equal(next(s, t, &g), RS_NONE);
	const struct replaysched_stats *st = replaysched_stats(s);
	assert_int_equal(st->asked, 5);
	assert_int_equal(st->given_up, 1);
	assert_int_equal(st->given_up_seqs, 3);
	assert_int_equal(st->gaps, 0);
	assert_int_equal(st->agents, 0);
	/* the same seqs found again (a rescan) would be tracked anew: the
	 * caller records them lost so its scan skips them */
	replaysched_free(s);
}

/* Agents that never answer do not delay one that does: a gap found
 * while a thousand are backing off is asked at once. */
static void
test_silent_agents_do_not_starve(void **state)
{
	(void)state;
	struct replaysched *s = sched(10, 600000, 600000, 3);
	struct replay_gap g;
	char id[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "mute-%d", i);
		assert_true(replaysched_add(s, id, 1, 1, 1, 0));
	}
	int64_t t = 0;
	for (int asked = 0; asked < 1000; t += 100)
		asked += drain(s, t);
	assert_true(replaysched_add(s, "live", 1, 7, 8, t));
	assert_int_equal(next(s, t, &g), RS_ASK);
	assert_string_equal(g.agent, "live");
	replaysched_free(s);
}

struct pieces {
	int n;
	int64_t from[4], to[4];
};

static void
piece(void *ctx, const struct replay_gap *g)
{
	struct pieces *p = ctx;
	p->from[p->n] = g->from_seq;
	p->to[p->n++] = g->to_seq;
}

/* Stored seqs and gone ones leave the gaps: split, trimmed, removed. */
static void
test_forget(void **state)
{
	(void)state;
	struct replaysched *s = sched(100, 1000, 1000, 5);
	struct replay_gap g;
	struct pieces p = { 0 };
	assert_true(replaysched_add(s, "a", 1, 10, 20, 0));
	assert_true(replaysched_add(s, "a", 1, 15, 16, 0)); /* already tracked */
	assert_int_equal(replaysched_stats(s)->gaps, 1);
	assert_int_equal(next(s, 0, &g), RS_ASK);
	assert_int_equal(replaysched_forget(s, "a", 1, 14, 14, NULL, NULL), 1); /* split */
	assert_int_equal(replaysched_forget(s, "a", 2, 10, 20, NULL, NULL), 0); /* other boot */
	assert_int_equal(replaysched_forget(s, "nobody", 1, 10, 20, NULL, NULL), 0);
	assert_int_equal(replaysched_stats(s)->gaps, 2);
	assert_int_equal(replaysched_stats(s)->seqs, 10);
	assert_int_equal(replaysched_forget(s, "a", 1, 1, 11, piece, &p), 2);   /* trimmed */
	assert_int_equal(replaysched_forget(s, "a", 1, 19, 30, piece, &p), 2);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.from[0], 10);
	assert_int_equal(p.to[0], 11);
	assert_int_equal(p.from[1], 19);
	assert_int_equal(p.to[1], 20);
	/* what is left keeps its asks and backoff */
	assert_int_equal(next(s, 999, &g), RS_NONE);
	assert_int_equal(next(s, 1000, &g), RS_ASK);
	assert_int_equal(g.asks, 2);
	assert_int_equal(g.from_seq, 12);
	assert_int_equal(g.to_seq, 13);
	assert_int_equal(next(s, 1000, &g), RS_ASK);
	assert_int_equal(g.asks, 2);
	assert_int_equal(g.from_seq, 15);
	assert_int_equal(g.to_seq, 18);
	assert_int_equal(replaysched_forget(s, "a", 1, 1, 100, NULL, NULL), 6);
	assert_int_equal(replaysched_stats(s)->gaps, 0);
	assert_int_equal(replaysched_stats(s)->agents, 0);
	assert_int_equal(next(s, 100000, &g), RS_NONE);
	replaysched_free(s);
}

static void
test_scanned(void **state)
{
	(void)state;
	struct replaysched *s = sched(1, 1, 1, 1);
	assert_int_equal(replaysched_scanned(s, "a", 1), 0);
	assert_true(replaysched_set_scanned(s, "a", 1, 40));
	assert_true(replaysched_set_scanned(s, "a", 2, 7));
	assert_true(replaysched_set_scanned(s, "a", 1, 41));
	assert_int_equal(replaysched_scanned(s, "a", 1), 41);
	assert_int_equal(replaysched_scanned(s, "a", 2), 7);
	assert_int_equal(replaysched_scanned(s, "b", 1), 0);
	assert_int_equal(replaysched_stats(s)->agents, 0); /* no gap: not in the ring */
	replaysched_free(s);
}

/* After a failover the database may lack rows read before: every boot is
 * scanned from its first seq again, and the gaps tracked stay. */
static void
test_rescan(void **state)
{
	(void)state;
	struct replaysched *s = sched(1, 1, 1, 1);
	assert_true(replaysched_set_scanned(s, "a", 1, 40));
	assert_true(replaysched_set_scanned(s, "b", 3, 9));
	assert_true(replaysched_add(s, "a", 1, 5, 6, 0));
	replaysched_rescan(s);
	assert_int_equal(replaysched_scanned(s, "a", 1), 0);
	assert_int_equal(replaysched_scanned(s, "b", 3), 0);
	assert_int_equal(replaysched_stats(s)->gaps, 1);
	assert_true(replaysched_set_scanned(s, "a", 1, 12));
	assert_int_equal(replaysched_scanned(s, "a", 1), 12);
	replaysched_free(s);
}

#include "unit_main.h"
