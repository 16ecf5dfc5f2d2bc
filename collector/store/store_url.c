#include "store_url.h"

#include <stdio.h>
#include <string.h>

static const struct store_ops sqlite_backend = { "sqlite", "sqlite://", true };
static const struct store_ops postgresql_backend = { "postgresql", "postgresql://", false };

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
		snprintf(out->target, sizeof(out->target), "%s", url + n);
		return true;
	}
	return usage(why, len, "not a store URL");
}
