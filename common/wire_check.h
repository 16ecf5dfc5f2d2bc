/*
 * Field validation for wire messages (internal to the wire module). Each
 * getter checks presence, type and bounds, and on failure records the first
 * error with the field's path ("results[2].rtt_ms.p95") and returns false.
 */
#ifndef PANTAU_WIRE_CHECK_H
#define PANTAU_WIRE_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

bool wire_fail(struct wire_error *err, enum wire_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets of JSON types, for wire_typed(). */
#define WIRE_T_INTEGER (1u << JSON_INTEGER)
#define WIRE_T_NUMBER (1u << JSON_INTEGER | 1u << JSON_REAL)
#define WIRE_T_STRING (1u << JSON_STRING)
#define WIRE_T_BOOLEAN (1u << JSON_TRUE | 1u << JSON_FALSE)
#define WIRE_T_OBJECT (1u << JSON_OBJECT)
#define WIRE_T_ARRAY (1u << JSON_ARRAY)

/* The value at path.key when it is there and is (what) JSON of types; NULL
 * otherwise, with *ok true when it may be absent, false after saying what is
 * wrong. */
const json_t *wire_typed(const json_t *obj, const char *path, const char *key, bool required,
    unsigned types, const char *what, bool *ok, struct wire_error *err);

/* Integer in [min, max]; absent: *out = -1 and true unless required. */
bool wire_get_int(const json_t *obj, const char *path, const char *key, bool required,
    int64_t min, int64_t max, int64_t *out, struct wire_error *err);
/* Finite number in [min, max] (integers accepted); absent: NAN. */
bool wire_get_num(const json_t *obj, const char *path, const char *key, bool required,
    double min, double max, double *out, struct wire_error *err);
/* String of 1..maxlen characters without control characters; absent: NULL. */
bool wire_get_str(const json_t *obj, const char *path, const char *key, bool required,
    size_t maxlen, const char **out, struct wire_error *err);
/* Boolean; absent: -1. */
bool wire_get_bool(const json_t *obj, const char *path, const char *key, bool required,
    int *out, struct wire_error *err);
/* Timestamp string "YYYY-MM-DDTHH:MM:SS.mmmZ"; absent: -1. */
bool wire_get_time(const json_t *obj, const char *path, const char *key, bool required,
    int64_t *out, struct wire_error *err);

/* Decode results[i] (common/wire_result.c). */
bool wire_result_decode(const json_t *o, size_t i, struct wire_result *r,
    struct wire_error *err);

/* Dump o as a message text (WIRE_JSON_FLAGS) and release it; the caller
 * frees the text. NULL when out of memory (o is released all the same). */
char *wire_dump(json_t *o, size_t *len);

/* Parse a payload into a JSON object, checking size and syntax; err is reset
 * first (WIRE_ACCEPT, no detail). */
json_t *wire_load_object(const void *payload, size_t len, struct wire_error *err);

#endif
