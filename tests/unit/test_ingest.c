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
#include "collector/ingest/gaps.h"
#include "collector/ingest/ingest.h"
#include "collector/store/store.h"

struct fixture {
	struct db_fixture fx;
};


static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	db_fixture_open(&f->fx, "ingest", 1000);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	db_fixture_close(&f->fx);
	free(f);
	return 0;
}


static long long
count(struct fixture *f, const char *sql)
{
	return db_fixture_count(&f->fx, sql);
}

static void
batch(struct fixture *f, const char *topic_agent, const char *agent, int seq, const char *loss)
{
	db_ingest_batch(f->fx.in, &(struct db_batch){ .topic_agent = topic_agent, .agent = agent,
		.ts = "2024-02-14T06:00:30.125Z", .loss = loss, .boot = 1, .seq = seq,
		.recv_ms = 1707890431000LL });
}

static void
test_catalog(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(f->fx.cat->nprovinces, 38);
	assert_int_equal(f->fx.cat->nregencies, 514);
	const struct catalog_regency *r = catalog_regency(f->fx.cat, "32.73");
	assert_non_null(r);
	assert_string_equal(r->name, "Kota Bandung");
	assert_string_equal(catalog_province(f->fx.cat, "32")->name, "Jawa Barat");
	assert_non_null(catalog_regency(f->fx.cat, "96.01"));  /* Papua Barat Daya, 2022 */
	assert_null(catalog_regency(f->fx.cat, "32.99"));
	assert_int_equal(count(f, "SELECT count(*) FROM regencies"), 0); /* loaded by collector */
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
	struct fixture *f = *state;
	batch(f, "ag-1", "ag-1", 1, "0");
	batch(f, "ag-1", "ag-1", 1, "0"); /* redelivered */
	batch(f, "ag-1", "ag-1", 2, "0");
	const struct ingest_stats *s = ingest_stats(f->fx.in);
	assert_int_equal(s->received, 3);
	assert_int_equal(s->batches_stored, 2);
	assert_int_equal(s->results_stored, 4);
	assert_int_equal(s->duplicates, 1);
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM batches"), 2);
	assert_int_equal(count(f, "SELECT count(*) FROM results"), 4);
	assert_int_equal(count(f, "SELECT count(*) FROM results WHERE probe='tcp' AND ok=0 "
	                          "AND error='refused'"), 2);
	assert_int_equal(count(f, "SELECT last_ts_ms FROM sites WHERE agent='ag-1'"),
	    1707890430125LL);
	assert_int_equal(count(f, "SELECT skew_ms FROM sites WHERE agent='ag-1'"), 875);
	assert_int_equal(count(f, "SELECT max_seq * 100 + stored * 10 + duplicates FROM boots "
	                          "WHERE agent='ag-1' AND boot=1"), 221);
}

static void
test_boot_counts_survive_a_full_accumulator(void **state)
{
	struct fixture *f = *state;
	char agent[32];
	for (int i = 0; i < BOOTACC_CAP; i++) { /* more boots than one transaction holds */
		snprintf(agent, sizeof(agent), "ag-b%d", i);
		batch(f, agent, agent, 1, "0");
		batch(f, agent, agent, 2, "0");
	}
	batch(f, "ag-b0", "ag-b0", 2, "0"); /* a duplicate */
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM boots WHERE agent LIKE 'ag-b%'"),
	    BOOTACC_CAP);
	assert_int_equal(count(f, "SELECT sum(stored) FROM boots WHERE agent LIKE 'ag-b%'"),
	    2 * BOOTACC_CAP);
	assert_int_equal(count(f, "SELECT count(*) FROM boots WHERE agent LIKE 'ag-b%' AND "
	                          "max_seq = 2"), BOOTACC_CAP);
	assert_int_equal(count(f, "SELECT duplicates FROM boots WHERE agent = 'ag-b0'"), 1);
}

static void
test_gaps_found_and_asked(void **state)
{
	struct fixture *f = *state;
	struct gap list[8];
	size_t n;
	struct gaps *g;
	const int64_t recv = 1707890431000LL; /* batch() receive time */
	struct gaps_opts o = { .min_age_ms = 10000, .window_ms = 86400000 };
	assert_int_equal(gaps_new(store_db(f->fx.store), &o, &g), PANTAU_OK);
	int seqs[] = { 3, 4, 7, 9 }; /* 1-2, 5-6 and 8 are missing */
	for (size_t i = 0; i < 4; i++)
		batch(f, "ag-5", "ag-5", seqs[i], "0");
	batch(f, "ag-6", "ag-6", 1, "0"); /* complete */
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK); /* boots is written at commit */
	assert_int_equal(gaps_find(g, recv + 9999, list, 8, &n), PANTAU_OK);
	assert_int_equal(n, 0); /* too young: may still be on its way */
	assert_int_equal(gaps_find(g, recv + 10000, list, 8, &n), PANTAU_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].agent, "ag-5");
	assert_int_equal(list[0].from_seq, 1);
	assert_int_equal(list[0].to_seq, 2);
	assert_int_equal(list[1].from_seq, 5);
	assert_int_equal(list[1].to_seq, 6);
	assert_int_equal(list[2].from_seq, 8);
	assert_int_equal(list[2].to_seq, 8);
	assert_int_equal(gaps_find(g, recv + 10000, list, 2, &n), PANTAU_OK);
	assert_int_equal(n, 2); /* bounded */
	assert_int_equal(gaps_find(g, recv + 86400001, list, 8, &n), PANTAU_OK);
	assert_int_equal(n, 0); /* boot silent past the window: no longer asked */
	batch(f, "ag-5", "ag-5", 8, "0"); /* replayed */
	batch(f, "ag-5", "ag-5", 1, "0");
	batch(f, "ag-5", "ag-5", 2, "0");
	assert_int_equal(store_commit(f->fx.store), PANTAU_OK);
	assert_int_equal(gaps_find(g, recv + 10000, list, 8, &n), PANTAU_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].from_seq, 5);
	assert_int_equal(count(f, "SELECT max_seq - stored FROM boots WHERE agent='ag-5'"), 2);
	gaps_free(g);
}

static void
test_bad_input_counted_and_neighbours_stored(void **state)
{
	struct fixture *f = *state;
	batch(f, "ag-2", "ag-2", 1, "0");
	ingest_message(f->fx.in, "pantau/v1/32/3273/ag-2/result", "{not json", 9, 1);
	batch(f, "ag-2", "ag-2", 2, "250");    /* loss out of range */
	batch(f, "ag-2", "ag-9", 3, "0");      /* agent differs from topic */
	ingest_message(f->fx.in, "pantau/v1/32/3299/ag-2/result", "{}", 2, 1); /* no such regency */
	ingest_message(f->fx.in, "pantau/v1/32/3273/ag-2/check", "{}", 2, 1);  /* ignored */
	batch(f, "ag-2", "ag-2", 4, "0");
	const struct ingest_stats *s = ingest_stats(f->fx.in);
	assert_int_equal(s->batches_stored, 2);
	assert_int_equal(s->rejected, 4);
	assert_int_equal(s->rejected_by[WIRE_REJ_NOT_JSON], 1);
	assert_int_equal(s->rejected_by[WIRE_REJ_LOSS_RANGE], 1);
	assert_int_equal(s->rejected_by[WIRE_REJ_AGENT_MISMATCH], 1);
	assert_int_equal(s->rejected_by[WIRE_REJ_UNKNOWN_REGION], 1);
	assert_int_equal(s->ignored, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM batches WHERE agent='ag-2'"), 2);
}

static void
test_older_batch_keeps_latest_figures(void **state)
{
	struct fixture *f = *state;
	const char *topic = "pantau/v1/32/3273/ag-4/result";
	const char *newer = "{\"v\":1,\"agent\":\"ag-4\",\"boot\":1,\"seq\":2,"
	                    "\"ts\":\"2024-02-14T06:01:00Z\",\"results\":[],"
	                    "\"outbox\":{\"pending\":0,\"dropped\":0}}";
	const char *older = "{\"v\":1,\"agent\":\"ag-4\",\"boot\":1,\"seq\":1,"
	                    "\"ts\":\"2024-02-14T06:00:00Z\",\"results\":[],"
	                    "\"outbox\":{\"pending\":7,\"dropped\":3}}";
	ingest_message(f->fx.in, topic, newer, strlen(newer), 1707890461000LL);
	ingest_message(f->fx.in, topic, older, strlen(older), 1707890462000LL); /* resent late */
	assert_int_equal(count(f, "SELECT last_ts_ms FROM sites WHERE agent='ag-4'"),
	    1707890460000LL);
	assert_int_equal(count(f, "SELECT skew_ms FROM sites WHERE agent='ag-4'"), 1000);
	assert_int_equal(count(f, "SELECT outbox_pending FROM sites WHERE agent='ag-4'"), 0);
	assert_int_equal(count(f, "SELECT last_result_ms FROM sites WHERE agent='ag-4'"),
	    1707890462000LL);
	assert_int_equal(count(f, "SELECT count(*) FROM batches WHERE agent='ag-4'"), 2);
}

/* A database of schema 3 (sites without the upload columns) is upgraded
 * when opened, its rows kept. */
static void
test_schema_3_upgraded(void **state)
{
	struct fixture *f = *state;
	char db[160];
	sqlite3 *old;
	struct store *s;
	snprintf(db, sizeof(db), "%s/old.db", f->fx.dir);
	assert_int_equal(sqlite3_open(db, &old), SQLITE_OK);
	assert_int_equal(sqlite3_exec(old, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	    "INSERT INTO meta VALUES('schema_version', '3');"
	    "CREATE TABLE sites(agent TEXT PRIMARY KEY, regency TEXT NOT NULL, site TEXT,"
	    " link TEXT, lat REAL, lon REAL, interval_s INTEGER, version TEXT, boot INTEGER,"
	    " first_seen_ms INTEGER NOT NULL, last_result_ms INTEGER, last_ts_ms INTEGER,"
	    " online INTEGER, online_reason TEXT, status_ms INTEGER, outbox_pending INTEGER,"
	    " outbox_dropped INTEGER, skew_ms INTEGER, simulated INTEGER);"
	    "INSERT INTO sites(agent, regency, first_seen_ms) VALUES('ag-old', '32.73', 1);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(old);
	struct store_opts so = { .path = db, .commit_ms = 100, .commit_rows = 1000 };
	assert_int_equal(store_open(&so, &s), PANTAU_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "SELECT count(*),"
	    " max(upload_mbps IS NULL), (SELECT value FROM meta WHERE key = 'schema_version'),"
	    " (SELECT count(*) FROM tokens), (SELECT count(*) FROM enrol_tokens) FROM sites"
	    " WHERE upload_ts_ms IS NULL", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "6");
	assert_int_equal(sqlite3_column_int(st, 3), 0);    /* schema 5: the tokens table */
	assert_int_equal(sqlite3_column_int(st, 4), 0);    /* schema 6: enrolment's */
	sqlite3_finalize(st);
	store_close(s);
	db_files_remove(db);
}

/* The latest upload rate of a site: from its newest throughput result. */
static void
test_latest_upload(void **state)
{
	struct fixture *f = *state;
	const char *topic = "pantau/v1/32/3273/ag-5/result";
	char msg[512];
	const char *fmt = "{\"v\":1,\"agent\":\"ag-5\",\"boot\":1,\"seq\":%d,"
	                  "\"ts\":\"2024-02-14T06:0%d:00Z\",\"results\":[{\"probe\":\"throughput\","
	                  "\"target\":\"198.51.100.7:8080\",\"ok\":true,\"upload\":{\"mbps\":%d}},"
	                  "{\"probe\":\"throughput\",\"target\":\"198.51.100.8:8080\",\"ok\":true,"
	                  "\"upload\":{\"mbps\":%d}}]}";
	snprintf(msg, sizeof(msg), fmt, 2, 5, 6, 4);
	ingest_message(f->fx.in, topic, msg, strlen(msg), 1707890701000LL);
	/* the lower of the batch's two */
	assert_int_equal(count(f, "SELECT upload_mbps FROM sites WHERE agent='ag-5'"), 4);
	snprintf(msg, sizeof(msg), fmt, 1, 1, 9, 9);       /* older, resent late */
	ingest_message(f->fx.in, topic, msg, strlen(msg), 1707890702000LL);
	assert_int_equal(count(f, "SELECT upload_mbps FROM sites WHERE agent='ag-5'"), 4);
	assert_int_equal(count(f, "SELECT upload_ts_ms FROM sites WHERE agent='ag-5'"),
	    1707890700000LL);
	const char *none = "{\"v\":1,\"agent\":\"ag-5\",\"boot\":1,\"seq\":3,"
	                   "\"ts\":\"2024-02-14T06:06:00Z\",\"results\":[]}";
	ingest_message(f->fx.in, topic, none, strlen(none), 1707890761000LL); /* no upload: kept */
	assert_int_equal(count(f, "SELECT upload_mbps FROM sites WHERE agent='ag-5'"), 4);
}

static void
test_status_messages(void **state)
{
	struct fixture *f = *state;
	const char *birth = "{\"v\":1,\"state\":\"online\",\"agent\":\"ag-3\",\"boot\":5,"
	                    "\"site\":\"SDN 1\",\"link\":\"vsat-geo\",\"interval\":30}";
	const char *will = "{\"v\":1,\"state\":\"offline\",\"agent\":\"ag-3\",\"reason\":\"lost\"}";
	const char *topic = "pantau/v1/32/3273/ag-3/status";
	ingest_message(f->fx.in, topic, birth, strlen(birth), 1000);
	assert_int_equal(count(f, "SELECT online FROM sites WHERE agent='ag-3'"), 1);
	assert_int_equal(count(f, "SELECT interval_s FROM sites WHERE agent='ag-3'"), 30);
	ingest_message(f->fx.in, topic, will, strlen(will), 2000);
	assert_int_equal(count(f, "SELECT online FROM sites WHERE agent='ag-3'"), 0);
	assert_int_equal(count(f, "SELECT status_ms FROM sites WHERE agent='ag-3'"), 2000);
	assert_int_equal(count(f, "SELECT count(*) FROM sites WHERE agent='ag-3' AND "
	                          "link='vsat-geo' AND online_reason='lost'"), 1);
	ingest_message(f->fx.in, topic, "", 0, 3000); /* retained message cleared */
	assert_int_equal(ingest_stats(f->fx.in)->ignored, 1);
	assert_int_equal(ingest_stats(f->fx.in)->status_stored, 2);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
