/*
 * The agent's outbox: the durable source of truth for result batches
 * (docs/outbox.md). Each batch is appended to an append-only segment file
 * in dir and fsynced before it may be published; a PUBACK appends an ack
 * record. After a restart the files are read back: batches without an ack
 * are pending again, oldest first.
 *
 * Publishing order: "live" batches (appended since the current connection
 * was made) go first; older ones ("backlog") go oldest first, as fast as
 * the caller's pacing allows. The caller keeps the in-flight window.
 *
 * Bounds: max_bytes over all segments and max_age; when either is passed,
 * whole oldest segments are deleted and the batches in them that were not
 * acknowledged are counted as dropped. Acknowledged batches stay for
 * retention_ms so the collector can ask for them again (outbox_replay).
 *
 * File I/O is synchronous: one append and one fdatasync per batch.
 */
#ifndef PANTAU_OUTBOX_H
#define PANTAU_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Most batches tracked in flight at once. */
#define OUTBOX_MAX_INFLIGHT 32

struct outbox_opts {
	const char *dir;          /* created if missing */
	uint64_t max_bytes;       /* all segments together */
	int64_t max_age_ms;       /* a segment whose newest record is older is deleted */
	int64_t retention_ms;     /* fully acknowledged segments kept this long */
};

/* One batch to publish; a copy, valid until the next outbox call. */
struct outbox_item {
	int64_t boot, seq;
	uint32_t len;
	bool live;
};

struct outbox;

/*
 * Open dir and read back what it holds; a record that does not check out
 * ends its segment (logged, never fatal; the rest of that file is cut off
 * when it is the newest). why says what failed.
 */
pantau_err outbox_open(const struct outbox_opts *o, int64_t now_ms, struct outbox **out,
    char *why, size_t len);
void outbox_free(struct outbox *ob);

/*
 * Append a batch and fsync it (payload is copied to disk, not kept).
 * PANTAU_ERR_IO when it could not be written even after dropping the
 * oldest acknowledged segment (disk full, read-only): the batch is counted
 * as dropped and errno says why.
 */
pantau_err outbox_push(struct outbox *ob, int64_t boot, int64_t seq, const void *payload,
    uint32_t len, int64_t now_ms);

/* Next batch to publish: a live one first, else the oldest backlog one
 * when backlog is true. False when there is none. */
bool outbox_next(struct outbox *ob, bool backlog, struct outbox_item *it);

/* Read the payload of it into buf (it->len bytes, at most SEG_MAX_PAYLOAD). */
pantau_err outbox_read(struct outbox *ob, const struct outbox_item *it, void *buf);

/* it was published with message id mid. */
void outbox_mark_inflight(struct outbox *ob, const struct outbox_item *it, int mid);

/* PUBACK for mid: the batch is acknowledged (ack record written, not
 * fsynced: losing it only means one more send). False when unknown mid. */
bool outbox_ack(struct outbox *ob, int mid, int64_t now_ms);

/* Connection lost: batches in flight are pending again. */
void outbox_requeue(struct outbox *ob);

/* Connected: every batch held now is backlog; those appended from now on
 * are live. */
void outbox_connected(struct outbox *ob);

/* The collector asks for boot's seqs from..to again: those still held are
 * pending again (backlog). Returns how many were found; gone (when not
 * NULL) receives each range of seqs not held, in ascending order. */
size_t outbox_replay(struct outbox *ob, int64_t boot, int64_t from, int64_t to,
    void (*gone)(void *ctx, int64_t from, int64_t to), void *ctx);

/* Delete segments past max_age, and acknowledged ones past retention. */
void outbox_expire(struct outbox *ob, int64_t now_ms);

/* What the outbox holds now, counted. */
struct outbox_stats {
	size_t pending;   /* not acknowledged, in flight or not */
	size_t inflight;
	size_t held;      /* batches on disk, acknowledged or not */
	uint64_t bytes;   /* all segments */
	uint64_t dropped; /* not acknowledged and deleted, since open */
};
struct outbox_stats outbox_stats(const struct outbox *ob);

#endif
