/*
 * The PostgreSQL backend's own types, shared by its files: pg_db.c (the
 * connection, statements, bindings and columns) and pg_typed.c (preparing a
 * statement with its bindings' types). Not for the readers: they see db.h.
 */
#ifndef PANTAU_PG_IMPL_H
#define PANTAU_PG_IMPL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "db_impl.h"

#define PG_OID_BOOL 16
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_TEXT 25
#define PG_OID_FLOAT4 700
#define PG_OID_FLOAT8 701
#define PG_OID_NUMERIC 1700
#define PG_SQL_MAX 16384

struct pg_db {
	struct db base;
	PGconn *c;
	char err[512];
	int64_t changes;
	unsigned next_name;
	unsigned gen;      /* connections made: a statement of an older one is prepared again */
	struct pg_stmt *sent;   /* sent by db_pg_send, its answer not read yet */
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_db *db;
	char name[24];
	int nparams;
	char **vals;
	int *lens;
	int *fmts;
	Oid *types;      /* of the bindings: INT8, FLOAT8, TEXT, BYTEA; 0 for NULL */
	Oid *ptypes;     /* those it was prepared with, when typed */
	Oid *sticky;     /* each parameter's latest type but NULL */
	char *sql;       /* PostgreSQL's text */
	unsigned gen;    /* the connection it was prepared on (pg_db.gen) */
	bool typed;      /* prepared again with its bindings' types (pg_typed.c) */
	bool answered;   /* sent by db_pg_send and its answer read into res */
	PGresult *res;
	int row, nrows;
	unsigned char *blob;  /* the current row's column blob_col, unescaped */
	size_t blob_len;
	int blob_col;
};

/* A finished command's result as DB_OK or DB_ERROR: rows changed kept,
 * the error's text kept for db_errmsg. */
int pg_result_code(struct pg_db *d, PGresult *r);

/* True when r failed only for want of parameter types. */
bool pg_needs_types(const PGresult *r);

/* Prepare s with the types of its bindings (PostgreSQL's guess, then text,
 * a float or an integer for NULLs), unless it already is with these. */
int pg_prepare_typed(struct pg_stmt *s);

#endif
