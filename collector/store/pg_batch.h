/*
 * Batches into PostgreSQL, many per round trip (collector/store/pg_batch.c):
 * batches are queued in memory and the whole queue is written by one
 * statement, inside the store's open transaction: its batches rows, their
 * results and one upsert per site, set-based (one plan, one executor
 * start, one round trip for hundreds of batches). A batch already stored
 * (agent, boot, seq) changes nothing: the trigger of
 * collector/store/pg_parts.h refuses its row, and its results and its
 * site's figures hang on that row.
 */
#ifndef PANTAU_PG_BATCH_H
#define PANTAU_PG_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "wire.h"

struct pg_batches;

/* A queue of at most cap batches on db (a PostgreSQL connection). */
pantau_err pg_batches_new(struct db *db, size_t cap, struct pg_batches **out);
/* Free q and what it holds. Safe with NULL. */
void pg_batches_free(struct pg_batches *q);

/* Queue b received at recv_ms from regency, its upload rate for the site
 * row (NAN: none): b is moved (left empty). PANTAU_ERR_TOO_BIG when full
 * (send it first). */
pantau_err pg_batches_add(struct pg_batches *q, const char *regency, struct wire_batch *b,
    int64_t recv_ms, double upload);
size_t pg_batches_count(const struct pg_batches *q);
bool pg_batches_full(const struct pg_batches *q);

/* Send what is queued as one statement, not waiting for its answer
 * (collector/store/pg_db.h, db_pg_send): PANTAU_OK, or PANTAU_ERR_DB when
 * it could not be sent. Nothing is to be added to q until it is answered. */
pantau_err pg_batches_send(struct pg_batches *q);
/* True from a send until its answer was read by pg_batches_poll. */
bool pg_batches_sent(const struct pg_batches *q);
/* Read the answer to the send, when it came (block: waiting for it):
 * *done false while it did not; then PANTAU_OK, or PANTAU_ERR_DB when the
 * statement failed (the transaction is to be rolled back). Nothing sent:
 * PANTAU_OK and *done. */
pantau_err pg_batches_poll(struct pg_batches *q, bool block, bool *done);

/* Told of each queued batch, in order, after its answer: rows 1 when stored,
 * 0 when it was a duplicate, -1 when not stored. */
typedef void pg_batch_done(void *ctx, const char *regency, const struct wire_batch *b,
    int64_t recv_ms, int rows);
/* Tell done of each batch (every one -1 when failed) and empty the queue. */
void pg_batches_report(struct pg_batches *q, bool failed, pg_batch_done *done, void *ctx);

#endif
