/*
 * The cluster's locks on PostgreSQL (docs/scaling.md, "Partitioned
 * collectors"): session advisory locks on a connection of their own, so
 * they live exactly as long as that session. A collector is a member
 * while it holds one member slot lock, and owns a partition while it
 * holds that partition's lock. When the session breaks, PostgreSQL frees
 * every lock of it: ownlock_check then says lost, and the caller drops all
 * it owned before anything else (another collector may own it already).
 * Blocking libpq calls with a short connect_timeout, on the loop like the
 * store's.
 */
#ifndef PANTAU_OWNLOCK_H
#define PANTAU_OWNLOCK_H

#include <stdbool.h>

struct ownlock;

/* conninfo: the store's PostgreSQL URL. Nothing is connected yet. */
struct ownlock *ownlock_new(const char *conninfo);
/* Closes the session: every lock of it is freed. Safe with NULL. */
void ownlock_free(struct ownlock *l);

/* Whether the session is up, (re)connecting it and taking a member slot
 * when it is not; *lost is true when a session that was up is gone. Its
 * members: how many collectors hold a member slot now (this one too). */
bool ownlock_check(struct ownlock *l, bool *lost, int *members);

/* Try to take partition p's lock; true when this session holds it. */
bool ownlock_try(struct ownlock *l, int p);
/* Let partition p go. */
void ownlock_release(struct ownlock *l, int p);

#endif
