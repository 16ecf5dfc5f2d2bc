#include "ratelimit.h"

#include <netinet/in.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

/* Slots probed from a key's hash before the oldest is reused. */
#define PROBES 8
/* A source address: a family tag and 16 octets. */
#define ADDR_KEY 17

/* A slot: the bucket, then key_max bytes of key; len 0 = free. */
struct bucket {
	double tokens;
	int64_t last_ns;
	uint8_t len;
	uint8_t key[];
};

struct ratelimit {
	double rate, burst;
	size_t slots, key_max, stride;
	unsigned char *b;
};

pantau_err
ratelimit_new_keyed(double rate, double burst, size_t slots, size_t key_max,
                    struct ratelimit **out)
{
	*out = NULL;
	if (!(rate > 0) || !(burst >= 1) || slots == 0 || key_max == 0 ||
	    key_max > RATELIMIT_KEY_MAX)
		return PANTAU_ERR_INVAL;
	size_t align = alignof(struct bucket);
	size_t stride = (sizeof(struct bucket) + key_max + align - 1) / align * align;
	if (slots > SIZE_MAX / stride)
		return PANTAU_ERR_INVAL;
	struct ratelimit *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return PANTAU_ERR_NOMEM;
	r->b = calloc(slots, stride);
	if (r->b == NULL) {
		free(r);
		return PANTAU_ERR_NOMEM;
	}
	r->rate = rate;
	r->burst = burst;
	r->slots = slots;
	r->key_max = key_max;
	r->stride = stride;
	*out = r;
	return PANTAU_OK;
}

pantau_err
ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out)
{
	return ratelimit_new_keyed(rate, burst, slots, ADDR_KEY, out);
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

/* FNV-1a over the key. */
static size_t
hash_key(const uint8_t *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static struct bucket *
slot(struct ratelimit *r, size_t i)
{
	return (struct bucket *)(void *)(r->b + i * r->stride);
}

/* The bucket of key: its own, a free one, or the least recently used of
 * the probed slots (then reset to a full bucket). */
static struct bucket *
find_bucket(struct ratelimit *r, const uint8_t *key, size_t len, int64_t now_ns)
{
	size_t h = hash_key(key, len);
	struct bucket *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < PROBES && i < r->slots; i++) {
		struct bucket *b = slot(r, (h + i) % r->slots);
		if (b->len == len && memcmp(b->key, key, len) == 0)
			return b;
		if (b->len == 0 && free_slot == NULL)
			free_slot = b;
		else if (b->len != 0 && (oldest == NULL || b->last_ns < oldest->last_ns))
			oldest = b;
	}
	if (free_slot != NULL)
		oldest = free_slot;
	memcpy(oldest->key, key, len);
	oldest->len = (uint8_t)len;
	oldest->tokens = r->burst;
	oldest->last_ns = now_ns;
	return oldest;
}

bool
ratelimit_allow_key(struct ratelimit *r, const void *key, size_t len, int64_t now_ns)
{
	if (len == 0 || len > r->key_max)
		return false;
	struct bucket *b = find_bucket(r, key, len, now_ns);
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

static bool
make_key(const struct sockaddr *src, uint8_t key[ADDR_KEY])
{
	memset(key, 0, ADDR_KEY);
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

bool
ratelimit_allow(struct ratelimit *r, const struct sockaddr *src, int64_t now_ns)
{
	uint8_t key[ADDR_KEY];
	if (!make_key(src, key))
		return false;
	return ratelimit_allow_key(r, key, ADDR_KEY, now_ns);
}
