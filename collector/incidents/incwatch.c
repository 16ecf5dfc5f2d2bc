#include "incwatch.h"

#include <stdlib.h>

#include "grow.h"
#include "log.h"

struct incwatch {
	struct sitepath *paths;
	struct incidents *in;
	struct pg_site *sites;       /* this tick's */
	size_t nsites, cap;
	bool failed;                 /* said once */
	struct incidentdb *db;       /* NULL: nothing saved */
};

static void
load_incident(void *ctx, const char *text)
{
	struct incwatch *w = ctx;
	struct incident x;
	json_t *o = json_loads(text, 0, NULL);
	if (o != NULL && incident_from_json(o, &x)) {
		incident_say(&x);
		if (incidents_restore(w->in, &x) != PANTAU_OK)
			log_warnx("incidents: out of memory loading incident %lld", (long long)x.id);
		incident_clear(&x);
	}
	json_decref(o);
}

static void
load_path(void *ctx, const char *agent, int64_t ms, const char *text)
{
	struct incwatch *w = ctx;
	struct path_route r;
	json_t *o = json_loads(text, 0, NULL);
	const char *target = json_string_value(json_object_get(o, "target"));
	if (o != NULL && sitepath_route_from_json(o, target, ms, &r) == PANTAU_OK)
		(void)sitepath_put(w->paths, agent, &r);
	json_decref(o);
}

static pantau_err
load(struct incwatch *w, int64_t keep_ms, int64_t now_ms)
{
	int64_t max_id = 0;
	pantau_err rc = incidentdb_load(w->db, now_ms - keep_ms, load_incident, w, &max_id);
	if (rc == PANTAU_OK)
		rc = incidentdb_load_paths(w->db, load_path, w);
	incidents_next_id(w->in, max_id + 1);
	return rc;
}

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
incwatch_new(const struct incidents_rules *r, struct incidentdb *db, int64_t now_ms)
{
	struct incwatch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->paths = sitepath_new();
	w->in = incidents_new(r);
	w->db = db;
	if (w->paths == NULL || w->in == NULL || (db != NULL && load(w, r->keep_ms, now_ms) !=
	        PANTAU_OK)) {
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

static void
save_path(struct incwatch *w, const char *agent, const struct path_route *r)
{
	json_t *o = w->db != NULL ? sitepath_route_json(r) : NULL;
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text != NULL)
		(void)incidentdb_save_path(w->db, agent, r->target, r->ms, text);
	free(text);
	json_decref(o);
}

/* The incidents that changed, saved. */
static void
save(struct incwatch *w)
{
	size_t n;
	struct incident *v = incidents_list(w->in, &n);
	for (size_t i = 0; w->db != NULL && i < n; i++) {
		if (!v[i].dirty)
			continue;
		json_t *o = incident_json(&v[i]);
		char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (text != NULL && incidentdb_save(w->db, v[i].id, v[i].end_ms, text) == PANTAU_OK)
			v[i].dirty = false;
		free(text);
		json_decref(o);
	}
	if (w->db == NULL)
		for (size_t i = 0; i < n; i++)
			v[i].dirty = false;
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
		    sitepath_put(w->paths, b->agent, &r) != PANTAU_OK) {
			log_warnx("incidents: the path of %s to %s is not kept (bad hops or no memory)",
			    b->agent, res->target != NULL ? res->target : "?");
			continue;
		}
		save_path(w, b->agent, &r);
	}
}

static void
add_site(void *ctx, const struct engine_site_info *s)
{
	struct incwatch *w = ctx;
	struct pg_site *v = grow_to(w->sites, &w->cap, w->nsites + 1, sizeof(*v), 64);
	if (v == NULL)
		return;
	w->sites = v;
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
	save(w);
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
