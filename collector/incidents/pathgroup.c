#include "pathgroup.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* A hop a bad site stands behind. */
struct entry {
	char key[PG_HOP_MAX];
	bool prefix;
	int ttl;
	size_t site;
};

/* A hop at least one bad site stands behind: its run of entries. */
struct cand {
	const char *key;
	bool prefix;
	int ttl;
	size_t first, n;             /* entries, one per site */
	size_t nok;
	size_t last_ok;              /* the last OK site counted, + 1 */
};

struct work {
	const struct pg_site *sites;
	size_t nsites;
	const struct pg_rules *r;
	struct entry *e;
	size_t ne, cap;
	struct cand *c;
	size_t nc;
	bool *taken;                 /* sites already in a group */
	size_t npathed;              /* bad or OK sites with a path */
};

bool
pathgroup_bad(enum site_status s)
{
	return s == SITE_DEGRADED || s == SITE_CRITICAL || s == SITE_OFFLINE;
}

bool
pathgroup_prefix(const char *addr, int len, char *buf, size_t size)
{
	struct in_addr a;
	char text[INET_ADDRSTRLEN];
	if (len < 1 || len > 32 || inet_pton(AF_INET, addr, &a) != 1)
		return false;
	uint32_t mask = len == 32 ? UINT32_MAX : ~(UINT32_MAX >> len);
	a.s_addr = htonl(ntohl(a.s_addr) & mask);
	if (inet_ntop(AF_INET, &a, text, sizeof(text)) == NULL)
		return false;
	snprintf(buf, size, "%s/%d", text, len);
	return true;
}

static pantau_err
add(struct work *w, const char *key, bool prefix, int ttl, size_t site)
{
	struct entry *v = grow_to(w->e, &w->cap, w->ne + 1, sizeof(*v), 256);
	if (v == NULL)
		return PANTAU_ERR_NOMEM;
	w->e = v;
	struct entry *e = &w->e[w->ne++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->prefix = prefix;
	e->ttl = ttl;
	e->site = site;
	return PANTAU_OK;
}

/* Every hop of site i: its address and, with prefix_len, its prefix. */
static pantau_err
add_site(struct work *w, size_t i)
{
	const struct pg_site *s = &w->sites[i];
	char pfx[PG_HOP_MAX];
	pantau_err rc = PANTAU_OK;
	for (size_t k = 0; rc == PANTAU_OK && k < s->nroutes; k++) {
		const struct path_route *r = &s->routes[k];
		for (size_t h = 0; rc == PANTAU_OK && h < r->nhops; h++) {
			const struct path_hop *hop = &r->hops[h];
			if (hop->addr[0] == '\0')
				continue;  /* silent: never guessed */
			rc = add(w, hop->addr, false, hop->ttl, i);
			if (rc == PANTAU_OK && w->r->prefix_len > 0 &&
			    pathgroup_prefix(hop->addr, w->r->prefix_len, pfx, sizeof(pfx)))
				rc = add(w, pfx, true, hop->ttl, i);
		}
	}
	return rc;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return x->ttl - y->ttl;
}

/* The entries sorted and made one per (hop, site), cut into candidates. */
static pantau_err
make_cands(struct work *w)
{
	if (w->ne > 0)     /* w->e is NULL when no site has a path */
		qsort(w->e, w->ne, sizeof(*w->e), entry_cmp);
	size_t out = 0;
	for (size_t i = 0; i < w->ne; i++)
		if (out == 0 || strcmp(w->e[out - 1].key, w->e[i].key) != 0 ||
		    w->e[out - 1].site != w->e[i].site)
			w->e[out++] = w->e[i];
	w->ne = out;
	w->c = calloc(w->ne > 0 ? w->ne : 1, sizeof(*w->c));
	if (w->c == NULL)
		return PANTAU_ERR_NOMEM;
	for (size_t i = 0; i < w->ne; i++) {
		struct cand *c = w->nc > 0 ? &w->c[w->nc - 1] : NULL;
		if (c == NULL || strcmp(c->key, w->e[i].key) != 0) {
			c = &w->c[w->nc++];
			c->key = w->e[i].key;
			c->prefix = w->e[i].prefix;
			c->ttl = w->e[i].ttl;
			c->first = i;
		}
		c->n++;
		if (w->e[i].ttl < c->ttl)
			c->ttl = w->e[i].ttl;
	}
	return PANTAU_OK;
}

static int
cand_key_cmp(const void *key, const void *c)
{
	return strcmp(key, ((const struct cand *)c)->key);
}

static void
count_ok_hop(struct work *w, const char *key, size_t site)
{
	struct cand *c = bsearch(key, w->c, w->nc, sizeof(*w->c), cand_key_cmp);
	if (c != NULL && c->last_ok != site + 1) {
		c->nok++;
		c->last_ok = site + 1;
	}
}

/* OK site i behind the candidates it shares a hop with. */
static void
count_ok(struct work *w, size_t i)
{
	const struct pg_site *s = &w->sites[i];
	char pfx[PG_HOP_MAX];
	for (size_t k = 0; k < s->nroutes; k++)
		for (size_t h = 0; h < s->routes[k].nhops; h++) {
			const char *addr = s->routes[k].hops[h].addr;
			if (addr[0] == '\0')
				continue;
			count_ok_hop(w, addr, i);
			if (w->r->prefix_len > 0 &&
			    pathgroup_prefix(addr, w->r->prefix_len, pfx, sizeof(pfx)))
				count_ok_hop(w, pfx, i);
		}
}

static size_t
free_bad(const struct work *w, const struct cand *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += !w->taken[w->e[c->first + i].site];
	return n;
}

static double
confidence(const struct cand *c)
{
	return (double)c->n / (double)(c->n + c->nok);
}

/* Is a (explaining fa bad sites) a better choice than b (fb)? */
static bool
better(const struct cand *a, size_t fa, const struct cand *b, size_t fb)
{
	if (b == NULL)
		return true;
	if (a->n + a->nok != b->n + b->nok)
		return a->n + a->nok < b->n + b->nok;
	if (fa != fb)
		return fa > fb;
	if (a->prefix != b->prefix)
		return !a->prefix;
	if (a->ttl != b->ttl)
		return a->ttl < b->ttl;
	return strcmp(a->key, b->key) < 0;
}

/* Site s's TTL at candidate c (its entries are sorted by site), or -1. */
static int
ttl_at(const struct work *w, const struct cand *c, size_t s)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct entry *e = &w->e[c->first + mid];
		if (e->site == s)
			return e->ttl;
		if (e->site < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Does a stand before b on a free bad site's path (nearer the site)? A
 * path with silent hops puts fewer sites behind the hops it lost, so the
 * count alone would take a hop beyond for a deeper one. */
static bool
precedes(const struct work *w, const struct cand *a, const struct cand *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct entry *e = &w->e[b->first + i];
		int t = w->taken[e->site] ? -1 : ttl_at(w, a, e->site);
		if (t >= 0 && t < e->ttl)
			return true;
	}
	return false;
}

static bool
eligible(const struct work *w, const struct cand *c, size_t *nfree)
{
	*nfree = free_bad(w, c);
	return (int)*nfree >= w->r->min_sites && confidence(c) >= w->r->min_confidence;
}

/* Is c behind another eligible candidate on some free bad site's path? */
static bool
preceded(const struct work *w, const struct cand *c)
{
	size_t f;
	for (size_t i = 0; i < w->nc; i++)
		if (&w->c[i] != c && eligible(w, &w->c[i], &f) && precedes(w, &w->c[i], c))
			return true;
	return false;
}

/* The best eligible candidate; with in_front, only among those no other
 * eligible one stands before. */
static const struct cand *
choose_among(const struct work *w, bool in_front, size_t *nfree)
{
	const struct cand *best = NULL;
	size_t bf = 0, f;
	for (size_t i = 0; i < w->nc; i++) {
		const struct cand *c = &w->c[i];
		if (!eligible(w, c, &f) || (in_front && preceded(w, c)))
			continue;
		if (better(c, f, best, bf)) {
			best = c;
			bf = f;
		}
	}
	*nfree = bf;
	return best;
}

/* Paths that disagree on the order (each hop before the other somewhere)
 * leave no candidate in front: then the best of all. */
static const struct cand *
choose(const struct work *w, size_t *nfree)
{
	const struct cand *c = choose_among(w, true, nfree);
	return c != NULL ? c : choose_among(w, false, nfree);
}

static pantau_err
take(struct work *w, const struct cand *c, size_t nfree, struct pg_group *g)
{
	memset(g, 0, sizeof(*g));
	if ((g->bad = calloc(nfree, sizeof(*g->bad))) == NULL)
		return PANTAU_ERR_NOMEM;
	snprintf(g->hop, sizeof(g->hop), "%s", c->key);
	g->prefix = c->prefix;
	g->ttl = c->ttl;
	for (size_t i = 0; i < c->n; i++) {
		size_t s = w->e[c->first + i].site;
		if (!w->taken[s]) {
			w->taken[s] = true;
			g->bad[g->nbad++] = s;
		}
	}
	g->nbad_behind = c->n;
	g->nok = c->nok;
	g->confidence = confidence(c);
	g->localised = !(c->nok == 0 && c->n == w->npathed);
	return PANTAU_OK;
}

static pantau_err
gather(struct work *w)
{
	pantau_err rc = PANTAU_OK;
	for (size_t i = 0; rc == PANTAU_OK && i < w->nsites; i++) {
		const struct pg_site *s = &w->sites[i];
		bool pathed = s->nroutes > 0 && s->routes != NULL;
		if (pathed && (pathgroup_bad(s->status) || s->status == SITE_OK))
			w->npathed++;
		if (pathed && pathgroup_bad(s->status))
			rc = add_site(w, i);
	}
	if (rc == PANTAU_OK)
		rc = make_cands(w);
	for (size_t i = 0; rc == PANTAU_OK && i < w->nsites; i++)
		if (w->sites[i].status == SITE_OK && w->sites[i].routes != NULL)
			count_ok(w, i);
	return rc;
}

pantau_err
pathgroup_find(const struct pg_site *sites, size_t n, const struct pg_rules *r,
    struct pg_group **out, size_t *ngroups)
{
	struct work w = { .sites = sites, .nsites = n, .r = r };
	struct pg_group *g = NULL;
	size_t ng = 0;
	const struct cand *c;
	size_t nfree;
	pantau_err rc = PANTAU_ERR_NOMEM;
	*out = NULL;
	*ngroups = 0;
	if ((w.taken = calloc(n > 0 ? n : 1, sizeof(*w.taken))) == NULL)
		goto out;
	if ((rc = gather(&w)) != PANTAU_OK)
		goto out;
	while ((c = choose(&w, &nfree)) != NULL) {
		struct pg_group *v = realloc(g, (ng + 1) * sizeof(*g));
		if (v == NULL) {
			rc = PANTAU_ERR_NOMEM;
			goto out;
		}
		g = v;
		if ((rc = take(&w, c, nfree, &g[ng])) != PANTAU_OK)
			goto out;
		ng++;
	}
	*out = g;
	*ngroups = ng;
	g = NULL;
	ng = 0;
out:
	pathgroup_free(g, ng);
	free(w.e);
	free(w.c);
	free(w.taken);
	return rc;
}

void
pathgroup_free(struct pg_group *g, size_t n)
{
	for (size_t i = 0; g != NULL && i < n; i++)
		free(g[i].bad);
	free(g);
}
