/*
 * The vote-counting window (docs/status.md): one start and one end in
 * local time, applied in each of Indonesia's time zones, so counting opens
 * at 13:00 WIB in Java, 13:00 WITA in Sulawesi and 13:00 WIT in Papua.
 * Pure: the caller gives the time.
 */
#ifndef PANTAU_COUNTWIN_H
#define PANTAU_COUNTWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"

struct countwin {
	bool configured;
	int64_t from_ms[CATALOG_TZ_COUNT];   /* epoch ms UTC of the local start */
	int64_t until_ms[CATALOG_TZ_COUNT];
};

/* Parse local "YYYY-MM-DD HH:MM" start and end (both empty: no window). On
 * error why says what was wrong. */
pantau_err countwin_parse(const char *start, const char *end, struct countwin *cw, char *why,
    size_t len);

bool countwin_active(const struct countwin *cw, enum catalog_tz tz, int64_t now_ms);
bool countwin_any_active(const struct countwin *cw, int64_t now_ms);

/* The next time after now when some zone enters or leaves the window, or
 * -1 when none. */
int64_t countwin_next_change(const struct countwin *cw, int64_t now_ms);

/* The retained pantau/v1/mode payload: {"mode":"counting","until":...,
 * "zones":{"WIB":{"from":...,"until":...,"active":true},...}} or
 * {"mode":"normal",...}. malloc'd; NULL on memory shortage. */
char *countwin_mode_json(const struct countwin *cw, int64_t now_ms);

#endif
