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
#include "harness_files.h"


static int
setup(void **state)
{
	*state = harness_catalog();
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


static void
test_override(void **state)
{
	struct catalog *c = *state;
	char path[HARNESS_PATH_MAX], why[256];
	harness_file(path, "# operator's flags\ncode,tertinggal,terdepan,terluar\n"
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
	char path[HARNESS_PATH_MAX], why[256];
	harness_file(path, "code,tertinggal,terdepan,terluar\n32.73,0,1,0\n\n32.99,1,0,0\n");
	assert_int_equal(catalog_load_flags(c, path, why, sizeof(why)), PANTAU_ERR_PARSE);
	assert_non_null(strstr(why, ":4: no regency 32.99 in the catalog"));
	unlink(path);
	harness_file(path, "code,tertinggal,terdepan,terluar\n32.73,yes,0,0\n");
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
