/* The store's SQLite schema: tables created when missing, older
 * databases upgraded in place (docs/storage.md). */
#ifndef PANTAU_SCHEMA_H
#define PANTAU_SCHEMA_H

#include "collector/store/db.h"
#include <stdint.h>

#include "err.h"

/* Runs sql (one or more statements); logs SQLite's message on failure. */
pantau_err schema_exec(struct db *db, const char *sql);
/* Creates the tables and upgrades an older database to this release's
 * schema; on PostgreSQL the day partitions around now_ms too. */
pantau_err schema_apply(struct db *db, int64_t now_ms);

/* PostgreSQL: make the day partitions around now_ms that are missing (an
 * hourly call keeps them ahead also without retention); SQLite: nothing. */
pantau_err schema_extend(struct db *db, int64_t now_ms);

#endif
