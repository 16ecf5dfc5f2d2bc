/* [store] url: the backend and its target, and the sentences of a bad one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "collector/store/store_url.h"

static void
test_sqlite_url_names_the_file(void **state)
{
	(void)state;
	struct store_url u;
	char why[256];
	assert_true(store_url_parse("sqlite:///var/lib/pantau/pantau.db", &u, why, sizeof(why)));
	assert_string_equal(u.ops->name, "sqlite");
	assert_string_equal(u.target, "/var/lib/pantau/pantau.db");
	assert_true(store_url_parse("sqlite://rel/x.db", &u, why, sizeof(why)));
	assert_string_equal(u.target, "rel/x.db");
}

static void
test_bad_urls_say_what_to_write(void **state)
{
	(void)state;
	struct store_url u;
	char why[256];
	assert_false(store_url_parse("mysql://h/db", &u, why, sizeof(why)));
	assert_non_null(strstr(why, "not a store URL: write sqlite:///"));
	assert_false(store_url_parse("sqlite://", &u, why, sizeof(why)));
	assert_non_null(strstr(why, "names no database"));
	assert_false(store_url_parse("/var/lib/pantau/pantau.db", &u, why, sizeof(why)));
	assert_null(u.ops);
	char longer[STORE_URL_MAX + 8];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_false(store_url_parse(longer, &u, why, sizeof(why)));
	assert_non_null(strstr(why, "too long"));
}

static void
test_postgresql_not_yet_built(void **state)
{
	(void)state;
	struct store_url u;
	char why[256];
	assert_false(store_url_parse("postgresql://h1,h2/pantau", &u, why, sizeof(why)));
	assert_non_null(strstr(why, "not in this build"));
}

#include "unit_main.h"
