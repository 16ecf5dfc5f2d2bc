#include "strnum.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

pantau_err
strnum_int(const char *s, long long min, long long max, long long *out)
{
	char *end = NULL;
	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t')
		return PANTAU_ERR_PARSE;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0')
		return PANTAU_ERR_PARSE;
	if (errno == ERANGE || v < min || v > max)
		return PANTAU_ERR_INVAL;
	*out = v;
	return PANTAU_OK;
}

pantau_err
strnum_double(const char *s, double min, double max, double *out)
{
	char *end = NULL;
	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t')
		return PANTAU_ERR_PARSE;
	errno = 0;
	double v = strtod(s, &end);
	if (*end != '\0' || isnan(v))
		return PANTAU_ERR_PARSE;
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return PANTAU_ERR_INVAL;
	*out = v;
	return PANTAU_OK;
}

pantau_err
strnum_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (size == 0)
		return PANTAU_ERR_TOO_BIG;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return PANTAU_ERR_TOO_BIG;
	}
	memcpy(dst, src, n + 1);
	return PANTAU_OK;
}

bool
strnum_copy_n(char *dst, size_t size, const char *src, size_t n)
{
	if (n == 0 || n >= size)
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}
