/* An index of a config file's names (common/cfg.c): an open-addressing
 * hash table from the hash of one or two strings to a position in the
 * caller's array. Lookups compare through the caller's match function, so
 * the index stores no strings. It keeps a file of 15,000 [site.*] sections
 * linear to read and apply instead of quadratic. */
#ifndef PANTAU_CFGINDEX_H
#define PANTAU_CFGINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* What cfgindex_find returns when nothing matches. */
#define CFGINDEX_NONE SIZE_MAX

struct cfgindex_slot {
	uint64_t hash;
	size_t pos1;              /* position + 1; 0: empty slot */
};

struct cfgindex {
	struct cfgindex_slot *slots;
	size_t cap;               /* a power of two, or 0 */
	size_t n;
};

/* Whether the item at pos is the one named a (and b, when not NULL). */
typedef bool (*cfgindex_match_fn)(const void *ctx, size_t pos, const char *a,
    const char *b);

/* FNV-1a of a, then of a 0 byte and b when b is not NULL. */
uint64_t cfgindex_hash(const char *a, const char *b);

/* Remember pos under hash (the caller checks it is not there yet). */
pantau_err cfgindex_add(struct cfgindex *x, uint64_t hash, size_t pos);

/* The position named a (and b), or CFGINDEX_NONE. */
size_t cfgindex_find(const struct cfgindex *x, uint64_t hash, cfgindex_match_fn match,
    const void *ctx, const char *a, const char *b);

void cfgindex_free(struct cfgindex *x);

#endif
