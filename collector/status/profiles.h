/*
 * The status profile file (docs/status.md): threshold overrides per link
 * type ([link.TYPE]) and per site ([site.AGENT], which may also set the
 * site's link type and coordinates). Named by [status] profiles in the
 * collector's configuration; optional.
 */
#ifndef PANTAU_PROFILES_H
#define PANTAU_PROFILES_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "thresholds.h"
#include "wire.h"

struct profiles;

/* Load path (NULL or "": no overrides). Errors (file, line, key) go to
 * errs; PANTAU_ERR_CONFIG or PANTAU_ERR_IO. */
pantau_err profiles_load(const char *path, struct profiles **out, FILE *errs);
void profiles_free(struct profiles *p);

/* Thresholds of a site: the defaults of its link type, then [link.TYPE],
 * then [site.AGENT]. p may be NULL. */
void profiles_thresholds(const struct profiles *p, const char *agent, const char *link,
    struct thresholds *out);

/* The link type [site.AGENT] sets, or NULL. */
const char *profiles_site_link(const struct profiles *p, const char *agent);

/* Coordinates [site.AGENT] sets; false when none. */
bool profiles_site_coords(const struct profiles *p, const char *agent, double *lat,
    double *lon);

/* Print the reference of the profile keys (Markdown). */
void profiles_reference(FILE *to);

#endif
