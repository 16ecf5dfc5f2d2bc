/*
 * [store] url: which store backend and where (docs/storage.md).
 *   sqlite:///var/lib/pantau/pantau.db   an SQLite file (sqlite://rel/path: relative)
 *   postgresql://h1,h2/pantau?target_session_attrs=read-write
 *                                        PostgreSQL (a libpq URI; several hosts: the first
 *                                        that takes writes)
 * An empty url means the SQLite file [collector] database, its synonym.
 */
#ifndef PANTAU_STORE_URL_H
#define PANTAU_STORE_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/store/db.h"

#define STORE_URL_MAX 1024

/* A store backend as the configuration names it. */
struct store_ops {
	const char *name;     /* "sqlite" */
	const char *scheme;   /* the url's prefix: "sqlite://" */
	bool built;           /* false: known, but not in this build */
	/* Connect to target (create: an SQLite file may be made); as db_sqlite_open. */
	int (*open)(const char *target, bool create, struct db **out);
	/* The target's syntax: false with a sentence in why. */
	bool (*check)(const char *target, char *why, size_t len);
};

struct store_url {
	const struct store_ops *ops;
	char target[STORE_URL_MAX];   /* SQLite: the file; PostgreSQL: the whole URL */
};

/* The backends, ending with NULL. */
extern const struct store_ops *const store_backends[];

/* Parse url into out; false with a sentence in why saying what is wrong
 * and what to write instead. */
bool store_url_parse(const char *url, struct store_url *out, char *why, size_t len);

/* Open the store named by where: a [store] url, or else an SQLite file's
 * path ([collector] database, pantau --db). DB_OK and *out; on DB_ERROR
 * *out (when not NULL) says why through db_errmsg: db_close it. */
int store_url_open(const char *where, bool create, struct db **out);

#endif
