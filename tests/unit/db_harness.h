/*
 * What the tests of the store share: a store in a temporary folder next to
 * the build's region catalog, removing a test database with its WAL files,
 * and counting rows with one SQL query. Included by the collector's unit
 * tests after cmocka.h.
 */
#ifndef PANTAU_TEST_DB_HARNESS_H
#define PANTAU_TEST_DB_HARNESS_H

#include "collector/store/db.h"
#include <stdio.h>
#include <unistd.h>

#include "collector/ingest/ingest.h"
#include "collector/store/store.h"
#include "harness_files.h"

/* Remove the database file db and its -wal and -shm companions. */
static inline void
db_files_remove(const char *db)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char path[512];
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
		unlink(path);
	}
}

/* The one integer sql returns ("SELECT count(*) ..."). */
static inline long long
db_count(struct db *db, const char *sql)
{
	struct db_stmt *st;
	assert_int_equal(db_prepare(db, sql, &st), DB_OK);
	assert_int_equal(db_step(st), DB_ROW);
	long long n = db_column_int64(st, 0);
	db_finalize(st);
	return n;
}

/* A store in a new temporary folder, the build's region catalog and an
 * ingest over both: the start of the collector tests' fixtures. */
struct db_fixture {
	char dir[64];
	char db[128];
	struct catalog *cat;
	struct store *store;
	struct ingest *in;
};

/* Fill x: the folder /tmp/pantau-NAME-XXXXXX, its store committing every
 * commit_rows rows (or 100 ms), the catalog, the ingest. */
static inline void
db_fixture_open(struct db_fixture *x, const char *name, int commit_rows)
{
	snprintf(x->dir, sizeof(x->dir), "/tmp/pantau-%s-XXXXXX", name);
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->db, sizeof(x->db), "%s/t.db", x->dir);
	x->cat = harness_catalog();
	struct store_opts so = { .path = x->db, .commit_ms = 100, .commit_rows = commit_rows };
	assert_int_equal(store_open(&so, &x->store), PANTAU_OK);
	x->in = ingest_new(x->store, x->cat);
	assert_non_null(x->in);
}

/* db_count over x's store. */
static inline long long
db_fixture_count(struct db_fixture *x, const char *sql)
{
	return db_count(store_db(x->store), sql);
}

/* A result batch of agent (boot, seq) measured at ts (and at mono_ms when
 * > 0), on the topic of topic_agent in regency 32.73: an icmp result with
 * loss_pct loss and a refused tcp one, received at recv_ms. */
struct db_batch {
	const char *topic_agent, *agent, *ts, *loss;
	int boot, seq;
	int64_t recv_ms;
	int64_t mono_ms;
};

static inline void
db_ingest_batch(struct ingest *in, const struct db_batch *b)
{
	char topic[128], payload[1024], mono[48] = "";
	snprintf(topic, sizeof(topic), "pantau/v1/32/3273/%s/result", b->topic_agent);
	if (b->mono_ms > 0)
		snprintf(mono, sizeof(mono), "\"mono_ms\":%lld,", (long long)b->mono_ms);
	snprintf(payload, sizeof(payload),
	    "{\"v\":1,\"agent\":\"%s\",\"boot\":%d,\"seq\":%d,\"ts\":\"%s\",%s"
	    "\"results\":[{\"probe\":\"icmp\",\"target\":\"10.0.0.1\",\"sent\":10,\"recv\":10,"
	    "\"loss_pct\":%s,\"rtt_ms\":{\"min\":1,\"p50\":2,\"avg\":2,\"p95\":3,\"max\":4}},"
	    "{\"probe\":\"tcp\",\"target\":\"10.0.0.1:443\",\"ok\":false,\"error\":\"refused\"}]}",
	    b->agent, b->boot, b->seq, b->ts, mono, b->loss);
	ingest_message(in, topic, payload, strlen(payload), b->recv_ms);
}

/* Close what db_fixture_open opened and remove its files. */
static inline void
db_fixture_close(struct db_fixture *x)
{
	ingest_free(x->in);
	store_close(x->store);
	catalog_free(x->cat);
	db_files_remove(x->db);
	rmdir(x->dir);
}

#endif
