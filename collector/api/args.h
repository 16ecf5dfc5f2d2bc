/*
 * The API's routes (api.c) and the query parameters each takes: a
 * parameter the route does not take, or one without a value, is a 400
 * that says what the route takes.
 */
#ifndef PANTAU_API_ARGS_H
#define PANTAU_API_ARGS_H

#include <microhttpd.h>
#include <stdbool.h>

#include "reply.h"

/* What a 404 lists. */
#define ARGS_ROUTES_TEXT                                                                  \
	"/healthz, /api/v1/overview, /api/v1/regions, /api/v1/regions/{code}, " \
	"/api/v1/sites, /api/v1/sites/{agent}, /api/v1/events, /api/v1/alerts, /api/v1/incidents, /api/v1/stats, " \
	"/metrics, /api/v1/tokens, /api/v1/tokens/{id} (DELETE), /api/v1/enrol (POST), " \
	"/api/v1/enrol/renew (POST), /api/v1/enrol/tokens and /api/v1/enrol/revoke (POST, " \
	"admin), and the dashboard at / and /ui/"

enum route {
	R_NONE,
	R_HEALTH,
	R_REGIONS,
	R_REGION,
	R_SITE,
	R_SITES,
	R_STATS,
	R_EVENTS,
	R_OVERVIEW,
	R_ALERTS,
	R_INCIDENTS,
	R_METRICS,
	R_TOKENS,
	R_TOKEN,
};

/* The route of a path (its trailing slash removed); *arg points at the
 * {code}, {agent} or {id} segment of those that take one. */
enum route args_route(const char *path, const char **arg);

/* GET and HEAD everywhere, but a token is revoked with DELETE only; when
 * not, r is the 405 with its Allow. */
bool args_method_ok(enum route id, const char *method, struct reply *r);

/* The query string of c suits route id; when not, r is the 400. */
bool args_ok(struct MHD_Connection *c, enum route id, struct reply *r);

#endif
