#include "err.h"

#define TEXT(name, text) text,

const char *
pantau_strerror(pantau_err err)
{
	static const char *const text[PANTAU_ERR_COUNT] = { PANTAU_ERRORS(TEXT) };
	if ((unsigned)err >= PANTAU_ERR_COUNT)
		return "unknown error";
	return text[err];
}
