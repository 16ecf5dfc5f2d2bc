/*
 * The PostgreSQL backend of the statement layer (db.h), on libpq. The
 * readers' SQL uses ? for parameters: each becomes $1, $2 ... when
 * prepared (outside quotes). Parameters go as text (blobs as binary),
 * results come as text and are read back as the layer's types.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_impl.h"
#include "pg_db.h"

#define PG_OID_BOOL 16
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
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
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_db *db;
	char name[24];
	int nparams;
	char **vals;
	int *lens;
	int *fmts;
	PGresult *res;
	int row, nrows;
	unsigned char *blob;
	size_t blob_len;
};

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
static int
result_code(struct pg_db *d, PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		d->changes = strtoll(PQcmdTuples(r), NULL, 10);
		return DB_OK;
	}
	return fail(d, PQresultErrorMessage(r));
}

static int
pg_exec(struct db *db, const char *sql)
{
	PGresult *r = PQexec(D(db)->c, sql);
	int rc = result_code(D(db), r);
	PQclear(r);
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
	PGresult *r = PQexec(D(db)->c, "SELECT lastval()");
	int64_t id = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
	    ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return id;
}

static bool
pg_in_transaction(struct db *db)
{
	return PQtransactionStatus(D(db)->c) != PQTRANS_IDLE;
}

/* sql with each ? outside quotes as $N; the count of them, or -1. */
static int
number_params(const char *sql, char *out, size_t len)
{
	size_t o = 0;
	int n = 0;
	char quote = 0;
	for (const char *p = sql; *p != '\0'; p++) {
		if (o + 12 >= len)
			return -1;
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			o += (size_t)snprintf(out + o, len - o, "$%d", ++n);
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return n;
}

static void
clear_result(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	PQfreemem(s->blob);
	s->blob = NULL;
}

static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	if (s->res == NULL) {
		s->res = PQexecPrepared(s->db->c, s->name, s->nparams, (const char *const *)s->vals,
		    s->lens, s->fmts, 0);
		if (result_code(s->db, s->res) != DB_OK)
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
}

static int
set_param(struct pg_stmt *s, int i, char *v, int len, int fmt)
{
	if (i < 1 || i > s->nparams) {
		free(v);
		return fail(s->db, "parameter index out of range");
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = v;
	s->lens[i - 1] = len;
	s->fmts[i - 1] = fmt;
	return DB_OK;
}

static void
pg_clear_bindings(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	for (int i = 1; i <= s->nparams; i++)
		(void)set_param(s, i, NULL, 0, 0);
}

static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = P(st);
	char sql[64];
	clear_result(s);
	pg_clear_bindings(st);
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	if (PQstatus(s->db->c) == CONNECTION_OK)
		PQclear(PQexec(s->db->c, sql));
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s);
}

static int
bind_copy(struct pg_stmt *s, int i, const void *v, size_t n, int fmt)
{
	char *c = malloc(n + 1);
	if (c == NULL)
		return fail(s->db, "out of memory");
	memcpy(c, v, n);
	c[n] = '\0';
	return set_param(s, i, c, (int)n, fmt);
}

static int
pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%lld", (long long)v);
	return bind_copy(P(st), i, t, (size_t)n, 0);
}

static int
pg_bind_double(struct db_stmt *st, int i, double v)
{
	char t[40];
	int n = snprintf(t, sizeof(t), "%.17g", v);
	return bind_copy(P(st), i, t, (size_t)n, 0);
}

static int
pg_bind_text(struct db_stmt *st, int i, const char *v, int n)
{
	return bind_copy(P(st), i, v, n < 0 ? strlen(v) : (size_t)n, 0);
}

static int
pg_bind_blob(struct db_stmt *st, int i, const void *v, int n)
{
	return bind_copy(P(st), i, v, (size_t)n, 1);
}

static int
pg_bind_null(struct db_stmt *st, int i)
{
	return set_param(P(st), i, NULL, 0, 0);
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
	PQfreemem(s->blob);
	s->blob = PQunescapeBytea((const unsigned char *)v, &s->blob_len);
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

static const struct db_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.errmsg = pg_errmsg,
	.exec = pg_exec,
	.busy_timeout = pg_busy_timeout,
	.changes = pg_changes,
	.last_insert_id = pg_last_insert_id,
	.in_transaction = pg_in_transaction,
	.prepare = pg_prepare,
	.step = pg_step,
	.reset = pg_reset,
	.clear_bindings = pg_clear_bindings,
	.finalize = pg_finalize,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.column_count = pg_column_count,
	.column_type = pg_column_type,
	.column_int64 = pg_column_int64,
	.column_double = pg_column_double,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_bytes = pg_column_bytes,
	.column_name = pg_column_name,
};

static int
pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct pg_db *d = D(db);
	char *text = malloc(PG_SQL_MAX);
	struct pg_stmt *s = calloc(1, sizeof(*s));
	int rc = DB_ERROR;
	*out = NULL;
	if (text == NULL || s == NULL) {
		rc = fail(d, "out of memory");
		goto out;
	}
	s->base.ops = &pg_ops;
	s->db = d;
	if ((s->nparams = number_params(sql, text, PG_SQL_MAX)) < 0) {
		rc = fail(d, "statement too long");
		goto out;
	}
	int np = s->nparams > 0 ? s->nparams : 1;
	s->vals = calloc((size_t)np, sizeof(*s->vals));
	s->lens = calloc((size_t)np, sizeof(*s->lens));
	s->fmts = calloc((size_t)np, sizeof(*s->fmts));
	if (s->vals == NULL || s->lens == NULL || s->fmts == NULL) {
		rc = fail(d, "out of memory");
		goto out;
	}
	snprintf(s->name, sizeof(s->name), "pantau_%u", d->next_name++);
	PGresult *r = PQprepare(d->c, s->name, text, s->nparams, NULL);
	rc = result_code(d, r);
	PQclear(r);
out:
	free(text);
	if (rc != DB_OK && s != NULL) {
		free(s->vals);
		free(s->lens);
		free(s->fmts);
		free(s);
	} else if (rc == DB_OK) {
		*out = &s->base;
	}
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
