#include "mode.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "clock.h"

static int64_t
time_of(const json_t *o, const char *key)
{
	int64_t ms;
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL && clock_parse_iso(v, &ms) == PANTAU_OK ? ms : -1;
}

/* The zone's own entry, when the message has zones. */
static bool
from_zone(const json_t *root, const char *region, struct agent_mode *out)
{
	char province[3] = { 0 };
	memcpy(province, region, strnlen(region, 2));
	enum catalog_tz tz = catalog_tz_of(province);
	const json_t *zones = json_object_get(root, "zones");
	const json_t *z = tz < CATALOG_TZ_COUNT ? json_object_get(zones, catalog_tz_name(tz)) : NULL;
	if (!json_is_object(z))
		return false;
	out->counting = json_is_true(json_object_get(z, "active"));
	out->until_ms = out->counting ? time_of(z, "until") : -1;
	return true;
}

pantau_err
agent_mode_parse(const void *payload, size_t len, const char *region, struct agent_mode *out,
    char *why, size_t whylen)
{
	json_error_t err;
	*out = (struct agent_mode){ .counting = false, .until_ms = -1 };
	if (len == 0)
		return PANTAU_OK;
	json_t *root = json_loadb(payload, len, 0, &err);
	const char *mode = json_string_value(json_object_get(root, "mode"));
	pantau_err rc = PANTAU_OK;
	if (mode == NULL || (strcmp(mode, "counting") != 0 && strcmp(mode, "normal") != 0)) {
		snprintf(why, whylen, "not a mode message: expected {\"mode\":\"counting\"|\"normal\"}");
		rc = PANTAU_ERR_PARSE;
	} else if (!from_zone(root, region, out)) {
		/* no zones: the whole country follows "mode" */
		out->counting = strcmp(mode, "counting") == 0;
		out->until_ms = out->counting ? time_of(root, "until") : -1;
	}
	json_decref(root);
	return rc;
}
