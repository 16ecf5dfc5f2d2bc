#include "catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strnum.h"
#include "wire.h"

#define CSV_LINE_MAX 512
#define CATALOG_MAX_ROWS 2000

static int
cmp_regency(const void *a, const void *b)
{
	return strcmp(((const struct catalog_regency *)a)->code,
	    ((const struct catalog_regency *)b)->code);
}

/* Split a simple CSV line (no quoting: the data set has none) into at most
 * max fields in place; returns the field count. */
static size_t
split_csv(char *line, char **fields, size_t max)
{
	size_t n = 0;
	line[strcspn(line, "\r\n")] = '\0';
	char *p = line;
	while (n < max) {
		fields[n++] = p;
		char *comma = strchr(p, ',');
		if (comma == NULL)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	return n;
}

static bool
digits2(const char *s)
{
	return strlen(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9';
}

typedef bool (*row_fn)(struct catalog *c, char **f, size_t n, char *why, size_t len);

/* Province codes by time zone (REFERENCES.md: Sumatra, Java, West and
 * Central Kalimantan WIB; South, East, North Kalimantan, Bali, Nusa
 * Tenggara and Sulawesi WITA; Maluku and Papua WIT). */
static const char *const tz_provinces[CATALOG_TZ_COUNT] =
    {[CATALOG_WIB] = "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 61 62",
     [CATALOG_WITA] = "51 52 53 63 64 65 71 72 73 74 75 76",
     [CATALOG_WIT] = "81 82 91 92 93 94 95 96"};

enum catalog_tz
catalog_tz_of(const char *province)
{
	if (!digits2(province))
		return CATALOG_TZ_COUNT;
	for (int tz = 0; tz < CATALOG_TZ_COUNT; tz++)
		for (const char *p = tz_provinces[tz]; *p != '\0'; p += p[2] == ' ' ? 3 : 2)
			if (p[0] == province[0] && p[1] == province[1])
				return (enum catalog_tz)tz;
	return CATALOG_TZ_COUNT;
}

const char *
catalog_tz_name(enum catalog_tz tz)
{
	static const char *const names[CATALOG_TZ_COUNT] = {"WIB", "WITA", "WIT"};
	return tz < CATALOG_TZ_COUNT ? names[tz] : "?";
}

int
catalog_tz_offset_h(enum catalog_tz tz)
{
	return 7 + (int)tz;
}

bool
catalog_regency_3t(const struct catalog_regency *r)
{
	return r->tertinggal || r->terdepan || r->terluar;
}

static bool
add_province(struct catalog *c, char **f, size_t n, char *why, size_t len)
{
	if (n != 2 || !digits2(f[0]) || f[1][0] == '\0') {
		snprintf(why, len, "expected 'code,name' with a 2-digit code");
		return false;
	}
	enum catalog_tz tz = catalog_tz_of(f[0]);
	if (tz == CATALOG_TZ_COUNT) {
		snprintf(why, len, "province %s has no known time zone (WIB, WITA or WIT); "
		    "add it to common/catalog.c", f[0]);
		return false;
	}
	struct catalog_province *p = &c->provinces[c->nprovinces++];
	snprintf(p->code, sizeof(p->code), "%s", f[0]);
	snprintf(p->name, sizeof(p->name), "%s", f[1]);
	p->tz = tz;
	return true;
}

static bool
flag01(const char *s, bool *out)
{
	if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
		return false;
	*out = s[0] == '1';
	return true;
}

static bool
set_flags(struct catalog *c, char **f, size_t n, char *why, size_t len)
{
	struct catalog_regency *r = n >= 4 ? (struct catalog_regency *)catalog_regency(c, f[0]) : NULL;
	bool t, d, l;
	if (n < 4 || n > 5 || !flag01(f[1], &t) || !flag01(f[2], &d) || !flag01(f[3], &l)) {
		snprintf(why, len, "expected 'code,tertinggal,terdepan,terluar[,name]' with flags 0 or 1");
		return false;
	}
	if (r == NULL) {
		snprintf(why, len, "no regency %s in the catalog; codes look like 95.01", f[0]);
		return false;
	}
	r->tertinggal = t;
	r->terdepan = d;
	r->terluar = l;
	return true;
}

static bool
add_regency(struct catalog *c, char **f, size_t n, char *why, size_t len)
{
	if (n != 3 || !wire_regency_code_valid(f[0]) || !digits2(f[1]) ||
	    strncmp(f[0], f[1], 2) != 0 || f[2][0] == '\0') {
		snprintf(why, len, "expected 'PP.RR,PP,name'");
		return false;
	}
	struct catalog_regency *r = &c->regencies[c->nregencies++];
	snprintf(r->code, sizeof(r->code), "%s", f[0]);
	snprintf(r->province, sizeof(r->province), "%s", f[1]);
	snprintf(r->name, sizeof(r->name), "%s", f[2]);
	return true;
}

static pantau_err
read_csv(const char *path, struct catalog *c, row_fn add, char *why, size_t len)
{
	char line[CSV_LINE_MAX], reason[128];
	char *f[4];
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(why, len, "cannot open %s: %s (run 'make deps', or set catalog_dir)",
		    path, strerror(errno));
		return PANTAU_ERR_IO;
	}
	pantau_err rc = PANTAU_OK;
	bool header = true;
	for (int lineno = 1; fgets(line, sizeof(line), fp) != NULL; lineno++) {
		if (line[0] == '#' || line[0] == '\n' || line[0] == '\r')
			continue; /* comment, blank */
		if (header) {
			header = false;
			continue;
		}
		size_t n = split_csv(line, f, 4);
		if (c->nprovinces >= CATALOG_MAX_ROWS || c->nregencies >= CATALOG_MAX_ROWS ||
		    !add(c, f, n, reason, sizeof(reason))) {
			snprintf(why, len, "%s:%d: %s", path, lineno, reason);
			rc = PANTAU_ERR_PARSE;
			break;
		}
	}
	fclose(fp);
	return rc;
}

pantau_err
catalog_load(const char *dir, struct catalog **out, char *why, size_t len)
{
	char path[4096];
	pantau_err rc = PANTAU_ERR_NOMEM;
	struct catalog *c = calloc(1, sizeof(*c));
	*out = NULL;
	snprintf(why, len, "out of memory");
	if (c == NULL)
		goto out;
	c->provinces = calloc(CATALOG_MAX_ROWS, sizeof(*c->provinces));
	c->regencies = calloc(CATALOG_MAX_ROWS, sizeof(*c->regencies));
	if (c->provinces == NULL || c->regencies == NULL)
		goto out;
	snprintf(path, sizeof(path), "%s/provinces.csv", dir);
	if ((rc = read_csv(path, c, add_province, why, len)) != PANTAU_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/regencies.csv", dir);
	if ((rc = read_csv(path, c, add_regency, why, len)) != PANTAU_OK)
		goto out;
	if (c->nprovinces == 0 || c->nregencies == 0) {
		snprintf(why, len, "%s: no provinces or regencies found", dir);
		rc = PANTAU_ERR_PARSE;
		goto out;
	}
	qsort(c->regencies, c->nregencies, sizeof(*c->regencies), cmp_regency);
	snprintf(path, sizeof(path), "%s/regency_flags.csv", dir);
	if ((rc = catalog_load_flags(c, path, why, len)) != PANTAU_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	catalog_free(c);
	return rc;
}

pantau_err
catalog_load_flags(struct catalog *c, const char *path, char *why, size_t len)
{
	return read_csv(path, c, set_flags, why, len);
}

void
catalog_copy_flags(struct catalog *to, const struct catalog *from)
{
	for (size_t i = 0; i < to->nregencies; i++) {
		struct catalog_regency *r = &to->regencies[i];
		const struct catalog_regency *f = catalog_regency(from, r->code);
		if (f != NULL) {
			r->tertinggal = f->tertinggal;
			r->terdepan = f->terdepan;
			r->terluar = f->terluar;
		}
	}
}

void
catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	free(c->provinces);
	free(c->regencies);
	free(c);
}

const struct catalog_regency *
catalog_regency(const struct catalog *c, const char *code)
{
	struct catalog_regency key;
	if (strnum_copy(key.code, sizeof(key.code), code) != PANTAU_OK)
		return NULL;
	return bsearch(&key, c->regencies, c->nregencies, sizeof(key), cmp_regency);
}

const struct catalog_province *
catalog_province(const struct catalog *c, const char *code)
{
	for (size_t i = 0; i < c->nprovinces; i++)
		if (strcmp(c->provinces[i].code, code) == 0)
			return &c->provinces[i];
	return NULL;
}
