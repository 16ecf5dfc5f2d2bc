#include "stmts.h"

#include <stdlib.h>

#include "log.h"

pantau_err
stmts_prepare(struct db *db, const char *who, const char *const *sql, struct db_stmt **st,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (db_prepare(db, sql[i], &st[i]) !=
		    DB_OK) {
			log_warnx("%s: cannot prepare a query: %s (%.120s)", who, db_errmsg(db),
			    sql[i]);
			return PANTAU_ERR_DB;
		}
	return PANTAU_OK;
}

void
stmts_finalize(struct db_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		db_finalize(st[i]);
		st[i] = NULL;
	}
}

pantau_err
stmtset_open(struct db *db, const char *who, const char *const *sql, size_t n,
    struct stmtset **out)
{
	struct stmtset *q = calloc(1, sizeof(*q) + n * sizeof(q->st[0]));
	*out = NULL;
	if (q == NULL)
		return PANTAU_ERR_NOMEM;
	q->n = n;
	pantau_err rc = stmts_prepare(db, who, sql, q->st, n);
	if (rc != PANTAU_OK) {
		stmtset_close(q);
		return rc;
	}
	*out = q;
	return PANTAU_OK;
}

void
stmtset_close(struct stmtset *q)
{
	if (q == NULL)
		return;
	stmts_finalize(q->st, q->n);
	free(q);
}
