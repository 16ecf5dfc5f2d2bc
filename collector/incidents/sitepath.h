/*
 * Each site's latest path per target (docs/incidents.md), as the agent's
 * path probe measured it: the hops in TTL order, each with the address that
 * answered or none (a silent hop, `*`, kept as such and never guessed).
 * The table is filled from stored path results (collector/collector.c) and
 * from the store at a start (collector/store/pathdb.h), so it survives a
 * restart.
 */
#ifndef PANTAU_SITEPATH_H
#define PANTAU_SITEPATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"

/* The path result kind's bound on hops (common/resultkind.c); an address's text. */
#define PATH_HOPS_MAX 64
#define PATH_ADDR_MAX 46
#define PATH_TARGET_MAX 255
/* Targets a site keeps a path for; more are dropped, oldest first. */
#define SITEPATH_TARGETS_MAX 8

struct path_hop {
	int ttl;
	char addr[PATH_ADDR_MAX];   /* "" for a silent hop */
};

struct path_route {
	char target[PATH_TARGET_MAX + 1];
	int64_t ms;                 /* when it was received */
	bool reached;
	size_t nhops;
	struct path_hop hops[PATH_HOPS_MAX];
};

/* Whether a result is a path result: its kind has the "hops" array and the
 * "path_hash" (common/resultkind.c); the code names no kind. */
bool sitepath_is_path(const struct wire_result *r);

/* A route from a path result object (its "hops"): PANTAU_ERR_INVAL when
 * the object has no hops array, a hop without a TTL or more than
 * PATH_HOPS_MAX hops. */
pantau_err sitepath_route_from_json(const json_t *result, const char *target, int64_t ms,
    struct path_route *out);
/* The route's hops as the wire sends them, for the store and the API. */
json_t *sitepath_route_json(const struct path_route *r);

struct sitepath;

struct sitepath *sitepath_new(void);
void sitepath_free(struct sitepath *t);

/* Keep route as agent's latest to its target (a newer one replaces it). */
pantau_err sitepath_put(struct sitepath *t, const char *agent, const struct path_route *route);
/* agent's routes (*n of them), NULL and 0 when none. */
const struct path_route *sitepath_get(const struct sitepath *t, const char *agent, size_t *n);
/* Sites with a path. */
size_t sitepath_count(const struct sitepath *t);

#endif
