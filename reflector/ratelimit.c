#include "ratelimit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Slots probed from a source's hash before the oldest is reused. */
#define PROBES 8

struct bucket {
	uint8_t key[17];     /* family tag + 16 address octets; all zero = free */
	double tokens;
	int64_t last_ns;
};

struct ratelimit {
	double rate, burst;
	size_t slots;
	struct bucket *b;
};

pantau_err
ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out)
{
	*out = NULL;
	if (!(rate > 0) || !(burst >= 1) || slots == 0)
		return PANTAU_ERR_INVAL;
	struct ratelimit *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return PANTAU_ERR_NOMEM;
	r->b = calloc(slots, sizeof(*r->b));
	if (r->b == NULL) {
		free(r);
		return PANTAU_ERR_NOMEM;
	}
	r->rate = rate;
	r->burst = burst;
	r->slots = slots;
	*out = r;
	return PANTAU_OK;
}

pantau_err
ratelimit_set(struct ratelimit *r, double rate, double burst)
{
	if (!(rate > 0) || !(burst >= 1))
		return PANTAU_ERR_INVAL;
	r->rate = rate;
	r->burst = burst;
	return PANTAU_OK;
}

size_t
ratelimit_slots(const struct ratelimit *r)
{
	return r->slots;
}

void
ratelimit_free(struct ratelimit *r)
{
	if (r == NULL)
		return;
	free(r->b);
	free(r);
}

static bool
make_key(const struct sockaddr *src, uint8_t key[17])
{
	memset(key, 0, 17);
	if (src->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)src)->sin_addr, 4);
		return true;
	}
	if (src->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)src)->sin6_addr, 16);
		return true;
	}
	return false;
}

/* FNV-1a over the key. */
static size_t
hash_key(const uint8_t key[17])
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The bucket of key: its own, a free one, or the least recently used of
 * the probed slots (then reset to a full bucket). */
static struct bucket *
find_bucket(struct ratelimit *r, const uint8_t key[17], int64_t now_ns)
{
	size_t h = hash_key(key);
	struct bucket *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < PROBES && i < r->slots; i++) {
		struct bucket *b = &r->b[(h + i) % r->slots];
		if (memcmp(b->key, key, 17) == 0)
			return b;
		if (b->key[0] == 0 && free_slot == NULL)
			free_slot = b;
		else if (b->key[0] != 0 && (oldest == NULL || b->last_ns < oldest->last_ns))
			oldest = b;
	}
	if (free_slot != NULL)
		oldest = free_slot;
	memcpy(oldest->key, key, 17);
	oldest->tokens = r->burst;
	oldest->last_ns = now_ns;
	return oldest;
}

bool
ratelimit_allow(struct ratelimit *r, const struct sockaddr *src, int64_t now_ns)
{
	uint8_t key[17];
	if (!make_key(src, key))
		return false;
	struct bucket *b = find_bucket(r, key, now_ns);
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * r->rate / 1e9;
		if (b->tokens > r->burst)
			b->tokens = r->burst;
		b->last_ns = now_ns;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
