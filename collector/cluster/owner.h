/*
 * What a collector of a cluster does when it takes or lets go of a
 * partition (cluster.h, docs/scaling.md "Partitioned collectors"):
 *   take:  the store's open transaction committed, then the partition's
 *          sites' status and its regencies' read from the shared database
 *          (engine_refresh) and its alerts, firing ones with what each sink
 *          was told (alertstate.h); silence counted from now;
 *   drop:  what is pending committed, the alerts saved, then forgotten.
 * The engine, the alerts and replay judge and ask only for the owned
 * partitions' sites; every refresh_ms the others' status is read again for
 * the API.
 */
#ifndef PANTAU_OWNER_H
#define PANTAU_OWNER_H

#include <stdbool.h>
#include <uv.h>

#include "collector/alerts/alerts.h"
#include "collector/cluster/cluster.h"
#include "collector/ingest/replay.h"
#include "collector/status/engine.h"
#include "collector/store/statusdb.h"
#include "collector/store/store.h"

struct owner_rooms {
	struct store *store;
	struct statusdb *statusdb;
	struct engine *engine;
	struct alerts *alerts;
	struct replay *replay;
};

struct owner_opts {
	struct cluster_opts cluster;
	int refresh_ms;
	void (*on_message)(void *ctx, const struct mosquitto_message *msg);
	void *ctx;
};

struct owner;

/* NULL when out of memory. */
struct owner *owner_new(uv_loop_t *loop, const struct owner_opts *o,
    const struct owner_rooms *rooms);
/* Let every partition go (state saved), close the lock session. Safe with NULL. */
void owner_free(struct owner *w);

/* Whether the partition of regency is owned here. */
bool owner_owns(void *w, const char *regency);
/* A connected partition session to publish commands and the mode on; NULL: none. */
struct mqttc *owner_publisher(const struct owner *w);
/* Whether this collector publishes the counting mode (it owns partition 0). */
bool owner_publishes_mode(const struct owner *w);

#endif
