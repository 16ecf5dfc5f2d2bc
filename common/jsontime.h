/*
 * Times in pantau's JSON (the API, alert payloads): "YYYY-MM-DDTHH:MM:SS.mmmZ"
 * in UTC, or null for a time that is not known.
 */
#ifndef PANTAU_JSONTIME_H
#define PANTAU_JSONTIME_H

#include <jansson.h>
#include <stdint.h>

/* Set o's key to the time ms (Unix milliseconds); null when ms < 0. */
void json_set_time(json_t *o, const char *key, int64_t ms);

/* o's key as Unix milliseconds; -1 when absent, null or not such a time
 * (what json_set_time writes for a time not known). */
int64_t json_get_time(const json_t *o, const char *key);

#endif
