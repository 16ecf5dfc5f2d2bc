/* Batches many at a time (PostgreSQL: collector/store/pg_batch.h): queued
 * by store_batch_later, written by store_flush, each batch's fate told to
 * store_on_batch's function. Without a queue (SQLite, [store] pipeline 0)
 * a batch is stored at once and told at once. */
#include "store.h"

#include "log.h"
#include "pg_batch.h"
#include "store_impl.h"

void
store_on_batch(struct store *s, store_batch_fn *fn, void *ctx)
{
	s->told = fn;
	s->told_ctx = ctx;
}

void
store_batch_later(struct store *s, const char *regency, struct wire_batch *b, int64_t recv_ms)
{
	pantau_err rc = PANTAU_OK;
	if (s->queue == NULL) {
		rc = store_batch(s, regency, b, recv_ms);
	} else {
		if (pg_batches_full(s->queue))
			(void)store_flush(s);
		rc = store_tx_begin(s);
		if (rc == PANTAU_OK && pg_batches_add(s->queue, regency, b, recv_ms,
		                           store_batch_upload(b)) == PANTAU_OK)
			return;
		if (rc == PANTAU_OK)
			rc = PANTAU_ERR_DB;
	}
	if (s->told != NULL)
		s->told(s->told_ctx, regency, b, recv_ms, rc);
}

/* One batch's fate from the pipeline: counted as store_batch counts it. */
static void
batch_done(void *ctx, const char *regency, const struct wire_batch *b, int64_t recv_ms, int rows)
{
	struct store *s = ctx;
	pantau_err rc = PANTAU_ERR_DB;
	if (rows == 0)
		rc = store_count_duplicate(s, b, recv_ms);
	else if (rows > 0 && (rc = store_count_boot(s, b, recv_ms, false)) == PANTAU_OK) {
		s->pending += 1 + (int)b->nresults;
		s->pending_batches++;
	}
	if (s->told != NULL)
		s->told(s->told_ctx, regency, b, recv_ms, rc);
}

pantau_err
store_flush(struct store *s)
{
	if (s->queue == NULL || s->flushing || pg_batches_count(s->queue) == 0)
		return PANTAU_OK;
	s->flushing = true;
	pantau_err rc = s->in_tx ? pg_batches_sync(s->queue) : PANTAU_ERR_STATE;
	if (rc != PANTAU_OK) {
		/* As store_batch: no batch half stored; they come back by replay. */
		if (db_connected(s->db))
			log_warnx("store: rolling back %d batch(es) after an error: %s",
			    s->pending_batches + (int)pg_batches_count(s->queue), db_errmsg(s->db));
		store_tx_rollback(s);
	}
	pg_batches_report(s->queue, rc != PANTAU_OK, batch_done, s);
	s->flushing = false;
	return rc;
}
