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

#endif
