#include "stmts.h"

#include "log.h"

pantau_err
stmts_prepare(sqlite3 *db, const char *who, const char *const *sql, sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
		    SQLITE_OK) {
			log_warnx("%s: cannot prepare a query: %s (%.120s)", who, sqlite3_errmsg(db),
			    sql[i]);
			return PANTAU_ERR_DB;
		}
	return PANTAU_OK;
}

void
stmts_finalize(sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}
