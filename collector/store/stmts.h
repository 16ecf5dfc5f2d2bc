/*
 * The collector's prepared SQLite statements: each part that reads or
 * writes the store keeps its own, persistent for the life of the part.
 */
#ifndef PANTAU_STMTS_H
#define PANTAU_STMTS_H

#include "collector/store/db.h"
#include <stddef.h>

#include "err.h"

/* Prepare sql[0..n) into st[0..n) (kept for the life of the part). On a failure
 * log "WHO: cannot prepare a query: REASON (SQL)" and return PANTAU_ERR_DB;
 * what was prepared stays in st for stmts_finalize. */
pantau_err stmts_prepare(struct db *db, const char *who, const char *const *sql,
    struct db_stmt **st, size_t n);

/* Finalize st[0..n) (NULL entries too). */
void stmts_finalize(struct db_stmt **st, size_t n);

/* A part's whole set of statements, prepared together and finalized
 * together: st[i] is sql[i] of the table it was opened from. */
struct stmtset {
	size_t n;
	struct db_stmt *st[];
};

/* Finalize them all and free the set; NULL is a no-op. */
void stmtset_close(struct stmtset *q);

/* The constructor every part with a set shares: a new zeroed part of size
 * bytes whose struct stmtset * at offset q_off (offsetof the member) holds
 * the set of sql[0..n) on db, each failure logged as stmts_prepare does.
 * NULL when it fails, with *rc PANTAU_ERR_NOMEM or PANTAU_ERR_DB and
 * nothing left allocated or prepared; *rc PANTAU_OK otherwise. The caller
 * fills in the rest of the part. */
void *stmtset_part(size_t size, size_t q_off, struct db *db, const char *who,
    const char *const *sql, size_t n, pantau_err *rc);

#endif
