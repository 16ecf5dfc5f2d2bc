/*
 * An alert sink: one kind of receiver (docs/alerts.md). Each sink is one
 * file, collector/alerts/sink_NAME.c, defining one `const struct sink_ops`
 * that collector/alerts/sinks.c lists once. Its name is the receiver label
 * in /metrics and the logs and the key of its "already told" state in every
 * alert (alerts.h); its keys are its own part of the [alerts] section.
 * Adding a sink touches that file, that table entry, its section in
 * docs/alerts.md and its tests.
 *
 * collector/alerts/notify.c drives every sink alike: it asks a sink for the
 * body of its next request, posts it (one request per sink at a time,
 * retried with backoff), and once the receiver accepted it (2xx) each alert
 * the request carried counts as told to that sink at the version it had.
 */
#ifndef PANTAU_SINK_H
#define PANTAU_SINK_H

#include <jansson.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts.h"
#include "cfg.h"

/* Bytes of a sink's own configuration struct, at most. */
#define SINK_CONF_MAX 1280
/* A receiver's URL, at most. */
#define SINK_URL_MAX 1024
/* Alerts one request carries, at most. */
#define SINK_SENT_MAX 4096

/* Where cfg_apply puts a sink's keys: its own struct, whose shape only its
 * file knows. */
struct sink_conf {
	alignas(max_align_t) unsigned char bytes[SINK_CONF_MAX];
};

/* An alert a request carries, and the version it tells. */
struct sink_sent {
	char key[96];
	unsigned version;
};

/* One request being built: what a sink's payload() reads, and the alerts
 * it takes (sink_take). */
struct sink_req {
	const char *sink;             /* the sink's name */
	const void *conf;             /* its configuration (ops->conf_size bytes) */
	struct alerts *alerts;
	const char *dashboard_url;    /* [alerts] dashboard_url; "" none */
	int64_t now_ms;
	int64_t last_post_ms;         /* when the receiver last accepted a request, 0 never */
	struct sink_sent *sent;       /* SINK_SENT_MAX */
	size_t nsent;
};

/* keys, nkeys and conf_size of an ops entry from its key table and conf type. */
#define SINK_KEYS(table, conf_type) \
	.keys = (table), .nkeys = sizeof(table) / sizeof((table)[0]), \
	.conf_size = sizeof(conf_type)

struct sink_ops {
	const char *name;             /* "alertmanager", "webhook", "telegram" */
	const struct cfg_key *keys;   /* its [alerts] keys, offsets into its conf (SINK_KEYS) */
	size_t nkeys;
	size_t conf_size;             /* its conf struct, at most SINK_CONF_MAX */
	/* Keys that go together; false with why, which follows "[alerts] ".
	 * NULL: none. */
	bool (*check)(const void *conf, char *why, size_t len);
	/* The URL requests go to, "" when the sink is not configured. */
	void (*url)(const void *conf, char *url, size_t len);
	/* How the logs name the receiver, when its URL holds a secret; NULL:
	 * the URL. */
	const char *log_name;
	/* The body of the next request (owned by the caller), or NULL when
	 * nothing is due; it calls sink_take for every alert the body tells. */
	json_t *(*payload)(struct sink_req *r);
};

/* True when the sink of r has not yet been told al's current version. */
bool sink_pending(const struct sink_req *r, const struct alert *al);

/* The request tells al: it is told at its version once the receiver
 * accepts. False when the request is full. */
bool sink_take(struct sink_req *r, const struct alert *al);

/* For the sinks that send one message per regency: calls each(ctx, al) for
 * every alert of the first regency that has any the sink has not been
 * told, and takes it. Returns the first of them, NULL when none is
 * pending. */
typedef void (*sink_each_fn)(void *ctx, const struct alert *al);
const struct alert *sink_take_regency(struct sink_req *r, sink_each_fn each, void *ctx);

/* cfg check of a URL key: "" or http:// or https://. */
bool sink_check_url(const char *v, char *why, size_t len);

/* An ISO 8601 time for a payload (buf of CLOCK_ISO_LEN). */
const char *sink_iso(int64_t ms, char *buf);

#endif
