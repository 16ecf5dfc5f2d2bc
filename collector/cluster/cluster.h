/*
 * Partitioned collectors (docs/scaling.md, "Partitioned collectors"): which
 * partitions this collector owns, taken and let go on a timer.
 *
 * Every check_ms: the lock session (ownlock.h) is checked; when it is gone
 * every partition is dropped at once. Then the collector's fair share is
 * ceil(partitions / members): below it, it tries the locks of partitions it
 * does not own, starting at its own offset; above it, it lets one go per
 * check, so the members even out. A partition taken is announced (take:
 * the caller loads its sites' state and alerts from the shared database)
 * before its MQTT session (client id CLIENT_ID-pN, clean_session false,
 * QoS 1, the partition's regency filters, partition.h) connects, so the
 * broker's queue for it goes to the new owner; one let go is disconnected
 * first and announced (drop: the caller saves and forgets its state) before
 * the lock is freed.
 */
#ifndef PANTAU_CLUSTER_H
#define PANTAU_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "catalog.h"
#include "collector/ingest/ingest.h"
#include "mqttc.h"

struct cluster_hooks {
	void (*take)(void *ctx, int part);
	void (*drop)(void *ctx, int part);
	void (*on_message)(void *ctx, const struct mosquitto_message *msg);
	void *ctx;
};

struct cluster_opts {
	int partitions;
	int check_ms;
	const char *conninfo;          /* the store's PostgreSQL URL */
	const struct mqttc_opts *mqtt; /* its client_id: the partitions' prefix */
	const struct catalog *cat;
	struct ingest *ingest;         /* told whether the owned partitions are subscribed */
};

struct cluster;

/* NULL when out of memory. The first check runs at once. */
struct cluster *cluster_new(uv_loop_t *loop, const struct cluster_opts *o,
    const struct cluster_hooks *h);
/* Drop every partition (drop hooks called), close the session. Safe with NULL. */
void cluster_free(struct cluster *c);

/* Whether this collector owns the partition of regency ("32.73"). */
bool cluster_owns(const struct cluster *c, const char *regency);
/* Whether this collector owns partition p. */
bool cluster_owns_part(const struct cluster *c, int p);
int cluster_partitions(const struct cluster *c);
/* How many it owns, and a connected partition session to publish on (NULL: none). */
int cluster_owned(const struct cluster *c);
struct mqttc *cluster_publisher(const struct cluster *c);

#endif
