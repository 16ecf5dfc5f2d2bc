#include "store_url.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "collector/store/pg_db.h"

static int
sqlite_open(const char *target, bool create, struct db **out)
{
	return db_sqlite_open(target, create ? DB_SQLITE_CREATE : DB_SQLITE_READWRITE, out);
}

static int
pg_open(const char *target, bool create, struct db **out)
{
	(void)create;
	return db_pg_open(target, out);
}

static bool
sqlite_check(const char *target, char *why, size_t len)
{
	(void)target;
	(void)why;
	(void)len;
	return true;
}

/* libpq's own parser: a bad key or a malformed URI is named. */
static bool
pg_check(const char *target, char *why, size_t len)
{
	char *err = NULL, reason[160];
	PQconninfoOption *o = PQconninfoParse(target, &err);
	if (o != NULL) {
		PQconninfoFree(o);
		return true;
	}
	snprintf(reason, sizeof(reason), "%s", err != NULL ? err : "out of memory");
	PQfreemem(err);
	size_t n = strlen(reason);
	while (n > 0 && reason[n - 1] == '\n')
		reason[--n] = '\0';
	snprintf(why, len, "not a PostgreSQL URL (%s): write postgresql://host[:port][,host2]"
	    "/database?target_session_attrs=read-write", reason);
	return false;
}

static const struct store_ops sqlite_backend = { "sqlite", "sqlite://", true, sqlite_open,
	sqlite_check };
static const struct store_ops postgresql_backend = { "postgresql", "postgresql://", true,
	pg_open, pg_check };

const struct store_ops *const store_backends[] = { &sqlite_backend, &postgresql_backend, NULL };

static bool
usage(char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s: write sqlite:///path/to/pantau.db or "
	    "postgresql://host/database", what);
	return false;
}

bool
store_url_parse(const char *url, struct store_url *out, char *why, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (strlen(url) >= sizeof(out->target))
		return usage(why, len, "too long");
	for (size_t i = 0; store_backends[i] != NULL; i++) {
		const struct store_ops *o = store_backends[i];
		size_t n = strlen(o->scheme);
		if (strncmp(url, o->scheme, n) != 0)
			continue;
		if (!o->built) {
			snprintf(why, len, "the %s store is not in this build of pantau-collector; "
			    "use sqlite:///path/to/pantau.db", o->name);
			return false;
		}
		if (url[n] == '\0')
			return usage(why, len, "it names no database");
		out->ops = o;
		/* libpq reads the whole URI; SQLite gets the file's path. */
		snprintf(out->target, sizeof(out->target), "%s", o == &sqlite_backend ? url + n : url);
		return o->check(out->target, why, len);
	}
	return usage(why, len, "not a store URL");
}

int
store_url_open(const char *where, bool create, struct db **out)
{
	struct store_url u;
	char why[256];
	*out = NULL;
	if (strstr(where, "://") == NULL || !store_url_parse(where, &u, why, sizeof(why)))
		return sqlite_open(where, create, out);
	return u.ops->open(u.target, create, out);
}
