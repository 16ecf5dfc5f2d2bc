#include "err.h"

/* A name per enum value, indexed by it; wire_reason_name (wire_topic.c) has
 * the same shape over other data (duplicates lists the pair). */
const char *
pantau_strerror(pantau_err err)
{
	static const char *const text[PANTAU_ERR_COUNT] = {
		[PANTAU_OK] = "success",
		[PANTAU_ERR_NOMEM] = "out of memory",
		[PANTAU_ERR_INVAL] = "invalid argument",
		[PANTAU_ERR_CONFIG] = "invalid configuration",
		[PANTAU_ERR_IO] = "input/output error",
		[PANTAU_ERR_NOT_FOUND] = "not found",
		[PANTAU_ERR_DUPLICATE] = "duplicate",
		[PANTAU_ERR_TOO_BIG] = "too big",
		[PANTAU_ERR_TIMEOUT] = "timed out",
		[PANTAU_ERR_NET] = "network error",
		[PANTAU_ERR_MQTT] = "MQTT error",
		[PANTAU_ERR_DB] = "database error",
		[PANTAU_ERR_PARSE] = "malformed input",
		[PANTAU_ERR_STATE] = "wrong state",
		[PANTAU_ERR_UNSUPPORTED] = "not supported",
	};
	if ((unsigned)err >= PANTAU_ERR_COUNT)
		return "unknown error";
	return text[err];
}
