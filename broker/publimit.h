/*
 * The publish limit of pantau's mosquitto plugin (broker/plugin.c,
 * docs/deployment.md "Publish limit"): each client that logged in (its
 * user name: an agent's id, from its certificate) may publish rate messages
 * a second on average, bursts of up to burst; what it publishes beyond that
 * is dropped at the broker, before any subscriber (the collector) reads
 * it, and (plugin_opt_disconnect, on by default) the client is
 * disconnected, so the broker stops reading its flood until it connects
 * again, with a bucket no fuller than the rate refilled it. Clients without a user name (an open broker's: the demo's, the
 * tests') and the exempt user names (the collector, the regional bridges)
 * are not limited. Drops are counted per client and summarised in one log
 * line a minute. Pure: time is injected, the plugin logs the line.
 */
#ifndef PANTAU_PUBLIMIT_H
#define PANTAU_PUBLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PUBLIMIT_EXEMPT_MAX 1024          /* characters of the exempt list */
#define PUBLIMIT_NAMED 4                  /* clients named in a summary */
#define PUBLIMIT_LINE_MAX 512             /* characters of a summary line */
#define PUBLIMIT_KICKS 8                  /* clients waiting to be disconnected */

struct publimit_opts {
	double rate;                      /* messages per second per client */
	double burst;                     /* messages saved up */
	long long clients;                /* slots of the table */
	long long summary_s;              /* seconds a summary covers */
	bool disconnect;                  /* disconnect a client over its limit */
	char exempt[PUBLIMIT_EXEMPT_MAX]; /* names, comma-separated; "x*" a prefix */
};

/* The defaults: 50 messages/s, bursts of 1,000, 65,536 clients, a summary
 * a minute, disconnect true, exempt "pantau-collector,pantau-bridge-*". */
void publimit_opts_default(struct publimit_opts *o);

/* One plugin_opt_KEY VALUE (rate, burst, clients, summary, disconnect
 * true|false, exempt): PANTAU_OK, or
 * PANTAU_ERR_INVAL with the reason in why. */
pantau_err publimit_opt(struct publimit_opts *o, const char *key, const char *value,
                        char *why, size_t why_size);

struct publimit;

/* PANTAU_ERR_INVAL (opts out of bounds) or PANTAU_ERR_NOMEM; *out NULL then. */
pantau_err publimit_new(const struct publimit_opts *o, int64_t now_ns, struct publimit **out);
void publimit_free(struct publimit *p);   /* NULL is a no-op */

/* Whether a message published by user (NULL: none) at now_ns goes on;
 * false counts it as dropped and, with disconnect, queues user to be
 * disconnected (publimit_take_kick). */
bool publimit_allow(struct publimit *p, const char *user, int64_t now_ns);

/* The next user name to disconnect into name (size >= 129): true, and it
 * is counted in the summary; false when none waits. The plugin calls it
 * outside a client's packet (its tick). A name that found the queue full
 * is queued again at its next drop. */
bool publimit_take_kick(struct publimit *p, char *name, size_t size);

/* When the summary_s that began with the window's first drop are over: true
 * with its summary in line ("dropped 1190 publishes over the limit of 50/s
 * (burst 1000) in the last 60s, 12 disconnects: flooder 1190"), and the next
 * window starts. False (line untouched) while it runs or held no drop. */
bool publimit_summary(struct publimit *p, int64_t now_ns, char *line, size_t size);

/* Messages dropped since the start. */
uint64_t publimit_dropped(const struct publimit *p);

#endif
