/*
 * Token buckets per key: each key may use rate tokens per second on
 * average, bursts of up to burst. The key is a short byte string: a source
 * address for the STAMP reflector, a client's user name for the broker's
 * publish limit (broker/publimit). A fixed table (slots entries, open
 * addressing); when the probed slots are all taken, the least recently
 * used one is reused, so a flood of new keys costs a bounded amount of
 * memory and never lets one key past its rate for longer than one burst.
 * Time is injected (CLOCK_MONOTONIC nanoseconds) so tests need no sleep.
 */
#ifndef PANTAU_RATELIMIT_H
#define PANTAU_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

struct ratelimit;

/* The longest key a table takes. */
#define RATELIMIT_KEY_MAX 255

/* rate > 0 tokens per second per key, burst >= 1, slots >= 1, keys of
 * 1..key_max (<= RATELIMIT_KEY_MAX) bytes. PANTAU_ERR_INVAL or
 * PANTAU_ERR_NOMEM; *out NULL then. */
pantau_err ratelimit_new_keyed(double rate, double burst, size_t slots, size_t key_max,
                               struct ratelimit **out);
/* The same for source addresses (ratelimit_allow). */
pantau_err ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out);
void ratelimit_free(struct ratelimit *r);   /* NULL is a no-op */

/* New rate and burst (a reload); the table and its keys stay, a bucket
 * fuller than the new burst is cut to it at its next use. */
pantau_err ratelimit_set(struct ratelimit *r, double rate, double burst);

/* The table's size (slots given to ratelimit_new). */
size_t ratelimit_slots(const struct ratelimit *r);

/* True when one more token for key (len bytes) at now_ns is within its
 * rate; the token is then used. A key of 0 or more than key_max bytes is
 * refused (false). */
bool ratelimit_allow_key(struct ratelimit *r, const void *key, size_t len, int64_t now_ns);

/* ratelimit_allow_key for the source address src (AF_INET or AF_INET6; the
 * port is ignored); another family is refused. */
bool ratelimit_allow(struct ratelimit *r, const struct sockaddr *src, int64_t now_ns);

#endif
