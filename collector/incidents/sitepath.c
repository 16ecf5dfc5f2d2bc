#include "sitepath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "strsorted.h"

struct site_routes {
	char agent[WIRE_AGENT_MAX + 1];
	size_t n;
	struct path_route *r;        /* n of them, grown one at a time */
};

struct sitepath {
	struct site_routes **v;      /* sorted by agent */
	size_t n, cap;
};

bool
sitepath_is_path(const struct wire_result *r)
{
	return r->kind != NULL && rk_field(r->kind, "hops") != NULL &&
	    rk_field(r->kind, "path_hash") != NULL && json_is_array(json_object_get(r->obj, "hops"));
}

static pantau_err
hop_from_json(const json_t *h, struct path_hop *out)
{
	const json_t *ttl = json_object_get(h, "ttl");
	const char *addr = json_string_value(json_object_get(h, "addr"));
	if (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
	    json_integer_value(ttl) > 255 || (addr != NULL && strlen(addr) >= PATH_ADDR_MAX))
		return PANTAU_ERR_INVAL;
	out->ttl = (int)json_integer_value(ttl);
	snprintf(out->addr, sizeof(out->addr), "%s", addr != NULL ? addr : "");
	return PANTAU_OK;
}

pantau_err
sitepath_route_from_json(const json_t *result, const char *target, int64_t ms,
    struct path_route *out)
{
	const json_t *hops = json_object_get(result, "hops");
	if (!json_is_array(hops) || json_array_size(hops) > PATH_HOPS_MAX || target == NULL)
		return PANTAU_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	snprintf(out->target, sizeof(out->target), "%s", target);
	out->ms = ms;
	out->reached = json_is_true(json_object_get(result, "reached"));
	for (size_t i = 0; i < json_array_size(hops); i++)
		if (hop_from_json(json_array_get(hops, i), &out->hops[out->nhops++]) != PANTAU_OK)
			return PANTAU_ERR_INVAL;
	return PANTAU_OK;
}

json_t *
sitepath_route_json(const struct path_route *r)
{
	json_t *hops = json_array();
	for (size_t i = 0; hops != NULL && i < r->nhops; i++) {
		json_t *h = json_pack("{s:i}", "ttl", r->hops[i].ttl);
		if (h != NULL && r->hops[i].addr[0] != '\0')
			json_object_set_new(h, "addr", json_string(r->hops[i].addr));
		json_array_append_new(hops, h);
	}
	return json_pack("{s:s,s:b,s:o}", "target", r->target, "reached", r->reached,
	    "hops", hops);
}

struct sitepath *
sitepath_new(void)
{
	return calloc(1, sizeof(struct sitepath));
}

void
sitepath_free(struct sitepath *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i]->r);
		free(t->v[i]);
	}
	free(t->v);
	free(t);
}

static const char *
agent_at(const void *t, size_t i)
{
	return ((const struct sitepath *)t)->v[i]->agent;
}

/* Index of agent, or where it would go (*found false). */
static size_t
find(const struct sitepath *t, const char *agent, bool *found)
{
	return strsorted_find(t, t->n, agent_at, agent, found);
}

static struct site_routes *
site_for(struct sitepath *t, const char *agent)
{
	bool found;
	size_t at = find(t, agent, &found);
	if (found)
		return t->v[at];
	if (strlen(agent) > WIRE_AGENT_MAX)
		return NULL;
	struct site_routes **v = grow_to(t->v, &t->cap, t->n + 1, sizeof(*v), 64);
	if (v == NULL)
		return NULL;
	t->v = v;
	struct site_routes *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	snprintf(s->agent, sizeof(s->agent), "%s", agent);
	memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(*t->v));
	t->v[at] = s;
	t->n++;
	return s;
}

pantau_err
sitepath_put(struct sitepath *t, const char *agent, const struct path_route *route)
{
	struct site_routes *s = site_for(t, agent);
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	size_t i = 0, oldest = 0;
	while (i < s->n && strcmp(s->r[i].target, route->target) != 0) {
		if (s->r[i].ms < s->r[oldest].ms)
			oldest = i;
		i++;
	}
	if (i < s->n && s->r[i].ms > route->ms)
		return PANTAU_OK;  /* a replayed older one */
	if (i == SITEPATH_TARGETS_MAX) {
		i = oldest;
	} else if (i == s->n) {
		struct path_route *v = realloc(s->r, (s->n + 1) * sizeof(*v));
		if (v == NULL)
			return PANTAU_ERR_NOMEM;
		s->r = v;
		s->n++;
	}
	s->r[i] = *route;
	return PANTAU_OK;
}

const struct path_route *
sitepath_get(const struct sitepath *t, const char *agent, size_t *n)
{
	bool found;
	size_t at = find(t, agent, &found);
	*n = found ? t->v[at]->n : 0;
	return found ? t->v[at]->r : NULL;
}

size_t
sitepath_count(const struct sitepath *t)
{
	return t->n;
}
