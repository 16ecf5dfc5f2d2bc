/* The region catalog: time zones of the provinces, 3T flags, overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"

static const char *
catalog_dir(char *buf, size_t len)
{
	const char *build = getenv("PANTAU_BUILD");
	snprintf(buf, len, "%s/share/pantau", build != NULL ? build : "build");
	return buf;
}

static int
setup(void **state)
{
	char why[256], dir[512];
	struct catalog *c = NULL;
	if (catalog_load(catalog_dir(dir, sizeof(dir)), &c, why, sizeof(why)) != PANTAU_OK)
		fail_msg("catalog: %s (run make first)", why);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	catalog_free(*state);
	return 0;
}

static void
test_time_zones(void **state)
{
	const struct catalog *c = *state;
	int per_tz[CATALOG_TZ_COUNT] = {0};
	for (size_t i = 0; i < c->nprovinces; i++)
		per_tz[c->provinces[i].tz]++;
	/* 38 provinces: 18 WIB, 12 WITA, 8 WIT. */
	assert_int_equal(c->nprovinces, 38);
	assert_int_equal(per_tz[CATALOG_WIB], 18);
	assert_int_equal(per_tz[CATALOG_WITA], 12);
	assert_int_equal(per_tz[CATALOG_WIT], 8);
	assert_int_equal(catalog_province(c, "32")->tz, CATALOG_WIB);      /* Jawa Barat */
	assert_int_equal(catalog_province(c, "21")->tz, CATALOG_WIB);      /* Kepulauan Riau */
	assert_int_equal(catalog_province(c, "62")->tz, CATALOG_WIB);      /* Kalimantan Tengah */
	assert_int_equal(catalog_province(c, "63")->tz, CATALOG_WITA);     /* Kalimantan Selatan */
	assert_int_equal(catalog_province(c, "51")->tz, CATALOG_WITA);     /* Bali */
	assert_int_equal(catalog_province(c, "76")->tz, CATALOG_WITA);     /* Sulawesi Barat */
	assert_int_equal(catalog_province(c, "82")->tz, CATALOG_WIT);      /* Maluku Utara */
	assert_int_equal(catalog_province(c, "96")->tz, CATALOG_WIT);      /* Papua Barat Daya */
	assert_string_equal(catalog_tz_name(CATALOG_WITA), "WITA");
	assert_int_equal(catalog_tz_offset_h(CATALOG_WIT), 9);
	assert_int_equal(catalog_tz_of("99"), CATALOG_TZ_COUNT);
	assert_int_equal(catalog_tz_of("9"), CATALOG_TZ_COUNT);
}

static void
test_tertinggal(void **state)
{
	const struct catalog *c = *state;
	int n = 0;
	for (size_t i = 0; i < c->nregencies; i++)
		n += c->regencies[i].tertinggal;
	assert_int_equal(n, 62);
	const struct catalog_regency *r = catalog_regency(c, "95.01"); /* Jayawijaya */
	assert_true(r->tertinggal && catalog_regency_3t(r));
	r = catalog_regency(c, "72.09");                               /* Tojo Una-Una */
	assert_true(r->tertinggal);
	r = catalog_regency(c, "32.73");                               /* Kota Bandung */
	assert_false(catalog_regency_3t(r));
}

static char *
write_tmp(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/pantau-flags-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_override(void **state)
{
	struct catalog *c = *state;
	char path[64], why[256];
	write_tmp(path, "# operator's flags\ncode,tertinggal,terdepan,terluar\n"
	                "32.73,0,1,0\n95.01,0,0,0\n21.01,0,1,1,Kabupaten Karimun\n");
	assert_int_equal(catalog_load_flags(c, path, why, sizeof(why)), PANTAU_OK);
	unlink(path);
	const struct catalog_regency *r = catalog_regency(c, "32.73");
	assert_true(r->terdepan && catalog_regency_3t(r));
	assert_false(catalog_regency_3t(catalog_regency(c, "95.01")));
	assert_true(catalog_regency(c, "21.01")->terluar);
}

static void
test_override_errors(void **state)
{
	struct catalog *c = *state;
	char path[64], why[256];
	write_tmp(path, "code,tertinggal,terdepan,terluar\n32.73,0,1,0\n\n32.99,1,0,0\n");
	assert_int_equal(catalog_load_flags(c, path, why, sizeof(why)), PANTAU_ERR_PARSE);
	assert_non_null(strstr(why, ":4: no regency 32.99 in the catalog"));
	unlink(path);
	write_tmp(path, "code,tertinggal,terdepan,terluar\n32.73,yes,0,0\n");
	assert_int_equal(catalog_load_flags(c, path, why, sizeof(why)), PANTAU_ERR_PARSE);
	assert_non_null(strstr(why, ":2: expected 'code,tertinggal,terdepan,terluar[,name]'"));
	unlink(path);
	assert_int_equal(catalog_load_flags(c, "/nonexistent/flags.csv", why, sizeof(why)),
	    PANTAU_ERR_IO);
	assert_non_null(strstr(why, "cannot open /nonexistent/flags.csv"));
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
