/*
 * The PostgreSQL store's day partitions (docs/storage.md, "PostgreSQL"):
 * batches partitioned by range of recv_ms, results by range of batch_id,
 * one partition of each per UTC day, made ahead and dropped whole by
 * retention. A batch's id is its recv_ms * PG_ID_SCALE plus a counter
 * modulo PG_ID_SCALE (a trigger sets it from one sequence), so a batch and
 * its results fall in the same day, ids grow with arrival, and two batches
 * of one millisecond, from any number of collectors on the database, get
 * the same id only a million batches apart; the trigger
 * also makes inserts idempotent on (agent, boot, seq) through batch_keys
 * (ON CONFLICT DO NOTHING), the one key no partitioned table can hold.
 */
#ifndef PANTAU_PG_PARTS_H
#define PANTAU_PG_PARTS_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/store/db.h"
#include "err.h"

/* A batch id's part below its recv_ms: 1,000,000 (up to year 2262 in a
 * BIGINT). It was 1,000, which a partitioned collector's 500-batch
 * statement could wrap within a millisecond beside another's. */
#define PG_ID_SCALE 1000000LL
#define PG_ID_SCALE_SQL "1000000"

/* Days of partitions made ahead of today (and one behind). */
#define PG_PARTS_AHEAD 3

/* Create batches, results, batch_keys and the trigger when missing, with
 * batches_cols and results_cols (the SQLite schema's columns). */
pantau_err pg_parts_schema(struct db *db, const char *batches_cols, const char *results_cols);
/* Make the partitions of the days around now_ms that are missing. */
pantau_err pg_parts_ensure(struct db *db, int64_t now_ms);
/* Drop the oldest day whose every batch was received before cutoff_ms:
 * *dropped (false: none left), *batches and *results its rows. */
pantau_err pg_parts_drop_oldest(struct db *db, int64_t cutoff_ms, bool *dropped,
    int64_t *batches, int64_t *results);
/* Delete up to limit keys of batches received before the oldest kept day:
 * *deleted. */
pantau_err pg_parts_prune_keys(struct db *db, int64_t cutoff_ms, int limit, int64_t *deleted);

#endif
