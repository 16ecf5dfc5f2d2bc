/* The web dashboard's static files (docs/dashboard.md): a URL path under
 * /ui/ (or "/") resolved to a file of the dashboard folder, read-only,
 * never outside it. */
#ifndef PANTAU_WEBFILES_H
#define PANTAU_WEBFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Longest file name under the dashboard folder, in bytes. */
#define WEBFILES_NAME_MAX 128

struct webfile {
	int fd;                 /* open for reading; the caller owns it */
	uint64_t size;
	const char *type;       /* Content-Type (static string) */
};

/* Whether name (the part of the URL after /ui/) is a safe file name: 1 to
 * WEBFILES_NAME_MAX characters of A-Z a-z 0-9 - _ . and /, no empty
 * segment, no segment starting with a dot (so no "..", no hidden file). */
bool webfiles_name_ok(const char *name);

/* The Content-Type of a file name by its extension; octet-stream when
 * unknown. */
const char *webfiles_type(const char *name);

/* Open dir/name (a regular file). PANTAU_ERR_INVAL for an unsafe name,
 * PANTAU_ERR_NOT_FOUND when missing or not a regular file. */
pantau_err webfiles_open(const char *dir, const char *name, struct webfile *out);

#endif
