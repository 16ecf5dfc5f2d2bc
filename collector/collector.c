#include "collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "catalog.h"
#include "clock.h"
#include "gaps.h"
#include "ingest.h"
#include "log.h"
#include "mqttc.h"
#include "store.h"

struct collector {
	uv_loop_t *loop;
	const struct collector_config *cfg;
	struct store *store;
	struct catalog *catalog;
	struct ingest *ingest;
	struct api *api;
	struct mqttc *mqtt;
	struct gaps *gaps;
	uv_timer_t commit_timer;
	uv_timer_t replay_timer;
	bool timer_open;
	bool stopping;
	bool subscribed_once;
};

static void
commit_now(struct collector *c)
{
	if (store_pending(c->store) > 0 && store_commit(c->store) != PANTAU_OK)
		log_warnx("collector: commit failed; the rows of this transaction are lost "
		          "until the agents replay them");
}

static void
on_commit_timer(uv_timer_t *t)
{
	commit_now(t->data);
}

/* Replay commands published per scan, at most. */
#define REPLAY_MAX_PER_SCAN 64

static bool
ask_replay(struct collector *c, const struct gap *g)
{
	char topic[WIRE_TOPIC_MAX + 1];
	struct wire_replay r = { g->boot, g->from_seq, g->to_seq };
	size_t len;
	int mid;
	char *text = wire_replay_encode(&r, &len);
	bool ok = text != NULL && wire_topic_cmd(topic, sizeof(topic), g->agent) == PANTAU_OK &&
	    mqttc_publish(c->mqtt, topic, text, len, 1, false, &mid) == PANTAU_OK;
	free(text);
	if (ok)
		log_debug("collector: asked %s for boot %lld seq %lld..%lld again (missing)", g->agent,
		    (long long)g->boot, (long long)g->from_seq, (long long)g->to_seq);
	return ok;
}

static void
on_replay_timer(uv_timer_t *t)
{
	struct collector *c = t->data;
	struct gap *list;
	size_t n = 0;
	if (c->mqtt == NULL || !mqttc_connected(c->mqtt))
		return;
	list = malloc(REPLAY_MAX_PER_SCAN * sizeof(*list));
	if (list == NULL)
		return;
	if (gaps_find(c->gaps, clock_real_ms(), list, REPLAY_MAX_PER_SCAN, &n) != PANTAU_OK)
		n = 0;
	int64_t seqs = 0;
	size_t i = 0;
	for (; i < n && ask_replay(c, &list[i]); i++)
		seqs += list[i].to_seq - list[i].from_seq + 1;
	if (i > 0)
		log_info("collector: asked for %lld missing batch(es) again (%zu replay command(s), "
		    "first: %s boot %lld seq %lld..%lld)", (long long)seqs, i, list[0].agent,
		    (long long)list[0].boot, (long long)list[0].from_seq, (long long)list[0].to_seq);
	free(list);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct collector *c = ctx;
	ingest_message(c->ingest, m->topic, m->payload, m->payloadlen > 0 ? (size_t)m->payloadlen : 0,
	    clock_real_ms());
	if (store_should_commit(c->store))
		commit_now(c);
}

static void
on_connect(void *ctx)
{
	struct collector *c = ctx;
	int mid;
	log_info("collector: connected to the broker at %s:%d", c->cfg->broker.host,
	    c->cfg->broker.port);
	if (mqttc_subscribe(c->mqtt, WIRE_TOPIC_ALL, 1, &mid) != PANTAU_OK)
		log_warnx("collector: cannot subscribe to %s", WIRE_TOPIC_ALL);
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	struct collector *c = ctx;
	if (why == MQTTC_FAIL_AUTH)
		log_warnx("collector: the broker refused our credentials (%s); check [broker] "
		          "username and password", text);
	else
		log_warnx("collector: broker %s:%d: %s", c->cfg->broker.host, c->cfg->broker.port,
		    text);
	commit_now(c);
}

static pantau_err
load_catalog(struct collector *c, char *why, size_t len)
{
	pantau_err rc = catalog_load(c->cfg->catalog_dir, &c->catalog, why, len);
	if (rc != PANTAU_OK)
		return rc;
	rc = store_catalog_begin(c->store);
	for (size_t i = 0; i < c->catalog->nprovinces && rc == PANTAU_OK; i++)
		rc = store_catalog_province(c->store, c->catalog->provinces[i].code,
		    c->catalog->provinces[i].name);
	for (size_t i = 0; i < c->catalog->nregencies && rc == PANTAU_OK; i++)
		rc = store_catalog_regency(c->store, c->catalog->regencies[i].code,
		    c->catalog->regencies[i].province, c->catalog->regencies[i].name);
	if (rc == PANTAU_OK)
		rc = store_catalog_end(c->store);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot write the region catalog into %s", c->cfg->database);
	else
		log_info("collector: region catalog: %zu provinces, %zu regencies",
		    c->catalog->nprovinces, c->catalog->nregencies);
	return rc;
}

static pantau_err
open_store(struct collector *c, char *why, size_t len)
{
	struct store_opts so = {
		.path = c->cfg->database,
		.commit_ms = c->cfg->store.commit_ms,
		.commit_rows = c->cfg->store.commit_rows,
		.sync_full = c->cfg->store.synchronous == 1,
	};
	pantau_err rc = store_open(&so, &c->store);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot open the database %s; check that its folder exists "
		    "and is writable", c->cfg->database);
	return rc;
}

static pantau_err
start_api(struct collector *c, char *why, size_t len)
{
	struct api_opts ao = {
		.listen = c->cfg->api.listen,
		.port = c->cfg->api.port,
		.window_s = c->cfg->status.window_s,
		.rules = { .offline_intervals = c->cfg->status.offline_intervals,
		    .default_interval_s = c->cfg->status.default_interval_s },
	};
	return api_new(c->loop, &ao, c->store, ingest_stats(c->ingest), c->catalog, &c->api,
	    why, len);
}

static pantau_err
start_mqtt(struct collector *c, char *why, size_t len)
{
	struct mqttc_opts mo;
	struct mqttc_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_message = on_message };
	mqttc_opts_default(&mo);
	brokercfg_to_mqttc(&c->cfg->broker, &mo);
	mo.client_id = c->cfg->client_id;
	mo.clean_session = false;
	mo.max_inflight = 1000;
	c->mqtt = mqttc_new(c->loop, &mo, &cb, c);
	if (c->mqtt == NULL || mqttc_start(c->mqtt) != PANTAU_OK) {
		snprintf(why, len, "cannot start the MQTT client");
		return PANTAU_ERR_MQTT;
	}
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
	c->cfg = cfg;
	if ((rc = open_store(c, why, len)) != PANTAU_OK ||
	    (rc = load_catalog(c, why, len)) != PANTAU_OK)
		goto out;
	rc = PANTAU_ERR_NOMEM;
	if ((c->ingest = ingest_new(c->store, c->catalog)) == NULL)
		goto out;
	struct gaps_opts go = { .min_age_ms = (int64_t)cfg->replay.after_s * 1000,
		.window_ms = (int64_t)cfg->replay.window_s * 1000 };
	if ((rc = gaps_new(store_db(c->store), &go, &c->gaps)) != PANTAU_OK) {
		snprintf(why, len, "cannot prepare gap detection in %s", cfg->database);
		goto out;
	}
	if ((rc = start_api(c, why, len)) != PANTAU_OK)
		goto out;
	uv_timer_init(loop, &c->commit_timer);
	uv_timer_init(loop, &c->replay_timer);
	c->commit_timer.data = c->replay_timer.data = c;
	c->timer_open = true;
	uv_timer_start(&c->commit_timer, on_commit_timer, (uint64_t)cfg->store.commit_ms,
	    (uint64_t)cfg->store.commit_ms);
	uint64_t every = (uint64_t)cfg->replay.interval_s * 1000;
	uv_timer_start(&c->replay_timer, on_replay_timer, every, every);
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
	if (c->mqtt != NULL) {
		mqttc_free(c->mqtt);
		c->mqtt = NULL;
	}
	if (c->store != NULL)
		commit_now(c);
	if (c->api != NULL) {
		api_free(c->api);
		c->api = NULL;
	}
	if (c->timer_open) {
		uv_close((uv_handle_t *)&c->commit_timer, NULL);
		uv_close((uv_handle_t *)&c->replay_timer, NULL);
		c->timer_open = false;
	}
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
		         "%llu rejected", (unsigned long long)s->received,
		    (unsigned long long)s->batches_stored, (unsigned long long)s->duplicates,
		    (unsigned long long)s->rejected);
	}
	ingest_free(c->ingest);
	gaps_free(c->gaps);
	store_close(c->store);
	catalog_free(c->catalog);
	free(c);
}
