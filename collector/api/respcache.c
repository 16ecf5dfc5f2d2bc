#include "respcache.h"

#include <stdlib.h>
#include <string.h>

struct slot {
	char key[RESPCACHE_KEY_MAX + 1];
	char *text;                 /* NULL: free slot */
	size_t len;
	char *gz;                   /* its gzip form, or NULL */
	size_t gz_len;
	int64_t built_ms;
};

struct respcache {
	int max_age_ms;
	struct slot slots[RESPCACHE_SLOTS];
};

struct respcache *
respcache_new(int max_age_ms)
{
	struct respcache *c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->max_age_ms = max_age_ms;
	return c;
}

void
respcache_free(struct respcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < RESPCACHE_SLOTS; i++) {
		free(c->slots[i].text);
		free(c->slots[i].gz);
	}
	free(c);
}

static struct slot *
find(const struct respcache *c, const char *key)
{
	for (size_t i = 0; i < RESPCACHE_SLOTS; i++)
		if (c->slots[i].text != NULL && strcmp(c->slots[i].key, key) == 0)
			return (struct slot *)&c->slots[i];
	return NULL;
}

const char *
respcache_get(const struct respcache *c, const char *key, int64_t now_ms, bool gz,
    size_t *len, int64_t *age_ms)
{
	const struct slot *s = c->max_age_ms > 0 ? find(c, key) : NULL;
	/* A clock stepped back makes an entry look young: treat it as stale. */
	if (s == NULL || now_ms < s->built_ms || now_ms - s->built_ms >= c->max_age_ms ||
	    (gz && s->gz == NULL))
		return NULL;
	*len = gz ? s->gz_len : s->len;
	*age_ms = now_ms - s->built_ms;
	return gz ? s->gz : s->text;
}

/* The slot for key: its own, else a free one, else the oldest. */
static struct slot *
place(struct respcache *c, const char *key)
{
	struct slot *s = find(c, key), *oldest = &c->slots[0];
	for (size_t i = 0; s == NULL && i < RESPCACHE_SLOTS; i++) {
		if (c->slots[i].text == NULL)
			return &c->slots[i];
		if (c->slots[i].built_ms < oldest->built_ms)
			oldest = &c->slots[i];
	}
	return s != NULL ? s : oldest;
}

pantau_err
respcache_put(struct respcache *c, const char *key, int64_t now_ms, const char *text,
    size_t len)
{
	size_t klen = strlen(key);
	if (c->max_age_ms <= 0 || klen > RESPCACHE_KEY_MAX)
		return PANTAU_OK;
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return PANTAU_ERR_NOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct slot *s = place(c, key);
	free(s->text);
	free(s->gz);
	memcpy(s->key, key, klen + 1);
	s->text = copy;
	s->len = len;
	s->gz = NULL;
	s->built_ms = now_ms;
	return PANTAU_OK;
}

void
respcache_put_gz(struct respcache *c, const char *key, char *gz, size_t len)
{
	struct slot *s = c->max_age_ms > 0 ? find(c, key) : NULL;
	if (s == NULL) {
		free(gz);
		return;
	}
	free(s->gz);
	s->gz = gz;
	s->gz_len = len;
}
