/* Bounded string-to-number conversion and bounded string copies. */
#ifndef PANTAU_STRNUM_H
#define PANTAU_STRNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * Parse a whole decimal integer within [min, max]. Leading/trailing blanks
 * are rejected. PANTAU_ERR_PARSE if not a number, PANTAU_ERR_INVAL if out
 * of bounds.
 */
pantau_err strnum_int(const char *s, long long min, long long max, long long *out);

/* Same for a finite real number. */
pantau_err strnum_double(const char *s, double min, double max, double *out);

/* Copy src into dst (size bytes); PANTAU_ERR_TOO_BIG when it does not fit
 * (dst then holds a truncated, terminated copy). */
pantau_err strnum_copy(char *dst, size_t size, const char *src);

/* The first n bytes of src into dst (size bytes), terminated, when
 * 0 < n < size; false otherwise (dst untouched). */
bool strnum_copy_n(char *dst, size_t size, const char *src, size_t n);

#endif
