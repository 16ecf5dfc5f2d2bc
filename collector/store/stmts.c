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

void
stmtset_close(struct stmtset *q)
{
	if (q == NULL)
		return;
	stmts_finalize(q->st, q->n);
	free(q);
}

void *
stmtset_part(size_t size, size_t q_off, struct db *db, const char *who,
    const char *const *sql, size_t n, pantau_err *rc)
{
	char *p = calloc(1, size);
	struct stmtset *q = calloc(1, sizeof(*q) + n * sizeof(q->st[0]));
	*rc = PANTAU_ERR_NOMEM;
	if (p != NULL && q != NULL) {
		q->n = n;
		*rc = stmts_prepare(db, who, sql, q->st, n);
	}
	if (*rc == PANTAU_OK) {
		*(struct stmtset **)(void *)(p + q_off) = q;
		return p;
	}
	stmtset_close(q);
	free(p);
	return NULL;
}
