/*
 * What a backend of the statement layer (db.h) implements: one table of
 * operations, pointed to by each of its connections and statements, whose
 * own structs begin with struct db / struct db_stmt.
 */
#ifndef PANTAU_DB_IMPL_H
#define PANTAU_DB_IMPL_H

#include "db.h"

struct db_ops {
	const char *name;
	void (*close)(struct db *db);
	const char *(*errmsg)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	void (*busy_timeout)(struct db *db, int ms);
	int64_t (*changes)(struct db *db);
	int64_t (*last_insert_id)(struct db *db);
	bool (*in_transaction)(struct db *db);
	int (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
	bool (*connected)(struct db *db);
	int (*reconnect)(struct db *db);

	int (*step)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);
	void (*clear_bindings)(struct db_stmt *st);
	void (*finalize)(struct db_stmt *st);
	int (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	int (*bind_double)(struct db_stmt *st, int i, double v);
	int (*bind_text)(struct db_stmt *st, int i, const char *v, int n);
	int (*bind_blob)(struct db_stmt *st, int i, const void *v, int n);
	int (*bind_null)(struct db_stmt *st, int i);
	int (*column_count)(struct db_stmt *st);
	enum db_type (*column_type)(struct db_stmt *st, int i);
	int64_t (*column_int64)(struct db_stmt *st, int i);
	double (*column_double)(struct db_stmt *st, int i);
	const char *(*column_text)(struct db_stmt *st, int i);
	const void *(*column_blob)(struct db_stmt *st, int i);
	int (*column_bytes)(struct db_stmt *st, int i);
	const char *(*column_name)(struct db_stmt *st, int i);
};

/* A backend's table, its functions named p_member after the members
 * (DB_OPS("sqlite", sq): sq_close, sq_errmsg ...): one list of the members
 * for every backend, so that a new member is one line here and a function
 * each backend must then have. */
#define DB_OPS(label, p) \
	{ .name = (label), .close = p##_close, .errmsg = p##_errmsg, .exec = p##_exec, \
	  .busy_timeout = p##_busy_timeout, .changes = p##_changes, \
	  .last_insert_id = p##_last_insert_id, .in_transaction = p##_in_transaction, \
	  .prepare = p##_prepare, .connected = p##_connected, .reconnect = p##_reconnect, \
	  .step = p##_step, .reset = p##_reset, .clear_bindings = p##_clear_bindings, \
	  .finalize = p##_finalize, .bind_int64 = p##_bind_int64, .bind_double = p##_bind_double, \
	  .bind_text = p##_bind_text, .bind_blob = p##_bind_blob, .bind_null = p##_bind_null, \
	  .column_count = p##_column_count, .column_type = p##_column_type, \
	  .column_int64 = p##_column_int64, .column_double = p##_column_double, \
	  .column_text = p##_column_text, .column_blob = p##_column_blob, \
	  .column_bytes = p##_column_bytes, .column_name = p##_column_name }

struct db {
	const struct db_ops *ops;
};

struct db_stmt {
	const struct db_ops *ops;
};

#endif
