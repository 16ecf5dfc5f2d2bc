#include "collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api/api.h"
#include "catalog.h"
#include "catalogstore.h"
#include "clock.h"
#include "collector/alerts/alerts.h"
#include "collector/alerts/alertstate.h"
#include "collector/cluster/owner.h"
#include "collector/incidents/incwatch.h"
#include "collector/status/engine.h"
#include "collector/alerts/notify.h"
#include "collector/ingest/feeds.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/replay.h"
#include "log.h"
#include "mqttc.h"
#include "collector/store/retention.h"
#include "collector/store/schema.h"
#include "collector/store/store.h"
#include "collector/status/engine_reload.h"
#include "reload.h"
#include "settings.h"
#include "storewatch.h"

struct collector {
	uv_loop_t *loop;
	struct collector_config cfg;   /* running: a reload changes what reloads */
	const char *sinks[SINKS_MAX];  /* the sinks' names, for the alert rules */
	size_t nsinks;
	struct store *store;
	struct catalog *catalog;
	struct ingest *ingest;
	struct api *api;
	struct feeds *feeds;            /* the MQTT connections */
	struct mqttc *mqtt;             /* the main one: commands and mode go out on it */
	struct owner *owner;            /* [cluster] partitions: the partitions' sessions */
	bool mode_sent;                 /* with partitions: since owning partition 0 */
	struct profiles *profiles;
	struct statusdb *statusdb;
	struct engine *engine;
	struct alerts *alerts;
	struct incwatch *incidents;
	struct incidentdb *incidentdb;
	struct notify *notify;
	struct replay *replay;
	struct retention *retention;   /* NULL: keep forever */
	struct storewatch storewatch;  /* the database's state (storewatch.h) */
	bool storewatch_open;
	uv_timer_t commit_timer;
	uv_timer_t retention_timer;
	uv_timer_t tick_timer;
	uv_timer_t replay_timer;
	uv_check_t flush_check;    /* after each loop turn: the batches it read, to the store */
	bool timer_open;
	int64_t mode_next_ms;      /* next change of the counting window, -1 none */
	int64_t parts_next_ms;     /* next making of PostgreSQL's partitions ahead */
	bool stopping;
	bool subscribed_once;
};

/* Also a transaction with nothing pending (a retention step that deleted
 * nothing): left open it would hold the write lock, and pantau token and
 * pantau enrol on the database would wait for it until the next batch. */
static void
commit_now(struct collector *c)
{
	if (store_commit(c->store) != PANTAU_OK)
		log_warnx("collector: commit failed; the rows of this transaction are lost "
		          "until the agents replay them");
}

/* The batches of one loop turn's reads go to PostgreSQL together
 * (store_batch_later), sent without waiting while the previous ones are
 * answered (storewatch_send); SQLite has none waiting. */
static void
on_flush_check(uv_check_t *h)
{
	struct collector *c = h->data;
	storewatch_send(&c->storewatch);
}

static void
on_commit_timer(uv_timer_t *t)
{
	struct collector *c = t->data;
	if (c->storewatch.down)
		return;
	commit_now(c);
	storewatch_check(&c->storewatch);
}

/* Off the broker while the database is down, so its session holds the data. */
static void
on_store_change(void *ctx, bool up)
{
	struct collector *c = ctx;
	if (up) { /* perhaps a promoted replica lacking the last commits: docs/storage.md */
		replay_rescan(c->replay);
		engine_save_all(c->engine);
		alerts_touch(c->alerts);
	}
	if (c->stopping || c->mqtt == NULL)
		return;
	if (!up)
		mqttc_disconnect(c->mqtt);
	else if (mqttc_start(c->mqtt) != PANTAU_OK)
		log_warnx("collector: cannot connect to the broker again");
}

/* Retention (collector/store/retention.h): the first run soon after the start,
 * then one every hour; a run is many small steps with a pause between
 * them, so ingest and the API keep their turns on the loop. */
#define RETENTION_FIRST_MS 2000
/* PostgreSQL's day partitions are made ahead this often (collector/store/pg_parts.h). */
#define PARTS_EVERY_MS (3600 * 1000)
#define RETENTION_EVERY_MS (3600 * 1000)
#define RETENTION_PAUSE_MS 10
#define RETENTION_STEP_BATCHES 1000
#define RETENTION_STEP_ROWS 5000

static void
on_retention_timer(uv_timer_t *t)
{
	struct collector *c = t->data;
	retention_start(c->retention, clock_real_ms());
	if (retention_step(c->retention) != PANTAU_OK)
		log_warnx("collector: retention stopped by a database error; it tries again in an hour");
	/* A finished run is committed at once: what /api/v1/stats counts is
	 * gone from the file too. */
	if (store_should_commit(c->store) || !retention_running(c->retention))
		commit_now(c);
	uv_timer_start(t, on_retention_timer,
	    retention_running(c->retention) ? RETENTION_PAUSE_MS : RETENTION_EVERY_MS, 0);
}

static pantau_err
start_retention(struct collector *c, char *why, size_t len)
{
	struct retention_opts o = { .keep_ms = (int64_t)c->cfg.store.retain_days * 86400 * 1000,
		.step_batches = RETENTION_STEP_BATCHES, .step_rows = RETENTION_STEP_ROWS };
	if (c->cfg.store.retain_days <= 0)
		return PANTAU_OK;
	pantau_err rc = retention_new(c->store, &o, &c->retention);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot prepare the retention queries in %s", c->cfg.database);
	return rc;
}

/* The main connection, or with partitions one of theirs; NULL: none up. */
static struct mqttc *
publisher(const struct collector *c)
{
	return c->owner != NULL ? owner_publisher(c->owner) : c->mqtt;
}

static bool
ask_replay(void *ctx, const struct replay_gap *g)
{
	struct collector *c = ctx;
	char topic[WIRE_TOPIC_MAX + 1];
	struct wire_replay r = { g->boot, g->from_seq, g->to_seq };
	size_t len;
	int mid;
	char *text = wire_replay_encode(&r, &len);
	struct mqttc *m = publisher(c);
	bool ok = text != NULL && m != NULL &&
	    wire_topic_cmd(topic, sizeof(topic), g->agent) == PANTAU_OK &&
	    mqttc_publish(m, topic, text, len, 1, false, &mid) == PANTAU_OK;
	free(text);
	if (ok)
		log_debug("collector: asked %s for boot %lld seq %lld..%lld again (missing, ask %d)",
		    g->agent, (long long)g->boot, (long long)g->from_seq, (long long)g->to_seq,
		    g->asks);
	return ok;
}

static void
on_replay_timer(uv_timer_t *t)
{
	struct collector *c = t->data;
	if (!c->storewatch.down)
		replay_tick(c->replay, clock_real_ms(), publisher(c) != NULL &&
		    mqttc_connected(publisher(c)));
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct collector *c = ctx;
	if (c->storewatch.down)
		return; /* read before the disconnect: the agents' replay brings it again */
	ingest_message(c->ingest, m->topic, m->payload, m->payloadlen > 0 ? (size_t)m->payloadlen : 0,
	    clock_real_ms());
	storewatch_check(&c->storewatch);
	if (!c->storewatch.down && store_should_commit(c->store))
		commit_now(c);
}

/* The retained pantau/v1/mode message: agents switch schedules on it. */
static void
publish_mode(struct collector *c, int64_t now_ms)
{
	int mid;
	const struct countwin *cw = &engine_options(c->engine)->counting;
	char *text = countwin_mode_json(cw, now_ms);
	if (text == NULL)
		return;
	struct mqttc *m = publisher(c);
	if (m != NULL && mqttc_connected(m) &&
	    mqttc_publish(m, WIRE_TOPIC_MODE_NAME, text, strlen(text), 1, true, &mid) ==
	        PANTAU_OK)
		log_info("collector: mode %s", text);
	free(text);
	c->mode_next_ms = countwin_next_change(cw, now_ms);
}

/* With partitions the owner of partition 0 publishes the mode, once it owns it. */
static void
cluster_mode(struct collector *c, int64_t now)
{
	bool mine = owner_publishes_mode(c->owner) && publisher(c) != NULL;
	if (mine && !c->mode_sent)
		publish_mode(c, now);
	c->mode_sent = mine;
}

static void
on_tick(uv_timer_t *t)
{
	struct collector *c = t->data;
	int64_t now = clock_real_ms();
	if (c->storewatch.down)
		return; /* statuses wait for the database: nothing is judged on missing data */
	if (now >= c->parts_next_ms) {
		if (schema_extend(store_db(c->store), now) != PANTAU_OK)
			log_warnx("collector: cannot make the store's partitions ahead; trying again "
			          "in an hour");
		c->parts_next_ms = now + PARTS_EVERY_MS;
	}
	engine_tick(c->engine, now);
	if (c->owner == NULL)  /* with partitions no incidents (docs/scaling.md) */
		incwatch_tick(c->incidents, c->engine, now);
	ingest_tick(c->ingest, now);
	alerts_evaluate(c->alerts, c->engine, now);
	notify_tick(c->notify, now);
	alertstate_save(c->alerts, c->statusdb);
	if (c->owner != NULL) {
		commit_now(c);  /* what a sink was told, before a takeover could tell it again */
		cluster_mode(c, now);
	}
	if (c->mode_next_ms >= 0 && now >= c->mode_next_ms &&
	    (c->owner == NULL || c->mode_sent))
		publish_mode(c, now);
}

static void
on_stored_batch(void *ctx, const char *regency, const struct wire_batch *b, int64_t recv_ms)
{
	struct collector *c = ctx;
	engine_batch(c->engine, regency, b, recv_ms);
	incwatch_batch(c->incidents, b, recv_ms);
	replay_stored(c->replay, b->agent, b->boot, b->seq);
}

static void
on_stored_status(void *ctx, const char *regency, const char *agent,
    const struct wire_status *st, int64_t recv_ms)
{
	struct collector *c = ctx;
	engine_status(c->engine, regency, agent, st, recv_ms);
}

static void
on_gone(void *ctx, const char *agent, const struct wire_gone *g, int64_t recv_ms)
{
	struct collector *c = ctx;
	replay_gone(c->replay, agent, g, recv_ms);
}

/* A site already known, or room for one more ([collector] max_agents, read
 * at each message, so a reload takes effect at once). */
static bool
admit_agent(void *ctx, const char *agent, char *why, size_t len)
{
	struct collector *c = ctx;
	size_t max = (size_t)c->cfg.max_agents;
	if (engine_admits(c->engine, agent, max))
		return true;
	snprintf(why, len, "agent %.64s would be a new site beyond the %zu of [collector] "
	    "max_agents; raise it if this is a real site", agent, max);
	return false;
}

static void
on_connect(void *ctx)
{
	struct collector *c = ctx;
	log_info("collector: connected to the broker at %s:%d", mqttc_host(c->mqtt),
	    mqttc_port(c->mqtt));
	engine_listening(c->engine, clock_real_ms());
	publish_mode(c, clock_real_ms());
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	struct collector *c = ctx;
	if (why == MQTTC_FAIL_AUTH)
		log_warnx("collector: the broker refused our credentials (%s); check [broker] "
		          "username and password", text);
	else
		log_warnx("collector: broker %s:%d: %s", mqttc_host(c->mqtt), mqttc_port(c->mqtt),
		    text);
	commit_now(c);
}

static pantau_err
open_store(struct collector *c, char *why, size_t len)
{
	struct store_opts so = {
		.path = c->cfg.database,
		.commit_ms = c->cfg.store.commit_ms,
		.commit_rows = c->cfg.store.commit_rows,
		.sync_full = c->cfg.store.synchronous == 1,
		.pipeline = c->cfg.store.pipeline,
	};
	pantau_err rc = storewatch_open(&so, &c->store);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot open the database %s; check that its folder exists "
		    "and is writable", c->cfg.database);
	return rc;
}

static pantau_err
start_engine(struct collector *c, char *why, size_t len)
{
	const struct collector_config *cfg = &c->cfg;
	struct engine_opts o;
	pantau_err rc = settings_engine(cfg, &o, why, len);
	if (rc == PANTAU_OK && (rc = profiles_load(cfg->status.profiles, &c->profiles, stderr)) !=
	        PANTAU_OK)
		snprintf(why, len, "the status profiles in %s are not valid (see above)",
		    cfg->status.profiles);
	if (rc == PANTAU_OK && (rc = statusdb_open(store_db(c->store), &c->statusdb)) != PANTAU_OK)
		snprintf(why, len, "cannot create the status tables in %s", cfg->database);
	if (rc != PANTAU_OK)
		return rc;
	c->engine = engine_new(&o, c->catalog, c->profiles, c->statusdb, clock_real_ms());
	if (c->engine == NULL || engine_load(c->engine) != PANTAU_OK) {
		snprintf(why, len, "cannot load the sites' status from %s", cfg->database);
		return PANTAU_ERR_DB;
	}
	struct ingest_listener l = { on_stored_batch, on_stored_status, admit_agent, on_gone, c };
	ingest_listen(c->ingest, &l);
	c->mode_next_ms = -1;
	return PANTAU_OK;
}

static pantau_err
start_alerts(struct collector *c, char *why, size_t len)
{
	const struct collector_config *cfg = &c->cfg;
	struct alerts_rules r;
	struct notify_opts no;
	c->nsinks = settings_sink_names(c->sinks);
	settings_alerts(cfg, c->sinks, c->nsinks, &r);
	settings_notify(cfg, &no);
	snprintf(why, len, "out of memory starting the alerts");
	struct incidents_rules ir;
	settings_incidents(cfg, &ir);
	if ((c->alerts = alerts_new(&r, c->catalog)) == NULL)
		return PANTAU_ERR_NOMEM;
	if (incidentdb_open(store_db(c->store), &c->incidentdb) != PANTAU_OK ||
	    (c->incidents = incwatch_new(&ir, c->incidentdb, clock_real_ms())) == NULL) {
		snprintf(why, len, "cannot load the incidents from %s", cfg->database);
		return PANTAU_ERR_DB;
	}
	if (cfg->cluster.partitions == 0)
		alerts_use_incidents(c->alerts, incwatch_incidents(c->incidents),
		    incwatch_paths(c->incidents));
	/* with partitions each one's alerts are loaded when it is taken */
	if (cfg->cluster.partitions == 0 &&
	    alertstate_load(c->alerts, c->statusdb, 0, 0) != PANTAU_OK) {
		snprintf(why, len, "cannot load the alerts from %s", cfg->database);
		return PANTAU_ERR_DB;
	}
	if ((c->notify = notify_new(c->loop, &no, c->alerts)) == NULL)
		return PANTAU_ERR_NOMEM;
	return PANTAU_OK;
}

static pantau_err
start_api(struct collector *c, char *why, size_t len)
{
	struct api_opts ao;
	settings_api(&c->cfg, &ao);
	ao.engine = c->engine;
	ao.alerts = c->alerts;
	ao.incidents = incwatch_incidents(c->incidents);
	ao.paths = incwatch_paths(c->incidents);
	ao.notify_stats = notify_stats(c->notify);
	ao.retention_stats = c->retention != NULL ? retention_stats(c->retention) : NULL;
	ao.replay_stats = replay_stats(c->replay);
	return api_new(c->loop, &ao, c->store, ingest_stats(c->ingest), c->catalog, &c->api,
	    why, len);
}

static pantau_err
start_cluster(struct collector *c, const struct mqttc_opts *mo, char *why, size_t len)
{
	struct owner_opts o = { .cluster = { .partitions = c->cfg.cluster.partitions,
		.check_ms = c->cfg.cluster.check_ms, .conninfo = c->cfg.database, .mqtt = mo,
		.cat = c->catalog, .ingest = c->ingest }, .refresh_ms = c->cfg.cluster.refresh_ms,
		.on_message = on_message, .ctx = c };
	struct owner_rooms r = { c->store, c->statusdb, c->engine, c->alerts, c->replay };
	if ((c->owner = owner_new(c->loop, &o, &r)) != NULL)
		return PANTAU_OK;
	snprintf(why, len, "cannot start the partitions' clients");
	return PANTAU_ERR_MQTT;
}

static pantau_err
start_mqtt(struct collector *c, char *why, size_t len)
{
	struct mqttc_opts mo;
	struct feeds_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_message = on_message, .ctx = c };
	mqttc_opts_default(&mo);
	brokercfg_to_mqttc(&c->cfg.broker, &mo);
	mo.client_id = c->cfg.client_id;
	if (c->cfg.cluster.partitions > 0)
		return start_cluster(c, &mo, why, len);
	c->feeds = feeds_new(c->loop, &mo, c->cfg.split_status, c->ingest, &cb);
	if (c->feeds == NULL) {
		snprintf(why, len, "cannot start the MQTT client");
		return PANTAU_ERR_MQTT;
	}
	c->mqtt = feeds_main(c->feeds);
	return PANTAU_OK;
}

pantau_err
collector_new(uv_loop_t *loop, const struct collector_config *cfg, struct collector **out,
    char *why, size_t len)
{
	pantau_err rc = PANTAU_ERR_NOMEM;
	struct collector *c = calloc(1, sizeof(*c));
	snprintf(why, len, "out of memory");
	if (c == NULL)
		goto out;
	c->loop = loop;
	c->cfg = *cfg;
	if ((rc = open_store(c, why, len)) != PANTAU_OK ||
	    (rc = catalogstore_load(&c->cfg, c->store, &c->catalog, why, len)) != PANTAU_OK)
		goto out;
	rc = PANTAU_ERR_NOMEM;
	if ((c->ingest = ingest_new(c->store, c->catalog)) == NULL)
		goto out;
	struct replay_opts ro;
	settings_replay(cfg, &ro);
	if ((rc = replay_new(store_db(c->store), &ro, ask_replay, c, &c->replay)) != PANTAU_OK) {
		snprintf(why, len, "cannot prepare gap detection in %s", cfg->database);
		goto out;
	}
	if ((rc = start_retention(c, why, len)) != PANTAU_OK ||
	    (rc = start_engine(c, why, len)) != PANTAU_OK ||
	    (rc = start_alerts(c, why, len)) != PANTAU_OK ||
	    (rc = start_api(c, why, len)) != PANTAU_OK)
		goto out;
	uv_timer_init(loop, &c->commit_timer);
	uv_timer_init(loop, &c->tick_timer);
	uv_timer_init(loop, &c->replay_timer);
	uv_timer_init(loop, &c->retention_timer);
	uv_check_init(loop, &c->flush_check);
	c->commit_timer.data = c->tick_timer.data = c->replay_timer.data = c->retention_timer.data =
	    c->flush_check.data = c;
	uv_check_start(&c->flush_check, on_flush_check);
	c->timer_open = true;
	storewatch_init(loop, &c->storewatch, c->store, on_store_change, c);
	c->storewatch_open = true;
	uv_timer_start(&c->commit_timer, on_commit_timer, (uint64_t)cfg->store.commit_ms,
	    (uint64_t)cfg->store.commit_ms);
	uv_timer_start(&c->tick_timer, on_tick, 0, (uint64_t)cfg->status.tick_ms);
	uv_timer_start(&c->replay_timer, on_replay_timer, REPLAY_TICK_MS, REPLAY_TICK_MS);
	if (c->retention != NULL)
		uv_timer_start(&c->retention_timer, on_retention_timer, RETENTION_FIRST_MS, 0);
	rc = start_mqtt(c, why, len);
out:
	if (rc != PANTAU_OK && c != NULL) {
		collector_stop(c);
		uv_run(loop, UV_RUN_DEFAULT); /* finish closing what was opened */
		collector_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

void
collector_stop(struct collector *c)
{
	if (c == NULL || c->stopping)
		return;
	c->stopping = true;
	owner_free(c->owner);
	c->owner = NULL;
	feeds_free(c->feeds);
	c->feeds = NULL;
	c->mqtt = NULL;
	if (c->store != NULL)
		commit_now(c);
	if (c->api != NULL) {
		api_free(c->api);
		c->api = NULL;
	}
	if (c->notify != NULL) {
		if (c->alerts != NULL && c->statusdb != NULL)
			alertstate_save(c->alerts, c->statusdb);
		notify_free(c->notify);
		c->notify = NULL;
	}
	if (c->timer_open) {
		uv_close((uv_handle_t *)&c->commit_timer, NULL);
		uv_close((uv_handle_t *)&c->tick_timer, NULL);
		uv_close((uv_handle_t *)&c->replay_timer, NULL);
		uv_close((uv_handle_t *)&c->retention_timer, NULL);
		uv_close((uv_handle_t *)&c->flush_check, NULL);
		c->timer_open = false;
	}
	if (c->storewatch_open) {
		storewatch_close(&c->storewatch);
		c->storewatch_open = false;
	}
}

void
collector_reload(struct collector *c, const char *path)
{
	struct reload_set r;
	struct alerts_rules ar;
	struct notify_opts no;
	char receivers[128];
	if (c->stopping || reload_read(path, &c->cfg, &r) != PANTAU_OK)
		return;
	c->cfg = r.cfg;
	catalog_copy_flags(c->catalog, r.catalog);
	engine_reconfigure(c->engine, &r.engine, r.profiles);
	profiles_free(c->profiles);
	c->profiles = r.profiles;
	r.profiles = NULL;
	settings_alerts(&c->cfg, c->sinks, c->nsinks, &ar);
	alerts_set_rules(c->alerts, &ar);
	struct incidents_rules ir;
	settings_incidents(&c->cfg, &ir);
	incidents_set_rules(incwatch_incidents(c->incidents), &ir);
	settings_notify(&c->cfg, &no);
	notify_configure(c->notify, &no);
	struct replay_opts ro;
	settings_replay(&c->cfg, &ro);
	replay_set_opts(c->replay, &ro);
	publish_mode(c, clock_real_ms());
	notify_receivers(c->notify, receivers, sizeof(receivers));
	log_info("collector: reloaded %s: %zu key(s) changed, status profiles %s and regency flags "
	    "%s read again, alert receivers: %s", path, r.changed,
	    c->cfg.status.profiles[0] != '\0' ? c->cfg.status.profiles : "(none)",
	    c->cfg.status.regency_flags[0] != '\0' ? c->cfg.status.regency_flags : "(shipped)",
	    receivers);
	reload_clear(&r);
}

/* Call after the loop has ended (every handle closed). */
void
collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	if (c->ingest != NULL) {
		const struct ingest_stats *s = ingest_stats(c->ingest);
		log_info("collector: %llu messages received, %llu batches stored, %llu duplicates, "
		    "%llu rejected", (unsigned long long)s->received, (unsigned long long)s->batches_stored,
		    (unsigned long long)s->duplicates, (unsigned long long)s->rejected);
	}
	ingest_free(c->ingest);
	engine_free(c->engine);
	alerts_free(c->alerts);
	incwatch_free(c->incidents);
	incidentdb_close(c->incidentdb);
	profiles_free(c->profiles);
	statusdb_close(c->statusdb);
	replay_free(c->replay);
	retention_free(c->retention);
	store_close(c->store);
	catalog_free(c->catalog);
	free(c);
}
