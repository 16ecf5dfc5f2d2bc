/*
 * [store] url: which store backend and where (docs/storage.md).
 *   sqlite:///var/lib/pantau/pantau.db   an SQLite file (sqlite://rel/path: relative)
 *   postgresql://h1,h2/pantau?...        PostgreSQL (libpq conninfo; not in this build yet)
 * An empty url means the SQLite file [collector] database, its synonym.
 */
#ifndef PANTAU_STORE_URL_H
#define PANTAU_STORE_URL_H

#include <stdbool.h>
#include <stddef.h>

#define STORE_URL_MAX 1024

/* A store backend as the configuration names it. */
struct store_ops {
	const char *name;     /* "sqlite" */
	const char *scheme;   /* the url's prefix: "sqlite://" */
	bool built;           /* false: known, but not in this build */
};

struct store_url {
	const struct store_ops *ops;
	char target[STORE_URL_MAX];   /* SQLite: the file; PostgreSQL: the conninfo */
};

/* The backends, ending with NULL. */
extern const struct store_ops *const store_backends[];

/* Parse url into out; false with a sentence in why saying what is wrong
 * and what to write instead. */
bool store_url_parse(const char *url, struct store_url *out, char *why, size_t len);

#endif
