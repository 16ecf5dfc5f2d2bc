/* The SQLite backend of the statement layer (db.h): each call is SQLite's own. */
#include <sqlite3.h>
#include <stdlib.h>

#include "db_impl.h"

struct sq_db {
	struct db base;
	sqlite3 *h;
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *h;
};

static sqlite3 *
H(struct db *db)
{
	return ((struct sq_db *)db)->h;
}

static sqlite3_stmt *
S(struct db_stmt *st)
{
	return ((struct sq_stmt *)st)->h;
}

/* SQLite's codes to the layer's: the row and done codes are the same numbers. */
static int
code(int rc)
{
	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return DB_ERROR;
}

static void
sq_close(struct db *db)
{
	sqlite3_close(H(db));
	free(db);
}

static const char *
sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(H(db));
}

static int
sq_exec(struct db *db, const char *sql)
{
	return code(sqlite3_exec(H(db), sql, NULL, NULL, NULL));
}

static void
sq_busy_timeout(struct db *db, int ms)
{
	sqlite3_busy_timeout(H(db), ms);
}

static int64_t
sq_changes(struct db *db)
{
	return sqlite3_changes64(H(db));
}

static int64_t
sq_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(H(db));
}

static bool
sq_in_transaction(struct db *db)
{
	return sqlite3_get_autocommit(H(db)) == 0;
}

static int sq_prepare(struct db *db, const char *sql, struct db_stmt **out);

static bool
sq_connected(struct db *db)
{
	(void)db;
	return true;
}

static int
sq_reconnect(struct db *db)
{
	(void)db;
	return DB_OK;
}

static int
sq_step(struct db_stmt *st)
{
	return code(sqlite3_step(S(st)));
}

static void
sq_reset(struct db_stmt *st)
{
	sqlite3_reset(S(st));
}

static void
sq_clear_bindings(struct db_stmt *st)
{
	sqlite3_clear_bindings(S(st));
}

static void
sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(S(st));
	free(st);
}

static int
sq_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	return code(sqlite3_bind_int64(S(st), i, v));
}

static int
sq_bind_double(struct db_stmt *st, int i, double v)
{
	return code(sqlite3_bind_double(S(st), i, v));
}

static int
sq_bind_text(struct db_stmt *st, int i, const char *v, int n)
{
	return code(sqlite3_bind_text(S(st), i, v, n, SQLITE_TRANSIENT));
}

static int
sq_bind_blob(struct db_stmt *st, int i, const void *v, int n)
{
	return code(sqlite3_bind_blob(S(st), i, v, n, SQLITE_TRANSIENT));
}

static int
sq_bind_null(struct db_stmt *st, int i)
{
	return code(sqlite3_bind_null(S(st), i));
}

static int
sq_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(S(st));
}

static enum db_type
sq_column_type(struct db_stmt *st, int i)
{
	switch (sqlite3_column_type(S(st), i)) {
	case SQLITE_INTEGER:
		return DB_INTEGER;
	case SQLITE_FLOAT:
		return DB_FLOAT;
	case SQLITE_TEXT:
		return DB_TEXT;
	case SQLITE_BLOB:
		return DB_BLOB;
	default:
		return DB_NULL;
	}
}

static int64_t
sq_column_int64(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(S(st), i);
}

static double
sq_column_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(S(st), i);
}

static const char *
sq_column_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(S(st), i);
}

static const void *
sq_column_blob(struct db_stmt *st, int i)
{
	return sqlite3_column_blob(S(st), i);
}

static int
sq_column_bytes(struct db_stmt *st, int i)
{
	return sqlite3_column_bytes(S(st), i);
}

static const char *
sq_column_name(struct db_stmt *st, int i)
{
	return sqlite3_column_name(S(st), i);
}

static const struct db_ops sqlite_ops = DB_OPS("sqlite", sq);

/* Statements are kept for the life of their part (SQLITE_PREPARE_PERSISTENT). */
static int
sq_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	*out = NULL;
	struct sq_stmt *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return DB_ERROR;
	st->base.ops = &sqlite_ops;
	if (sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &st->h, NULL) !=
	        SQLITE_OK ||
	    st->h == NULL) {
		sqlite3_finalize(st->h);
		free(st);
		return DB_ERROR;
	}
	*out = &st->base;
	return DB_OK;
}

int
db_sqlite_open(const char *path, enum db_sqlite_mode mode, struct db **out)
{
	static const int flags[] = {
		[DB_SQLITE_READONLY] = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
		[DB_SQLITE_READWRITE] = SQLITE_OPEN_READWRITE,
		[DB_SQLITE_CREATE] = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	};
	struct sq_db *db = calloc(1, sizeof(*db));
	*out = NULL;
	if (db == NULL)
		return DB_ERROR;
	db->base.ops = &sqlite_ops;
	int rc = sqlite3_open_v2(path, &db->h, flags[mode], NULL);
	if (db->h == NULL) {
		free(db);
		return DB_ERROR;
	}
	*out = &db->base;
	return code(rc);
}
