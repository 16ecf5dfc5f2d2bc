#include "incidents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

struct incidents {
	struct incidents_rules r;
	struct incident *v;          /* by id */
	size_t n, cap;
	int64_t next_id;
};

struct incidents *
incidents_new(const struct incidents_rules *r)
{
	struct incidents *in = calloc(1, sizeof(*in));
	if (in == NULL)
		return NULL;
	in->r = *r;
	in->next_id = 1;
	return in;
}

void
incidents_set_rules(struct incidents *in, const struct incidents_rules *r)
{
	in->r = *r;
}

void
incident_clear(struct incident *x)
{
	free(x->sites);
	x->sites = NULL;
	x->nsites = 0;
}

void
incidents_free(struct incidents *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++)
		incident_clear(&in->v[i]);
	free(in->v);
	free(in);
}

/* The list and its count, as alerts.c has them for its own table: alike by design. */
struct incident *
incidents_list(struct incidents *in, size_t *n)
{
	*n = in->n;
	return in->v;
}

size_t
incidents_open(const struct incidents *in)
{
	size_t n = 0;
	for (size_t i = 0; i < in->n; i++)
		n += in->v[i].end_ms < 0;
	return n;
}

size_t
incidents_sites_open(const struct incidents *in)
{
	size_t n = 0;
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].end_ms < 0)
			n += in->v[i].nsites;
	return n;
}

static int
site_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool
has_site(const struct incident *x, const char *agent)
{
	return x->nsites > 0 &&
	    bsearch(agent, x->sites, x->nsites, sizeof(*x->sites), site_cmp) != NULL;
}

const struct incident *
incidents_of_site(const struct incidents *in, const char *agent)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].end_ms < 0 && has_site(&in->v[i], agent))
			return &in->v[i];
	return NULL;
}

bool
incidents_holds(const struct incidents *in, const char *agent, bool has_path,
    int64_t since_ms, int64_t now_ms)
{
	if (incidents_of_site(in, agent) != NULL)
		return true;
	return has_path && since_ms >= 0 && now_ms - since_ms < in->r.hold_ms;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

void
incident_say(struct incident *x)
{
	char where[PG_HOP_MAX + 16];
	char ok[64];
	size_t behind = x->nbad_behind + x->nok;
	snprintf(where, sizeof(where), "%s %s", x->prefix ? "hops in" : "hop", x->hop);
	if (!x->localised) {
		snprintf(x->message, sizeof(x->message), "fault not localised: all %zu site%s with "
		    "a known path are degraded and none is OK, so the paths do not show where it "
		    "starts; the deepest %s they share is %s: the fault is there or beyond it",
		    x->nbad_behind, plural(x->nbad_behind), x->prefix ? "prefix" : "hop", x->hop);
		return;
	}
	if (x->nok == 0)
		snprintf(ok, sizeof(ok), "none behind it is OK");
	else
		snprintf(ok, sizeof(ok), "%zu behind it %s OK", x->nok, x->nok == 1 ? "is" : "are");
	snprintf(x->message, sizeof(x->message), "likely fault at %s (or beyond): %zu of %zu "
	    "site%s behind it degraded; %s", where, x->nbad_behind, behind, plural(behind), ok);
}

/* The incident takes group g's hop, sites and figures. */
static pantau_err
follow(struct incident *x, const struct pg_group *g, const struct pg_site *sites)
{
	char (*v)[WIRE_AGENT_MAX + 1] = calloc(g->nbad > 0 ? g->nbad : 1, sizeof(*v));
	if (v == NULL)
		return PANTAU_ERR_NOMEM;
	for (size_t i = 0; i < g->nbad; i++)
		snprintf(v[i], sizeof(v[i]), "%s", sites[g->bad[i]].agent);
	qsort(v, g->nbad, sizeof(*v), site_cmp);
	bool same = x->nsites == g->nbad && strcmp(x->hop, g->hop) == 0 &&
	    (g->nbad == 0 || memcmp(x->sites, v, g->nbad * sizeof(*v)) == 0) &&
	    x->nok == g->nok && x->nbad_behind == g->nbad_behind && x->localised == g->localised;
	free(x->sites);
	x->sites = v;
	x->nsites = g->nbad;
	snprintf(x->hop, sizeof(x->hop), "%s", g->hop);
	x->prefix = g->prefix;
	x->ttl = g->ttl;
	x->nbad_behind = g->nbad_behind;
	x->nok = g->nok;
	x->confidence = g->confidence;
	x->localised = g->localised;
	incident_say(x);
	x->dirty = x->dirty || !same;
	return PANTAU_OK;
}

/* The open incident group g carries on: its hop, else one of its sites. */
static struct incident *
carried(struct incidents *in, const struct pg_group *g, const struct pg_site *sites,
    const bool *matched)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].end_ms < 0 && !matched[i] && strcmp(in->v[i].hop, g->hop) == 0)
			return &in->v[i];
	for (size_t i = 0; i < in->n; i++)
		for (size_t k = 0; in->v[i].end_ms < 0 && !matched[i] && k < g->nbad; k++)
			if (has_site(&in->v[i], sites[g->bad[k]].agent))
				return &in->v[i];
	return NULL;
}

static struct incident *
start(struct incidents *in, int64_t now_ms)
{
	struct incident *v = grow_to(in->v, &in->cap, in->n + 1, sizeof(*v), 16);
	if (v == NULL)
		return NULL;
	in->v = v;
	struct incident *x = &in->v[in->n++];
	memset(x, 0, sizeof(*x));
	x->id = in->next_id++;
	x->start_ms = now_ms;
	x->end_ms = -1;
	x->dirty = true;
	return x;
}

/* Ended incidents past keep_ms, once saved, leave the memory. */
static void
forget(struct incidents *in, int64_t now_ms)
{
	size_t out = 0;
	for (size_t i = 0; i < in->n; i++) {
		struct incident *x = &in->v[i];
		if (x->end_ms >= 0 && !x->dirty && now_ms - x->end_ms >= in->r.keep_ms)
			incident_clear(x);
		else
			in->v[out++] = *x;
	}
	in->n = out;
}

static pantau_err
carry_on(struct incidents *in, const struct pg_group *g, size_t ng, const struct pg_site *sites,
    int64_t now_ms)
{
	pantau_err rc = PANTAU_OK;
	bool *matched = calloc(in->n + ng + 1, sizeof(*matched));
	if (matched == NULL)
		return PANTAU_ERR_NOMEM;
	for (size_t i = 0; rc == PANTAU_OK && i < ng; i++) {
		struct incident *x = carried(in, &g[i], sites, matched);
		if (x == NULL && (x = start(in, now_ms)) == NULL)
			rc = PANTAU_ERR_NOMEM;
		if (x != NULL) {
			matched[x - in->v] = true;
			rc = follow(x, &g[i], sites);
		}
	}
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].end_ms < 0 && !matched[i]) {
			in->v[i].end_ms = now_ms;
			in->v[i].dirty = true;
		}
	free(matched);
	return rc;
}

pantau_err
incidents_update(struct incidents *in, const struct pg_site *sites, size_t n, int64_t now_ms)
{
	struct pg_group *g;
	size_t ng;
	pantau_err rc = pathgroup_find(sites, n, &in->r.group, &g, &ng);
	if (rc != PANTAU_OK)
		return rc;
	rc = carry_on(in, g, ng, sites, now_ms);
	pathgroup_free(g, ng);
	forget(in, now_ms);
	return rc;
}

void
incidents_next_id(struct incidents *in, int64_t next_id)
{
	if (next_id > in->next_id)
		in->next_id = next_id;
}

pantau_err
incidents_restore(struct incidents *in, struct incident *saved)
{
	struct incident *x = start(in, saved->start_ms);
	if (x == NULL)
		return PANTAU_ERR_NOMEM;
	in->next_id--;
	*x = *saved;
	x->dirty = false;
	saved->sites = NULL;
	saved->nsites = 0;
	incidents_next_id(in, x->id + 1);
	/* kept by id */
	for (size_t i = in->n - 1; i > 0 && in->v[i - 1].id > in->v[i].id; i--) {
		struct incident t = in->v[i - 1];
		in->v[i - 1] = in->v[i];
		in->v[i] = t;
	}
	return PANTAU_OK;
}
