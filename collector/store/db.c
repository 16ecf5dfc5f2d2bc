/* The statement layer's calls, each handed to the backend's table (db_impl.h):
 * one-line forwarders, alike by design (duplicates pairs them). */
#include "db_impl.h"

#include <stddef.h>

void
db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

const char *
db_backend(const struct db *db)
{
	return db->ops->name;
}

const char *
db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}

int
db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

void
db_busy_timeout(struct db *db, int ms)
{
	db->ops->busy_timeout(db, ms);
}

int64_t
db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int64_t
db_last_insert_id(struct db *db)
{
	return db->ops->last_insert_id(db);
}

bool
db_connected(struct db *db)
{
	return db->ops->connected(db);
}

int
db_reconnect(struct db *db)
{
	return db->ops->reconnect(db);
}

bool
db_in_transaction(struct db *db)
{
	return db->ops->in_transaction(db);
}

int
db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	return db->ops->prepare(db, sql, out);
}

int
db_step(struct db_stmt *st)
{
	return st->ops->step(st);
}

void
db_reset(struct db_stmt *st)
{
	st->ops->reset(st);
}

void
db_clear_bindings(struct db_stmt *st)
{
	st->ops->clear_bindings(st);
}

void
db_finalize(struct db_stmt *st)
{
	if (st != NULL)
		st->ops->finalize(st);
}

int
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	return st->ops->bind_int64(st, i, v);
}

int
db_bind_int(struct db_stmt *st, int i, int v)
{
	return st->ops->bind_int64(st, i, v);
}

int
db_bind_double(struct db_stmt *st, int i, double v)
{
	return st->ops->bind_double(st, i, v);
}

int
db_bind_text(struct db_stmt *st, int i, const char *v, int n)
{
	return v == NULL ? st->ops->bind_null(st, i) : st->ops->bind_text(st, i, v, n);
}

int
db_bind_blob(struct db_stmt *st, int i, const void *v, int n)
{
	return v == NULL ? st->ops->bind_null(st, i) : st->ops->bind_blob(st, i, v, n);
}

int
db_bind_null(struct db_stmt *st, int i)
{
	return st->ops->bind_null(st, i);
}

int
db_column_count(struct db_stmt *st)
{
	return st->ops->column_count(st);
}

enum db_type
db_column_type(struct db_stmt *st, int i)
{
	return st->ops->column_type(st, i);
}

int64_t
db_column_int64(struct db_stmt *st, int i)
{
	return st->ops->column_int64(st, i);
}

int
db_column_int(struct db_stmt *st, int i)
{
	return (int)st->ops->column_int64(st, i);
}

double
db_column_double(struct db_stmt *st, int i)
{
	return st->ops->column_double(st, i);
}

const char *
db_column_text(struct db_stmt *st, int i)
{
	return st->ops->column_text(st, i);
}

const void *
db_column_blob(struct db_stmt *st, int i)
{
	return st->ops->column_blob(st, i);
}

int
db_column_bytes(struct db_stmt *st, int i)
{
	return st->ops->column_bytes(st, i);
}

const char *
db_column_name(struct db_stmt *st, int i)
{
	return st->ops->column_name(st, i);
}
