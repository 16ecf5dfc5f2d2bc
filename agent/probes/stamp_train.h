/*
 * The bookkeeping of one STAMP packet train, apart from sockets and the
 * loop so that it can be tested with made-up timestamps: what was sent
 * (T1), what came back (T2, T3 from the reflector, T4 here), which
 * replies were late, duplicated or reordered, and the result object.
 *
 * Times are nanoseconds on the realtime clock (the agent's T1 and T4,
 * the reflector's T2 and T3), as STAMP carries them.
 *   RTT      = (T4 - T1) - (T3 - T2)    (the reflector's time removed)
 *   forward  = T2 - T1,  backward = T4 - T3   (one-way; only meaningful
 *              when both clocks say they are synchronised)
 * A reply counts when T4 - T1 <= timeout; later it is late (lost, never
 * credited). RFC 2681/7680 loss, RFC 3393 IPDV, RFC 5481 PDV through
 * common/stats.c; reordering as RFC 4737 (a reply whose sequence number
 * is below the highest already received).
 */
#ifndef PANTAU_PROBES_STAMP_TRAIN_H
#define PANTAU_PROBES_STAMP_TRAIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "stamp.h"

struct stamp_train;

enum stamp_reply {
	STAMP_REPLY_OK,
	STAMP_REPLY_LATE,
	STAMP_REPLY_DUP,
	STAMP_REPLY_STRAY,   /* not one of ours: unknown seq or timestamp */
};

/* count >= 1 packets, timeout_ms > 0; local: this host's clock state at
 * the start of the train. NULL when out of memory. */
struct stamp_train *stamp_train_new(int count, int timeout_ms,
    const struct stamp_errest *local);
void stamp_train_free(struct stamp_train *t);   /* NULL is a no-op */

/* Packet seq went out at t1_ns carrying ntp_ts (or failed to). */
void stamp_train_sent(struct stamp_train *t, int seq, int64_t t1_ns, uint64_t ntp_ts);
void stamp_train_send_failed(struct stamp_train *t, int seq, int err);

/* The reflector's host said its port is closed (ICMP port unreachable). */
void stamp_train_refused(struct stamp_train *t);

/* A reflected packet arrived at t4_ns. */
enum stamp_reply stamp_train_reply(struct stamp_train *t, const struct stamp_reflector_pkt *p,
    int64_t t4_ns);

/* Packets sent and not yet answered (or late). */
int stamp_train_pending(const struct stamp_train *t);

/* The result object (docs/protocol.md, kind "stamp"); addr and port are
 * what was measured. NULL when out of memory. */
json_t *stamp_train_result(const struct stamp_train *t, const char *target, const char *addr,
    int port);

#endif
