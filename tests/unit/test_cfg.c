/* The typed configuration engine and the collector's file: every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "collector/collector_config.h"
#include "harness_files.h"

struct sample {
	char name[8];
	int port;
	int64_t bytes;
	double ratio;
	bool on;
	int color;
};

static const char *const colors[] = { "red", "green", NULL };

static bool
no_x(const char *v, char *why, size_t len)
{
	if (strchr(v, 'x') == NULL)
		return true;
	snprintf(why, len, "must not contain x");
	return false;
}

#define F(f) offsetof(struct sample, f)
static const struct cfg_key keys[] = {
	CFG_KEY_STR("name", F(name), 8, NULL, "a name", .check = no_x, .flags = CFG_REQUIRED),
	CFG_KEY_INT("port", F(port), 1, 65535, "1883", "a port"),
	CFG_KEY_I64("bytes", F(bytes), 0, 1e12, "67108864", "bytes"),
	CFG_KEY_DOUBLE("ratio", F(ratio), 0, 1, "0.5", "ratio"),
	CFG_KEY_BOOL("on", F(on), "false", "switch"),
	CFG_KEY_ENUM("color", F(color), "green", colors, "colour"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
static const char *const known[] = { "s", "probe.", NULL };

/* Parse text, apply keys to [s], report unused; returns the file. */
static struct cfg_file *
load(const char *text, struct sample *out)
{
	struct cfg_file *f = NULL;
	memset(out, 0, sizeof(*out));
	assert_int_equal(cfg_file_read_string("t.ini", text, &f), PANTAU_OK);
	cfg_apply(f, "s", keys, NKEYS, out);
	cfg_report_unused(f, known);
	return f;
}

static void
expect_error(const char *text, const char *want)
{
	struct sample s;
	struct cfg_file *f = load(text, &s);
	for (size_t i = 0; i < f->nerrors; i++) {
		if (strstr(f->errors[i], want) != NULL) {
			cfg_file_free(f);
			return;
		}
	}
	for (size_t i = 0; i < f->nerrors; i++)
		print_message("  error: %s\n", f->errors[i]);
	cfg_file_free(f);
	fail_msg("no error containing \"%s\"", want);
}

static void
test_values_and_defaults(void **state)
{
	(void)state;
	struct sample s;
	struct cfg_file *f = load("; comment\n[s]\nname = abc\nport = 8883\non = yes\n"
	                          "ratio = 0.25\ncolor = red\n", &s);
	assert_int_equal(f->nerrors, 0);
	assert_string_equal(s.name, "abc");
	assert_int_equal(s.port, 8883);
	assert_true(s.on);
	assert_true(s.ratio == 0.25);
	assert_int_equal(s.color, 0);
	assert_int_equal(s.bytes, 67108864);
	cfg_file_free(f);
}

static void
test_every_error(void **state)
{
	(void)state;
	expect_error("[s]\nname = a\nport = 70000\n",
	    "t.ini:3: [s] port: expected a whole number from 1 to 65535, got \"70000\"");
	expect_error("[s]\nname = a\nport = 12ab\n", "t.ini:3: [s] port: expected a whole number");
	expect_error("[s]\nname = a\nratio = 1.5\n", "t.ini:3: [s] ratio: expected a number");
	expect_error("[s]\nname = a\non = perhaps\n", "t.ini:3: [s] on: expected true or false");
	expect_error("[s]\nname = a\ncolor = blue\n",
	    "t.ini:3: [s] color: expected one of red, green, got \"blue\"");
	expect_error("[s]\nname = waytoolongname\n", "t.ini:2: [s] name: expected text of at "
	                                             "most 7 characters");
	expect_error("[s]\nname = xyz\n", "t.ini:2: [s] name: \"xyz\" must not contain x");
	expect_error("[s]\nport = 1\n", "t.ini:1: [s] name: required key is missing");
	expect_error("[s]\nname = a\nname = b\n", "t.ini:3: [s] name: set twice (first on line 2)");
	expect_error("[s]\nname = a\nprot = 1\n", "t.ini:3: [s] prot: unknown key");
	expect_error("[s]\nname = a\n[other]\nk = v\nk2 = v\n", "t.ini:3: [other]: unknown section");
	expect_error("k = v\n[s]\nname = a\n", "t.ini:1: k: key outside any section");
	expect_error("[s]\nname = a\nthis line has no equals sign\n", "t.ini:3: syntax error");
	char longline[CFG_MAX_LINE * 2];
	snprintf(longline, sizeof(longline), "[s]\nname = a\n");
	size_t n = strlen(longline);
	memset(longline + n, 'y', CFG_MAX_LINE + 100);
	snprintf(longline + n + CFG_MAX_LINE + 100, 8, " = 1\n");
	expect_error(longline, "t.ini:3: line is longer than 198 characters; shorten it");
}

static void
test_unknown_section_reported_once(void **state)
{
	(void)state;
	struct sample s;
	struct cfg_file *f = load("[s]\nname = a\n[typo]\na = 1\nb = 2\nc = 3\n", &s);
	assert_int_equal(f->nerrors, 1);
	cfg_file_free(f);
}

static void
test_sections_in_order(void **state)
{
	(void)state;
	struct cfg_file *f = NULL;
	const char *names[4];
	assert_int_equal(cfg_file_read_string("t.ini",
	                     "[probe.b]\nx=1\n[s]\ny=2\n[probe.a]\nz=3\n[probe.b]\nw=4\n", &f),
	    PANTAU_OK);
	assert_int_equal(cfg_sections(f, "probe.", names, 4), 2);
	assert_string_equal(names[0], "probe.b");
	assert_string_equal(names[1], "probe.a");
	cfg_file_free(f);
}

static char *
collector_errors(const char *text, pantau_err *rc)
{
	char path[HARNESS_PATH_MAX];
	harness_file(path, text);
	char *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);
	struct collector_config c;
	*rc = collector_config_load(path, &c, errs);
	fclose(errs);
	unlink(path);
	return buf;
}

static void
test_collector_file(void **state)
{
	(void)state;
	pantau_err rc;
	char *out = collector_errors("[collector]\ndatabase = /tmp/x.db\n[api]\nport = 99999\n"
	                             "[store]\nsynchronous = sometimes\n[broker]\nport = 1884\n",
	    &rc);
	assert_int_equal(rc, PANTAU_ERR_CONFIG);
	assert_non_null(strstr(out, ":4: [api] port: expected a whole number from 1 to 65535"));
	assert_non_null(strstr(out, ":6: [store] synchronous: expected one of normal, full"));
	free(out);
	out = collector_errors("[collector]\ndatabase = /tmp/x.db\n[api]\nport = 8081\n", &rc);
	assert_int_equal(rc, PANTAU_OK);
	assert_string_equal(out, "");
	free(out);
	out = collector_errors("[broker]\ncafile = /nonexistent/ca.pem\n", &rc);
	assert_int_equal(rc, PANTAU_ERR_CONFIG);
	assert_non_null(strstr(out, ":2: [broker] cafile: cannot read \"/nonexistent/ca.pem\""));
	free(out);
}

static void
test_missing_file(void **state)
{
	(void)state;
	struct collector_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *errs = open_memstream(&buf, &len);
	assert_int_equal(collector_config_load("/nonexistent/collector.ini", &c, errs),
	    PANTAU_ERR_IO);
	fclose(errs);
	assert_non_null(strstr(buf, "/nonexistent/collector.ini: cannot read the configuration"));
	free(buf);
}

/* 20,000 sections (a national profiles file): every key found, the
 * sections listed once each in file order, a repeat still caught, and the
 * header lines right; cfg.c indexes the names, so this stays linear. */
static void
test_many_sections(void **state)
{
	(void)state;
	enum { N = 20000 };
	size_t cap = (size_t)N * 48 + 64, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "[site.a%05d]\nlatitude = -%d\n"
		    "longitude = 1%d\n", i, i % 10, i % 90);
	len += (size_t)snprintf(text + len, cap - len, "[site.a00007]\nlatitude = 1\n");
	struct cfg_file *f = NULL;
	assert_int_equal(cfg_file_read_string("big.ini", text, &f), PANTAU_OK);
	for (int i = 0; i < N; i += 997) {
		char sec[32], want[16];
		snprintf(sec, sizeof(sec), "site.a%05d", i);
		snprintf(want, sizeof(want), "1%d", i % 90);
		const struct cfg_entry *e = cfg_find(f, sec, "longitude");
		assert_non_null(e);
		assert_string_equal(e->value, want);
		assert_int_equal(e->line, 3 * i + 3);
		assert_int_equal(cfg_section_line(f, sec), 3 * i + 1);
		assert_true(cfg_has_section(f, sec));
	}
	assert_null(cfg_find(f, "site.a00001", "altitude"));
	assert_false(cfg_has_section(f, "site.a20000"));
	assert_int_equal(cfg_section_line(f, "site.a20000"), 0);
	const char **names = calloc(N + 1, sizeof(*names));
	assert_non_null(names);
	assert_int_equal(cfg_sections(f, "site.", names, N + 1), N);
	assert_string_equal(names[0], "site.a00000");
	assert_string_equal(names[N - 1], "site.a19999");
	/* the second [site.a00007] sets latitude again: one error, naming both lines */
	assert_int_equal(f->nerrors, 1);
	assert_non_null(strstr(f->errors[0], "[site.a00007] latitude: set twice (first on line 23)"));
	free(names);
	free(text);
	cfg_file_free(f);
}

static bool
same_pos(const void *ctx, size_t pos, const char *a, const char *b)
{
	(void)b;
	return strcmp(((const char *const *)ctx)[pos], a) == 0;
}

/* Every name with the same hash: the index still tells them apart. */
static void
test_index_collisions(void **state)
{
	(void)state;
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
	struct cfgindex x = { 0 };
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(cfgindex_add(&x, 42, i), PANTAU_OK);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(cfgindex_find(&x, 42, same_pos, names, names[i], NULL), i);
	assert_int_equal(cfgindex_find(&x, 42, same_pos, names, "z", NULL), CFGINDEX_NONE);
	assert_int_equal(cfgindex_find(&x, 43, same_pos, names, "a", NULL), CFGINDEX_NONE);
	assert_true(cfgindex_hash("ab", "c") != cfgindex_hash("a", "bc"));
	cfgindex_free(&x);
	assert_int_equal(cfgindex_find(&x, 42, same_pos, names, "a", NULL), CFGINDEX_NONE);
}

#include "unit_main.h"
