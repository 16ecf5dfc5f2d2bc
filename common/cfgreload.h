/*
 * Taking a re-read configuration into a running one (SIGHUP): the keys a
 * table marks CFG_RELOAD take their new value, the others keep the running
 * one and are named, as they take a restart.
 */
#ifndef PANTAU_CFGRELOAD_H
#define PANTAU_CFGRELOAD_H

#include <stddef.h>

#include "cfg.h"

/* Called for a key that changed in the file but takes a restart. */
typedef void (*cfg_restart_fn)(void *ctx, const char *section, const struct cfg_key *k);

/* For each key of the table (of section) whose value differs between
 * running and next (structs the table's offsets point into): copy it into
 * running when the key is CFG_RELOAD, else call restart. Returns how many
 * reloadable keys changed. */
size_t cfg_reload(const char *section, const struct cfg_key *keys, size_t nkeys, void *running,
    const void *next, cfg_restart_fn restart, void *ctx);

/* A restart_fn that logs "WHO: reload: [section] key changed; it takes
 * effect at the next restart" (ctx: WHO, "collector"). */
void cfg_reload_log_restart(void *ctx, const char *section, const struct cfg_key *k);

#endif
