#include "cfg.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grow.h"
#include "strnum.h"

/* State of one parse: where the reader is and what it has seen. */
struct cfg_reader {
	struct cfg_file *f;
	FILE *fp;           /* file input, or NULL */
	const char *text;   /* string input, or NULL */
	int line;           /* line the reader returned last */
	bool oom;
};

static char *
dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

void
cfg_error(struct cfg_file *f, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (f->nerrors >= CFG_MAX_ERRORS) {
		f->nerrors_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	f->errors[f->nerrors] = dup_str(buf);
	if (f->errors[f->nerrors] != NULL)
		f->nerrors++;
}

/* Discard the rest of an overlong line. */
static void
skip_rest_of_line(struct cfg_reader *r)
{
	if (r->fp != NULL) {
		int c;
		while ((c = fgetc(r->fp)) != EOF && c != '\n')
			;
		return;
	}
	while (*r->text != '\0' && *r->text != '\n')
		r->text++;
	if (*r->text == '\n')
		r->text++;
}

static char *
read_line(struct cfg_reader *r, char *str, int num)
{
	if (r->fp != NULL)
		return fgets(str, num, r->fp);
	if (*r->text == '\0')
		return NULL;
	int i = 0;
	while (i < num - 1 && r->text[0] != '\0') {
		char c = *r->text++;
		str[i++] = c;
		if (c == '\n')
			break;
	}
	str[i] = '\0';
	return str;
}

static bool
match_key(const void *ctx, size_t pos, const char *section, const char *key)
{
	const struct cfg_entry *e = &((const struct cfg_file *)ctx)->entries[pos];
	return strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0;
}

static bool
match_section(const void *ctx, size_t pos, const char *section, const char *unused)
{
	(void)unused;
	return strcmp(((const struct cfg_file *)ctx)->entries[pos].section, section) == 0;
}

static bool
match_header(const void *ctx, size_t pos, const char *name, const char *unused)
{
	(void)unused;
	return strcmp(((const struct cfg_file *)ctx)->headers[pos].name, name) == 0;
}

/* The first entry of section, or CFGINDEX_NONE. */
static size_t
first_of_section(const struct cfg_file *f, const char *section)
{
	return cfgindex_find(&f->by_section, cfgindex_hash(section, NULL), match_section, f,
	    section, NULL);
}

/* Remember where a "[name]" header line is, for messages about sections. */
static void
note_header(struct cfg_reader *r, const char *line)
{
	struct cfg_file *f = r->f;
	const char *p = line + strspn(line, " \t");
	if (*p != '[')
		return;
	const char *end = strchr(++p, ']');
	if (end == NULL)
		return;
	char name[128];
	snprintf(name, sizeof(name), "%.*s", (int)(end - p), p);
	if (cfg_section_line(f, name) != 0)
		return;
	struct cfg_section_line *h = grow_to(f->headers, &f->capheaders, f->nheaders + 1,
		sizeof(*h), 16);
	if (h == NULL)
		return;
	f->headers = h;
	f->headers[f->nheaders].name = dup_str(name);
	f->headers[f->nheaders].line = r->line;
	if (f->headers[f->nheaders].name == NULL)
		return;
	if (cfgindex_add(&f->by_header, cfgindex_hash(name, NULL), f->nheaders) != PANTAU_OK) {
		free(f->headers[f->nheaders].name);
		return;
	}
	f->nheaders++;
}

int
cfg_section_line(const struct cfg_file *f, const char *section)
{
	size_t i = cfgindex_find(&f->by_header, cfgindex_hash(section, NULL), match_header, f,
	    section, NULL);
	return i != CFGINDEX_NONE ? f->headers[i].line : 0;
}

/* ini_reader: one line per call, counting lines, refusing overlong ones. */
static char *
cfg_ini_reader(char *str, int num, void *stream)
{
	struct cfg_reader *r = stream;
	char *s = read_line(r, str, num);
	if (s == NULL)
		return NULL;
	r->line++;
	size_t len = strlen(s);
	bool at_end = r->fp != NULL ? feof(r->fp) != 0 : *r->text == '\0';
	if (len > 0 && s[len - 1] != '\n' && !at_end) {
		cfg_error(r->f, "%s:%d: line is longer than %d characters; shorten it",
		    r->f->path, r->line, num - 2);
		skip_rest_of_line(r);
		s[0] = '\0'; /* parse as an empty line */
	}
	note_header(r, s);
	return s;
}

static bool
add_entry(struct cfg_file *f, const char *section, const char *key, const char *value,
    int line)
{
	struct cfg_entry *v = grow_to(f->entries, &f->cap, f->n + 1, sizeof(*v), 32);
	if (v == NULL)
		return false;
	f->entries = v;
	struct cfg_entry *e = &f->entries[f->n];
	e->section = dup_str(section);
	e->key = dup_str(key);
	e->value = dup_str(value);
	e->line = line;
	e->used = false;
	bool first = first_of_section(f, section) == CFGINDEX_NONE;
	if (e->section == NULL || e->key == NULL || e->value == NULL ||
	    cfgindex_add(&f->by_key, cfgindex_hash(section, key), f->n) != PANTAU_OK ||
	    (first && cfgindex_add(&f->by_section, cfgindex_hash(section, NULL), f->n) !=
	        PANTAU_OK)) {
		free(e->section);
		free(e->key);
		free(e->value);
		return false;     /* out of memory: the whole parse fails */
	}
	f->n++;
	return true;
}

static int
cfg_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_reader *r = user;
	struct cfg_file *f = r->f;
	if (name == NULL)
		return 1;
	if (section[0] == '\0') {
		cfg_error(f, "%s:%d: %s: key outside any section; put it under a [section] header",
		    f->path, r->line, name);
		return 1;
	}
	const struct cfg_entry *prev = cfg_find(f, section, name);
	if (prev != NULL) {
		cfg_error(f, "%s:%d: [%s] %s: set twice (first on line %d); keep one",
		    f->path, r->line, section, name, prev->line);
		return 1;
	}
	if (!add_entry(f, section, name, value, r->line)) {
		r->oom = true;
		return 0;
	}
	return 1;
}

static pantau_err
cfg_parse(struct cfg_reader *r, struct cfg_file **out)
{
	int rc = ini_parse_stream(cfg_ini_reader, r, cfg_ini_handler, r);
	if (r->oom) {
		cfg_file_free(r->f);
		return PANTAU_ERR_NOMEM;
	}
	if (rc > 0)
		cfg_error(r->f, "%s:%d: syntax error: expected '[section]' or 'key = value'",
		    r->f->path, rc);
	*out = r->f;
	return PANTAU_OK;
}

static struct cfg_file *
file_new(const char *path)
{
	struct cfg_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->path = dup_str(path);
	if (f->path == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

pantau_err
cfg_file_read(const char *path, struct cfg_file **out)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return PANTAU_ERR_IO;
	struct cfg_reader r = { .f = file_new(path), .fp = fp };
	if (r.f == NULL) {
		fclose(fp);
		return PANTAU_ERR_NOMEM;
	}
	pantau_err rc = cfg_parse(&r, out);
	fclose(fp);
	return rc;
}

pantau_err
cfg_file_read_string(const char *path, const char *text, struct cfg_file **out)
{
	struct cfg_reader r = { .f = file_new(path), .text = text };
	if (r.f == NULL)
		return PANTAU_ERR_NOMEM;
	return cfg_parse(&r, out);
}

void
cfg_file_free(struct cfg_file *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->entries[i].section);
		free(f->entries[i].key);
		free(f->entries[i].value);
	}
	for (size_t i = 0; i < f->nerrors; i++)
		free(f->errors[i]);
	for (size_t i = 0; i < f->nheaders; i++)
		free(f->headers[i].name);
	free(f->headers);
	free(f->entries);
	cfgindex_free(&f->by_key);
	cfgindex_free(&f->by_section);
	cfgindex_free(&f->by_header);
	free(f->path);
	free(f);
}

bool
cfg_has_section(const struct cfg_file *f, const char *section)
{
	return first_of_section(f, section) != CFGINDEX_NONE;
}

const struct cfg_entry *
cfg_find(const struct cfg_file *f, const char *section, const char *key)
{
	size_t i = cfgindex_find(&f->by_key, cfgindex_hash(section, key), match_key, f, section,
	    key);
	return i != CFGINDEX_NONE ? &f->entries[i] : NULL;
}

static bool
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static void
describe_expected(const struct cfg_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case CFG_STRING:
		snprintf(buf, len, "text of at most %zu characters", k->size - 1);
		break;
	case CFG_INT:
	case CFG_I64:
		snprintf(buf, len, "a whole number from %.0f to %.0f", k->min, k->max);
		break;
	case CFG_DOUBLE:
		snprintf(buf, len, "a number from %g to %g", k->min, k->max);
		break;
	case CFG_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case CFG_ENUM: {
		size_t off = (size_t)snprintf(buf, len, "one of");
		for (size_t i = 0; k->choices[i] != NULL && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s %s",
			    i ? "," : "", k->choices[i]);
		break;
	}
	}
}

static bool
set_number(const struct cfg_key *k, const char *value, void *field)
{
	if (k->type == CFG_DOUBLE) {
		double d;
		if (strnum_double(value, k->min, k->max, &d) != PANTAU_OK)
			return false;
		*(double *)field = d;
		return true;
	}
	long long v;
	if (strnum_int(value, (long long)k->min, (long long)k->max, &v) != PANTAU_OK)
		return false;
	if (k->type == CFG_INT)
		*(int *)field = (int)v;
	else
		*(int64_t *)field = (int64_t)v;
	return true;
}

/* Convert and store one value; false when it does not fit the key's type. */
static bool
set_value(const struct cfg_key *k, const char *value, void *target)
{
	void *field = (char *)target + k->offset;
	switch (k->type) {
	case CFG_STRING:
		return strnum_copy(field, k->size, value) == PANTAU_OK;
	case CFG_INT:
	case CFG_I64:
	case CFG_DOUBLE:
		return set_number(k, value, field);
	case CFG_BOOL:
		return parse_bool(value, field);
	case CFG_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(value, k->choices[i]) == 0) {
				*(int *)field = i;
				return true;
			}
		}
		return false;
	}
	return false;
}

pantau_err
cfg_format(const struct cfg_key *k, const void *target, char *out, size_t len)
{
	const void *field = (const char *)target + k->offset;
	int n = -1;
	switch (k->type) {
	case CFG_STRING:
		n = snprintf(out, len, "%s", (const char *)field);
		break;
	case CFG_INT:
		n = snprintf(out, len, "%d", *(const int *)field);
		break;
	case CFG_I64:
		n = snprintf(out, len, "%lld", (long long)*(const int64_t *)field);
		break;
	case CFG_DOUBLE:
		n = snprintf(out, len, "%.17g", *(const double *)field);
		break;
	case CFG_BOOL:
		n = snprintf(out, len, "%s", *(const bool *)field ? "true" : "false");
		break;
	case CFG_ENUM:
		n = snprintf(out, len, "%s", k->choices[*(const int *)field]);
		break;
	}
	return n >= 0 && (size_t)n < len ? PANTAU_OK : PANTAU_ERR_TOO_BIG;
}

void
cfg_apply_defaults(const struct cfg_key *keys, size_t nkeys, void *target)
{
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].def != NULL)
			(void)set_value(&keys[i], keys[i].def, target);
}

static void
apply_one(struct cfg_file *f, const char *section, const struct cfg_key *k,
    struct cfg_entry *e, void *target)
{
	char why[256];
	e->used = true;
	if (!set_value(k, e->value, target)) {
		describe_expected(k, why, sizeof(why));
		cfg_error(f, "%s:%d: [%s] %s: expected %s, got \"%s\"", f->path, e->line,
		    section, k->name, why, e->value);
		return;
	}
	why[0] = '\0';
	if (k->check != NULL && !k->check(e->value, why, sizeof(why)))
		cfg_error(f, "%s:%d: [%s] %s: \"%s\" %s", f->path, e->line, section,
		    k->name, e->value, why);
}

void
cfg_apply(struct cfg_file *f, const char *section, const struct cfg_key *keys, size_t nkeys,
    void *target)
{
	cfg_apply_defaults(keys, nkeys, target);
	for (size_t i = 0; i < nkeys; i++) {
		const struct cfg_key *k = &keys[i];
		struct cfg_entry *e = (struct cfg_entry *)cfg_find(f, section, k->name);
		if (e != NULL) {
			apply_one(f, section, k, e, target);
		} else if (k->flags & CFG_REQUIRED) {
			int line = cfg_section_line(f, section);
			char where[32] = "";
			if (line > 0)
				snprintf(where, sizeof(where), ":%d", line);
			cfg_error(f, "%s%s: [%s] %s: required key is missing; add it (%s)",
			    f->path, where, section, k->name, k->help);
		}
	}
}

size_t
cfg_sections(const struct cfg_file *f, const char *prefix, const char **names, size_t max)
{
	size_t n = 0, plen = strlen(prefix);
	for (size_t i = 0; i < f->n && n < max; i++) {
		const char *s = f->entries[i].section;
		/* each section once: at its first entry */
		if (strncmp(s, prefix, plen) == 0 && first_of_section(f, s) == i)
			names[n++] = s;
	}
	return n;
}

static bool
section_known(const char *section, const char *const *known)
{
	for (size_t i = 0; known[i] != NULL; i++) {
		size_t len = strlen(known[i]);
		/* A name ending in '.' stands for a family: "probe." */
		if (known[i][len - 1] == '.' ? strncmp(section, known[i], len) == 0 &&
		        section[len] != '\0'
		                             : strcmp(section, known[i]) == 0)
			return true;
	}
	return false;
}

void
cfg_report_unused(struct cfg_file *f, const char *const *known_sections)
{
	for (size_t i = 0; i < f->n; i++) {
		struct cfg_entry *e = &f->entries[i];
		if (e->used)
			continue;
		if (!section_known(e->section, known_sections)) {
			int line = cfg_section_line(f, e->section);
			cfg_error(f, "%s:%d: [%s]: unknown section; check its spelling",
			    f->path, line > 0 ? line : e->line, e->section);
			/* Mark the rest of this section so it is reported once. */
			for (size_t j = i; j < f->n; j++)
				if (strcmp(f->entries[j].section, e->section) == 0)
					f->entries[j].used = true;
			continue;
		}
		cfg_error(f, "%s:%d: [%s] %s: unknown key; check its spelling or remove it",
		    f->path, e->line, e->section, e->key);
	}
}

void
cfg_check_not_above(struct cfg_file *f, const char *section, const char *small, int a,
    const char *big, int b)
{
	if (a <= b)
		return;
	const struct cfg_entry *e = cfg_find(f, section, small);
	char where[16] = "";
	if (e != NULL)
		snprintf(where, sizeof(where), ":%d", e->line);
	cfg_error(f, "%s%s: [%s] %s (%d) is more than %s (%d); lower it", f->path, where, section,
	    small, a, big, b);
}

pantau_err
cfg_file_open(const char *path, const char *what, struct cfg_file **out, FILE *errs)
{
	*out = NULL;
	pantau_err rc = path != NULL ? cfg_file_read(path, out) :
	    cfg_file_read_string("(defaults)", "", out);
	if (rc == PANTAU_ERR_IO)
		fprintf(errs, "%s: cannot read the %s: %s\n", path, what, strerror(errno));
	return rc;
}

pantau_err
cfg_file_close(struct cfg_file *f, const char *const *known_sections, const char *check_cmd,
    FILE *errs)
{
	pantau_err rc = PANTAU_OK;
	cfg_report_unused(f, known_sections);
	if (f->nerrors > 0) {
		cfg_print_errors(f, errs);
		if (check_cmd != NULL)
			fprintf(errs, "%zu error%s in %s; fix %s and run '%s' again\n",
			    f->nerrors + f->nerrors_dropped, f->nerrors == 1 ? "" : "s", f->path,
			    f->nerrors == 1 ? "it" : "them", check_cmd);
		rc = PANTAU_ERR_CONFIG;
	}
	cfg_file_free(f);
	return rc;
}

void
cfg_print_errors(const struct cfg_file *f, FILE *to)
{
	for (size_t i = 0; i < f->nerrors; i++)
		fprintf(to, "%s\n", f->errors[i]);
	if (f->nerrors_dropped > 0)
		fprintf(to, "... and %zu more errors\n", f->nerrors_dropped);
}

void
cfg_print_reference(const char *title, const struct cfg_key *keys, size_t nkeys, FILE *to)
{
	char expect[256];
	fprintf(to, "| %s | value | default | meaning |\n|---|---|---|---|\n", title);
	for (size_t i = 0; i < nkeys; i++) {
		describe_expected(&keys[i], expect, sizeof(expect));
		fprintf(to, "| `%s` | %s | %s | %s%s |\n", keys[i].name, expect,
		    (keys[i].flags & CFG_REQUIRED) ? "required" :
		    keys[i].def != NULL && keys[i].def[0] != '\0' ? keys[i].def : "(none)",
		    keys[i].help, (keys[i].flags & CFG_RELOAD) ? " (SIGHUP reloads it)" : "");
	}
}
