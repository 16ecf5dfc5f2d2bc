/* Replay against a real SQLite store (collector/ingest/replay.h and
 * replayscan.h): gaps found and asked, stored seqs no longer asked, "gone"
 * replies and unanswered gaps recorded lost and never asked again, also
 * after a restart, the window, and a scan in bounded steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "db_harness.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/replay.h"
#include "collector/store/store.h"

#define RECV 1707890431000LL /* 2024-02-14T06:00:31Z */
#define ASKED_MAX 64

struct fixture {
	struct db_fixture fx;
	struct ingest *in;
	struct replay *replay;
	struct replay_gap asked[ASKED_MAX];
	size_t nasked;
};

static bool
publish(void *ctx, const struct replay_gap *g)
{
	struct fixture *f = ctx;
	if (f->nasked < ASKED_MAX)
		f->asked[f->nasked++] = *g;
	return true;
}

static void
on_batch(void *ctx, const char *regency, const struct wire_batch *b, int64_t recv_ms)
{
	struct fixture *f = ctx;
	(void)regency;
	(void)recv_ms;
	replay_stored(f->replay, b->agent, b->boot, b->seq);
}

static void
on_gone(void *ctx, const char *agent, const struct wire_gone *g, int64_t recv_ms)
{
	struct fixture *f = ctx;
	replay_gone(f->replay, agent, g, recv_ms);
}

static void
start_replay(struct fixture *f)
{
	struct replay_opts o = { .sched = { .rate = 1000, .backoff_ms = 1000,
		.backoff_max_ms = 2000, .max_asks = 3 },
		.scan = { .min_age_ms = 10000, .window_ms = 86400000 }, .interval_ms = 1000 };
	replay_free(f->replay);
	assert_int_equal(replay_new(store_db(f->fx.store), &o, publish, f, &f->replay), PANTAU_OK);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	db_fixture_open(&f->fx, "replay", 1000);
	f->in = ingest_new(f->fx.store, f->fx.cat);
	struct ingest_listener l = { on_batch, NULL, NULL, on_gone, f };
	ingest_listen(f->in, &l);
	start_replay(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	replay_free(f->replay);
	ingest_free(f->in);
	db_fixture_close(&f->fx);
	free(f);
	return 0;
}

static void
batch(struct fixture *f, const char *agent, int seq, int64_t recv_ms)
{
	db_ingest_batch(f->in, &(struct db_batch){ .topic_agent = agent, .agent = agent,
		.ts = "2024-02-14T06:00:30.125Z", .loss = "0", .boot = 1, .seq = seq,
		.recv_ms = recv_ms });
}

/* Ticks from t to t + ms every REPLAY_TICK_MS; returns the asks made. */
static size_t
run(struct fixture *f, int64_t t, int64_t ms)
{
	f->nasked = 0;
	for (int64_t now = t; now <= t + ms; now += REPLAY_TICK_MS)
		replay_tick(f->replay, now, true);
	return f->nasked;
}

static void
gone(struct fixture *f, const char *agent, const char *seqs)
{
	char topic[128], payload[256];
	snprintf(topic, sizeof(topic), "pantau/v1/32/3273/%s/reply", agent);
	snprintf(payload, sizeof(payload),
	    "{\"v\":1,\"reply\":\"gone\",\"agent\":\"%s\",\"boot\":1,\"seqs\":%s}", agent, seqs);
	ingest_message(f->in, topic, payload, strlen(payload), RECV);
}

static long long
count(struct fixture *f, const char *sql)
{
	return db_fixture_count(&f->fx, sql);
}

static void
test_gaps_found_and_asked(void **state)
{
	struct fixture *f = *state;
	int seqs[] = { 3, 4, 7, 9 }; /* 1-2, 5-6 and 8 are missing */
	for (size_t i = 0; i < 4; i++)
		batch(f, "ag-5", seqs[i], RECV);
	batch(f, "ag-6", 1, RECV); /* complete */
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK); /* boots is written at commit */
	assert_int_equal(run(f, RECV, 9999), 0); /* too young: may still be on its way */
	assert_int_equal(replay_stats(f->replay)->gaps, 3);
	assert_int_equal(run(f, RECV + 10000, 0), 3);
	assert_string_equal(f->asked[0].agent, "ag-5");
	assert_int_equal(f->asked[0].from_seq, 1);
	assert_int_equal(f->asked[0].to_seq, 2);
	assert_int_equal(f->asked[1].from_seq, 5);
	assert_int_equal(f->asked[1].to_seq, 6);
	assert_int_equal(f->asked[2].from_seq, 8);
	assert_int_equal(f->asked[2].to_seq, 8);
	batch(f, "ag-5", 8, RECV + 10100); /* replayed */
	batch(f, "ag-5", 1, RECV + 10100);
	batch(f, "ag-5", 2, RECV + 10100);
	/* a second pass finds nothing new; only 5-6 is asked again */
	assert_int_equal(run(f, RECV + 10100, 1500), 1);
	assert_int_equal(f->asked[0].from_seq, 5);
	assert_int_equal(f->asked[0].asks, 2);
	assert_int_equal(replay_stats(f->replay)->seqs, 2);
	assert_int_equal(replay_stats(f->replay)->commands, 4);
}

/* A "gone" reply records the tracked seqs lost at once; a gap nobody
 * answers is asked max_asks times, then recorded lost; neither is asked
 * again, also by a collector started anew on the same database. */
static void
test_gone_and_given_up(void **state)
{
	struct fixture *f = *state;
	batch(f, "ag-7", 2, RECV);
	batch(f, "ag-7", 5, RECV);
	batch(f, "ag-7", 9, RECV); /* 1, 3-4, 6-8 missing */
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(run(f, RECV + 10000, 0), 3);
	gone(f, "ag-7", "[[1,1],[6,7],[20,30]]"); /* 20-30 is no gap: not recorded */
	assert_int_equal(count(f, "SELECT count(*) FROM lost WHERE reason = 'gone'"), 2);
	assert_int_equal(count(f, "SELECT sum(to_seq - from_seq + 1) FROM lost"), 3);
	assert_int_equal(replay_stats(f->replay)->lost_gone, 3);
	assert_int_equal(replay_stats(f->replay)->gone_replies, 1);
	/* 3-4 and 8 are asked twice more (1 s, 2 s apart), then given up */
	assert_int_equal(run(f, RECV + 10001, 999), 0);
	assert_int_equal(run(f, RECV + 11000, 0), 2);
	assert_int_equal(run(f, RECV + 11001, 1998), 0);
	assert_int_equal(run(f, RECV + 13000, 0), 2);
	assert_int_equal(f->asked[0].asks, 3);
	assert_int_equal(run(f, RECV + 13001, 1998), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM lost WHERE reason = 'unanswered'"), 0);
	assert_int_equal(run(f, RECV + 15000, 0), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM lost WHERE reason = 'unanswered'"
	                          " AND asks = 3"), 2);
	assert_int_equal(replay_stats(f->replay)->lost_unanswered, 3);
	assert_int_equal(replay_stats(f->replay)->gaps, 0);
	assert_int_equal(run(f, RECV + 15100, 60000), 0);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	start_replay(f); /* a restart */
	assert_int_equal(run(f, RECV + 80000, 5000), 0);
	assert_int_equal(replay_stats(f->replay)->gaps, 0);
	/* retention deleted the boot: its lost rows go at the next start's first pass */
	assert_int_equal(db_exec(store_db(f->fx.store), "DELETE FROM boots WHERE agent = "
	    "'ag-7'"), DB_OK);
	start_replay(f);
	run(f, RECV + 90000, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM lost"), 0);
	/* a bad reply is rejected and counted as such */
	gone(f, "ag-7", "[[5,3]]");
	assert_int_equal(ingest_stats(f->in)->rejected_by[WIRE_REJ_BAD_NUMBER], 1);
}

/* A gap whose next batch came longer ago than the window is not asked:
 * the agent no longer holds it. A boot silent that long is not scanned. */
static void
test_window(void **state)
{
	struct fixture *f = *state;
	batch(f, "ag-8", 2, RECV);
	batch(f, "ag-8", 4, RECV + 86400000);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(run(f, RECV + 86400000 + 10000, 0), 1);
	assert_int_equal(f->asked[0].from_seq, 3);
}

/* A pass reads at most max_rows seqs per step and goes on where it
 * stopped; a boot's seqs are read once. */
static void
test_scan_in_steps(void **state)
{
	struct fixture *f = *state;
	struct replaysched_opts so = { 1000, 1000, 1000, 3 };
	struct replayscan_opts o = { .min_age_ms = 0, .window_ms = 86400000 };
	struct replayscan *scan;
	struct replaysched *s = replaysched_new(&so);
	bool done = true;
	for (int seq = 1; seq <= 9; seq += 2)
		batch(f, "ag-9", seq, RECV); /* 2, 4, 6, 8 missing */
	batch(f, "ag-a", 3, RECV);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(replayscan_new(store_db(f->fx.store), &o, &scan), PANTAU_OK);
	assert_int_equal(replayscan_step(scan, s, RECV, 2, &done), PANTAU_OK);
	assert_false(done);
	assert_int_equal(replaysched_stats(s)->gaps, 1);
	assert_int_equal(replaysched_scanned(s, "ag-9", 1), 3);
	assert_int_equal(replayscan_step(scan, s, RECV, 2, &done), PANTAU_OK);
	assert_false(done);
	assert_int_equal(replaysched_stats(s)->gaps, 3);
	assert_int_equal(replayscan_step(scan, s, RECV, 2, &done), PANTAU_OK);
	assert_false(done); /* ag-9's last row, then ag-a's only one: budget spent */
	assert_int_equal(replaysched_stats(s)->gaps, 5);
	assert_int_equal(replayscan_step(scan, s, RECV, 2, &done), PANTAU_OK);
	assert_true(done);
	assert_int_equal(replaysched_stats(s)->seqs, 6);
	/* the next pass reads nothing again and finds nothing new */
	assert_int_equal(replayscan_step(scan, s, RECV, 100, &done), PANTAU_OK);
	assert_true(done);
	assert_int_equal(replaysched_stats(s)->gaps, 5);
	replayscan_free(scan);
	replaysched_free(s);
}

/* The "gone" reply: what the agent encodes the collector decodes; ranges
 * must ascend without overlap. */
static void
test_gone_wire(void **state)
{
	(void)state;
	struct wire_gone g = { .boot = 17, .n = 2 }, back;
	struct wire_topic t;
	struct wire_error err;
	size_t len = 0;
	g.seqs[0].from = 3;
	g.seqs[0].to = 4;
	g.seqs[1].from = 9;
	g.seqs[1].to = 9;
	char *text = wire_gone_encode("ag-3273-0001", &g, &len);
	assert_non_null(text);
	assert_string_equal(text, "{\"v\":1,\"reply\":\"gone\",\"agent\":\"ag-3273-0001\","
	    "\"boot\":17,\"seqs\":[[3,4],[9,9]]}");
	assert_true(wire_topic_parse("pantau/v1/32/3273/ag-3273-0001/reply", &t, &err));
	assert_int_equal(t.kind, WIRE_TOPIC_REPLY);
	assert_int_equal(wire_reply_decode(&t, text, len, &back, &err), WIRE_ACCEPT);
	assert_int_equal(back.boot, 17);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.seqs[1].from, 9);
	free(text);
	static const struct { const char *text; enum wire_reason r; } bad[] = {
		{ "{\"v\":1,\"reply\":\"gone\",\"agent\":\"ag-3273-0001\",\"boot\":1,"
		  "\"seqs\":[[5,6],[6,7]]}", WIRE_REJ_INCONSISTENT },
		{ "{\"v\":1,\"reply\":\"gone\",\"agent\":\"other\",\"boot\":1,\"seqs\":[]}",
		  WIRE_REJ_AGENT_MISMATCH },
		{ "{\"v\":1,\"reply\":\"kept\",\"agent\":\"ag-3273-0001\",\"boot\":1,"
		  "\"seqs\":[]}", WIRE_REJ_BAD_TEXT },
		{ "{\"v\":1,\"reply\":\"gone\",\"agent\":\"ag-3273-0001\",\"boot\":1}",
		  WIRE_REJ_MISSING_FIELD },
		{ "{\"v\":1,\"reply\":\"gone\",\"agent\":\"ag-3273-0001\",\"boot\":1,"
		  "\"seqs\":[[1,10001]]}", WIRE_REJ_INCONSISTENT },
		{ "{\"v\":1,\"reply\":\"gone\",\"agent\":\"ag-3273-0001\",\"boot\":1,"
		  "\"seqs\":[3]}", WIRE_REJ_WRONG_TYPE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wire_reply_decode(&t, bad[i].text, strlen(bad[i].text), &back, &err),
		    bad[i].r);
}

#define UNIT_LOG_LEVEL LOG_LEVEL_ERROR
#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
