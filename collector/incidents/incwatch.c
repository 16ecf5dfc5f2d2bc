#include "incwatch.h"

#include <stdlib.h>

#include "log.h"

struct incwatch {
	struct sitepath *paths;
	struct incidents *in;
	struct pg_site *sites;       /* this tick's */
	size_t nsites, cap;
	bool failed;                 /* said once */
};

void
incidents_rules_default(struct incidents_rules *r)
{
	r->group.min_sites = INCIDENTS_MIN_SITES;
	r->group.min_confidence = INCIDENTS_MIN_CONFIDENCE;
	r->group.prefix_len = INCIDENTS_PREFIX_LEN;
	r->hold_ms = INCIDENTS_HOLD_MS;
	r->keep_ms = INCIDENTS_KEEP_MS;
}

struct incwatch *
incwatch_new(const struct incidents_rules *r)
{
	struct incwatch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->paths = sitepath_new();
	w->in = incidents_new(r);
	if (w->paths == NULL || w->in == NULL) {
		incwatch_free(w);
		return NULL;
	}
	return w;
}

void
incwatch_free(struct incwatch *w)
{
	if (w == NULL)
		return;
	sitepath_free(w->paths);
	incidents_free(w->in);
	free(w->sites);
	free(w);
}

void
incwatch_batch(struct incwatch *w, const struct wire_batch *b, int64_t recv_ms)
{
	struct path_route r;
	for (size_t i = 0; i < b->nresults; i++) {
		const struct wire_result *res = &b->results[i];
		if (!sitepath_is_path(res))
			continue;
		if (sitepath_route_from_json(res->obj, res->target, recv_ms, &r) != PANTAU_OK ||
		    sitepath_put(w->paths, b->agent, &r) != PANTAU_OK)
			log_warnx("incidents: the path of %s to %s is not kept (bad hops or no memory)",
			    b->agent, res->target != NULL ? res->target : "?");
	}
}

static void
add_site(void *ctx, const struct engine_site_info *s)
{
	struct incwatch *w = ctx;
	if (w->nsites == w->cap) {
		size_t cap = w->cap > 0 ? w->cap * 2 : 64;
		struct pg_site *v = realloc(w->sites, cap * sizeof(*v));
		if (v == NULL)
			return;
		w->sites = v;
		w->cap = cap;
	}
	size_t n;
	const struct path_route *r = sitepath_get(w->paths, s->agent, &n);
	w->sites[w->nsites++] = (struct pg_site){ s->agent, s->status, r, n };
}

void
incwatch_tick(struct incwatch *w, const struct engine *e, int64_t now_ms)
{
	w->nsites = 0;
	engine_each_site(e, add_site, w);
	pantau_err rc = incidents_update(w->in, w->sites, w->nsites, now_ms);
	if (rc != PANTAU_OK && !w->failed)
		log_warnx("incidents: cannot group the sites: %s", pantau_strerror(rc));
	w->failed = rc != PANTAU_OK;
}

struct incidents *
incwatch_incidents(struct incwatch *w)
{
	return w->in;
}

const struct sitepath *
incwatch_paths(const struct incwatch *w)
{
	return w->paths;
}
