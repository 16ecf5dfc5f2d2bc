/* Helpers the formatters of collector/cli/ share (format.c). */
#ifndef PANTAU_CLI_FORMAT_PRIV_H
#define PANTAU_CLI_FORMAT_PRIV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* SGR sequences. */
#define FMT_SGR_RED "\033[31m"
#define FMT_SGR_BOLD "\033[1m"
#define FMT_SGR_RESET "\033[0m"

/* o[key] as a string, else dflt. */
const char *fmt_get_str(const json_t *o, const char *key, const char *dflt);
/* o[key] as a number, else NAN. */
double fmt_get_num(const json_t *o, const char *key);
/* "43.0" below 100 ms, "812" from there; "-" when NAN. */
void fmt_ms_short(double v, char *buf, size_t len);
/* Compact age of an ISO time relative to now_ms, or "never". */
void fmt_age_of(const char *iso, int64_t now_ms, char *buf, size_t len);
/* The age of o[key] (fmt_age_of) as a left-aligned cell of width, then the gap. */
void fmt_age_cell(FILE *out, const json_t *o, const char *key, int64_t now_ms, size_t width);
/* "95.01 Kab. Jayawijaya" from a code and a catalog name. */
void fmt_short_name(const char *code, const char *name, char *buf, size_t len);

#endif
