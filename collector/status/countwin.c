#include "countwin.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "wire.h"

/* "YYYY-MM-DD HH:MM" as if it were UTC. */
static pantau_err
parse_local(const char *s, int64_t *ms)
{
	char iso[32];
	if (strlen(s) != 16 || s[10] != ' ')
		return PANTAU_ERR_PARSE;
	snprintf(iso, sizeof(iso), "%.10sT%.5s:00Z", s, s + 11);
	return clock_parse_iso(iso, ms);
}

pantau_err
countwin_parse(const char *start, const char *end, struct countwin *cw, char *why, size_t len)
{
	int64_t a, b;
	memset(cw, 0, sizeof(*cw));
	if (start[0] == '\0' && end[0] == '\0')
		return PANTAU_OK;
	if (parse_local(start, &a) != PANTAU_OK || parse_local(end, &b) != PANTAU_OK) {
		snprintf(why, len, "counting start and end must both be local times like "
		    "'2029-02-14 13:00' (got '%s' and '%s')", start, end);
		return PANTAU_ERR_PARSE;
	}
	if (b <= a) {
		snprintf(why, len, "counting end '%s' is not after its start '%s'", end, start);
		return PANTAU_ERR_PARSE;
	}
	cw->configured = true;
	for (int tz = 0; tz < CATALOG_TZ_COUNT; tz++) {
		int64_t off = (int64_t)catalog_tz_offset_h((enum catalog_tz)tz) * 3600000;
		cw->from_ms[tz] = a - off;
		cw->until_ms[tz] = b - off;
	}
	return PANTAU_OK;
}

bool
countwin_active(const struct countwin *cw, enum catalog_tz tz, int64_t now_ms)
{
	return cw->configured && tz < CATALOG_TZ_COUNT && now_ms >= cw->from_ms[tz] &&
	    now_ms < cw->until_ms[tz];
}

bool
countwin_any_active(const struct countwin *cw, int64_t now_ms)
{
	for (int tz = 0; tz < CATALOG_TZ_COUNT; tz++)
		if (countwin_active(cw, (enum catalog_tz)tz, now_ms))
			return true;
	return false;
}

int64_t
countwin_next_change(const struct countwin *cw, int64_t now_ms)
{
	int64_t next = -1;
	for (int tz = 0; cw->configured && tz < CATALOG_TZ_COUNT; tz++) {
		int64_t t[2] = { cw->from_ms[tz], cw->until_ms[tz] };
		for (int i = 0; i < 2; i++)
			if (t[i] > now_ms && (next < 0 || t[i] < next))
				next = t[i];
	}
	return next;
}

static json_t *
zones_json(const struct countwin *cw, int64_t now_ms, int64_t *until)
{
	char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];
	json_t *zones = json_object();
	for (int tz = 0; zones != NULL && tz < CATALOG_TZ_COUNT; tz++) {
		bool on = countwin_active(cw, (enum catalog_tz)tz, now_ms);
		clock_format_iso(cw->from_ms[tz], a);
		clock_format_iso(cw->until_ms[tz], b);
		json_object_set_new(zones, catalog_tz_name((enum catalog_tz)tz),
		    json_pack("{s:s,s:s,s:b}", "from", a, "until", b, "active", on));
		if (on && cw->until_ms[tz] > *until)
			*until = cw->until_ms[tz];
	}
	return zones;
}

char *
countwin_mode_json(const struct countwin *cw, int64_t now_ms)
{
	char iso[CLOCK_ISO_LEN];
	int64_t until = -1;
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	if (cw->configured)
		json_object_set_new(o, "zones", zones_json(cw, now_ms, &until));
	json_object_set_new(o, "mode", json_string(until >= 0 ? "counting" : "normal"));
	if (until >= 0) {
		clock_format_iso(until, iso);
		json_object_set_new(o, "until", json_string(iso));
	}
	char *text = json_dumps(o, WIRE_JSON_FLAGS | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}
