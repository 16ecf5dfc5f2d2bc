#include "owner.h"

#include <stdlib.h>

#include "clock.h"
#include "collector/alerts/alertstate.h"
#include "log.h"

struct owner {
	struct owner_opts o;
	struct owner_rooms r;
	struct cluster *cluster;
	uv_timer_t refresh;
};

bool
owner_owns(void *ctx, const char *regency)
{
	struct owner *w = ctx;
	return cluster_owns(w->cluster, regency);
}

static bool
owns_agent(void *ctx, const char *agent)
{
	struct owner *w = ctx;
	const char *regency = engine_site_regency(w->r.engine, agent);
	return regency != NULL && cluster_owns(w->cluster, regency);
}

static void
refresh(struct owner *w)
{
	if (engine_refresh(w->r.engine) != PANTAU_OK)
		log_warnx("cluster: cannot read the other partitions' status from the database");
}

static void
take(void *ctx, int part)
{
	struct owner *w = ctx;
	int64_t t0 = clock_mono_ms();
	(void)store_commit(w->r.store);
	refresh(w);
	if (alertstate_load(w->r.alerts, w->r.statusdb, part,
	        cluster_partitions(w->cluster)) != PANTAU_OK)
		log_warnx("cluster: partition %d: cannot load its alerts", part);
	engine_listening(w->r.engine, clock_real_ms());
	log_info("cluster: partition %d: state loaded from the database in %lld ms", part,
	    (long long)(clock_mono_ms() - t0));
}

static void
drop(void *ctx, int part)
{
	struct owner *w = ctx;
	(void)part;
	(void)store_commit(w->r.store);
	alertstate_save(w->r.alerts, w->r.statusdb);
	alerts_drop_unowned(w->r.alerts);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct owner *w = ctx;
	w->o.on_message(w->o.ctx, m);
}

static void
on_refresh(uv_timer_t *t)
{
	refresh(t->data);
}

struct owner *
owner_new(uv_loop_t *loop, const struct owner_opts *o, const struct owner_rooms *rooms)
{
	struct owner *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->o = *o;
	w->r = *rooms;
	engine_set_owner(w->r.engine, owner_owns, w);
	alerts_set_owner(w->r.alerts, owner_owns, w);
	replay_set_filter(w->r.replay, owns_agent, w);
	struct cluster_hooks h = { take, drop, on_message, w };
	uv_timer_init(loop, &w->refresh);
	w->refresh.data = w;
	uv_timer_start(&w->refresh, on_refresh, (uint64_t)o->refresh_ms, (uint64_t)o->refresh_ms);
	w->cluster = cluster_new(loop, &o->cluster, &h);
	if (w->cluster == NULL) {
		owner_free(w);
		return NULL;
	}
	return w;
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

void
owner_free(struct owner *w)
{
	if (w == NULL)
		return;
	cluster_free(w->cluster);
	w->cluster = NULL;
	engine_set_owner(w->r.engine, NULL, NULL);
	alerts_set_owner(w->r.alerts, NULL, NULL);
	replay_set_filter(w->r.replay, NULL, NULL);
	uv_close((uv_handle_t *)&w->refresh, on_closed);
}

struct mqttc *
owner_publisher(const struct owner *w)
{
	return cluster_publisher(w->cluster);
}

bool
owner_publishes_mode(const struct owner *w)
{
	return cluster_owns_part(w->cluster, 0);
}
