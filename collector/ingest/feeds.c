#include "feeds.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

/* One connection; the callbacks' ctx, so one set of them serves both. */
struct conn {
	struct feeds *f;
	struct mqttc *m;
	bool side;
	int subacks;                   /* SUBACKs on the current connection */
};

struct feeds {
	struct conn main, side;        /* side.m: NULL without split */
	bool split;
	struct ingest *ingest;
	struct feeds_callbacks cb;
};

static const char *const subs_all[] = { WIRE_TOPIC_ALL, NULL };
static const char *const subs_main[] = { WIRE_TOPIC_RESULTS, NULL };
static const char *const subs_side[] = { WIRE_TOPIC_STATUSES, WIRE_TOPIC_REPLIES, NULL };

static const char *const *
subs_of(const struct feeds *f, bool side)
{
	return side ? subs_side : f->split ? subs_main : subs_all;
}

static int
nsubs(const char *const *subs)
{
	int n = 0;
	while (subs[n] != NULL)
		n++;
	return n;
}

static void
update_subscribed(struct feeds *f)
{
	bool main_ok = f->main.subacks >= nsubs(subs_of(f, false));
	bool side_ok = f->side.m == NULL || f->side.subacks >= nsubs(subs_side);
	ingest_set_subscribed(f->ingest, main_ok && side_ok);
}

static void
subscribe_all(struct conn *c)
{
	int mid;
	for (const char *const *t = subs_of(c->f, c->side); *t != NULL; t++)
		if (mqttc_subscribe(c->m, *t, 1, &mid) != PANTAU_OK)
			log_warnx("collector: cannot subscribe to %s", *t);
}

/* The main connection's events go on to the collector, the side one's are
 * logged. */
static void
on_connect(void *ctx)
{
	struct conn *c = ctx;
	if (c->side)
		log_info("collector: status connection to the broker at %s:%d", mqttc_host(c->m),
		    mqttc_port(c->m));
	c->subacks = 0;
	update_subscribed(c->f);
	if (!c->side)
		c->f->cb.on_connect(c->f->cb.ctx);
	subscribe_all(c);
}

/* Counted as the cluster's partitions count theirs (cluster.c, alike for
 * that reason): each connection its SUBACKs, for its owner's flag. */
static void
on_subscribe(void *ctx, int mid, int granted_qos)
{
	struct conn *c = ctx;
	(void)mid;
	(void)granted_qos;
	c->subacks++;
	update_subscribed(c->f);
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	struct conn *c = ctx;
	c->subacks = 0;
	update_subscribed(c->f);
	if (!c->side)
		c->f->cb.on_fail(c->f->cb.ctx, why, text);
	else
		log_warnx("collector: status connection, broker %s:%d: %s", mqttc_host(c->m),
		    mqttc_port(c->m), text);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct conn *c = ctx;
	c->f->cb.on_message(c->f->cb.ctx, m);
}

struct mqttc *
feeds_client(uv_loop_t *loop, const struct mqttc_opts *opts, const char *id,
    const struct mqttc_callbacks *cb, void *ctx)
{
	struct mqttc_opts mo = *opts;
	mo.client_id = id;
	mo.clean_session = false;
	mo.max_inflight = 1000;
	struct mqttc *m = mqttc_new(loop, &mo, cb, ctx);
	if (m != NULL && mqttc_start(m) != PANTAU_OK) {
		mqttc_free(m);
		m = NULL;
	}
	return m;
}

/* Start c's client; false when it cannot be started. */
static bool
connect_one(struct feeds *f, struct conn *c, uv_loop_t *loop, const struct mqttc_opts *opts,
    bool side)
{
	static const struct mqttc_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_message = on_message, .on_subscribe = on_subscribe };
	char id[160];
	snprintf(id, sizeof(id), "%s%s", opts->client_id != NULL ? opts->client_id : "",
	    side ? "-status" : "");
	c->f = f;
	c->side = side;
	c->m = feeds_client(loop, opts, id, &cb, c);
	return c->m != NULL;
}

struct feeds *
feeds_new(uv_loop_t *loop, const struct mqttc_opts *opts, bool split, struct ingest *in,
    const struct feeds_callbacks *cb)
{
	struct feeds *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->split = split;
	f->ingest = in;
	f->cb = *cb;
	if (!connect_one(f, &f->main, loop, opts, false) ||
	    (split && !connect_one(f, &f->side, loop, opts, true))) {
		feeds_free(f);
		return NULL;
	}
	return f;
}

void
feeds_free(struct feeds *f)
{
	if (f == NULL)
		return;
	mqttc_free(f->main.m);
	mqttc_free(f->side.m);
	free(f);
}

struct mqttc *
feeds_main(struct feeds *f)
{
	return f->main.m;
}
