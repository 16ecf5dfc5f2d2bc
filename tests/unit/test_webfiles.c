/* The dashboard's file names and types (collector/api/webfiles.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/api/webfiles.h"

static void
test_names(void **state)
{
	(void)state;
	static const char *const good[] = { "index.html", "app.js", "img/map-1.svg", "a_b.c.css" };
	static const char *const bad[] = { "", "..", "../x", "a/../b", "a/..", ".hidden",
		"a/.git/config", "/etc/passwd", "a//b", "a/", "a\\b", "a b", "a%2e", "é.js" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(webfiles_name_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (webfiles_name_ok(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	}
	char longname[WEBFILES_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(webfiles_name_ok(longname));
	longname[WEBFILES_NAME_MAX] = '\0';
	assert_true(webfiles_name_ok(longname));
}

static void
test_types(void **state)
{
	(void)state;
	assert_string_equal(webfiles_type("index.html"), "text/html; charset=utf-8");
	assert_string_equal(webfiles_type("x/app.js"), "text/javascript; charset=utf-8");
	assert_string_equal(webfiles_type("style.css"), "text/css; charset=utf-8");
	assert_string_equal(webfiles_type("indonesia.json"), "application/json; charset=utf-8");
	assert_string_equal(webfiles_type("README"), "application/octet-stream");
	assert_string_equal(webfiles_type("a.html.bak"), "application/octet-stream");
}

static void
test_open(void **state)
{
	(void)state;
	char dir[] = "/tmp/pantau-webfiles-XXXXXX", path[64];
	struct webfile f;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.js", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("x=1;\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);

	assert_int_equal(webfiles_open(dir, "a.js", &f), PANTAU_OK);
	assert_true(f.fd >= 0);
	assert_int_equal(f.size, 5);
	assert_string_equal(f.type, "text/javascript; charset=utf-8");
	close(f.fd);
	assert_int_equal(webfiles_open(dir, "missing.js", &f), PANTAU_ERR_NOT_FOUND);
	assert_int_equal(webfiles_open(dir, "sub", &f), PANTAU_ERR_NOT_FOUND);  /* no listing */
	assert_int_equal(webfiles_open(dir, "../a.js", &f), PANTAU_ERR_INVAL);
	assert_int_equal(f.fd, -1);

	snprintf(path, sizeof(path), "%s/a.js", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

#include "unit_main.h"
