/* The PostgreSQL backend of the statement layer (db.h; collector/store/pg_db.c). */
#ifndef PANTAU_PG_DB_H
#define PANTAU_PG_DB_H

#include <stdbool.h>

#include "db.h"

/* Connect with a libpq conninfo (postgresql://... or key=value): DB_OK and
 * *out; on DB_ERROR *out says why through db_errmsg (db_close it), or is
 * NULL when memory ran out. */
int db_pg_open(const char *conninfo, struct db **out);

/*
 * A statement sent without waiting for its answer (libpq's PQsendQueryPrepared),
 * one at a time per connection. Its answer is read by db_pg_poll when the
 * connection's socket (db_pg_socket) is readable; any other use of the
 * connection first waits for it and keeps it for db_pg_poll.
 */
/* Send bound st: DB_OK, or DB_ERROR (one is in flight already, or the
 * connection failed). */
int db_pg_send(struct db_stmt *st);
/* Read what arrived for st, sent by db_pg_send, without blocking (block:
 * until its answer is complete): DB_ROW while it is not, then DB_OK (its
 * rows read with db_step, then db_reset) or DB_ERROR (db_errmsg). */
int db_pg_poll(struct db_stmt *st, bool block);
/* The connection's socket, -1 when none. */
int db_pg_socket(struct db *db);

#endif
