/*
 * The store's insides, shared by store.c (a batch at a time, statuses,
 * the catalog, the transaction) and store_later.c (batches queued and
 * written many at a time on PostgreSQL). Nothing else includes this.
 */
#ifndef PANTAU_STORE_IMPL_H
#define PANTAU_STORE_IMPL_H

#include <stdbool.h>

#include "db.h"
#include "store.h"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_BATCH,
	ST_RESULT,
	ST_SITE_SEEN,
	ST_SITE_BATCH,
	ST_SITE_STATUS,
	ST_PROVINCE,
	ST_REGENCY,
	ST_BOOT,
	ST_COUNT
};

struct store {
	struct db *db;
	struct db_stmt *st[ST_COUNT];
	struct store_opts o;
	struct bootacc *boots;   /* delivery counts of the open transaction */
	bool in_tx;
	int pending;       /* rows written in the open transaction */
	int pending_batches;
	struct pg_batches *queue;   /* PostgreSQL: store_batch_later's, NULL otherwise */
	struct pg_batches *sent;    /* ... and those sent, their answer awaited, or kept
	                             * to be sent again after a reconnection */
	store_batch_fn *told;       /* store_on_batch's */
	void *told_ctx;
	bool flushing;
};

/* Opens the transaction when none is; store_tx_rollback ends it and
 * forgets what it counted. */
pantau_err store_tx_begin(struct store *s);
void store_tx_rollback(struct store *s);

/* The batch counted for its boot (delivery counts, written at commit);
 * store_count_duplicate returns PANTAU_ERR_DUPLICATE when counted. */
pantau_err store_count_boot(struct store *s, const struct wire_batch *b, int64_t recv_ms,
    bool duplicate);
pantau_err store_count_duplicate(struct store *s, const struct wire_batch *b, int64_t recv_ms);

/* The lowest upload rate the status engine judges among b's results, NAN
 * when none. */
double store_batch_upload(const struct wire_batch *b);

#endif
