#include "outbox.h"

#include <stdlib.h>
#include <string.h>

struct outbox {
	struct outbox_item *items;  /* ring of cap items */
	size_t cap, head, count;
	size_t inflight;
	uint64_t dropped;
};

struct outbox *
outbox_new(size_t max_batches)
{
	struct outbox *ob = calloc(1, sizeof(*ob));
	if (ob == NULL || max_batches == 0)
		goto fail;
	ob->items = calloc(max_batches, sizeof(*ob->items));
	if (ob->items == NULL)
		goto fail;
	ob->cap = max_batches;
	return ob;
fail:
	free(ob);
	return NULL;
}

static struct outbox_item *
at(struct outbox *ob, size_t i)
{
	return &ob->items[(ob->head + i) % ob->cap];
}

void
outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	for (size_t i = 0; i < ob->count; i++)
		free(at(ob, i)->payload);
	free(ob->items);
	free(ob);
}

/* Remove the item at logical index i, keeping order. */
static void
remove_at(struct outbox *ob, size_t i)
{
	struct outbox_item *it = at(ob, i);
	if (it->inflight)
		ob->inflight--;
	free(it->payload);
	if (i == 0) { /* the usual case: acknowledged in order */
		memset(it, 0, sizeof(*it));
		ob->head = (ob->head + 1) % ob->cap;
		ob->count--;
		return;
	}
	for (size_t j = i; j + 1 < ob->count; j++)
		*at(ob, j) = *at(ob, j + 1);
	ob->count--;
	memset(at(ob, ob->count), 0, sizeof(struct outbox_item));
}

/* Make room: drop the oldest batch that is not in flight. */
static bool
drop_oldest(struct outbox *ob)
{
	for (size_t i = 0; i < ob->count; i++) {
		if (!at(ob, i)->inflight) {
			remove_at(ob, i);
			ob->dropped++;
			return true;
		}
	}
	return false;
}

pantau_err
outbox_push(struct outbox *ob, int64_t seq, char *payload, size_t len)
{
	if (ob->count == ob->cap && !drop_oldest(ob)) {
		free(payload);
		ob->dropped++;
		return PANTAU_ERR_TOO_BIG;
	}
	struct outbox_item *it = at(ob, ob->count++);
	*it = (struct outbox_item){ .seq = seq, .payload = payload, .len = len };
	return PANTAU_OK;
}

struct outbox_item *
outbox_next(struct outbox *ob)
{
	for (size_t i = 0; i < ob->count; i++)
		if (!at(ob, i)->inflight)
			return at(ob, i);
	return NULL;
}

void
outbox_mark_inflight(struct outbox *ob, struct outbox_item *it, int mid)
{
	if (!it->inflight)
		ob->inflight++;
	it->inflight = true;
	it->mid = mid;
}

bool
outbox_ack(struct outbox *ob, int mid)
{
	for (size_t i = 0; i < ob->count; i++) {
		struct outbox_item *it = at(ob, i);
		if (it->inflight && it->mid == mid) {
			remove_at(ob, i);
			return true;
		}
	}
	return false;
}

void
outbox_requeue(struct outbox *ob)
{
	for (size_t i = 0; i < ob->count; i++)
		at(ob, i)->inflight = false;
	ob->inflight = 0;
}

size_t
outbox_pending(const struct outbox *ob)
{
	return ob->count;
}

size_t
outbox_inflight(const struct outbox *ob)
{
	return ob->inflight;
}

uint64_t
outbox_dropped(const struct outbox *ob)
{
	return ob->dropped;
}
