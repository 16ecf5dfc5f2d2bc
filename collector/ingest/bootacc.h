/*
 * Delivery counts per (agent, boot) gathered during one store transaction
 * and written to the boots table once per boot at commit (collector/store/store.c),
 * instead of one upsert per batch: an agent that sends several batches in
 * a transaction (a backfill, the load generator) costs one row write.
 * Fixed capacity; the store flushes early when it is full.
 */
#ifndef PANTAU_BOOTACC_H
#define PANTAU_BOOTACC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define BOOTACC_CAP 4096        /* slots; full at 3/4 */

struct bootacc_entry {
	char agent[WIRE_AGENT_MAX + 1];
	int64_t boot;
	int64_t max_seq;
	int64_t stored;             /* batches stored in this transaction */
	int64_t dropped;            /* highest outbox.dropped seen (0 when absent) */
	int64_t duplicates;         /* redeliveries not stored */
	int64_t last_recv_ms;
	bool clock_known;           /* the boot's clock estimate (collector/ingest/clockest.h) */
	int64_t clock_offset_ms, clock_mono_ms;
	bool used;
};

struct bootacc;

struct bootacc *bootacc_new(void);
void bootacc_free(struct bootacc *a);

/* Count a batch (stored, or a duplicate). False when full: flush first. */
bool bootacc_add(struct bootacc *a, const char *agent, int64_t boot, int64_t seq,
    int64_t dropped, int64_t recv_ms, bool duplicate);

/* Keep the boot's latest clock estimate. False when full: flush first. */
bool bootacc_clock(struct bootacc *a, const char *agent, int64_t boot, int64_t offset_ms,
    int64_t mono_ms);

/* Entries in use, in no particular order: call fn for each. */
size_t bootacc_size(const struct bootacc *a);
void bootacc_each(const struct bootacc *a, void (*fn)(void *ctx,
    const struct bootacc_entry *e), void *ctx);
void bootacc_clear(struct bootacc *a);

#endif
