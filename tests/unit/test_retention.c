/* Retention on a real SQLite store fed through ingest, with an injected
 * clock: what is deleted, what stays, in steps of bounded size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "db_harness.h"
#include "collector/ingest/replayscan.h"
#include "collector/ingest/ingest.h"
#include "collector/store/retention.h"
#include "collector/store/store.h"

#define DAY_MS (86400LL * 1000)
#define NOW_MS 1790000000000LL /* 2026-09-21 */

struct fixture {
	struct db_fixture fx;
	struct retention *ret;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	db_fixture_open(&f->fx, "retention", 100000);
	struct retention_opts ro = { .keep_ms = 2 * DAY_MS, .step_batches = 4, .step_rows = 3 };
	assert_int_equal(retention_new(f->fx.store, &ro, &f->ret), PANTAU_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	retention_free(f->ret);
	db_fixture_close(&f->fx);
	free(f);
	return 0;
}


static long long
count(struct fixture *f, const char *sql)
{
	return db_fixture_count(&f->fx, sql);
}

/* A batch of two results received at recv_ms; measured in 2024 whatever
 * recv_ms is, so only the receive time can decide. */
static void
batch(struct fixture *f, const char *agent, int boot, int seq, int64_t recv_ms)
{
	db_ingest_batch(f->fx.in, &(struct db_batch){ .topic_agent = agent, .agent = agent,
		.ts = "2024-02-14T06:00:30Z", .loss = "0", .boot = boot, .seq = seq,
		.recv_ms = recv_ms });
}

static void
event(struct fixture *f, int64_t ts_ms)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "INSERT INTO events(ts_ms, scope, key, to_status)"
	    " VALUES(%lld, 'site', 'ag-1', 'OK')", (long long)ts_ms);
	assert_int_equal(db_exec(store_db(f->fx.store), sql), DB_OK);
}

/* Run to the end; the number of steps it took. */
static int
run(struct fixture *f, int64_t now_ms)
{
	int steps = 0;
	retention_start(f->ret, now_ms);
	while (retention_running(f->ret)) {
		long long before = count(f, "SELECT count(*) FROM batches");
		assert_int_equal(retention_step(f->ret), PANTAU_OK);
		assert_true(before - count(f, "SELECT count(*) FROM batches") <= 4); /* bounded */
		assert_true(++steps < 100);
	}
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	return steps;
}

static void
test_old_rows_deleted_recent_kept(void **state)
{
	struct fixture *f = *state;
	for (int seq = 1; seq <= 10; seq++)         /* 10 batches 3 days old */
		batch(f, "ag-1", 1, seq, NOW_MS - 3 * DAY_MS + seq);
	batch(f, "ag-2", 7, 1, NOW_MS - 3 * DAY_MS + 20); /* a boot gone for 3 days */
	for (int seq = 11; seq <= 13; seq++)        /* 3 recent */
		batch(f, "ag-1", 1, seq, NOW_MS - DAY_MS + seq);
	for (int i = 0; i < 7; i++)
		event(f, NOW_MS - 3 * DAY_MS + i);
	event(f, NOW_MS - DAY_MS);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM results"), 28);

	int steps = run(f, NOW_MS);
	assert_true(steps >= 3 + 3 + 1); /* 11 batches by 4, 7 events by 3, boots */
	assert_int_equal(count(f, "SELECT count(*) FROM batches"), 3);
	assert_int_equal(count(f, "SELECT min(seq) FROM batches"), 11);
	assert_int_equal(count(f, "SELECT count(*) FROM results"), 6);
	assert_int_equal(count(f, "SELECT count(*) FROM results r LEFT JOIN batches b"
	                          " ON b.id = r.batch_id WHERE b.id IS NULL"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM events"), 1);
	/* ag-1's boot keeps its delivery counts over the whole boot; ag-2's went. */
	assert_int_equal(count(f, "SELECT stored FROM boots WHERE agent = 'ag-1'"), 13);
	assert_int_equal(count(f, "SELECT count(*) FROM boots WHERE agent = 'ag-2'"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM sites"), 2); /* sites stay */

	const struct retention_stats *s = retention_stats(f->ret);
	assert_int_equal(s->runs, 1);
	assert_int_equal(s->batches, 11);
	assert_int_equal(s->results, 22);
	assert_int_equal(s->events, 7);
	assert_int_equal(s->boots, 1);
	assert_int_equal(s->last_run_ms, NOW_MS);
	assert_true(s->longest_step_us >= 0);

	assert_int_equal(run(f, NOW_MS + 1000), 3); /* caught up: one step per phase */
	assert_int_equal(retention_stats(f->ret)->runs, 2);
	assert_int_equal(retention_stats(f->ret)->batches, 11);
	assert_int_equal(count(f, "SELECT count(*) FROM batches"), 3);
}

/* The collector's clock went back: batches are deleted in arrival order
 * up to the first one received after the cutoff, never past it. */
static void
test_stops_at_first_recent_arrival(void **state)
{
	struct fixture *f = *state;
	batch(f, "ag-1", 1, 1, NOW_MS - 3 * DAY_MS);
	batch(f, "ag-1", 1, 2, NOW_MS - DAY_MS);
	batch(f, "ag-1", 1, 3, NOW_MS - 4 * DAY_MS); /* clock went back */
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	run(f, NOW_MS);
	assert_int_equal(count(f, "SELECT count(*) FROM batches"), 2);
	assert_int_equal(count(f, "SELECT min(seq) FROM batches"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM results"), 4);
}

/* The gaps before the deleted batches are not asked for again; a gap
 * inside the replay window still is. */
static void
test_gaps_after_retention(void **state)
{
	struct fixture *f = *state;
	struct replaysched_opts so = { 100, 1000, 1000, 3 };
	struct replayscan_opts o = { .min_age_ms = 1000, .window_ms = DAY_MS };
	struct replaysched *s = replaysched_new(&so);
	struct replayscan *scan;
	struct replay_gap g;
	bool done = false;
	assert_int_equal(replayscan_new(store_db(f->fx.store), &o, &scan), PANTAU_OK);
	for (int seq = 1; seq <= 6; seq++)
		if (seq != 2)                  /* lost three days ago */
			batch(f, "ag-1", 1, seq, NOW_MS - 3 * DAY_MS + seq);
	batch(f, "ag-1", 1, 7, NOW_MS - DAY_MS * 3 / 2);
	batch(f, "ag-1", 1, 8, NOW_MS - 3600 * 1000);
	batch(f, "ag-1", 1, 10, NOW_MS - 3600 * 1000); /* 9 lost an hour ago */
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	run(f, NOW_MS);
	assert_int_equal(count(f, "SELECT min(seq) FROM batches"), 7);
	assert_int_equal(replayscan_step(scan, s, NOW_MS, 100, &done), PANTAU_OK);
	assert_true(done);
	assert_int_equal(replaysched_next(s, NOW_MS, &g), RS_ASK);
	assert_int_equal(g.from_seq, 9);
	assert_int_equal(g.to_seq, 9);
	assert_int_equal(replaysched_next(s, NOW_MS, &g), RS_NONE);
	replayscan_free(scan);
	replaysched_free(s);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
