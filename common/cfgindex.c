#include "cfgindex.h"

#include <stdlib.h>

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL
#define CFGINDEX_MIN_CAP 64

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t
cfgindex_hash(const char *a, const char *b)
{
	uint64_t h = fnv(FNV_OFFSET, a);
	if (b != NULL) {
		h *= FNV_PRIME;       /* the 0 byte between a and b */
		h = fnv(h, b);
	}
	return h;
}

static void
place(struct cfgindex_slot *slots, size_t cap, uint64_t hash, size_t pos1)
{
	size_t i = (size_t)hash & (cap - 1);
	while (slots[i].pos1 != 0)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].pos1 = pos1;
}

/* Keep the table at most half full. */
static pantau_err
grow(struct cfgindex *x)
{
	if ((x->n + 1) * 2 <= x->cap)
		return PANTAU_OK;
	size_t cap = x->cap != 0 ? x->cap * 2 : CFGINDEX_MIN_CAP;
	struct cfgindex_slot *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return PANTAU_ERR_NOMEM;
	for (size_t i = 0; i < x->cap; i++)
		if (x->slots[i].pos1 != 0)
			place(slots, cap, x->slots[i].hash, x->slots[i].pos1);
	free(x->slots);
	x->slots = slots;
	x->cap = cap;
	return PANTAU_OK;
}

pantau_err
cfgindex_add(struct cfgindex *x, uint64_t hash, size_t pos)
{
	pantau_err rc = grow(x);
	if (rc != PANTAU_OK)
		return rc;
	place(x->slots, x->cap, hash, pos + 1);
	x->n++;
	return PANTAU_OK;
}

size_t
cfgindex_find(const struct cfgindex *x, uint64_t hash, cfgindex_match_fn match,
    const void *ctx, const char *a, const char *b)
{
	if (x->cap == 0)
		return CFGINDEX_NONE;
	for (size_t i = (size_t)hash & (x->cap - 1); x->slots[i].pos1 != 0;
	    i = (i + 1) & (x->cap - 1)) {
		const struct cfgindex_slot *s = &x->slots[i];
		if (s->hash == hash && match(ctx, s->pos1 - 1, a, b))
			return s->pos1 - 1;
	}
	return CFGINDEX_NONE;
}

void
cfgindex_free(struct cfgindex *x)
{
	free(x->slots);
	x->slots = NULL;
	x->cap = x->n = 0;
}
