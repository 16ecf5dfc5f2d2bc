/*
 * Alert delivery (docs/alerts.md) with libcurl's multi interface on the
 * collector's loop, so a slow or dead receiver never blocks ingest. Every
 * sink of the table (collector/alerts/sinks.h) is driven alike: one request
 * per receiver at a time, built by the sink; a failure is retried with
 * exponential backoff (1 s doubling to retry_max). A sink not configured
 * counts as told. What each sink was told is kept in the alerts, by the
 * sink's name (alerts.h).
 */
#ifndef PANTAU_NOTIFY_H
#define PANTAU_NOTIFY_H

#include <stdint.h>
#include <uv.h>

#include "alerts.h"
#include "sinks.h"

struct notify_opts {
	const struct sink_conf *sinks; /* one per entry of sinks_table, in its order */
	const char *dashboard_url;     /* base of links in alerts; "" none */
	int timeout_ms;                /* 5 s */
	int64_t retry_max_ms;          /* 300 s */
};

struct notify_sink_stats {
	const char *name;              /* the sink's */
	uint64_t sent;                 /* requests the receiver accepted (2xx) */
	uint64_t failed;
};

struct notify_stats {
	size_t n;                      /* one per entry of sinks_table */
	struct notify_sink_stats sink[SINKS_MAX];
};

struct notify;

/* NULL on memory or libcurl failure. */
struct notify *notify_new(uv_loop_t *loop, const struct notify_opts *o, struct alerts *a);
/* Cancel what is in flight; uv handles close on the loop. Safe with NULL. */
void notify_free(struct notify *n);

/* New receivers and options from a reload. A request in flight finishes;
 * a receiver whose URL changed is tried at once. The counters go on. */
void notify_configure(struct notify *n, const struct notify_opts *o);

/* Start whatever deliveries are due at now. */
void notify_tick(struct notify *n, int64_t now_ms);

const struct notify_stats *notify_stats(const struct notify *n);

/* The configured receivers' names, "alertmanager, webhook", or "none". */
void notify_receivers(const struct notify *n, char *buf, size_t len);

#endif
