/*
 * What the tests of the store share: removing a test database with its
 * WAL files, and counting rows with one SQL query. Included by the
 * collector's unit tests after cmocka.h.
 */
#ifndef PANTAU_TEST_DB_HARNESS_H
#define PANTAU_TEST_DB_HARNESS_H

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

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
db_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

#endif
