/* The PostgreSQL backend of db.h (collector/store/pg_db.c) against a live
 * cluster named by PANTAU_PG_URL (tests/e2e/test_pg.py starts one and runs
 * this binary, and checks that they connected); without it they have
 * nothing to test and return at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>

#include "collector/store/pg_db.h"
#include "collector/store/pg_parts.h"
#include "collector/store/schema.h"
#include "collector/store/store.h"
#include "clock.h"

static struct db *
connect_or_null(void)
{
	const char *url = getenv("PANTAU_PG_URL");
	struct db *db;
	if (url == NULL || url[0] == '\0')
		return NULL;
	assert_int_equal(db_pg_open(url, &db), DB_OK);
	printf("# test_pgdb: connected to PostgreSQL\n");
	assert_string_equal(db_backend(db), "postgresql");
	return db;
}

static void
test_pg_rows_round_trip(void **state)
{
	(void)state;
	struct db *db = connect_or_null();
	struct db_stmt *ins, *sel;
	if (db == NULL)
		return;
	static const unsigned char hash[4] = { 0, 1, 0xfe, 0xff };
	assert_int_equal(db_exec(db, "DROP TABLE IF EXISTS t; CREATE TABLE t(id BIGSERIAL PRIMARY"
	    " KEY, name TEXT, n BIGINT, x DOUBLE PRECISION, h BYTEA)"), DB_OK);
	assert_int_equal(db_prepare(db, "INSERT INTO t(name, n, x, h) VALUES(?, ?, ?, ?)", &ins),
	    DB_OK);
	assert_int_equal(db_bind_text(ins, 1, "it's ?", -1), DB_OK);
	assert_int_equal(db_bind_int64(ins, 2, 1700000000123LL), DB_OK);
	assert_int_equal(db_bind_double(ins, 3, 43.25), DB_OK);
	assert_int_equal(db_bind_blob(ins, 4, hash, sizeof(hash)), DB_OK);
	assert_int_equal(db_step(ins), DB_DONE);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_last_insert_id(db), 1);
	db_reset(ins);
	db_clear_bindings(ins);
	assert_int_equal(db_step(ins), DB_DONE);    /* every column NULL */
	db_finalize(ins);

	assert_int_equal(db_prepare(db, "SELECT name, n, x, h, n > ? FROM t WHERE name = '?' OR"
	    " id >= ? ORDER BY id", &sel), DB_OK);
	db_bind_int(sel, 1, 5);
	db_bind_int(sel, 2, 1);
	assert_int_equal(db_step(sel), DB_ROW);
	assert_int_equal(db_column_count(sel), 5);
	assert_string_equal(db_column_text(sel, 0), "it's ?");
	assert_int_equal(db_column_type(sel, 1), DB_INTEGER);
	assert_int_equal(db_column_int64(sel, 1), 1700000000123LL);
	assert_int_equal(db_column_type(sel, 2), DB_FLOAT);
	assert_true(db_column_double(sel, 2) == 43.25);
	assert_int_equal(db_column_type(sel, 3), DB_BLOB);
	/* SQLite's order, blob then bytes: the pointer stays valid (it was
	 * freed by the second unescape once, and tokens were not found) */
	const void *h = db_column_blob(sel, 3);
	assert_int_equal(db_column_bytes(sel, 3), 4);
	assert_ptr_equal(db_column_blob(sel, 3), h);
	assert_memory_equal(h, hash, 4);
	assert_int_equal(db_column_int(sel, 4), 1);
	assert_int_equal(db_step(sel), DB_ROW);
	assert_int_equal(db_column_type(sel, 0), DB_NULL);
	assert_null(db_column_text(sel, 0));
	assert_int_equal(db_column_int64(sel, 1), 0);
	assert_int_equal(db_step(sel), DB_DONE);
	db_finalize(sel);
	db_close(db);
}

static void
test_pg_transactions_and_errors(void **state)
{
	(void)state;
	struct db *db = connect_or_null();
	struct db_stmt *st;
	if (db == NULL)
		return;
	assert_false(db_in_transaction(db));
	assert_int_equal(db_exec(db, "BEGIN"), DB_OK);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_exec(db, "ROLLBACK"), DB_OK);
	assert_false(db_in_transaction(db));
	assert_int_equal(db_prepare(db, "SELECT nope FROM nowhere", &st), DB_ERROR);
	assert_null(st);
	assert_non_null(strstr(db_errmsg(db), "nowhere"));
	db_close(db);
	assert_int_equal(db_pg_open("postgresql:///x?host=/nonexistent-pantau&port=1", &db),
	    DB_ERROR);
	assert_non_null(db);
	assert_true(strlen(db_errmsg(db)) > 0);
	db_close(db);
}

#define DAY_MS 86400000LL

/* A batch row through the store's statement: its id, or 0 for a duplicate. */
static int64_t
insert_batch(struct db *db, const char *agent, int64_t seq, int64_t recv_ms)
{
	struct db_stmt *st;
	int64_t id = 0;
	assert_int_equal(db_prepare(db, "INSERT INTO batches(agent, boot, seq, ts_ms, recv_ms,"
	    " nresults) VALUES(?, 1, ?, ?, ?, 0) ON CONFLICT DO NOTHING RETURNING id", &st), DB_OK);
	db_bind_text(st, 1, agent, -1);
	db_bind_int64(st, 2, seq);
	db_bind_int64(st, 3, recv_ms);
	db_bind_int64(st, 4, recv_ms);
	int rc = db_step(st);
	if (rc == DB_ROW)
		id = db_column_int64(st, 0);
	else
		assert_int_equal(rc, DB_DONE);
	db_finalize(st);
	return id;
}

static void
test_pg_partitions_keys_and_retention(void **state)
{
	(void)state;
	struct db *db = connect_or_null();
	if (db == NULL)
		return;
	const int64_t now = 1796600000000LL, old = now - 40 * DAY_MS;
	bool dropped;
	int64_t nb, nr, keys;
	assert_int_equal(db_exec(db, "DROP TABLE IF EXISTS batches, results, batch_keys CASCADE"),
	    DB_OK);
	assert_int_equal(schema_apply(db, now), PANTAU_OK);
	assert_int_equal(schema_apply(db, now), PANTAU_OK);   /* again: nothing to do */
	assert_int_equal(pg_parts_ensure(db, old), PANTAU_OK);
	int64_t id = insert_batch(db, "ag-1", 1, old);
	assert_true(id / PG_ID_SCALE == old);    /* the id carries its receive time */
	assert_int_equal(insert_batch(db, "ag-1", 1, old), 0);     /* a duplicate */
	assert_int_equal(insert_batch(db, "ag-1", 1, now), 0);     /* also a day later */
	assert_true(insert_batch(db, "ag-1", 2, now) > id);
	/* 30 days: the old days go, one per call, then their keys */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(pg_parts_drop_oldest(db, now - 30 * DAY_MS, &dropped, &nb, &nr),
		    PANTAU_OK);
		assert_true(dropped);
		assert_int_equal(nb, i == 1 ? 1 : 0);    /* old - 1 day, old, old + 1 ... */
	}
	assert_int_equal(pg_parts_drop_oldest(db, now - 30 * DAY_MS, &dropped, &nb, &nr),
	    PANTAU_OK);
	assert_false(dropped);
	assert_int_equal(pg_parts_prune_keys(db, now - 30 * DAY_MS, 100, &keys), PANTAU_OK);
	assert_int_equal(keys, 1);
	assert_true(insert_batch(db, "ag-1", 2, now) == 0);   /* today's key is kept */
	db_close(db);
}

/* n batch rows of agent, seqs from seq0, all received at recv_ms, in one
 * statement through the trigger. */
static void
insert_many(struct db *db, const char *agent, int seq0, int n, int64_t recv_ms)
{
	char sql[320];
	snprintf(sql, sizeof(sql), "INSERT INTO batches(agent, boot, seq, ts_ms, recv_ms, nresults)"
	    " SELECT '%s', 1, g, %lld, %lld, 0 FROM generate_series(%d, %d) AS g", agent,
	    (long long)recv_ms, (long long)recv_ms, seq0, seq0 + n - 1);
	assert_int_equal(db_exec(db, sql), DB_OK);
}

static int64_t
count_of(struct db *db, const char *sql)
{
	struct db_stmt *st;
	int64_t n = -1;
	assert_int_equal(db_prepare(db, sql, &st), DB_OK);
	if (db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	db_finalize(st);
	return n;
}

/* Partitioned collectors (docs/scaling.md): two sessions write batches of
 * one millisecond, more than a thousand in all, each batch with a result;
 * every id is its own (they were recv_ms * 1000 + a counter modulo 1000:
 * the second session's rows got the first's ids and its results failed). */
static void
test_pg_ids_unique_across_sessions(void **state)
{
	(void)state;
	struct db *a = connect_or_null(), *b;
	if (a == NULL)
		return;
	const int64_t now = 1796600000000LL;
	assert_int_equal(db_exec(a, "DROP TABLE IF EXISTS batches, results, batch_keys CASCADE"),
	    DB_OK);
	assert_int_equal(schema_apply(a, now), PANTAU_OK);
	assert_int_equal(db_pg_open(getenv("PANTAU_PG_URL"), &b), DB_OK);
	for (int i = 0; i < 4; i++)
		insert_many(i % 2 == 0 ? a : b, i % 2 == 0 ? "ag-a" : "ag-b", 1 + i * 400, 400, now);
	assert_int_equal(db_exec(b, "INSERT INTO results(batch_id, idx, agent, ts_ms, probe, target)"
	    " SELECT id, 0, agent, ts_ms, 'icmp', 'x' FROM batches"), DB_OK);
	assert_int_equal(count_of(a, "SELECT count(DISTINCT id) FROM batches"), 1600);
	assert_int_equal(count_of(a, "SELECT count(*) FROM results_p20261206"), 1600);
	assert_int_equal(count_of(a, "SELECT count(*) FROM batches WHERE id / 1000000 <> recv_ms"),
	    0);
	db_close(b);
	db_close(a);
}

/* A database of the old scale (ids recv_ms * 1000 + a counter): today's
 * results partition of that scale is kept aside, renamed, and dropped
 * with its day; the new ids get a partition of their own. */
static void
test_pg_old_scale_partitions(void **state)
{
	(void)state;
	struct db *db = connect_or_null();
	bool dropped;
	int64_t nb, nr;
	if (db == NULL)
		return;
	const int64_t now = 1796600000000LL, lo = now / DAY_MS * DAY_MS;
	char sql[320];
	assert_int_equal(db_exec(db, "DROP TABLE IF EXISTS batches, results, batch_keys CASCADE"),
	    DB_OK);
	assert_int_equal(schema_apply(db, now), PANTAU_OK);
	snprintf(sql, sizeof(sql), "DROP TABLE results_p20261206; CREATE TABLE results_p20261206"
	    " PARTITION OF results FOR VALUES FROM (%lld) TO (%lld)", (long long)lo * 1000,
	    (long long)(lo + DAY_MS) * 1000);
	assert_int_equal(db_exec(db, sql), DB_OK);
	assert_int_equal(pg_parts_ensure(db, now), PANTAU_OK);
	assert_int_equal(count_of(db, "SELECT count(*) FROM pg_class WHERE relname ="
	    " 'results_old_p20261206'"), 1);
	insert_many(db, "ag-1", 1, 3, now);
	assert_int_equal(db_exec(db, "INSERT INTO results(batch_id, idx, agent, ts_ms, probe, target)"
	    " SELECT id, 0, agent, ts_ms, 'icmp', 'x' FROM batches"), DB_OK);
	assert_int_equal(count_of(db, "SELECT count(*) FROM results_p20261206"), 3);
	for (int i = 0; i < 2; i++)   /* the day before, then this one */
		assert_int_equal(pg_parts_drop_oldest(db, now + DAY_MS, &dropped, &nb, &nr),
		    PANTAU_OK);
	assert_int_equal(count_of(db, "SELECT count(*) FROM pg_class WHERE relname LIKE"
	    " 'results_%p20261206'"), 0);
	db_close(db);
}

struct told {
	int ok, failed;
};

static void
on_told(void *ctx, const char *regency, const struct wire_batch *b, int64_t recv_ms,
    pantau_err rc)
{
	struct told *t = ctx;
	(void)regency;
	(void)b;
	(void)recv_ms;
	if (rc == PANTAU_OK)
		t->ok++;
	else
		t->failed++;
}

/* A store on the cluster, batches of 4 per statement, told into t. */
static struct store *
open_store(struct told *t)
{
	struct store_opts o = { .path = getenv("PANTAU_PG_URL"), .commit_ms = 1000,
		.commit_rows = 100000, .pipeline = 4 };
	struct store *s;
	struct db *db;
	assert_int_equal(db_pg_open(o.path, &db), DB_OK);
	assert_int_equal(db_exec(db, "DROP TABLE IF EXISTS batches, results, batch_keys CASCADE"),
	    DB_OK);
	db_close(db);
	assert_int_equal(store_open(&o, &s), PANTAU_OK);
	store_on_batch(s, on_told, t);
	return s;
}

static void
later(struct store *s, int64_t seq)
{
	struct wire_batch b = { .agent = "ag-q", .boot = 1, .seq = seq, .ts_ms = clock_real_ms(),
		.mono_ms = -1, .outbox_pending = -1, .outbox_dropped = -1 };
	store_batch_later(s, "32.73", &b, clock_real_ms());
}

/* store_send until nothing is in flight (the socket polled), at most 10 s. */
static pantau_err
send_all(struct store *s)
{
	pantau_err rc = store_send(s);
	for (int i = 0; i < 1000 && rc == PANTAU_OK && store_sending(s); i++) {
		struct pollfd p = { .fd = store_socket(s), .events = POLLIN };
		(void)poll(&p, 1, 10);
		rc = store_send(s);
	}
	return rc;
}

/* The collector's path (collector/storewatch.h): a statement sent, not
 * waited for; the batches arriving meanwhile queued, sent once it is
 * answered; each told only then. */
static void
test_pg_store_sends_without_waiting(void **state)
{
	(void)state;
	struct told t = { 0, 0 };
	const char *url = getenv("PANTAU_PG_URL");
	if (url == NULL || url[0] == '\0')
		return;
	printf("# test_pgdb: connected to PostgreSQL\n");
	struct store *s = open_store(&t);
	for (int i = 1; i <= 3; i++)
		later(s, i);
	assert_int_equal(store_send(s), PANTAU_OK);
	assert_true(store_sending(s));
	assert_true(store_socket(s) >= 0);
	for (int i = 4; i <= 7; i++)   /* queued behind the three in flight, up to 4 */
		later(s, i);
	assert_int_equal(t.ok, 0);
	later(s, 8);   /* a full queue: the answer waited for, the queue sent, 8 queued */
	assert_int_equal(t.ok, 3);
	assert_true(store_sending(s));
	assert_int_equal(send_all(s), PANTAU_OK);
	assert_int_equal(t.ok, 8);
	assert_int_equal(t.failed, 0);
	assert_int_equal(store_commit(s), PANTAU_OK);
	assert_int_equal(count_of(store_db(s), "SELECT count(*) FROM batches"), 8);
	store_close(s);
}

/* A session killed while its statement is in flight (pg_terminate_backend):
 * its batches are told nothing, kept, and sent again after the
 * reconnection; nothing is lost, nothing stored twice. */
static void
test_pg_store_killed_in_flight(void **state)
{
	(void)state;
	struct told t = { 0, 0 };
	struct db *lock, *admin;
	const char *url = getenv("PANTAU_PG_URL");
	if (url == NULL || url[0] == '\0')
		return;
	printf("# test_pgdb: connected to PostgreSQL\n");
	struct store *s = open_store(&t);
	assert_int_equal(db_pg_open(url, &lock), DB_OK);
	assert_int_equal(db_pg_open(url, &admin), DB_OK);
	assert_int_equal(db_exec(lock, "BEGIN; LOCK TABLE batch_keys IN ACCESS EXCLUSIVE MODE"),
	    DB_OK);
	later(s, 1);
	later(s, 2);
	assert_int_equal(store_send(s), PANTAU_OK);
	assert_true(store_sending(s));
	int waiting = 0;
	for (int i = 0; i < 400 && waiting == 0; i++)   /* the statement waits for the lock */
		waiting = (int)count_of(admin, "SELECT count(*) FROM pg_stat_activity WHERE"
		    " wait_event_type = 'Lock'");
	assert_int_equal(waiting, 1);
	assert_int_equal(count_of(admin, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
	    " FROM pg_stat_activity WHERE wait_event_type = 'Lock') AS x"), 1);
	assert_int_equal(db_exec(lock, "ROLLBACK"), DB_OK);
	assert_int_equal(send_all(s), PANTAU_ERR_DB);
	assert_false(store_up(s));
	assert_int_equal(t.ok + t.failed, 0);   /* kept, not told lost */
	assert_int_equal(store_reconnect(s), PANTAU_OK);
	assert_int_equal(send_all(s), PANTAU_OK);
	assert_int_equal(t.ok, 2);
	assert_int_equal(t.failed, 0);
	assert_int_equal(store_commit(s), PANTAU_OK);
	assert_int_equal(count_of(admin, "SELECT count(*) FROM batches WHERE agent = 'ag-q'"), 2);
	db_close(lock);
	db_close(admin);
	store_close(s);
}

#include "unit_main.h"
