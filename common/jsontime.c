#include "jsontime.h"

#include "clock.h"

void
json_set_time(json_t *o, const char *key, int64_t ms)
{
	char iso[CLOCK_ISO_LEN];
	if (ms < 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	clock_format_iso(ms, iso);
	json_object_set_new(o, key, json_string(iso));
}

int64_t
json_get_time(const json_t *o, const char *key)
{
	int64_t ms;
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL && clock_parse_iso(v, &ms) == PANTAU_OK ? ms : -1;
}
