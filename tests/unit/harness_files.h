/*
 * What the newer collector unit tests share (test_sinks.c, test_reload.c):
 * the build's region catalog, a status engine over it without a database,
 * and a temporary file (also the config and file-reading tests'). Included
 * after cmocka.h.
 */
#ifndef PANTAU_TEST_HARNESS_FILES_H
#define PANTAU_TEST_HARNESS_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "collector/status/engine.h"

#define HARNESS_PATH_MAX 32

/* The region catalog of the build ($PANTAU_BUILD, else build/). */
static inline struct catalog *
harness_catalog(void)
{
	char why[256], dir[512];
	struct catalog *cat = NULL;
	const char *build = getenv("PANTAU_BUILD");
	snprintf(dir, sizeof(dir), "%s/share/pantau", build != NULL ? build : "build");
	if (catalog_load(dir, &cat, why, sizeof(why)) != PANTAU_OK)
		fail_msg("catalog: %s (run make first)", why);
	return cat;
}

/* The status engine's options of the tests: 60 s windows, offline after 3
 * intervals of 60 s, 2 windows to enter a state and 3 to leave it, and a
 * baseline over 72 h (judged after 24 h) at twice its figures. */
static inline struct engine_opts
harness_engine_opts(void)
{
	return (struct engine_opts){ .window_s = 60, .offline_intervals = 3,
		.default_interval_s = 60, .hyst = { 2, 3 },
		.baseline = { .factor = 2, .rtt_floor_ms = 30, .loss_floor_pct = 1 },
		.baseline_hours = 72, .baseline_min_hours = 24, .at_risk_share = 0.25 };
}

/* An engine with harness_engine_opts() but no baseline, entering and leaving
 * after enter / leave windows, the clock at now_ms. */
static inline struct engine *
harness_engine(const struct catalog *cat, int enter, int leave, int64_t now_ms)
{
	struct engine_opts o = harness_engine_opts();
	o.hyst.enter = enter;
	o.hyst.leave = leave;
	o.baseline = (struct baseline_rules){ 0 };
	o.baseline_min_hours = 0;
	struct engine *e = engine_new(&o, cat, NULL, NULL, now_ms);
	assert_non_null(e);
	return e;
}

/* The start of a test's fixture: the catalog and an engine over it. */
struct harness_base {
	struct catalog *cat;
	struct engine *e;
};

/* A cmocka setup's body: a zeroed fixture of size bytes starting with a
 * struct harness_base, filled by harness_catalog and harness_engine. */
static inline void *
harness_setup(void **state, size_t size, int enter, int leave, int64_t now_ms)
{
	struct harness_base *b = calloc(1, size);
	assert_non_null(b);
	b->cat = harness_catalog();
	b->e = harness_engine(b->cat, enter, leave, now_ms);
	*state = b;
	return b;
}

/* The teardown of such a fixture. */
static inline int
harness_teardown(void **state)
{
	struct harness_base *b = *state;
	engine_free(b->e);
	catalog_free(b->cat);
	free(b);
	return 0;
}

/* A new temporary file holding text; unlink(path) when done. */
static inline void
harness_file(char path[HARNESS_PATH_MAX], const char *text)
{
	snprintf(path, HARNESS_PATH_MAX, "/tmp/pantau-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

#endif
