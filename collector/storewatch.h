/*
 * The store's state for the collector (docs/storage.md, "When the database
 * is down"): a PostgreSQL server that goes away is noticed at the next
 * write, logged once, and connected to again with backoff (0.5 s doubling
 * to 30 s), logged once when it is back. While it is down the collector
 * is off the broker, so its persistent session holds what the agents send
 * (and the agents' outboxes what they could not send); /healthz says 503
 * and /metrics pantau_store_up 0. The batches in flight to PostgreSQL
 * (store_send) are read when the connection's socket is readable.
 */
#ifndef PANTAU_STOREWATCH_H
#define PANTAU_STOREWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "collector/store/store.h"

#define STOREWATCH_FIRST_MS 500
#define STOREWATCH_MAX_MS 30000

struct storewatch {
	uv_timer_t timer;
	uv_poll_t *poll;     /* the database's socket while batches are in flight */
	int poll_fd;
	struct store *store;
	bool down;
	int64_t down_since_ms;
	int backoff_ms;
	void (*on_change)(void *ctx, bool up);   /* after each change */
	void *ctx;
};

void storewatch_init(uv_loop_t *loop, struct storewatch *w, struct store *s,
    void (*on_change)(void *ctx, bool up), void *ctx);
/* Notice a lost connection (after a write); cheap, call often. */
void storewatch_check(struct storewatch *w);
/* Send the batches waiting for the store and read the answers that came
 * (store_send), the socket watched while some are in flight; call every
 * loop turn. */
void storewatch_send(struct storewatch *w);
/* Close the timer (on the loop). */
void storewatch_close(struct storewatch *w);

/* Open the store of opts, trying again with backoff while the database
 * server cannot be reached (logged once); gives up only for other errors. */
pantau_err storewatch_open(const struct store_opts *opts, struct store **out);

#endif
