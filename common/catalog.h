/*
 * Region catalog: the 38 provinces and 514 regencies/cities of Indonesia
 * with their Kemendagri codes, read from provinces.csv and regencies.csv of
 * the npm package idn-area-data (ODbL; see docs/regions.md).
 */
#ifndef PANTAU_CATALOG_H
#define PANTAU_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Indonesia's three time zones; none has daylight saving. */
enum catalog_tz {
	CATALOG_WIB = 0,     /* UTC+7 */
	CATALOG_WITA,        /* UTC+8 */
	CATALOG_WIT,         /* UTC+9 */
	CATALOG_TZ_COUNT
};

struct catalog_province {
	char code[3];        /* "32" */
	char name[80];
	enum catalog_tz tz;
};

struct catalog_regency {
	char code[6];        /* "32.73" */
	char province[3];    /* "32" */
	char name[80];
	bool tertinggal;     /* daerah tertinggal (Perpres 63/2020) */
	bool terdepan;       /* frontier: set by operators */
	bool terluar;        /* outermost: set by operators */
};

struct catalog {
	struct catalog_province *provinces;
	size_t nprovinces;
	struct catalog_regency *regencies;  /* sorted by code */
	size_t nregencies;
};

/* Load dir/provinces.csv, dir/regencies.csv and dir/regency_flags.csv. On
 * failure why says which file and line was wrong. */
pantau_err catalog_load(const char *dir, struct catalog **out, char *why, size_t whylen);
void catalog_free(struct catalog *c);

const struct catalog_regency *catalog_regency(const struct catalog *c, const char *code);
const struct catalog_province *catalog_province(const struct catalog *c, const char *code);

/* Read a flags file (columns code,tertinggal,terdepan,terluar[,name];
 * '#' comments) and set the flags of the regencies it names: an operator's
 * override file has the shipped file's shape. */
pantau_err catalog_load_flags(struct catalog *c, const char *path, char *why, size_t len);

/* Take the 3T flags of every regency of from that to also has (a reload of
 * the flags file into the running catalog). */
void catalog_copy_flags(struct catalog *to, const struct catalog *from);

/* A 3T regency: tertinggal, terdepan or terluar. */
bool catalog_regency_3t(const struct catalog_regency *r);

/* Time zone of a province code ("91"); CATALOG_TZ_COUNT when unknown. */
enum catalog_tz catalog_tz_of(const char *province);
/* "WIB", "WITA", "WIT". */
const char *catalog_tz_name(enum catalog_tz tz);
/* Offset from UTC in hours: 7, 8, 9. */
int catalog_tz_offset_h(enum catalog_tz tz);

#endif
