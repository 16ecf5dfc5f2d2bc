/*
 * The PostgreSQL backend of the statement layer (db.h), on libpq. The
 * readers' SQL is SQLite's: pg_sql.h makes it PostgreSQL's when prepared
 * or run. Parameters go as text (blobs as binary),
 * results come as text and are read back as the layer's types.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_impl.h"
#include "pg_db.h"
#include "pg_impl.h"
#include "pg_sql.h"

static struct pg_db *
D(struct db *db)
{
	return (struct pg_db *)db;
}

static struct pg_stmt *
P(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

static int
fail(struct pg_db *d, const char *msg)
{
	snprintf(d->err, sizeof(d->err), "%s", msg);
	size_t n = strlen(d->err);
	while (n > 0 && d->err[n - 1] == '\n')
		d->err[--n] = '\0';
	return DB_ERROR;
}

static void
pg_close(struct db *db)
{
	PQfinish(D(db)->c);
	free(db);
}

static const char *
pg_errmsg(struct db *db)
{
	return D(db)->err;
}

/* A finished command's result: rows changed kept, errors kept. */
int
pg_result_code(struct pg_db *d, PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_EMPTY_QUERY) /* a statement SQLite's alone (pg_sql.h) */
		return DB_OK;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		d->changes = strtoll(PQcmdTuples(r), NULL, 10);
		return DB_OK;
	}
	return fail(d, PQresultErrorMessage(r));
}

/* The whole answer of what was sent into its statement, waiting for it:
 * the connection is then free for another command. */
static void
finish_sent(struct pg_db *d)
{
	struct pg_stmt *s = d->sent;
	PGresult *r;
	if (s == NULL)
		return;
	d->sent = NULL;
	while ((r = PQgetResult(d->c)) != NULL) {
		if (s->res == NULL)
			s->res = r;
		else
			PQclear(r);
	}
	s->answered = true;
}

static int
pg_exec(struct db *db, const char *sql)
{
	finish_sent(D(db));
	char *text = malloc(PG_SQL_MAX);
	int nparams, rc;
	if (text == NULL)
		return fail(D(db), "out of memory");
	if (!pg_sql_translate(sql, text, PG_SQL_MAX, &nparams)) {
		free(text);
		return fail(D(db), "statement too long");
	}
	PGresult *r = PQexec(D(db)->c, text);
	rc = pg_result_code(D(db), r);
	PQclear(r);
	free(text);
	return rc;
}

static void
pg_busy_timeout(struct db *db, int ms)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms);
	(void)pg_exec(db, sql);
}

static int64_t
pg_changes(struct db *db)
{
	return D(db)->changes;
}

static int64_t
pg_last_insert_id(struct db *db)
{
	finish_sent(D(db));
	PGresult *r = PQexec(D(db)->c, "SELECT lastval()");
	int64_t id = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
	    ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return id;
}

static bool
pg_in_transaction(struct db *db)
{
	PGTransactionStatusType t = PQtransactionStatus(D(db)->c);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static void
clear_result(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	PQfreemem(s->blob);
	s->blob = NULL;
}

/* After a reconnection: the server forgot the statement. */
static int
prepare_again(struct pg_stmt *s)
{
	s->gen = s->db->gen;
	if (s->typed) {
		s->ptypes[0] = (Oid)-1;
		return DB_OK;
	}
	PGresult *r = PQprepare(s->db->c, s->name, s->sql, s->nparams, NULL);
	int rc = pg_result_code(s->db, r);
	PQclear(r);
	if (rc != DB_OK)
		s->gen--;
	return rc;
}

static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	if (s->res == NULL)
		finish_sent(s->db);
	if (s->res == NULL && s->gen != s->db->gen && prepare_again(s) != DB_OK)
		return DB_ERROR;
	if (s->res == NULL && s->typed && pg_prepare_typed(s) != DB_OK)
		return DB_ERROR;
	if (s->res == NULL) {
		s->res = PQexecPrepared(s->db->c, s->name, s->nparams, (const char *const *)s->vals,
		    s->lens, s->fmts, 0);
		if (pg_result_code(s->db, s->res) != DB_OK)
			return DB_ERROR;
		s->row = -1;
		s->nrows = PQresultStatus(s->res) == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	}
	PQfreemem(s->blob);
	s->blob = NULL;
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? DB_ROW : DB_DONE;
}

static void
pg_reset(struct db_stmt *st)
{
	clear_result(P(st));
	P(st)->answered = false;
}

int
db_pg_send(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	finish_sent(s->db);
	clear_result(s);
	s->answered = false;
	if (s->gen != s->db->gen && prepare_again(s) != DB_OK)
		return DB_ERROR;
	if (s->typed && pg_prepare_typed(s) != DB_OK)
		return DB_ERROR;
	if (!PQsendQueryPrepared(s->db->c, s->name, s->nparams, (const char *const *)s->vals,
	        s->lens, s->fmts, 0))
		return fail(s->db, PQerrorMessage(s->db->c));
	s->db->sent = s;
	return DB_OK;
}

int
db_pg_poll(struct db_stmt *st, bool block)
{
	struct pg_stmt *s = P(st);
	if (s->db->sent == s) {
		if (!block && !PQconsumeInput(s->db->c))
			block = true;   /* the connection failed: what is left, at once */
		if (!block && PQisBusy(s->db->c))
			return DB_ROW;
		finish_sent(s->db);
	}
	if (!s->answered)
		return fail(s->db, "nothing was sent");
	if (s->res == NULL)
		return fail(s->db, PQerrorMessage(s->db->c));
	if (pg_result_code(s->db, s->res) != DB_OK) {
		clear_result(s);
		s->answered = false;
		return DB_ERROR;
	}
	s->row = -1;
	s->nrows = PQresultStatus(s->res) == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
	return DB_OK;
}

int
db_pg_socket(struct db *db)
{
	return PQsocket(D(db)->c);
}

static int
set_param(struct pg_stmt *s, int i, char *v, int len, int fmt, Oid type)
{
	if (i < 1 || i > s->nparams) {
		free(v);
		return fail(s->db, "parameter index out of range");
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = v;
	s->lens[i - 1] = len;
	s->fmts[i - 1] = fmt;
	s->types[i - 1] = type;
	return DB_OK;
}

static void
pg_clear_bindings(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	for (int i = 1; i <= s->nparams; i++)
		(void)set_param(s, i, NULL, 0, 0, 0);
}

static void
stmt_free(struct pg_stmt *s)
{
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->types);
	free(s->ptypes);
	free(s->sticky);
	free(s->sql);
	free(s);
}

static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	char sql[64];
	finish_sent(s->db);
	clear_result(s);
	pg_clear_bindings(st);
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	if (PQstatus(s->db->c) == CONNECTION_OK && s->gen == s->db->gen &&
	    (!s->typed || s->ptypes[0] != (Oid)-1))
		PQclear(PQexec(s->db->c, sql));
	stmt_free(s);
}

static int
bind_copy(struct pg_stmt *s, int i, const void *v, size_t n, int fmt, Oid type)
{
	char *c = malloc(n + 1);
	if (c == NULL)
		return fail(s->db, "out of memory");
	memcpy(c, v, n);
	c[n] = '\0';
	return set_param(s, i, c, (int)n, fmt, type);
}

static int
pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%lld", (long long)v);
	return bind_copy(P(st), i, t, (size_t)n, 0, PG_OID_INT8);
}

static int
pg_bind_double(struct db_stmt *st, int i, double v)
{
	char t[40];
	int n = snprintf(t, sizeof(t), "%.17g", v);
	return bind_copy(P(st), i, t, (size_t)n, 0, PG_OID_FLOAT8);
}

static int
pg_bind_text(struct db_stmt *st, int i, const char *v, int n)
{
	return bind_copy(P(st), i, v, n < 0 ? strlen(v) : (size_t)n, 0, PG_OID_TEXT);
}

static int
pg_bind_blob(struct db_stmt *st, int i, const void *v, int n)
{
	return bind_copy(P(st), i, v, (size_t)n, 1, PG_OID_BYTEA);
}

static int
pg_bind_null(struct db_stmt *st, int i)
{
	return set_param(P(st), i, NULL, 0, 0, 0);
}

static bool
has_row(struct pg_stmt *s)
{
	return s->res != NULL && s->row >= 0 && s->row < s->nrows;
}

static int
pg_column_count(struct db_stmt *st)
{
	return P(st)->res != NULL ? PQnfields(P(st)->res) : 0;
}

static enum db_type
pg_column_type(struct db_stmt *st, int i)
{
	struct pg_stmt *s = P(st);
	if (!has_row(s) || PQgetisnull(s->res, s->row, i))
		return DB_NULL;
	switch (PQftype(s->res, i)) {
	case PG_OID_BOOL:
	case PG_OID_INT2:
	case PG_OID_INT4:
	case PG_OID_INT8:
		return DB_INTEGER;
	case PG_OID_FLOAT4:
	case PG_OID_FLOAT8:
	case PG_OID_NUMERIC:
		return DB_FLOAT;
	case PG_OID_BYTEA:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static const char *
pg_column_text(struct db_stmt *st, int i)
{
	struct pg_stmt *s = P(st);
	if (!has_row(s) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

static int64_t
pg_column_int64(struct db_stmt *st, int i)
{
	const char *v = pg_column_text(st, i);
	if (v == NULL)
		return 0;
	if (PQftype(P(st)->res, i) == PG_OID_BOOL)
		return v[0] == 't';
	if (pg_column_type(st, i) == DB_FLOAT)
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

static double
pg_column_double(struct db_stmt *st, int i)
{
	const char *v = pg_column_text(st, i);
	return v == NULL ? 0.0 : strtod(v, NULL);
}

static const void *
pg_column_blob(struct db_stmt *st, int i)
{
	struct pg_stmt *s = P(st);
	const char *v = pg_column_text(st, i);
	if (v == NULL)
		return NULL;
	if (PQftype(s->res, i) != PG_OID_BYTEA)
		return v;
	if (s->blob != NULL && s->blob_col == i)
		return s->blob;   /* a pointer given out earlier stays valid */
	PQfreemem(s->blob);
	s->blob = PQunescapeBytea((const unsigned char *)v, &s->blob_len);
	s->blob_col = i;
	return s->blob;
}

static int
pg_column_bytes(struct db_stmt *st, int i)
{
	struct pg_stmt *s = P(st);
	if (!has_row(s) || PQgetisnull(s->res, s->row, i))
		return 0;
	if (PQftype(s->res, i) == PG_OID_BYTEA)
		return pg_column_blob(st, i) != NULL ? (int)s->blob_len : 0;
	return PQgetlength(s->res, s->row, i);
}

static const char *
pg_column_name(struct db_stmt *st, int i)
{
	return P(st)->res != NULL ? PQfname(P(st)->res, i) : NULL;
}

static int pg_prepare(struct db *db, const char *sql, struct db_stmt **out);

static bool
pg_connected(struct db *db)
{
	return PQstatus(D(db)->c) == CONNECTION_OK;
}

static int
pg_reconnect(struct db *db)
{
	struct pg_db *d = D(db);
	finish_sent(d);   /* the error of what was in flight, for db_pg_poll */
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK)
		return fail(d, PQerrorMessage(d->c));
	d->gen++;
	PQclear(PQexec(d->c, "SET client_min_messages = warning"));
	return DB_OK;
}

static const struct db_ops pg_ops = DB_OPS("postgresql", pg);

static int
prepare_text(struct pg_stmt *s, char *text)
{
	size_t np = s->nparams > 0 ? (size_t)s->nparams : 1;
	s->vals = calloc(np, sizeof(*s->vals));
	s->lens = calloc(np, sizeof(*s->lens));
	s->fmts = calloc(np, sizeof(*s->fmts));
	s->types = calloc(2 * np, sizeof(*s->types));
	s->ptypes = calloc(np, sizeof(*s->ptypes));
	s->sticky = calloc(np, sizeof(*s->sticky));
	if (s->vals == NULL || s->lens == NULL || s->fmts == NULL || s->types == NULL ||
	    s->ptypes == NULL || s->sticky == NULL)
		return fail(s->db, "out of memory");
	snprintf(s->name, sizeof(s->name), "pantau_%u", s->db->next_name++);
	finish_sent(s->db);
	PGresult *r = PQprepare(s->db->c, s->name, text, s->nparams, NULL);
	int rc = pg_result_code(s->db, r);
	if (rc != DB_OK && pg_needs_types(r)) {
		s->typed = true;
		s->ptypes[0] = (Oid)-1;   /* not prepared yet */
		rc = DB_OK;
	}
	PQclear(r);
	s->sql = text;
	s->gen = s->db->gen;
	return rc;
}

static int
pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct pg_db *d = D(db);
	char *text = malloc(PG_SQL_MAX);
	struct pg_stmt *s = calloc(1, sizeof(*s));
	int rc;
	*out = NULL;
	if (text == NULL || s == NULL) {
		free(text);
		free(s);
		return fail(d, "out of memory");
	}
	s->base.ops = &pg_ops;
	s->db = d;
	if (!pg_sql_translate(sql, text, PG_SQL_MAX, &s->nparams))
		rc = fail(d, "statement too long");
	else
		rc = prepare_text(s, text);
	if (s->sql != text)
		free(text);
	if (rc != DB_OK)
		stmt_free(s);
	else
		*out = &s->base;
	return rc;
}

int
db_pg_open(const char *conninfo, struct db **out)
{
	struct pg_db *d = calloc(1, sizeof(*d));
	*out = NULL;
	if (d == NULL)
		return DB_ERROR;
	d->base.ops = &pg_ops;
	d->c = PQconnectdb(conninfo);
	*out = &d->base;
	if (d->c == NULL)
		return fail(d, "out of memory");
	if (PQstatus(d->c) != CONNECTION_OK)
		return fail(d, PQerrorMessage(d->c));
	PQclear(PQexec(d->c, "SET client_min_messages = warning"));
	return DB_OK;
}
