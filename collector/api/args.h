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

/* The query string of c suits route id; when not, r is the 400. */
bool args_ok(struct MHD_Connection *c, enum route id, struct reply *r);

#endif
