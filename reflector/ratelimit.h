/*
 * Per-source token buckets for the STAMP reflector: each source address
 * may send rate packets per second on average, bursts of up to burst.
 * A fixed table (slots entries, open addressing); when the probed slots
 * are all taken, the least recently used one is reused, so a flood of
 * spoofed sources costs a bounded amount of memory and never lets one
 * source past its rate for longer than one burst. Time is injected
 * (CLOCK_MONOTONIC nanoseconds) so tests need no sleep.
 */
#ifndef PANTAU_RATELIMIT_H
#define PANTAU_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

struct ratelimit;

/* rate > 0 packets per second per source, burst >= 1, slots >= 1.
 * PANTAU_ERR_INVAL or PANTAU_ERR_NOMEM; *out NULL then. */
pantau_err ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out);
void ratelimit_free(struct ratelimit *r);   /* NULL is a no-op */

/* New rate and burst (a reload); the table and its sources stay, a bucket
 * fuller than the new burst is cut to it at its next packet. */
pantau_err ratelimit_set(struct ratelimit *r, double rate, double burst);

/* The table's size (slots given to ratelimit_new). */
size_t ratelimit_slots(const struct ratelimit *r);

/* True when a packet from src (AF_INET or AF_INET6; the port is ignored)
 * at now_ns is within its source's rate; the packet then uses a token. */
bool ratelimit_allow(struct ratelimit *r, const struct sockaddr *src, int64_t now_ns);

#endif
