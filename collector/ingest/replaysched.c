#include "replaysched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

#define RS_BUCKETS_MIN 256

struct rs_gap {
	int64_t boot, from, to;
	int asks;
	int64_t next_ms;          /* due from */
	int64_t since_ms;         /* last asked; found (ready) when never asked */
};

struct rs_boot {
	int64_t boot, scanned;
};

struct rs_agent {
	char id[WIRE_AGENT_MAX + 1];
	struct rs_agent *hnext;           /* hash chain */
	struct rs_agent *prev, *next;     /* ring of agents with gaps; NULL: not in it */
	struct rs_gap *gaps;
	size_t ngaps, capgaps;
	struct rs_boot *boots;
	size_t nboots, capboots;
};

struct replaysched {
	struct replaysched_opts o;
	struct rs_agent **buckets;
	size_t nbuckets, nagents;
	struct rs_agent *cursor;          /* next agent's turn; NULL: ring empty */
	double tokens;
	int64_t tokens_ms;                /* when tokens was last refilled; -1 never */
	int64_t earliest_ms;              /* no gap is due before this */
	struct replaysched_stats stats;
};

static uint64_t
hash_id(const char *id)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

struct replaysched *
replaysched_new(const struct replaysched_opts *o)
{
	struct replaysched *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->nbuckets = RS_BUCKETS_MIN;
	if ((s->buckets = calloc(s->nbuckets, sizeof(*s->buckets))) == NULL) {
		free(s);
		return NULL;
	}
	s->tokens_ms = -1;
	s->earliest_ms = INT64_MIN;
	replaysched_set_opts(s, o);
	return s;
}

void
replaysched_free(struct replaysched *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct rs_agent *a = s->buckets[i], *n;
		for (; a != NULL; a = n) {
			n = a->hnext;
			free(a->gaps);
			free(a->boots);
			free(a);
		}
	}
	free(s->buckets);
	free(s);
}

static double
burst(const struct replaysched *s)
{
	return s->o.rate > 1.0 ? s->o.rate : 1.0;
}

void
replaysched_set_opts(struct replaysched *s, const struct replaysched_opts *o)
{
	s->o = *o;
	if (s->o.max_asks < 1)
		s->o.max_asks = 1;
	if (s->o.backoff_max_ms < s->o.backoff_ms)
		s->o.backoff_max_ms = s->o.backoff_ms;
	if (s->tokens_ms < 0 || s->tokens > burst(s))
		s->tokens = burst(s);
}

void
replaysched_rescan(struct replaysched *s)
{
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct rs_agent *a = s->buckets[i]; a != NULL; a = a->hnext)
			a->nboots = 0;
}

const struct replaysched_stats *
replaysched_stats(const struct replaysched *s)
{
	return &s->stats;
}

static struct rs_agent *
find_agent(const struct replaysched *s, const char *id)
{
	struct rs_agent *a = s->buckets[hash_id(id) & (s->nbuckets - 1)];
	while (a != NULL && strcmp(a->id, id) != 0)
		a = a->hnext;
	return a;
}

static void
grow_buckets(struct replaysched *s)
{
	size_t n = s->nbuckets * 2;
	struct rs_agent **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct rs_agent *a = s->buckets[i], *next;
		for (; a != NULL; a = next) {
			next = a->hnext;
			size_t k = hash_id(a->id) & (n - 1);
			a->hnext = b[k];
			b[k] = a;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
}

static struct rs_agent *
get_agent(struct replaysched *s, const char *id)
{
	struct rs_agent *a = find_agent(s, id);
	if (a != NULL)
		return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	snprintf(a->id, sizeof(a->id), "%s", id);
	if (s->nagents >= s->nbuckets)
		grow_buckets(s);
	size_t k = hash_id(id) & (s->nbuckets - 1);
	a->hnext = s->buckets[k];
	s->buckets[k] = a;
	s->nagents++;
	return a;
}

/* Into the ring, just before the cursor: last in the current round. */
static void
ring_join(struct replaysched *s, struct rs_agent *a)
{
	if (a->next != NULL)
		return;
	if (s->cursor == NULL) {
		a->prev = a->next = a;
		s->cursor = a;
	} else {
		a->next = s->cursor;
		a->prev = s->cursor->prev;
		a->prev->next = a;
		s->cursor->prev = a;
	}
	s->stats.agents++;
}

static void
ring_leave(struct replaysched *s, struct rs_agent *a)
{
	if (a->next == NULL)
		return;
	if (a->next == a) {
		s->cursor = NULL;
	} else {
		a->prev->next = a->next;
		a->next->prev = a->prev;
		if (s->cursor == a)
			s->cursor = a->next;
	}
	a->prev = a->next = NULL;
	s->stats.agents--;
}

/* Room for one more of *n elements of size bytes in *v (capacity *cap). */
static bool
room(void **v, size_t *cap, size_t n, size_t size)
{
	void *p = grow_to(*v, cap, n + 1, size, 2);
	if (p != NULL)
		*v = p;
	return p != NULL;
}

static bool
push_gap(struct rs_agent *a, const struct rs_gap *g)
{
	if (!room((void **)&a->gaps, &a->capgaps, a->ngaps, sizeof(*a->gaps)))
		return false;
	a->gaps[a->ngaps++] = *g;
	return true;
}

static void
drop_gap(struct replaysched *s, struct rs_agent *a, size_t i)
{
	s->stats.gaps--;
	s->stats.seqs -= a->gaps[i].to - a->gaps[i].from + 1;
	a->gaps[i] = a->gaps[--a->ngaps];
	if (a->ngaps == 0)
		ring_leave(s, a);
}

static bool
tracked(const struct rs_agent *a, int64_t boot, int64_t from, int64_t to)
{
	for (size_t i = 0; i < a->ngaps; i++)
		if (a->gaps[i].boot == boot && a->gaps[i].from <= to && a->gaps[i].to >= from)
			return true;
	return false;
}

bool
replaysched_add(struct replaysched *s, const char *agent, int64_t boot, int64_t from,
    int64_t to, int64_t ready_ms)
{
	struct rs_agent *a = get_agent(s, agent);
	struct rs_gap g = { boot, from, to, 0, ready_ms, ready_ms };
	if (a == NULL)
		return false;
	if (from > to || to - from >= WIRE_REPLAY_MAX || tracked(a, boot, from, to))
		return true;
	if (!push_gap(a, &g))
		return false;
	s->stats.gaps++;
	s->stats.seqs += to - from + 1;
	ring_join(s, a);
	if (ready_ms < s->earliest_ms)
		s->earliest_ms = ready_ms;
	return true;
}

static int64_t
backoff(const struct replaysched *s, int asks)
{
	int64_t w = s->o.backoff_ms;
	for (int k = 1; k < asks && w < s->o.backoff_max_ms; k++)
		w *= 2;
	return w < s->o.backoff_max_ms ? w : s->o.backoff_max_ms;
}

static void
refill(struct replaysched *s, int64_t now_ms)
{
	if (s->tokens_ms >= 0 && now_ms > s->tokens_ms) {
		s->tokens += s->o.rate * (double)(now_ms - s->tokens_ms) / 1000.0;
		if (s->tokens > burst(s))
			s->tokens = burst(s);
	}
	if (s->tokens_ms < 0 || now_ms > s->tokens_ms)
		s->tokens_ms = now_ms;
}

/* The agent's due gap asked (or found) longest ago; -1 when none is due.
 * *earliest is lowered to the due time of every gap not yet due. */
static ptrdiff_t
pick(const struct rs_agent *a, int64_t now_ms, int64_t *earliest)
{
	ptrdiff_t best = -1;
	for (size_t i = 0; i < a->ngaps; i++) {
		const struct rs_gap *g = &a->gaps[i];
		if (g->next_ms > now_ms) {
			if (g->next_ms < *earliest)
				*earliest = g->next_ms;
			continue;
		}
		if (best < 0 || g->since_ms < a->gaps[best].since_ms ||
		    (g->since_ms == a->gaps[best].since_ms && (g->boot < a->gaps[best].boot ||
		    (g->boot == a->gaps[best].boot && g->from < a->gaps[best].from))))
			best = (ptrdiff_t)i;
	}
	return best;
}

static void
fill_out(const struct rs_agent *a, const struct rs_gap *g, struct replay_gap *out)
{
	snprintf(out->agent, sizeof(out->agent), "%s", a->id);
	out->boot = g->boot;
	out->from_seq = g->from;
	out->to_seq = g->to;
	out->asks = g->asks;
}

enum replaysched_do
replaysched_next(struct replaysched *s, int64_t now_ms, struct replay_gap *out)
{
	int64_t earliest = INT64_MAX;
	refill(s, now_ms);
	if (s->cursor == NULL || now_ms < s->earliest_ms || s->tokens < 1.0)
		return RS_NONE;
	struct rs_agent *a = s->cursor;
	for (size_t k = 0; k < s->stats.agents; k++, a = a->next) {
		ptrdiff_t i = pick(a, now_ms, &earliest);
		if (i < 0)
			continue;
		struct rs_gap *g = &a->gaps[i];
		s->cursor = a->next;
		s->earliest_ms = INT64_MIN;
		fill_out(a, g, out);
		if (g->asks >= s->o.max_asks) {
			s->stats.given_up++;
			s->stats.given_up_seqs += g->to - g->from + 1;
			drop_gap(s, a, (size_t)i);
			return RS_LOST;
		}
		s->tokens -= 1.0;
		s->stats.asked++;
		out->asks = ++g->asks;
		g->since_ms = now_ms;
		g->next_ms = now_ms + backoff(s, g->asks);
		return RS_ASK;
	}
	s->earliest_ms = earliest;
	return RS_NONE;
}

int64_t
replaysched_forget(struct replaysched *s, const char *agent, int64_t boot, int64_t from,
    int64_t to, void (*fn)(void *ctx, const struct replay_gap *piece), void *ctx)
{
	struct rs_agent *a = find_agent(s, agent);
	int64_t removed = 0;
	if (a == NULL)
		return 0;
	for (size_t i = 0; i < a->ngaps;) {
		struct rs_gap g = a->gaps[i];
		if (g.boot != boot || g.from > to || g.to < from) {
			i++;
			continue;
		}
		struct rs_gap piece = g;
		piece.from = g.from > from ? g.from : from;
		piece.to = g.to < to ? g.to : to;
		if (fn != NULL) {
			struct replay_gap out;
			fill_out(a, &piece, &out);
			fn(ctx, &out);
		}
		removed += piece.to - piece.from + 1;
		struct rs_gap left = g, right = g;
		left.to = piece.from - 1;
		right.from = piece.to + 1;
		bool keep_left = left.from <= left.to, keep_right = right.from <= right.to;
		if (keep_left || keep_right) {
			a->gaps[i++] = keep_left ? left : right;
			s->stats.seqs -= piece.to - piece.from + 1;
			/* Both sides left: the right one is a gap of its own. */
			if (keep_left && keep_right && push_gap(a, &right))
				s->stats.gaps++;
			else if (keep_left && keep_right)
				s->stats.seqs -= right.to - right.from + 1; /* no memory: drop it */
		} else {
			drop_gap(s, a, i);
		}
	}
	return removed;
}

int64_t
replaysched_scanned(const struct replaysched *s, const char *agent, int64_t boot)
{
	const struct rs_agent *a = find_agent(s, agent);
	for (size_t i = 0; a != NULL && i < a->nboots; i++)
		if (a->boots[i].boot == boot)
			return a->boots[i].scanned;
	return 0;
}

bool
replaysched_set_scanned(struct replaysched *s, const char *agent, int64_t boot, int64_t seq)
{
	struct rs_agent *a = get_agent(s, agent);
	if (a == NULL)
		return false;
	for (size_t i = 0; i < a->nboots; i++)
		if (a->boots[i].boot == boot) {
			a->boots[i].scanned = seq;
			return true;
		}
	if (!room((void **)&a->boots, &a->capboots, a->nboots, sizeof(*a->boots)))
		return false;
	a->boots[a->nboots++] = (struct rs_boot){ boot, seq };
	return true;
}
