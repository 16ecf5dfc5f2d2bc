/*
 * The incidents of the running collector (docs/incidents.md): the sites'
 * latest paths, kept from their stored path results, and the incidents,
 * carried on at every status tick from the status engine's sites.
 */
#ifndef PANTAU_INCWATCH_H
#define PANTAU_INCWATCH_H

#include "collector/status/engine.h"
#include "collector/store/incidentdb.h"
#include "incidents.h"
#include "sitepath.h"
#include "wire.h"

/* The defaults of the grouping and holding (docs/incidents.md). */
#define INCIDENTS_MIN_SITES 2
#define INCIDENTS_MIN_CONFIDENCE 0.5
#define INCIDENTS_PREFIX_LEN 24
#define INCIDENTS_HOLD_MS 90000
#define INCIDENTS_KEEP_MS (24 * 3600 * 1000LL)

struct incwatch;

/* db (borrowed; NULL: nothing saved) gives the incidents ended within
 * keep_ms or open and the sites' paths back at once. */
struct incwatch *incwatch_new(const struct incidents_rules *r, struct incidentdb *db,
    int64_t now_ms);
void incwatch_free(struct incwatch *w);
void incidents_rules_default(struct incidents_rules *r);

/* A stored batch: its path results become the site's latest paths. */
void incwatch_batch(struct incwatch *w, const struct wire_batch *b, int64_t recv_ms);
/* The status tick: group the engine's sites and carry the incidents on. */
void incwatch_tick(struct incwatch *w, const struct engine *e, int64_t now_ms);

struct incidents *incwatch_incidents(struct incwatch *w);
const struct sitepath *incwatch_paths(const struct incwatch *w);

#endif
