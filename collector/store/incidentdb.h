/*
 * The incidents' rows (docs/incidents.md, docs/storage.md): each incident as
 * JSON in incidents(id, data), each site's latest path per target in
 * site_paths(agent, target, ms, data), both schema 7, so a restarted
 * collector carries its open incidents on and knows the sites' paths.
 */
#ifndef PANTAU_INCIDENTDB_H
#define PANTAU_INCIDENTDB_H

#include "collector/store/db.h"
#include <stdint.h>

#include "err.h"

struct incidentdb;

pantau_err incidentdb_open(struct db *db, struct incidentdb **out);
void incidentdb_close(struct incidentdb *d);

/* end_ms < 0: open. */
pantau_err incidentdb_save(struct incidentdb *d, int64_t id, int64_t end_ms, const char *json);
pantau_err incidentdb_save_path(struct incidentdb *d, const char *agent, const char *target,
    int64_t ms, const char *json);

/* Each incident ended at or after since_ms or open, by id; and the highest id. */
typedef void (*incidentdb_fn)(void *ctx, const char *json);
pantau_err incidentdb_load(struct incidentdb *d, int64_t since_ms, incidentdb_fn fn, void *ctx,
    int64_t *max_id);
/* Every site's latest path per target. */
typedef void (*incidentdb_path_fn)(void *ctx, const char *agent, int64_t ms, const char *json);
pantau_err incidentdb_load_paths(struct incidentdb *d, incidentdb_path_fn fn, void *ctx);

#endif
