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
test_postgresql_urls(void **state)
{
	(void)state;
	struct store_url u;
	char why[256];
	assert_true(store_url_parse("postgresql://h1:5432,h2:5433/pantau?target_session_attrs="
	    "read-write", &u, why, sizeof(why)));
	assert_string_equal(u.ops->name, "postgresql");
	assert_string_equal(u.target, "postgresql://h1:5432,h2:5433/pantau?target_session_attrs="
	    "read-write");
	assert_true(store_url_parse("postgresql:///pantau?host=/tmp/x&port=5432", &u, why,
	    sizeof(why)));
	assert_false(store_url_parse("postgresql://h1/pantau?nosuchkey=1", &u, why, sizeof(why)));
	assert_non_null(strstr(why, "nosuchkey"));
	assert_false(store_url_parse("postgresql://[::1/pantau", &u, why, sizeof(why)));
	assert_non_null(strstr(why, "not a PostgreSQL URL"));
}

#include "unit_main.h"
