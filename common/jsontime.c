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
