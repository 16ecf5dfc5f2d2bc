#include "wire_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

bool
wire_fail(struct wire_error *err, enum wire_reason r, const char *fmt, ...)
{
	va_list ap;
	if (err->reason != WIRE_ACCEPT)
		return false; /* keep the first error */
	err->reason = r;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return false;
}

/* "results[2]." + "loss_pct" */
#define FIELD(path) (path)[0] ? (path) : "", (path)[0] ? "." : ""

const json_t *
wire_typed(const json_t *obj, const char *path, const char *key, bool required,
    unsigned types, const char *what, bool *ok, struct wire_error *err)
{
	const json_t *v = json_object_get(obj, key);
	*ok = true;
	if (v == NULL && required)
		*ok = wire_fail(err, WIRE_REJ_MISSING_FIELD, "%s%s%s: required field is missing",
		    FIELD(path), key);
	else if (v != NULL && !(types >> json_typeof(v) & 1u))
		*ok = wire_fail(err, WIRE_REJ_WRONG_TYPE, "%s%s%s: expected %s", FIELD(path), key,
		    what);
	return *ok ? v : NULL;
}

/* wire_get_int and wire_get_num still look alike at six lines (duplicates
 * lists them): JSON integer versus number, int64 versus double bounds, -1
 * versus NAN for absent; one generic getter would hide those. */
bool
wire_get_int(const json_t *obj, const char *path, const char *key, bool required,
    int64_t min, int64_t max, int64_t *out, struct wire_error *err)
{
	bool ok;
	const json_t *v = wire_typed(obj, path, key, required, WIRE_T_INTEGER, "an integer", &ok, err);
	*out = -1;
	if (v == NULL)
		return ok;
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return wire_fail(err, WIRE_REJ_BAD_NUMBER,
		    "%s%s%s: %lld is outside %lld..%lld", FIELD(path), key, (long long)i,
		    (long long)min, (long long)max);
	*out = (int64_t)i;
	return true;
}

bool
wire_get_num(const json_t *obj, const char *path, const char *key, bool required,
    double min, double max, double *out, struct wire_error *err)
{
	bool ok;
	const json_t *v = wire_typed(obj, path, key, required, WIRE_T_NUMBER, "a number", &ok, err);
	*out = NAN;
	if (v == NULL)
		return ok;
	double d = json_number_value(v);
	if (!isfinite(d) || d < min || d > max)
		return wire_fail(err, WIRE_REJ_BAD_NUMBER, "%s%s%s: %g is outside %g..%g",
		    FIELD(path), key, d, min, max);
	*out = d;
	return true;
}

bool
wire_get_str(const json_t *obj, const char *path, const char *key, bool required,
    size_t maxlen, const char **out, struct wire_error *err)
{
	bool ok;
	const json_t *v = wire_typed(obj, path, key, required, WIRE_T_STRING, "a string", &ok, err);
	*out = NULL;
	if (v == NULL)
		return ok;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len == 0 || len > maxlen || strlen(s) != len)
		return wire_fail(err, WIRE_REJ_BAD_TEXT,
		    "%s%s%s: must be 1 to %zu characters without NUL", FIELD(path), key, maxlen);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return wire_fail(err, WIRE_REJ_BAD_TEXT,
			    "%s%s%s: contains a control character", FIELD(path), key);
	*out = s;
	return true;
}

bool
wire_get_bool(const json_t *obj, const char *path, const char *key, bool required,
    int *out, struct wire_error *err)
{
	bool ok;
	const json_t *v = wire_typed(obj, path, key, required, WIRE_T_BOOLEAN, "true or false", &ok, err);
	*out = v == NULL ? -1 : json_is_true(v) ? 1 : 0;
	return ok;
}

bool
wire_get_time(const json_t *obj, const char *path, const char *key, bool required,
    int64_t *out, struct wire_error *err)
{
	const char *s;
	*out = -1;
	if (!wire_get_str(obj, path, key, required, 40, &s, err))
		return false;
	if (s == NULL)
		return true;
	if (clock_parse_iso(s, out) != PANTAU_OK)
		return wire_fail(err, WIRE_REJ_BAD_TIMESTAMP,
		    "%s%s%s: \"%s\" is not a UTC time like 2024-02-14T06:00:30.125Z",
		    FIELD(path), key, s);
	return true;
}

json_t *
wire_load_object(const void *payload, size_t len, struct wire_error *err)
{
	json_error_t jerr;
	err->reason = WIRE_ACCEPT;
	err->detail[0] = '\0';
	if (len > WIRE_MAX_PAYLOAD) {
		wire_fail(err, WIRE_REJ_TOO_LARGE, "payload of %zu bytes exceeds %d bytes",
		    len, WIRE_MAX_PAYLOAD);
		return NULL;
	}
	json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		wire_fail(err, WIRE_REJ_NOT_JSON, "not JSON: %s at byte %d", jerr.text,
		    jerr.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		wire_fail(err, WIRE_REJ_NOT_OBJECT, "expected a JSON object");
		return NULL;
	}
	return root;
}

char *
wire_dump(json_t *o, size_t *len)
{
	char *text = json_dumps(o, WIRE_JSON_FLAGS);
	json_decref(o);
	if (text != NULL)
		*len = strlen(text);
	return text;
}
