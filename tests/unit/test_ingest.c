/* Ingest into a real SQLite store: validation, duplicates, catalog, status. */
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
#include "collector/ingest/bootacc.h"
#include "collector/ingest/bootclock.h"
#include "collector/ingest/ingest.h"
#include "collector/store/store.h"

/* Each test's state: a store, the catalog and an ingest (db_harness.h). */
static int
setup(void **state)
{
	struct db_fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	db_fixture_open(f, "ingest", 1000);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	db_fixture_close(*state);
	free(*state);
	return 0;
}

static void
batch(struct db_fixture *f, const char *topic_agent, const char *agent, int seq, const char *loss)
{
	db_ingest_batch(f->in, &(struct db_batch){ .topic_agent = topic_agent, .agent = agent,
		.ts = "2024-02-14T06:00:30.125Z", .loss = loss, .boot = 1, .seq = seq,
		.recv_ms = 1707890431000LL });
}

/* The collector's monotonic clock keeps the estimates (collector/ingest/bootclock.h):
 * its wall clock minus it, read at each message, may differ by a millisecond. */
static void
assert_near(struct db_fixture *f, const char *sql, long long want)
{
	long long got = db_fixture_count(f, sql);
	if (got < want - 1 || got > want + 1)
		fail_msg("%s: %lld, not %lld", sql, got, want);
}

/* A batch of ag-clk, boot 1, stamped ts, with mono_ms (<= 0: none), received at recv. */
static void
clocked(struct db_fixture *f, int seq, const char *ts, int64_t mono, int64_t recv)
{
	db_ingest_batch(f->in, &(struct db_batch){ .topic_agent = "ag-clk", .agent = "ag-clk",
		.ts = ts, .loss = "0", .boot = 1, .seq = seq, .recv_ms = recv, .mono_ms = mono });
}

static void
clock_birth(struct db_fixture *f, int boot, int64_t mono, int64_t recv)
{
	char birth[160];
	snprintf(birth, sizeof(birth), "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-clk\","
	    "\"boot\":%d,\"mono_ms\":%lld,\"interval\":60}", boot, (long long)mono);
	ingest_message(f->in, "pantau/v1/32/3273/ag-clk/status", birth, strlen(birth), recv);
}

/* Time by the collector's clock (docs/protocol.md, "Time"): with mono_ms a
 * 1970 or 9999 batch is stored at offset + mono, the agent's ts kept
 * aside; without it, it is rejected as bad_timestamp; the estimate
 * survives in boots. */
static void
test_retimed_and_rejected(void **state)
{
	struct db_fixture *f = *state;
	const int64_t recv = 1707890431000LL; /* 2024-02-14T06:00:31Z */
	clock_birth(f, 1, 4000, recv - 1000);
	clocked(f, 1, "2024-02-14T06:00:30.900Z", 5000, recv);           /* in step: kept */
	clocked(f, 2, "1970-01-01T00:01:00Z", 65000, recv + 60000 + 250); /* 250 ms late */
	clocked(f, 3, "9999-12-31T23:59:59Z", 125000, recv + 120000);
	clocked(f, 4, "9999-12-31T23:59:59Z", -1, recv + 180000);          /* no mono: rejected */
	clocked(f, 5, "2019-12-31T23:59:59Z", -1, recv + 240000);
	const struct ingest_stats *s = ingest_stats(f->in);
	assert_int_equal(s->batches_stored, 3);
	assert_int_equal(s->retimed, 2);
	assert_int_equal(s->rejected_by[WIRE_REJ_BAD_TIMESTAMP], 2);
	assert_int_equal(store_commit(f->store), PANTAU_OK);
	assert_int_equal(db_fixture_count(f, "SELECT ts_ms FROM batches WHERE seq = 1"), recv - 100);
	assert_int_equal(db_fixture_count(f, "SELECT agent_ts_ms IS NULL FROM batches WHERE seq = 1"), 1);
	/* the least ages 100 ppm: 6 ms in the minute since the first */
	assert_near(f, "SELECT ts_ms FROM batches WHERE seq = 2", recv + 60006);
	assert_int_equal(db_fixture_count(f, "SELECT agent_ts_ms FROM batches WHERE seq = 2"), 60000);
	assert_near(f, "SELECT r.ts_ms FROM results r JOIN batches b ON b.id = r.batch_id"
	                          " WHERE b.seq = 3", recv + 120000);
	assert_near(f, "SELECT last_ts_ms FROM sites WHERE agent = 'ag-clk'",
	    recv + 120000);
	assert_near(f, "SELECT clock_offset_ms FROM boots WHERE agent = 'ag-clk'",
	    recv - 5000);
	/* a restarted collector goes on with the stored estimate */
	ingest_free(f->in);
	f->in = ingest_new(f->store, f->cat);
	clocked(f, 6, "1970-01-01T00:00:00Z", 305000, recv + 300000 + 9000); /* 9 s late */
	assert_int_equal(store_commit(f->store), PANTAU_OK);
	assert_near(f, "SELECT ts_ms FROM batches WHERE seq = 6", recv + 300018);
}

/* An agent that lost its state counts from boot 0 again: its birth makes
 * boot 0 the current one, so its estimate judges at once. */
static void
test_clock_of_a_reset_boot(void **state)
{
	struct db_fixture *f = *state;
	const int64_t recv = 1707890431000LL; /* 2024-02-14T06:00:31Z */
	clock_birth(f, 5, 1000, recv - 60000);
	clock_birth(f, 0, 2000, recv - 1000);
	db_ingest_batch(f->in, &(struct db_batch){ .topic_agent = "ag-clk", .agent = "ag-clk",
		.ts = "2024-02-13T06:00:31Z", .loss = "0", .boot = 0, .seq = 1, .recv_ms = recv,
		.mono_ms = 3000 });   /* a day behind: plausible, and off */
	assert_int_equal(ingest_stats(f->in)->retimed, 1);
	assert_int_equal(store_commit(f->store), PANTAU_OK);
	assert_near(f, "SELECT ts_ms FROM batches WHERE boot = 0", recv);
}

static int64_t
fake_base(void *ctx)
{
	return *(const int64_t *)ctx;
}

/* NTP steps the collector's own clock 10 s forward: the estimates follow
 * at once, so an agent in step with it stays in step. */
static void
test_collector_clock_step(void **state)
{
	struct db_fixture *f = *state;
	const int64_t t = 1707890431000LL;
	int64_t base = t - 500000;   /* the collector booted 500 s ago */
	struct clockest est;
	struct clockest_time j;
	struct bootclock *bc = bootclock_new(f->store, fake_base, &base);
	assert_non_null(bc);
	assert_true(bootclock_feed(bc, "ag-1", 1, 1000, t, true, &est));
	assert_int_equal(clockest_time(&est, 1000), t);
	base += 10000;
	assert_true(bootclock_feed(bc, "ag-1", 1, 61000, t + 70000, false, &est));
	clockest_judge(&est, t + 70000, 61000, t + 70000, &j);
	assert_false(j.retimed);
	assert_true(j.skew_known);
	assert_int_equal(j.skew_ms, 0);
	bootclock_free(bc);
}

static void
test_catalog(void **state)
{
	struct db_fixture *f = *state;
	assert_int_equal(f->cat->nprovinces, 38);
	assert_int_equal(f->cat->nregencies, 514);
	const struct catalog_regency *r = catalog_regency(f->cat, "32.73");
	assert_non_null(r);
	assert_string_equal(r->name, "Kota Bandung");
	assert_string_equal(catalog_province(f->cat, "32")->name, "Jawa Barat");
	assert_non_null(catalog_regency(f->cat, "96.01"));  /* Papua Barat Daya, 2022 */
	assert_null(catalog_regency(f->cat, "32.99"));
	/* the regencies table is the collector's to load */
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM regencies"), 0);
}

static void
test_catalog_errors(void **state)
{
	(void)state;
	char dir[] = "/tmp/pantau-cat-XXXXXX", path[128], why[256];
	struct catalog *c = NULL;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(catalog_load(dir, &c, why, sizeof(why)), PANTAU_ERR_IO);
	assert_non_null(strstr(why, "provinces.csv"));
	snprintf(path, sizeof(path), "%s/provinces.csv", dir);
	FILE *fp = fopen(path, "w");
	fputs("code,name\n11,Aceh\n1x,Broken\n", fp);
	fclose(fp);
	assert_int_equal(catalog_load(dir, &c, why, sizeof(why)), PANTAU_ERR_PARSE);
	assert_non_null(strstr(why, "provinces.csv:3: expected"));
	unlink(path);
	rmdir(dir);
}

static void
test_store_and_duplicates(void **state)
{
	struct db_fixture *f = *state;
	batch(f, "ag-1", "ag-1", 1, "0");
	batch(f, "ag-1", "ag-1", 1, "0"); /* redelivered */
	batch(f, "ag-1", "ag-1", 2, "0");
	const struct ingest_stats *s = ingest_stats(f->in);
	assert_int_equal(s->received, 3);
	assert_int_equal(s->batches_stored, 2);
	assert_int_equal(s->results_stored, 4);
	assert_int_equal(s->duplicates, 1);
	assert_int_equal(store_commit(f->store), PANTAU_OK);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM batches"), 2);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM results"), 4);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM results WHERE probe='tcp' AND ok=0 "
	                          "AND error='refused'"), 2);
	assert_int_equal(db_fixture_count(f, "SELECT last_ts_ms FROM sites WHERE agent='ag-1'"),
	    1707890430125LL);
	assert_int_equal(db_fixture_count(f, "SELECT skew_ms FROM sites WHERE agent='ag-1'"), 875);
	assert_int_equal(db_fixture_count(f, "SELECT max_seq * 100 + stored * 10 + duplicates FROM boots "
	                          "WHERE agent='ag-1' AND boot=1"), 221);
}

static void
test_boot_counts_survive_a_full_accumulator(void **state)
{
	struct db_fixture *f = *state;
	char agent[32];
	for (int i = 0; i < BOOTACC_CAP; i++) { /* more boots than one transaction holds */
		snprintf(agent, sizeof(agent), "ag-b%d", i);
		batch(f, agent, agent, 1, "0");
		batch(f, agent, agent, 2, "0");
	}
	batch(f, "ag-b0", "ag-b0", 2, "0"); /* a duplicate */
	assert_int_equal(store_commit(f->store), PANTAU_OK);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM boots WHERE agent LIKE 'ag-b%'"),
	    BOOTACC_CAP);
	assert_int_equal(db_fixture_count(f, "SELECT sum(stored) FROM boots WHERE agent LIKE 'ag-b%'"),
	    2 * BOOTACC_CAP);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM boots WHERE agent LIKE 'ag-b%' AND "
	                          "max_seq = 2"), BOOTACC_CAP);
	assert_int_equal(db_fixture_count(f, "SELECT duplicates FROM boots WHERE agent = 'ag-b0'"), 1);
}

static void
test_bad_input_counted_and_neighbours_stored(void **state)
{
	struct db_fixture *f = *state;
	batch(f, "ag-2", "ag-2", 1, "0");
	ingest_message(f->in, "pantau/v1/32/3273/ag-2/result", "{not json", 9, 1);
	batch(f, "ag-2", "ag-2", 2, "250");    /* loss out of range */
	batch(f, "ag-2", "ag-9", 3, "0");      /* agent differs from topic */
	ingest_message(f->in, "pantau/v1/32/3299/ag-2/result", "{}", 2, 1); /* no such regency */
	ingest_message(f->in, "pantau/v1/32/3273/ag-2/check", "{}", 2, 1);  /* ignored */
	batch(f, "ag-2", "ag-2", 4, "0");
	const struct ingest_stats *s = ingest_stats(f->in);
	assert_int_equal(s->batches_stored, 2);
	assert_int_equal(s->rejected, 4);
	assert_int_equal(s->rejected_by[WIRE_REJ_NOT_JSON], 1);
	assert_int_equal(s->rejected_by[WIRE_REJ_LOSS_RANGE], 1);
	assert_int_equal(s->rejected_by[WIRE_REJ_AGENT_MISMATCH], 1);
	assert_int_equal(s->rejected_by[WIRE_REJ_UNKNOWN_REGION], 1);
	assert_int_equal(s->ignored, 1);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM batches WHERE agent='ag-2'"), 2);
}

static void
test_older_batch_keeps_latest_figures(void **state)
{
	struct db_fixture *f = *state;
	const char *topic = "pantau/v1/32/3273/ag-4/result";
	const char *newer = "{\"v\":1,\"agent\":\"ag-4\",\"boot\":1,\"seq\":2,"
	                    "\"ts\":\"2024-02-14T06:01:00Z\",\"results\":[],"
	                    "\"outbox\":{\"pending\":0,\"dropped\":0}}";
	const char *older = "{\"v\":1,\"agent\":\"ag-4\",\"boot\":1,\"seq\":1,"
	                    "\"ts\":\"2024-02-14T06:00:00Z\",\"results\":[],"
	                    "\"outbox\":{\"pending\":7,\"dropped\":3}}";
	ingest_message(f->in, topic, newer, strlen(newer), 1707890461000LL);
	ingest_message(f->in, topic, older, strlen(older), 1707890462000LL); /* resent late */
	assert_int_equal(db_fixture_count(f, "SELECT last_ts_ms FROM sites WHERE agent='ag-4'"),
	    1707890460000LL);
	assert_int_equal(db_fixture_count(f, "SELECT skew_ms FROM sites WHERE agent='ag-4'"), 1000);
	assert_int_equal(db_fixture_count(f, "SELECT outbox_pending FROM sites WHERE agent='ag-4'"), 0);
	assert_int_equal(db_fixture_count(f, "SELECT last_result_ms FROM sites WHERE agent='ag-4'"),
	    1707890462000LL);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM batches WHERE agent='ag-4'"), 2);
}

/* A database of schema 3 (sites without the upload columns) is upgraded
 * when opened, its rows kept. */
static void
test_schema_3_upgraded(void **state)
{
	struct db_fixture *f = *state;
	char db[160];
	struct db *old;
	struct store *s;
	snprintf(db, sizeof(db), "%s/old.db", f->dir);
	assert_int_equal(db_sqlite_open(db, DB_SQLITE_CREATE, &old), DB_OK);
	assert_int_equal(db_exec(old, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	    "INSERT INTO meta VALUES('schema_version', '3');"
	    "CREATE TABLE sites(agent TEXT PRIMARY KEY, regency TEXT NOT NULL, site TEXT,"
	    " link TEXT, lat REAL, lon REAL, interval_s INTEGER, version TEXT, boot INTEGER,"
	    " first_seen_ms INTEGER NOT NULL, last_result_ms INTEGER, last_ts_ms INTEGER,"
	    " online INTEGER, online_reason TEXT, status_ms INTEGER, outbox_pending INTEGER,"
	    " outbox_dropped INTEGER, skew_ms INTEGER, simulated INTEGER);"
	    "INSERT INTO sites(agent, regency, first_seen_ms) VALUES('ag-old', '32.73', 1);"
	    "CREATE TABLE boots(agent TEXT NOT NULL, boot INTEGER NOT NULL,"
	    " max_seq INTEGER NOT NULL, stored INTEGER NOT NULL, dropped INTEGER NOT NULL,"
	    " duplicates INTEGER NOT NULL, last_recv_ms INTEGER NOT NULL,"
	    " PRIMARY KEY(agent, boot)) WITHOUT ROWID;"
	    "CREATE TABLE batches(id INTEGER PRIMARY KEY, agent TEXT NOT NULL,"
	    " boot INTEGER NOT NULL, seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
	    " recv_ms INTEGER NOT NULL, nresults INTEGER NOT NULL, outbox_pending INTEGER,"
	    " outbox_dropped INTEGER, UNIQUE(agent, boot, seq));"
	    "CREATE TABLE results(batch_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
	    " agent TEXT NOT NULL, ts_ms INTEGER NOT NULL, probe TEXT NOT NULL,"
	    " target TEXT NOT NULL, ok INTEGER, sent INTEGER, recv INTEGER, loss_pct REAL,"
	    " rtt_min REAL, rtt_p50 REAL, rtt_avg REAL, rtt_p95 REAL, rtt_max REAL,"
	    " jitter_ms REAL, pdv_ms REAL, status INTEGER, dns_ms REAL, connect_ms REAL,"
	    " tls_ms REAL, ttfb_ms REAL, total_ms REAL, error TEXT, extra TEXT,"
	    " PRIMARY KEY(batch_id, idx)) WITHOUT ROWID;"
	    /* a batch stamped 9999-12-31, stored before schema 5 */
	    "INSERT INTO batches VALUES(1, 'ag-old', 1, 1, 253402300799000, 1000000000000, 1,"
	    " 0, 0);"
	    "INSERT INTO results(batch_id, idx, agent, ts_ms, probe, target)"
	    " VALUES(1, 0, 'ag-old', 253402300799000, 'tcp', 'h:1');"
	    "UPDATE sites SET last_result_ms = 1000000000000, last_ts_ms = 253402300799000;"),
	    DB_OK);
	db_close(old);
	struct store_opts so = { .path = db, .commit_ms = 100, .commit_rows = 1000 };
	assert_int_equal(store_open(&so, &s), PANTAU_OK);
	struct db_stmt *st;
	assert_int_equal(db_prepare(store_db(s), "SELECT count(*),"
	    " max(upload_mbps IS NULL), (SELECT value FROM meta WHERE key = 'schema_version'),"
	    " (SELECT count(*) FROM tokens), (SELECT count(*) FROM enrol_tokens) FROM sites"
	    " WHERE upload_ts_ms IS NULL", &st), DB_OK);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_int(st, 0), 1);
	assert_string_equal((const char *)db_column_text(st, 2), "7");
	assert_int_equal(db_column_int(st, 3), 0);    /* schema 5: the tokens table */
	assert_int_equal(db_column_int(st, 4), 0);    /* enrolment's tables */
	db_finalize(st);
	/* schema 7: the incidents and the sites' paths */
	assert_int_equal(db_count(store_db(s), "SELECT count(*) FROM incidents") +
	    db_count(store_db(s), "SELECT count(*) FROM site_paths"), 0);
	/* schema 6: the clock estimates per boot, the agent's own timestamp */
	assert_int_equal(db_exec(store_db(s), "SELECT clock_offset_ms, clock_mono_ms FROM"
	    " boots; SELECT agent_ts_ms FROM batches"), DB_OK);
	/* and its 9999 timestamp moved to the receipt, kept aside */
	assert_int_equal(db_count(store_db(s), "SELECT ts_ms + (agent_ts_ms = 253402300799000)"
	    " FROM batches"), 1000000000001LL);
	assert_int_equal(db_count(store_db(s), "SELECT ts_ms FROM results"), 1000000000000LL);
	assert_int_equal(db_count(store_db(s), "SELECT last_ts_ms FROM sites"), 1000000000000LL);
	store_close(s);
	db_files_remove(db);
}

/* The latest upload rate of a site: from its newest throughput result. */
static void
test_latest_upload(void **state)
{
	struct db_fixture *f = *state;
	const char *topic = "pantau/v1/32/3273/ag-5/result";
	char msg[512];
	const char *fmt = "{\"v\":1,\"agent\":\"ag-5\",\"boot\":1,\"seq\":%d,"
	                  "\"ts\":\"2024-02-14T06:0%d:00Z\",\"results\":[{\"probe\":\"throughput\","
	                  "\"target\":\"198.51.100.7:8080\",\"ok\":true,\"upload\":{\"mbps\":%d}},"
	                  "{\"probe\":\"throughput\",\"target\":\"198.51.100.8:8080\",\"ok\":true,"
	                  "\"upload\":{\"mbps\":%d}}]}";
	snprintf(msg, sizeof(msg), fmt, 2, 5, 6, 4);
	ingest_message(f->in, topic, msg, strlen(msg), 1707890701000LL);
	/* the lower of the batch's two */
	assert_int_equal(db_fixture_count(f, "SELECT upload_mbps FROM sites WHERE agent='ag-5'"), 4);
	snprintf(msg, sizeof(msg), fmt, 1, 1, 9, 9);       /* older, resent late */
	ingest_message(f->in, topic, msg, strlen(msg), 1707890702000LL);
	assert_int_equal(db_fixture_count(f, "SELECT upload_mbps FROM sites WHERE agent='ag-5'"), 4);
	assert_int_equal(db_fixture_count(f, "SELECT upload_ts_ms FROM sites WHERE agent='ag-5'"),
	    1707890700000LL);
	const char *none = "{\"v\":1,\"agent\":\"ag-5\",\"boot\":1,\"seq\":3,"
	                   "\"ts\":\"2024-02-14T06:06:00Z\",\"results\":[]}";
	ingest_message(f->in, topic, none, strlen(none), 1707890761000LL); /* no upload: kept */
	assert_int_equal(db_fixture_count(f, "SELECT upload_mbps FROM sites WHERE agent='ag-5'"), 4);
}

static void
test_status_messages(void **state)
{
	struct db_fixture *f = *state;
	const char *birth = "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-3\",\"boot\":5,"
	                    "\"site\":\"SDN 1\",\"link\":\"vsat-geo\",\"interval\":30}";
	const char *will = "{\"v\":1,\"state\":\"offline\",\"agent\":\"ag-3\",\"reason\":\"lost\"}";
	const char *topic = "pantau/v1/32/3273/ag-3/status";
	ingest_message(f->in, topic, birth, strlen(birth), 1000);
	assert_int_equal(db_fixture_count(f, "SELECT online FROM sites WHERE agent='ag-3'"), 1);
	assert_int_equal(db_fixture_count(f, "SELECT interval_s FROM sites WHERE agent='ag-3'"), 30);
	ingest_message(f->in, topic, will, strlen(will), 2000);
	assert_int_equal(db_fixture_count(f, "SELECT online FROM sites WHERE agent='ag-3'"), 0);
	assert_int_equal(db_fixture_count(f, "SELECT status_ms FROM sites WHERE agent='ag-3'"), 2000);
	assert_int_equal(db_fixture_count(f, "SELECT count(*) FROM sites WHERE agent='ag-3' AND "
	                          "link='vsat-geo' AND online_reason='lost'"), 1);
	ingest_message(f->in, topic, "", 0, 3000); /* retained message cleared */
	assert_int_equal(ingest_stats(f->in)->ignored, 1);
	assert_int_equal(ingest_stats(f->in)->status_stored, 2);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
