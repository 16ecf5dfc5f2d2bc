/*
 * The agent's outbox: encoded batches waiting for the broker's PUBACK, in
 * order. Publishing happens only while connected, with at most `window`
 * batches in flight; a batch leaves the outbox on its PUBACK; when the
 * connection drops, batches in flight are sent again after reconnecting
 * (the collector stores each (agent, boot, seq) once).
 *
 * This outbox is bounded (max batches) and lives in memory: when full, the
 * oldest batch not in flight is dropped and counted; the count travels in
 * every batch as outbox.dropped. A durable on-disk outbox replaces this
 * memory store later behind the same interface (docs/outbox.md).
 */
#ifndef PANTAU_OUTBOX_H
#define PANTAU_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct outbox_item {
	int64_t seq;
	char *payload;    /* owned */
	size_t len;
	int mid;          /* MQTT message id while in flight */
	bool inflight;
};

struct outbox;

struct outbox *outbox_new(size_t max_batches);
void outbox_free(struct outbox *ob);

/* Append a batch; takes ownership of payload (also on error). */
pantau_err outbox_push(struct outbox *ob, int64_t seq, char *payload, size_t len);

/* Oldest batch not in flight, or NULL. */
struct outbox_item *outbox_next(struct outbox *ob);
void outbox_mark_inflight(struct outbox *ob, struct outbox_item *it, int mid);

/* PUBACK for mid: the batch leaves. False when no batch has that mid. */
bool outbox_ack(struct outbox *ob, int mid);

/* Connection lost: every batch in flight waits to be sent again. */
void outbox_requeue(struct outbox *ob);

size_t outbox_pending(const struct outbox *ob);   /* batches held, in flight or not */
size_t outbox_inflight(const struct outbox *ob);
uint64_t outbox_dropped(const struct outbox *ob); /* dropped since start */

#endif
