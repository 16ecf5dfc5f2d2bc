#include "stmts.h"

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
