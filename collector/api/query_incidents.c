/* GET /api/v1/incidents and a site's incident and latest paths
 * (collector/incidents/, docs/incidents.md). */
#include "query_priv.h"

#include "sortedjson.h"

/* Open ones first, then newest first. */
static int
cmp_incident(const void *a, const void *b)
{
	const struct incident *x = *(const struct incident *const *)a;
	const struct incident *y = *(const struct incident *const *)b;
	if ((x->end_ms < 0) != (y->end_ms < 0))
		return x->end_ms < 0 ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* An incident's JSON, or NULL when only open ones are wanted and it ended. */
static json_t *
incident_item(const void *item, void *ctx)
{
	const struct incident *x = item;
	const bool *only_open = ctx;
	return !*only_open || x->end_ms < 0 ? incident_json(x) : NULL;
}

pantau_err
query_incidents(struct query *q, bool only_open, json_t **out)
{
	size_t n = 0;
	struct incident *v = q->o.incidents != NULL ? incidents_list(q->o.incidents, &n) : NULL;
	json_t *list = sortedjson_array(v, n, sizeof(*v), cmp_incident, incident_item, &only_open);
	*out = NULL;
	if (list == NULL)
		return PANTAU_ERR_NOMEM;
	const struct incidents *in = q->o.incidents;
	*out = json_pack("{s:I,s:I,s:o}",
	    "open", (json_int_t)(in != NULL ? incidents_open(in) : 0),
	    "sites_in_open", (json_int_t)(in != NULL ? incidents_sites_open(in) : 0),
	    "incidents", list);
	return *out != NULL ? PANTAU_OK : PANTAU_ERR_NOMEM;
}

pantau_err
query_site_incident(struct query *q, const char *agent, json_t *doc)
{
	const struct incident *x = q->o.incidents != NULL ?
	    incidents_of_site(q->o.incidents, agent) : NULL;
	size_t n = 0;
	const struct path_route *r = q->o.paths != NULL ? sitepath_get(q->o.paths, agent, &n) : NULL;
	json_t *paths = json_array();
	if (paths == NULL)
		return PANTAU_ERR_NOMEM;
	for (size_t i = 0; r != NULL && i < n; i++)
		json_array_append_new(paths, sitepath_route_json(&r[i]));
	json_object_set_new(doc, "incident", x != NULL ? incident_json(x) : json_null());
	json_object_set_new(doc, "latest_path", paths);
	return PANTAU_OK;
}
