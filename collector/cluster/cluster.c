#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>

#include "collector/cluster/ownlock.h"
#include "collector/cluster/partition.h"
#include "collector/ingest/feeds.h"
#include "log.h"

struct part {
	struct cluster *c;
	int index;
	bool owned;
	struct mqttc *mqtt;
	int subs, subacks;
};

struct cluster {
	uv_loop_t *loop;
	struct cluster_opts o;
	struct mqttc_opts mqtt;
	char prefix[128];
	struct cluster_hooks h;
	struct ownlock *lock;
	struct part *parts;
	uv_timer_t timer;
	int offset;       /* where this collector starts trying, its member count at start */
};

static void
update_subscribed(struct cluster *c)
{
	bool all = cluster_owned(c) > 0;
	for (int i = 0; i < c->o.partitions; i++)
		if (c->parts[i].owned && c->parts[i].subacks < c->parts[i].subs)
			all = false;
	ingest_set_subscribed(c->o.ingest, all);
}

static void
on_connect(void *ctx)
{
	struct part *p = ctx;
	struct cluster *c = p->c;
	char filter[64];
	int mid;
	p->subs = p->subacks = 0;
	for (size_t i = 0; i < c->o.cat->nregencies; i++) {
		const char *code = c->o.cat->regencies[i].code;
		if (partition_of(code, c->o.partitions) != p->index ||
		    partition_filter(filter, sizeof(filter), code) != PANTAU_OK)
			continue;
		if (mqttc_subscribe(p->mqtt, filter, 1, &mid) == PANTAU_OK)
			p->subs++;
		else
			log_warnx("cluster: partition %d: cannot subscribe to %s", p->index, filter);
	}
	log_info("cluster: partition %d connected to the broker at %s:%d, %d regencies",
	    p->index, mqttc_host(p->mqtt), mqttc_port(p->mqtt), p->subs);
	update_subscribed(c);
}

static void
on_subscribe(void *ctx, int mid, int granted_qos)
{
	struct part *p = ctx;
	(void)mid;
	(void)granted_qos;
	p->subacks++;
	update_subscribed(p->c);
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	struct part *p = ctx;
	(void)why;
	p->subacks = 0;
	update_subscribed(p->c);
	log_warnx("cluster: partition %d, broker %s:%d: %s", p->index, mqttc_host(p->mqtt),
	    mqttc_port(p->mqtt), text);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct part *p = ctx;
	if (p->owned)
		p->c->h.on_message(p->c->h.ctx, m);
}

static bool
connect_part(struct cluster *c, struct part *p)
{
	static const struct mqttc_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_message = on_message, .on_subscribe = on_subscribe };
	char id[160];
	snprintf(id, sizeof(id), "%s-p%d", c->prefix, p->index);
	p->mqtt = feeds_client(c->loop, &c->mqtt, id, &cb, p);
	return p->mqtt != NULL;
}

static void
take(struct cluster *c, struct part *p)
{
	c->h.take(c->h.ctx, p->index);
	p->owned = true;
	if (!connect_part(c, p))
		log_warnx("cluster: partition %d: cannot start its MQTT client", p->index);
	log_info("cluster: took partition %d", p->index);
}

/* Off the broker first (its session keeps what comes next), then the state. */
static void
drop(struct cluster *c, struct part *p, bool release)
{
	mqttc_free(p->mqtt);
	p->mqtt = NULL;
	p->owned = false;
	p->subs = p->subacks = 0;
	c->h.drop(c->h.ctx, p->index);
	if (release)
		ownlock_release(c->lock, p->index);
	log_info("cluster: %s partition %d", release ? "let go of" : "lost", p->index);
}

static void
rebalance(struct cluster *c, int members)
{
	int n = c->o.partitions;
	int share = (n + members - 1) / members;
	int owned = cluster_owned(c);
	for (int k = 0; k < n && owned < share; k++) {
		struct part *p = &c->parts[(c->offset + k) % n];
		if (!p->owned && ownlock_try(c->lock, p->index)) {
			take(c, p);
			owned++;
		}
	}
	for (int i = n - 1; i >= 0 && owned > share; i--)
		if (c->parts[i].owned) {
			drop(c, &c->parts[i], true);
			break;
		}
}

static void
on_timer(uv_timer_t *t)
{
	struct cluster *c = t->data;
	bool lost;
	int members;
	bool up = ownlock_check(c->lock, &lost, &members);
	if (lost)
		for (int i = 0; i < c->o.partitions; i++)
			if (c->parts[i].owned)
				drop(c, &c->parts[i], false);
	if (up) {
		if (c->offset < 0)
			c->offset = (members - 1) * c->o.partitions / (members > 0 ? members : 1);
		rebalance(c, members);
	}
	update_subscribed(c);
}

struct cluster *
cluster_new(uv_loop_t *loop, const struct cluster_opts *o, const struct cluster_hooks *h)
{
	struct cluster *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->o = *o;
	c->mqtt = *o->mqtt;
	c->h = *h;
	c->offset = -1;
	snprintf(c->prefix, sizeof(c->prefix), "%s",
	    o->mqtt->client_id != NULL ? o->mqtt->client_id : "pantau-collector");
	c->mqtt.client_id = NULL;
	c->parts = calloc((size_t)o->partitions, sizeof(*c->parts));
	c->lock = ownlock_new(o->conninfo);
	if (c->parts == NULL || c->lock == NULL) {
		free(c->parts);
		ownlock_free(c->lock);
		free(c);
		return NULL;
	}
	for (int i = 0; i < o->partitions; i++)
		c->parts[i] = (struct part){ .c = c, .index = i };
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	uv_timer_start(&c->timer, on_timer, 0, (uint64_t)o->check_ms);
	return c;
}

static void
on_closed(uv_handle_t *h)
{
	struct cluster *c = h->data;
	free(c->parts);
	free(c);
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->o.partitions; i++)
		if (c->parts[i].owned)
			drop(c, &c->parts[i], true);
	ownlock_free(c->lock);
	c->lock = NULL;
	uv_close((uv_handle_t *)&c->timer, on_closed);
}

bool
cluster_owns_part(const struct cluster *c, int p)
{
	return c != NULL && p >= 0 && p < c->o.partitions && c->parts[p].owned;
}

bool
cluster_owns(const struct cluster *c, const char *regency)
{
	return c == NULL || cluster_owns_part(c, partition_of(regency, c->o.partitions));
}

int
cluster_partitions(const struct cluster *c)
{
	return c->o.partitions;
}

int
cluster_owned(const struct cluster *c)
{
	int n = 0;
	for (int i = 0; i < c->o.partitions; i++)
		n += c->parts[i].owned;
	return n;
}

struct mqttc *
cluster_publisher(const struct cluster *c)
{
	for (int i = 0; i < c->o.partitions; i++)
		if (c->parts[i].owned && c->parts[i].mqtt != NULL && mqttc_connected(c->parts[i].mqtt))
			return c->parts[i].mqtt;
	return NULL;
}
