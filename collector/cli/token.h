/*
 * `pantau token new|list|revoke` (docs/api.md, "Authentication"): the
 * API's tokens, made, listed and revoked in the collector's database
 * itself (collector/store/tokens.h), on the collector's machine, by a user
 * who may write that file. Working on the file, not through the API, is
 * what lets the first admin token exist; the collector sees a new token or
 * a revocation at its next request (within [store] commit_ms).
 */
#ifndef PANTAU_CLI_TOKEN_H
#define PANTAU_CLI_TOKEN_H

#include "collector/store/db.h"
#include <stdio.h>

/* The database when neither --db nor $PANTAU_DB names one: the
 * collector's default [collector] database. */
#define TOKEN_DEFAULT_DB "/var/lib/pantau/pantau.db"

/* Open the collector's database at path for writing and check it has
 * table; NULL after telling stderr (as prog) what to do. Waits up to 10 s
 * for the collector's write transaction. */
struct db *token_open_db(const char *path, const char *prog, const char *table);

/* The usage lines of the token commands. */
void token_usage(FILE *to);

/* Run "pantau token ARGS" (argv[0] is "token"); returns the exit status:
 * 0 done, 1 the database refused, 2 usage. */
int token_main(int argc, char **argv);

#endif
