/*
 * Preparing a PostgreSQL statement with the types of its bindings (the
 * PostgreSQL backend of db.h, collector/store/pg_db.c). A statement whose
 * parameters PostgreSQL cannot type from its text (one used as text here
 * and as a number there, SQLite-style) is prepared with the types of its
 * bindings, again whenever they change.
 */
#include <stdio.h>
#include <string.h>

#include "pg_impl.h"

/* PostgreSQL could not type a parameter from the statement alone. */
#define PG_AMBIGUOUS_PARAMETER "42P08"
#define PG_INDETERMINATE_DATATYPE "42P18"
#define PG_UNDEFINED_FUNCTION "42883"
#define PG_DATATYPE_MISMATCH "42804"
#define PG_GUESSES 4

/* True when r failed only for want of parameter types. */
bool
pg_needs_types(const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	return state != NULL && (strcmp(state, PG_AMBIGUOUS_PARAMETER) == 0 ||
	                         strcmp(state, PG_INDETERMINATE_DATATYPE) == 0);
}

/* True when a guessed type did not fit where the parameter is used. */
static bool
wrong_guess(const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	return state != NULL && (strcmp(state, PG_UNDEFINED_FUNCTION) == 0 ||
	                         strcmp(state, PG_DATATYPE_MISMATCH) == 0);
}

static int
prepare_with(struct pg_stmt *s, const Oid *types, PGresult **r)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	if (s->ptypes[0] != (Oid)-1)
		PQclear(PQexec(s->db->c, sql));
	s->ptypes[0] = (Oid)-1;
	/* A failed try must not abort the transaction it is in. */
	bool in_tx = PQtransactionStatus(s->db->c) == PQTRANS_INTRANS;
	if (in_tx)
		PQclear(PQexec(s->db->c, "SAVEPOINT pantau_prepare"));
	*r = PQprepare(s->db->c, s->name, s->sql, s->nparams, types);
	int rc = pg_result_code(s->db, *r);
	if (in_tx)
		PQclear(PQexec(s->db->c, rc == DB_OK ? "RELEASE pantau_prepare" :
		                                       "ROLLBACK TO pantau_prepare"));
	return rc;
}

/* The types to prepare with: a NULL binding takes its parameter's latest
 * type, else PostgreSQL's guess; failing that (pass 1, 2, 3) text, a float
 * or an integer. */
static void
types_for(struct pg_stmt *s, Oid *t, int pass)
{
	static const Oid guess[PG_GUESSES] = { 0, PG_OID_TEXT, PG_OID_FLOAT8, PG_OID_INT8 };
	for (int i = 0; i < s->nparams; i++) {
		if (s->types[i] != 0)
			s->sticky[i] = s->types[i];
		t[i] = s->types[i] != 0 ? s->types[i] : s->sticky[i] != 0 ? s->sticky[i] : guess[pass];
	}
}

int
pg_prepare_typed(struct pg_stmt *s)
{
	size_t n = (size_t)s->nparams * sizeof(Oid);
	Oid *t = s->types + s->nparams;   /* scratch after the bindings' types */
	int rc = DB_ERROR;
	types_for(s, t, 0);
	if (s->ptypes[0] != (Oid)-1 && memcmp(t, s->ptypes, n) == 0)
		return DB_OK;
	for (int pass = 0; pass < PG_GUESSES && rc != DB_OK; pass++) {
		PGresult *r;
		types_for(s, t, pass);
		rc = prepare_with(s, t, &r);
		bool retry = rc != DB_OK && (pg_needs_types(r) || wrong_guess(r));
		PQclear(r);
		if (!retry)
			break;
	}
	if (rc == DB_OK) {
		memcpy(s->ptypes, t, n);
		for (int i = 0; i < s->nparams; i++)   /* the guess that worked stays */
			if (s->sticky[i] == 0)
				s->sticky[i] = t[i];
	}
	return rc;
}
