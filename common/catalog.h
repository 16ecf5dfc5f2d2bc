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

struct catalog_province {
	char code[3];        /* "32" */
	char name[80];
};

struct catalog_regency {
	char code[6];        /* "32.73" */
	char province[3];    /* "32" */
	char name[80];
};

struct catalog {
	struct catalog_province *provinces;
	size_t nprovinces;
	struct catalog_regency *regencies;  /* sorted by code */
	size_t nregencies;
};

/* Load dir/provinces.csv and dir/regencies.csv. On failure why says which
 * file and line was wrong. */
pantau_err catalog_load(const char *dir, struct catalog **out, char *why, size_t whylen);
void catalog_free(struct catalog *c);

const struct catalog_regency *catalog_regency(const struct catalog *c, const char *code);
const struct catalog_province *catalog_province(const struct catalog *c, const char *code);

#endif
