/*
 * The store's statement layer: one connection, statements prepared once
 * and stepped, parameters bound by position (from 1), columns read by
 * position (from 0). Every reader of the store (ingest, the status engine,
 * the API's queries, alerts, tokens, enrolment, the CLI) goes through it,
 * so a backend (collector/store/db_sqlite.c, later PostgreSQL) is one file
 * behind struct db_ops (db_impl.h) and the readers answer alike on each.
 *
 * Return codes follow one shape for every backend: DB_OK, DB_ROW (step
 * has a row), DB_DONE (step finished), DB_ERROR (db_errmsg says why).
 * A connection and its statements are used by one thread only.
 */
#ifndef PANTAU_DB_H
#define PANTAU_DB_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum {
	DB_OK = 0,
	DB_ERROR = 1,
	DB_ROW = 100,
	DB_DONE = 101,
};

/* What a column holds (db_column_type). */
enum db_type {
	DB_INTEGER = 1,
	DB_FLOAT = 2,
	DB_TEXT = 3,
	DB_BLOB = 4,
	DB_NULL = 5,
};

/* How db_sqlite_open opens its file. */
enum db_sqlite_mode {
	DB_SQLITE_READONLY,  /* the file must exist; no writes */
	DB_SQLITE_READWRITE, /* the file must exist */
	DB_SQLITE_CREATE,    /* read and write, created when missing */
};

/* Open the SQLite database at path (":memory:": a private one in memory).
 * DB_OK and *out; on DB_ERROR *out is a connection whose db_errmsg says
 * why (db_close it), or NULL when memory ran out. */
int db_sqlite_open(const char *path, enum db_sqlite_mode mode, struct db **out);
/* Close the connection; its statements must be finalized. Safe with NULL. */
void db_close(struct db *db);

/* The backend's name: "sqlite" or "postgresql". */
const char *db_backend(const struct db *db);
/* The last error on db, in the backend's words. */
const char *db_errmsg(struct db *db);
/* Run sql: one or more statements without parameters or rows. */
int db_exec(struct db *db, const char *sql);
/* Wait up to ms for a lock held by another connection before failing. */
void db_busy_timeout(struct db *db, int ms);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t db_changes(struct db *db);
/* The id of the row the last INSERT made (an INTEGER PRIMARY KEY). */
int64_t db_last_insert_id(struct db *db);
/* False when the connection to a database server is gone (SQLite: never). */
bool db_connected(struct db *db);
/* Connect again (DB_OK or DB_ERROR): an open transaction is gone, the
 * statements stay usable (prepared again at their next step). */
int db_reconnect(struct db *db);
/* True inside BEGIN ... COMMIT. */
bool db_in_transaction(struct db *db);

/* Prepare one statement: DB_OK and *out, or DB_ERROR and *out NULL. */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* Next row: DB_ROW, DB_DONE or DB_ERROR. */
int db_step(struct db_stmt *st);
/* Back to before its first step; bindings stay. */
void db_reset(struct db_stmt *st);
/* Every parameter back to NULL. */
void db_clear_bindings(struct db_stmt *st);
/* Free st. Safe with NULL. */
void db_finalize(struct db_stmt *st);

/* Bind parameter i (from 1). Text and blobs are copied: the caller's
 * buffer may go away before the step. n < 0: text up to its NUL. */
int db_bind_int64(struct db_stmt *st, int i, int64_t v);
int db_bind_int(struct db_stmt *st, int i, int v);
int db_bind_double(struct db_stmt *st, int i, double v);
int db_bind_text(struct db_stmt *st, int i, const char *v, int n);
int db_bind_blob(struct db_stmt *st, int i, const void *v, int n);
int db_bind_null(struct db_stmt *st, int i);

/* Column i (from 0) of the current row. Text and blobs stay valid until the
 * next step, reset or finalize of st. NULL reads as 0, 0.0 or NULL. */
int db_column_count(struct db_stmt *st);
enum db_type db_column_type(struct db_stmt *st, int i);
int64_t db_column_int64(struct db_stmt *st, int i);
int db_column_int(struct db_stmt *st, int i);
double db_column_double(struct db_stmt *st, int i);
const char *db_column_text(struct db_stmt *st, int i);
const void *db_column_blob(struct db_stmt *st, int i);
int db_column_bytes(struct db_stmt *st, int i);
const char *db_column_name(struct db_stmt *st, int i);

#endif
