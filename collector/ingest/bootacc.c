#include "bootacc.h"

#include <stdlib.h>
#include <string.h>

struct bootacc {
	struct bootacc_entry slot[BOOTACC_CAP];
	size_t n;
};

struct bootacc *
bootacc_new(void)
{
	return calloc(1, sizeof(struct bootacc));
}

void
bootacc_free(struct bootacc *a)
{
	free(a);
}

/* FNV-1a over the agent id and the boot. */
static size_t
hash(const char *agent, int64_t boot)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)agent; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint64_t)((boot >> (8 * i)) & 0xff)) * 1099511628211ULL;
	return (size_t)(h % BOOTACC_CAP);
}

/* The slot of (agent, boot), or the empty slot where it goes. */
static struct bootacc_entry *
find(struct bootacc *a, const char *agent, int64_t boot)
{
	size_t i = hash(agent, boot);
	while (a->slot[i].used &&
	    (a->slot[i].boot != boot || strcmp(a->slot[i].agent, agent) != 0))
		i = (i + 1) % BOOTACC_CAP;
	return &a->slot[i];
}

/* The entry of (agent, boot), taken when new; NULL when full. */
static struct bootacc_entry *
take(struct bootacc *a, const char *agent, int64_t boot)
{
	struct bootacc_entry *e = find(a, agent, boot);
	if (!e->used) {
		if (a->n >= BOOTACC_CAP / 4 * 3 || strlen(agent) > WIRE_AGENT_MAX)
			return NULL;
		memset(e, 0, sizeof(*e));
		memcpy(e->agent, agent, strlen(agent) + 1);
		e->boot = boot;
		e->used = true;
		a->n++;
	}
	return e;
}

bool
bootacc_clock(struct bootacc *a, const char *agent, int64_t boot, int64_t offset_ms,
    int64_t mono_ms)
{
	struct bootacc_entry *e = take(a, agent, boot);
	if (e == NULL)
		return false;
	e->clock_known = true;
	e->clock_offset_ms = offset_ms;
	e->clock_mono_ms = mono_ms;
	return true;
}

bool
bootacc_add(struct bootacc *a, const char *agent, int64_t boot, int64_t seq, int64_t dropped,
    int64_t recv_ms, bool duplicate)
{
	struct bootacc_entry *e = take(a, agent, boot);
	if (e == NULL)
		return false;
	if (seq > e->max_seq)
		e->max_seq = seq;
	if (dropped > e->dropped)
		e->dropped = dropped;
	if (recv_ms > e->last_recv_ms)
		e->last_recv_ms = recv_ms;
	if (duplicate)
		e->duplicates++;
	else
		e->stored++;
	return true;
}

size_t
bootacc_size(const struct bootacc *a)
{
	return a->n;
}

void
bootacc_each(const struct bootacc *a, void (*fn)(void *ctx, const struct bootacc_entry *e),
    void *ctx)
{
	for (size_t i = 0; i < BOOTACC_CAP; i++)
		if (a->slot[i].used)
			fn(ctx, &a->slot[i]);
}

void
bootacc_clear(struct bootacc *a)
{
	if (a->n == 0)
		return;
	memset(a->slot, 0, sizeof(a->slot));
	a->n = 0;
}
