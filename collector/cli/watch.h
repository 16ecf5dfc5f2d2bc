/*
 * `pantau watch` (docs/cli.md): every interval, GET the overview, the
 * regions and the alerts and show them as one screen (format.h fmt_watch),
 * cleared and redrawn on a terminal, appended otherwise; with json one
 * compact JSON line per refresh. A collector that cannot be reached is
 * said on the screen and tried again at the next refresh.
 */
#ifndef PANTAU_CLI_WATCH_H
#define PANTAU_CLI_WATCH_H

#include <stdbool.h>

#include "client.h"

#define WATCH_INTERVAL_MIN_S 1
#define WATCH_INTERVAL_MAX_S 3600

struct watch_opts {
	struct client_target target;
	int interval_s;      /* between refreshes */
	long count;          /* refreshes before returning; 0: until interrupted */
	bool json;
};

/* Returns the exit status: 0, or 1 when the last refresh failed. */
int watch_run(const struct watch_opts *w);

#endif
