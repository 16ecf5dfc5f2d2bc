/* The PostgreSQL backend of the statement layer (db.h; collector/store/pg_db.c). */
#ifndef PANTAU_PG_DB_H
#define PANTAU_PG_DB_H

#include "db.h"

/* Connect with a libpq conninfo (postgresql://... or key=value): DB_OK and
 * *out; on DB_ERROR *out says why through db_errmsg (db_close it), or is
 * NULL when memory ran out. */
int db_pg_open(const char *conninfo, struct db **out);

#endif
