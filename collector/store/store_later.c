/* Batches many at a time (PostgreSQL: collector/store/pg_batch.h): queued
 * by store_batch_later, sent by store_send without waiting for the answer
 * (one statement in flight, the queue filling meanwhile), or written by
 * store_flush, waiting; each batch's fate told to store_on_batch's
 * function once its answer came. Without a queue (SQLite, [store] pipeline 0)
 * a batch is stored at once and told at once. */
#include "store.h"

#include "log.h"
#include "pg_batch.h"
#include "pg_db.h"
#include "store_impl.h"

void
store_on_batch(struct store *s, store_batch_fn *fn, void *ctx)
{
	s->told = fn;
	s->told_ctx = ctx;
}

static pantau_err receive(struct store *s, bool block);
static pantau_err send_next(struct store *s);

/* A full queue: wait for the answer to the statement in flight only, and
 * send the queue (the server writes it while the next ones queue). */
static pantau_err
make_room(struct store *s)
{
	if (s->flushing)
		return PANTAU_OK;
	pantau_err rc = receive(s, true);
	return rc == PANTAU_OK ? send_next(s) : rc;
}

void
store_batch_later(struct store *s, const char *regency, struct wire_batch *b, int64_t recv_ms)
{
	pantau_err rc = PANTAU_OK;
	if (s->queue == NULL) {
		rc = store_batch(s, regency, b, recv_ms);
	} else {
		if (pg_batches_full(s->queue))
			(void)make_room(s);
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

/* The fate of q's batches after its send or its answer (rc): told, or,
 * when the connection was lost, kept to be sent again once it is back
 * (idempotent on agent, boot, seq: a batch is stored once). */
static pantau_err
settle(struct store *s, struct pg_batches *q, pantau_err rc)
{
	if (rc != PANTAU_OK) {
		/* As store_batch: no batch half stored; what the transaction held
		 * before comes back by replay. */
		int n = s->pending_batches + (int)pg_batches_count(q);
		store_tx_rollback(s);
		if (!db_connected(s->db))
			return rc;
		log_warnx("store: rolled back %d batch(es) after an error: %s", n, db_errmsg(s->db));
	}
	s->flushing = true;
	pg_batches_report(q, rc != PANTAU_OK, batch_done, s);
	s->flushing = false;
	return rc;
}

/* The answer to what was sent, if it came (block: waiting for it). */
static pantau_err
receive(struct store *s, bool block)
{
	bool done = true;
	if (!pg_batches_sent(s->sent))
		return PANTAU_OK;
	pantau_err rc = pg_batches_poll(s->sent, block, &done);
	return done ? settle(s, s->sent, rc) : PANTAU_OK;
}

/* Send what waits unless a send awaits its answer: the batches kept from
 * a lost connection first, else the queue (which then takes new ones). */
static pantau_err
send_next(struct store *s)
{
	if (pg_batches_sent(s->sent))
		return PANTAU_OK;
	if (pg_batches_count(s->sent) == 0) {
		struct pg_batches *q = s->sent;
		s->sent = s->queue;
		s->queue = q;
	} else if (db_connected(s->db)) {
		log_info("store: sending %zu batch(es) again, in flight when the connection was lost",
		    pg_batches_count(s->sent));
	}
	if (pg_batches_count(s->sent) == 0)
		return PANTAU_OK;
	pantau_err rc = store_tx_begin(s);
	if (rc == PANTAU_OK)
		rc = pg_batches_send(s->sent);
	return rc == PANTAU_OK ? rc : settle(s, s->sent, rc);
}

pantau_err
store_send(struct store *s)
{
	if (s->queue == NULL || s->flushing)
		return PANTAU_OK;
	pantau_err rc = receive(s, false);
	return rc == PANTAU_OK ? send_next(s) : rc;
}

bool
store_sending(const struct store *s)
{
	return s->queue != NULL && pg_batches_sent(s->sent);
}

int
store_socket(struct store *s)
{
	return s->queue != NULL ? db_pg_socket(s->db) : -1;
}

pantau_err
store_flush(struct store *s)
{
	pantau_err rc = PANTAU_OK;
	if (s->queue == NULL || s->flushing)
		return PANTAU_OK;
	while (rc == PANTAU_OK && (pg_batches_sent(s->sent) || pg_batches_count(s->sent) > 0 ||
	                              pg_batches_count(s->queue) > 0)) {
		rc = receive(s, true);
		if (rc == PANTAU_OK)
			rc = send_next(s);
	}
	return rc;
}
