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

static bool
add_province(struct catalog *c, char **f, size_t n, char *why, size_t len)
{
	if (n != 2 || !digits2(f[0]) || f[1][0] == '\0') {
		snprintf(why, len, "expected 'code,name' with a 2-digit code");
		return false;
	}
	struct catalog_province *p = &c->provinces[c->nprovinces++];
	snprintf(p->code, sizeof(p->code), "%s", f[0]);
	snprintf(p->name, sizeof(p->name), "%s", f[1]);
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
	for (int lineno = 1; fgets(line, sizeof(line), fp) != NULL; lineno++) {
		if (lineno == 1 || line[0] == '\n' || line[0] == '\r')
			continue; /* header */
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
	*out = c;
	c = NULL;
out:
	catalog_free(c);
	return rc;
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
