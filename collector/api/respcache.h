/* A short-lived cache of the API's costly replies (docs/api.md "Caching").
 *
 * The national routes (/api/v1/regions, /api/v1/sites) read every site and
 * take 0.1-0.2 s at 15,000 sites, on the collector's only loop. Every
 * dashboard polls them every 5 s, so without a cache the loop time they
 * take grows with the number of viewers. With it, each reply is built at
 * most once per max age, whoever asks: the cost is bounded by the age, not
 * by the viewers. A reply is at most max_age_ms old. */
#ifndef PANTAU_RESPCACHE_H
#define PANTAU_RESPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Replies kept: the national list, each province's list and the sites. */
#define RESPCACHE_SLOTS 48
/* Longest key in bytes, e.g. "regions?province=32". */
#define RESPCACHE_KEY_MAX 40

struct respcache;

/* max_age_ms <= 0: a cache that keeps nothing (every get misses). */
struct respcache *respcache_new(int max_age_ms);
void respcache_free(struct respcache *c);

/* The text stored under key no longer ago than max age, with its length
 * and age in ms; NULL when there is none. gz: its gzip form instead (NULL
 * when none was added). The text is the cache's: copy it before the next
 * put. */
const char *respcache_get(const struct respcache *c, const char *key, int64_t now_ms,
    bool gz, size_t *len, int64_t *age_ms);

/* Keep a copy of text under key, built at now_ms; the oldest entry makes
 * room when all slots are taken. Keys longer than RESPCACHE_KEY_MAX are not
 * kept. PANTAU_ERR_NOMEM when the copy fails (nothing else changes). */
pantau_err respcache_put(struct respcache *c, const char *key, int64_t now_ms,
    const char *text, size_t len);

/* Add the gzip form of key's text, built from the text respcache_get gave
 * (gz is taken over, malloc'd); freed at once when key is no longer there. */
void respcache_put_gz(struct respcache *c, const char *key, char *gz, size_t len);

#endif
