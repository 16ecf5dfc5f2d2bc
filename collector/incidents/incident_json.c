/* One incident as JSON: what the API shows and the store saves. */
#include "incidents.h"

#include "jsontime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *
incident_json(const struct incident *x)
{
	json_t *sites = json_array();
	for (size_t i = 0; sites != NULL && i < x->nsites; i++)
		json_array_append_new(sites, json_string(x->sites[i]));
	json_t *o = json_pack("{s:I,s:s,s:s,s:i,s:b,s:o,s:I,s:I,s:I,s:f,s:b,s:s}",
	    "id", (json_int_t)x->id, "hop", x->hop, "match", x->prefix ? "prefix" : "address",
	    "ttl", x->ttl, "open", x->end_ms < 0, "sites", sites,
	    "sites_bad", (json_int_t)x->nsites, "bad_behind", (json_int_t)x->nbad_behind,
	    "ok_behind", (json_int_t)x->nok, "confidence", round(x->confidence * 1000) / 1000,
	    "localised", x->localised, "message", x->message);
	if (o == NULL)
		return NULL;
	json_set_time(o, "start", x->start_ms);
	json_set_time(o, "end", x->end_ms);
	return o;
}

static bool
get_sites(const json_t *a, struct incident *x)
{
	size_t n = json_array_size(a);
	if (!json_is_array(a) || (x->sites = calloc(n > 0 ? n : 1, sizeof(*x->sites))) == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s == NULL || strlen(s) > WIRE_AGENT_MAX)
			return false;
		snprintf(x->sites[x->nsites++], sizeof(*x->sites), "%s", s);
	}
	return true;
}

bool
incident_from_json(const json_t *o, struct incident *x)
{
	memset(x, 0, sizeof(*x));
	const char *hop = json_string_value(json_object_get(o, "hop"));
	const char *match = json_string_value(json_object_get(o, "match"));
	const char *msg = json_string_value(json_object_get(o, "message"));
	if (!json_is_integer(json_object_get(o, "id")) || hop == NULL || match == NULL ||
	    strlen(hop) >= sizeof(x->hop) || !get_sites(json_object_get(o, "sites"), x)) {
		incident_clear(x);
		return false;
	}
	x->id = json_integer_value(json_object_get(o, "id"));
	snprintf(x->hop, sizeof(x->hop), "%s", hop);
	x->prefix = strcmp(match, "prefix") == 0;
	x->ttl = (int)json_integer_value(json_object_get(o, "ttl"));
	x->nbad_behind = (size_t)json_integer_value(json_object_get(o, "bad_behind"));
	x->nok = (size_t)json_integer_value(json_object_get(o, "ok_behind"));
	x->confidence = json_number_value(json_object_get(o, "confidence"));
	x->localised = json_is_true(json_object_get(o, "localised"));
	snprintf(x->message, sizeof(x->message), "%s", msg != NULL ? msg : "");
	x->start_ms = json_get_time(o, "start");
	x->end_ms = json_get_time(o, "end");
	return x->start_ms >= 0;
}
