#include "agent.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/budget.h"
#include "clock.h"
#include "cycle.h"
#include "env.h"
#include "log.h"
#include "mqttc.h"
#include "outbox.h"
#include "outofturn.h"
#include "mode.h"
#include "pace.h"
#include "privdrop.h"
#include "replaycmd.h"
#include "segment.h"
#include "state.h"
#include "statusmsg.h"

/* Batches published and not yet acknowledged, at most; backlog may use all
 * but one of them, so a live batch always finds a slot. */
#define AGENT_WINDOW 10
/* Longest wait for the broker to acknowledge the shutdown status. */
#define STOP_WAIT_MS 3000

struct agent {
	uv_loop_t *loop;
	struct agent_config *cfg;   /* running; a reload swaps its probes */
	struct agent_config *next;  /* probes of a reload, from the next cycle; or NULL */
	char next_worker[PATH_MAX];
	struct agent_env env;
	struct cycle *cycle;
	struct mqttc *mqtt;
	struct outbox *outbox;
	struct pace pace;        /* backfill rate */
	char *buf;               /* one payload read back from the outbox */
	int64_t boot;
	int64_t seq;             /* last seq used in this boot */
	uint64_t cycle_no;
	struct outofturn oot;    /* probes run at once when the results degrade */
	uint64_t first_due;      /* uv_now() of cycle 0 */
	int period_s;            /* the cycle now: interval, or counting_interval */
	bool counting;           /* the collector says votes are counted in our zone */
	uv_timer_t tick;
	uv_timer_t stop_timer;
	uv_timer_t pace_timer;
	char topic_result[WIRE_TOPIC_MAX + 1];
	char topic_status[WIRE_TOPIC_MAX + 1];
	char topic_cmd[WIRE_TOPIC_MAX + 1];
	char topic_reply[WIRE_TOPIC_MAX + 1];
	int shutdown_mid;
	int failures;            /* connection failures since the last CONNACK */
	bool disk_failing;       /* the last outbox write failed */
	bool handles_open;
	bool stopping;
	bool stopped;
};

static void pump(struct agent *a);

/* ---- status messages ---- */

static void
publish_status(struct agent *a, bool online, const char *reason, int *mid)
{
	char *text = statusmsg_payload(a->cfg, a->boot, a->period_s, online, reason);
	if (text == NULL)
		return;
	if (mqttc_publish(a->mqtt, a->topic_status, text, strlen(text), 1, true, mid) !=
	    PANTAU_OK)
		log_warnx("agent: cannot publish the %s status", online ? "online" : "offline");
	free(text);
}

/* ---- publishing the outbox ---- */

static void
on_pace_timer(uv_timer_t *t)
{
	pump(t->data);
}

/* Next batch allowed now: live ones at once, backlog as the pace allows.
 * False when nothing may go now (the pace timer is armed when waiting). */
static bool
next_to_send(struct agent *a, struct outbox_item *it)
{
	bool backlog_slot = outbox_stats(a->outbox).inflight + 1 < AGENT_WINDOW;
	if (!outbox_next(a->outbox, backlog_slot, it))
		return false;
	if (it->live)
		return true;
	int64_t now = (int64_t)uv_now(a->loop);
	if (pace_take(&a->pace, (double)it->len, now))
		return true;
	if (!uv_is_active((uv_handle_t *)&a->pace_timer))
		uv_timer_start(&a->pace_timer, on_pace_timer, pace_wait_ms(&a->pace, now), 0);
	return false;
}

static void
pump(struct agent *a)
{
	struct outbox_item it;
	while (!a->stopping && mqttc_connected(a->mqtt) &&
	    outbox_stats(a->outbox).inflight < AGENT_WINDOW && next_to_send(a, &it)) {
		int mid;
		if (outbox_read(a->outbox, &it, a->buf) != PANTAU_OK) {
			log_warn("agent: cannot read batch boot %lld seq %lld back from the outbox",
			    (long long)it.boot, (long long)it.seq);
			return;
		}
		if (mqttc_publish(a->mqtt, a->topic_result, a->buf, it.len, 1, false, &mid) !=
		    PANTAU_OK)
			return;
		outbox_mark_inflight(a->outbox, &it, mid);
		log_debug("agent: published %s batch boot %lld seq %lld", it.live ? "live" : "backlog",
		    (long long)it.boot, (long long)it.seq);
	}
}

static void
agent_keep_batch(struct agent *a, const char *text, size_t len)
{
	int64_t now = clock_real_ms();
	outbox_expire(a->outbox, now);
	if (outbox_push(a->outbox, a->boot, a->seq, text, (uint32_t)len, now) == PANTAU_OK) {
		if (a->disk_failing)
			log_info("agent: the outbox in %s/outbox can be written again",
			    a->cfg->state_dir);
		a->disk_failing = false;
		return;
	}
	if (!a->disk_failing)
		log_warn("agent: cannot write batch seq %lld to the outbox in %s/outbox, so it is "
		    "dropped (and counted in outbox.dropped); free disk space there",
		    (long long)a->seq, a->cfg->state_dir);
	a->disk_failing = true;
}

static void
on_cycle_done(void *ctx, json_t *results, int64_t ts_ms)
{
	struct agent *a = ctx;
	size_t len;
	pantau_err rc;
	struct outbox_stats st = outbox_stats(a->outbox);
	struct wire_batch_hdr h = {
		.agent = a->cfg->id, .boot = a->boot, .seq = a->seq + 1, .ts_ms = ts_ms,
		.outbox_pending = (int64_t)st.pending, .outbox_dropped = (int64_t)st.dropped,
		.mono_ms = cycle_mono_ms(a->cycle),
	};
	results = probe_results_flat(results);
	if (results != NULL)
		oot_judge(&a->oot, a->cfg, results, (int64_t)uv_now(a->loop));
	char *text = results != NULL ? wire_batch_encode(&h, results, &len, &rc) : NULL;
	if (results == NULL)
		rc = PANTAU_ERR_NOMEM;
	json_decref(results);
	if (text == NULL) {
		log_warnx("agent: cannot encode the batch: %s", pantau_strerror(rc));
		return;
	}
	a->seq++;
	agent_keep_batch(a, text, len);
	free(text);
	pump(a);
}

/* ---- the cycle clock ---- */

static void on_tick(uv_timer_t *t);

static void
schedule_next(struct agent *a)
{
	uint64_t period = (uint64_t)a->period_s * 1000;
	uint64_t now = uv_now(a->loop);
	uint64_t due = a->first_due + a->cycle_no * period;
	if (due < now) { /* the loop was held up: skip the cycles missed */
		uint64_t missed = (now - due) / period + 1;
		log_warnx("agent: %llu cycle(s) skipped; the system was too busy or suspended",
		    (unsigned long long)missed);
		a->cycle_no += missed;
		due = a->first_due + a->cycle_no * period;
	}
	uv_timer_start(&a->tick, on_tick, due - now, 0);
}

/* Every how many cycles a probe runs. Its own interval is wall-clock time;
 * without one it runs every cycle, except that a link-loading probe keeps
 * the normal interval's pace when counting shortens the cycle. */
static uint64_t
probe_every(const struct agent *a, const struct probe_def *p)
{
	int period = a->period_s;
	int wall = p->interval_s > 0 ? p->interval_s :
	           p->spec->loads_link ? a->cfg->interval_s : period;
	return wall <= period ? 1 : (uint64_t)((wall + period / 2) / period);
}

/* A reload's probes replace the running ones between cycles (a cycle
 * points at its probes until it ends). */
static void
take_probes(struct agent *a)
{
	struct agent_config *old = a->next;
	if (old == NULL || cycle_active(a->cycle))
		return;
	for (size_t i = 0; i < AGENT_MAX_PROBES; i++) {
		struct probe_def p = a->cfg->probes[i];
		a->cfg->probes[i] = old->probes[i];
		old->probes[i] = p;
	}
	size_t n = a->cfg->nprobes;
	a->cfg->nprobes = old->nprobes;
	old->nprobes = n;
	if (a->next_worker[0] != '\0') {
		snprintf(a->env.worker, sizeof(a->env.worker), "%s", a->next_worker);
		a->env.probe.worker = a->env.worker;
	}
	agent_config_clear(old);
	free(old);
	a->next = NULL;
	oot_reset(&a->oot);
	log_debug("agent: this cycle runs the %zu reloaded probe(s)", a->cfg->nprobes);
}

void
agent_set_probes(struct agent *a, struct agent_config *next, const char *worker)
{
	if (a->next != NULL) {
		agent_config_clear(a->next);
		free(a->next);
	}
	a->next = next;
	snprintf(a->next_worker, sizeof(a->next_worker), "%s", worker);
}

const struct agent_config *
agent_config(const struct agent *a)
{
	return a->cfg;
}

/* The probes due at this cycle: in turn (every N cycles) or out of it. */
static size_t
due_probes(struct agent *a, const struct probe_def **due)
{
	size_t n = 0;
	for (size_t i = 0; i < a->cfg->nprobes; i++) {
		const struct probe_def *p = &a->cfg->probes[i];
		if (oot_take(&a->oot, i) || a->cycle_no % probe_every(a, p) == 0) {
			due[n++] = p;
			oot_ran(&a->oot, i, (int64_t)uv_now(a->loop));
		}
	}
	return n;
}

static void
on_tick(uv_timer_t *t)
{
	struct agent *a = t->data;
	const struct probe_def *due[AGENT_MAX_PROBES];
	take_probes(a);
	if (cycle_active(a->cycle))
		log_warnx("agent: the previous cycle is still running; skipping this one");
	else if (cycle_start(a->cycle, due, due_probes(a, due), a->period_s * 1000 - 100) !=
	    PANTAU_OK)
		log_warnx("agent: cannot start a cycle");
	a->cycle_no++;
	schedule_next(a);
}

/* ---- MQTT events ---- */

static void
on_connect(void *ctx)
{
	struct agent *a = ctx;
	int mid;
	log_info("agent: connected to the broker at %s:%d%s", mqttc_host(a->mqtt),
	    mqttc_port(a->mqtt), a->failures > 0 ? " (after retrying)" : "");
	a->failures = 0;
	outbox_connected(a->outbox);
	publish_status(a, true, NULL, &mid);
	if (mqttc_subscribe(a->mqtt, WIRE_TOPIC_MODE_NAME, 1, &mid) != PANTAU_OK)
		log_warnx("agent: cannot subscribe to %s; the counting schedule will not follow",
		    WIRE_TOPIC_MODE_NAME);
	if (mqttc_subscribe(a->mqtt, a->topic_cmd, 1, &mid) != PANTAU_OK)
		log_warnx("agent: cannot subscribe to %s; replay requests will not arrive",
		    a->topic_cmd);
	pump(a);
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	struct agent *a = ctx;
	outbox_requeue(a->outbox);
	if (a->failures++ == 0 || why == MQTTC_FAIL_AUTH)
		log_warnx("agent: broker %s:%d: %s%s; measuring goes on, results wait in the "
		    "outbox (%zu now)", mqttc_host(a->mqtt), mqttc_port(a->mqtt), text,
		    why == MQTTC_FAIL_AUTH ? " (check [broker] username and password)" : "",
		    outbox_stats(a->outbox).pending);
	else
		log_debug("agent: broker %s:%d still unreachable: %s", mqttc_host(a->mqtt),
		    mqttc_port(a->mqtt), text);
}

static void
finish_stop(struct agent *a)
{
	if (a->stopped)
		return;
	a->stopped = true;
	size_t left = outbox_stats(a->outbox).pending;
	if (left > 0)
		log_info("agent: stopping with %zu batch(es) not yet delivered; they stay in the "
		    "outbox and go after the next start", left);
	mqttc_free(a->mqtt);
	a->mqtt = NULL;
	cycle_free(a->cycle);
	a->cycle = NULL;
	agent_env_close(&a->env);
	if (a->handles_open) {
		uv_close((uv_handle_t *)&a->tick, NULL);
		uv_close((uv_handle_t *)&a->stop_timer, NULL);
		uv_close((uv_handle_t *)&a->pace_timer, NULL);
		a->handles_open = false;
	}
}

static void
on_stop_acked(uv_timer_t *t)
{
	finish_stop(t->data);
}

static void
on_publish(void *ctx, int mid)
{
	struct agent *a = ctx;
	if (a->stopping) {
		/* Finish on the loop, not inside libmosquitto's callback. */
		if (mid == a->shutdown_mid)
			uv_timer_start(&a->stop_timer, on_stop_acked, 0, 0);
		return;
	}
	if (outbox_ack(a->outbox, mid, clock_real_ms()))
		pump(a);
}

/* The collector's mode message: switch the cycle between interval and
 * counting_interval, start the new schedule now and say so in a birth. */
static void
on_mode(struct agent *a, const struct mosquitto_message *m)
{
	struct agent_mode mode;
	char why[160], iso[CLOCK_ISO_LEN];
	int mid;
	if (agent_mode_parse(m->payload, (size_t)m->payloadlen, a->cfg->region, &mode, why,
	        sizeof(why)) != PANTAU_OK) {
		log_warnx("agent: ignored the message on %s: %s", m->topic, why);
		return;
	}
	if (mode.counting == a->counting)
		return;
	a->counting = mode.counting;
	a->period_s = mode.counting ? a->cfg->counting_interval_s : a->cfg->interval_s;
	if (mode.counting) {
		clock_format_iso(mode.until_ms >= 0 ? mode.until_ms : 0, iso);
		log_info("agent: vote counting in this time zone%s%s: measuring every %d s",
		    mode.until_ms >= 0 ? " until " : "", mode.until_ms >= 0 ? iso : "", a->period_s);
	} else {
		log_info("agent: vote counting over: measuring every %d s again", a->period_s);
	}
	a->cycle_no = 0;
	a->first_due = uv_now(a->loop) + 1000;
	uv_timer_stop(&a->tick);
	schedule_next(a);
	publish_status(a, true, NULL, &mid);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct agent *a = ctx;
	struct wire_replay r;
	struct wire_error err;
	if (a->stopping || m->payloadlen < 0)
		return;
	if (strcmp(m->topic, WIRE_TOPIC_MODE_NAME) == 0) {
		on_mode(a, m);
		return;
	}
	if (wire_cmd_decode(m->payload, (size_t)m->payloadlen, &r, &err) != WIRE_ACCEPT) {
		log_warnx("agent: ignored a command on %s: %s", m->topic, err.detail);
		return;
	}
	struct replaycmd_ctx rc = { a->outbox, a->mqtt, a->cfg->id, a->topic_reply };
	replaycmd_handle(&rc, &r);
	pump(a);
}

static void
on_stop_timer(uv_timer_t *t)
{
	struct agent *a = t->data;
	log_warnx("agent: the broker did not acknowledge the shutdown status in time");
	finish_stop(a);
}

void
agent_stop(struct agent *a)
{
	if (a == NULL || a->stopping)
		return;
	a->stopping = true;
	uv_timer_stop(&a->tick);
	uv_timer_stop(&a->pace_timer);
	cycle_cancel(a->cycle);
	if (a->mqtt != NULL && mqttc_connected(a->mqtt)) {
		a->shutdown_mid = -1;
		publish_status(a, false, "shutdown", &a->shutdown_mid);
		if (a->shutdown_mid >= 0) {
			uv_timer_start(&a->stop_timer, on_stop_timer, STOP_WAIT_MS, 0);
			return;
		}
	}
	finish_stop(a);
}

/* ---- start ---- */

static pantau_err
start_mqtt(struct agent *a, char *why, size_t len)
{
	struct mqttc_opts mo;
	struct mqttc_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_publish = on_publish, .on_message = on_message };
	brokercfg_to_mqttc(&a->cfg->broker, &mo);
	mo.client_id = a->cfg->id;
	mo.clean_session = true;
	mo.max_inflight = AGENT_WINDOW + 2;
	mo.lost_attempts = MQTTC_FLEET_LOST_ATTEMPTS; /* no reconnect storm */
	a->mqtt = mqttc_new(a->loop, &mo, &cb, a);
	char *will = a->mqtt != NULL ? statusmsg_payload(a->cfg, a->boot, a->period_s, false, "lost") : NULL;
	pantau_err rc = will == NULL ? PANTAU_ERR_NOMEM :
	    mqttc_set_will(a->mqtt, a->topic_status, will, strlen(will), 1, true);
	free(will);
	if (rc == PANTAU_OK)
		rc = mqttc_start(a->mqtt);
	if (rc != PANTAU_OK)
		snprintf(why, len, "cannot start the MQTT client: %s", pantau_strerror(rc));
	return rc;
}

static pantau_err
open_outbox(struct agent *a, char *why, size_t len)
{
	const struct agent_config *c = a->cfg;
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/outbox", c->state_dir);
	struct outbox_opts o = {
		.dir = dir,
		.max_bytes = (uint64_t)c->outbox_max_kb * 1024,
		.max_age_ms = (int64_t)c->outbox_max_age_s * 1000,
		.retention_ms = (int64_t)c->outbox_retention_s * 1000,
	};
	a->buf = malloc(SEG_MAX_PAYLOAD);
	if (a->buf == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	pace_init(&a->pace, c->backfill_rate, c->backfill_rate, (int64_t)uv_now(a->loop));
	return outbox_open(&o, clock_real_ms(), &a->outbox, why, len);
}

static pantau_err
prepare(struct agent *a, char *why, size_t len)
{
	const struct agent_config *c = a->cfg;
	pantau_err rc = state_prepare(c->state_dir, why, len);
	if (rc == PANTAU_OK)
		rc = state_next_boot(c->state_dir, &a->boot, why, len);
	if (rc != PANTAU_OK)
		return rc;
	if (wire_topic_result(a->topic_result, sizeof(a->topic_result), c->region, c->id) !=
	        PANTAU_OK ||
	    wire_topic_status(a->topic_status, sizeof(a->topic_status), c->region, c->id) !=
	        PANTAU_OK ||
	    wire_topic_reply(a->topic_reply, sizeof(a->topic_reply), c->region, c->id) !=
	        PANTAU_OK ||
	    wire_topic_cmd(a->topic_cmd, sizeof(a->topic_cmd), c->id) != PANTAU_OK) {
		snprintf(why, len, "cannot build topics from id %s and region %s", c->id, c->region);
		return PANTAU_ERR_CONFIG;
	}
	if ((rc = open_outbox(a, why, len)) != PANTAU_OK)
		return rc;
	char worker[PATH_MAX];
	rc = agent_config_worker(c, worker, sizeof(worker), why, len);
	if (rc == PANTAU_OK)
		rc = agent_env_open(a->loop, &a->env, worker, why, len);
	if (rc != PANTAU_OK)
		return rc;
	if (budget_new(c->state_dir, agent_config_budget_bytes(c), clock_real_ms(),
	        &a->env.probe.budget) != PANTAU_OK) {
		agent_env_close(&a->env);
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	/* Sockets and the outbox are open: root is not needed any more. */
	rc = privdrop_apply(c->user, c->state_dir, why, len);
	if (rc != PANTAU_OK)
		agent_env_close(&a->env); /* closes on the loop the caller runs */
	return rc;
}

pantau_err
agent_new(uv_loop_t *loop, struct agent_config *cfg, struct agent **out, char *why,
    size_t len)
{
	struct agent *a = calloc(1, sizeof(*a));
	*out = NULL;
	if (a == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	a->loop = loop;
	a->cfg = cfg;
	oot_reset(&a->oot);
	pantau_err rc = prepare(a, why, len);
	if (rc != PANTAU_OK) {
		outbox_free(a->outbox);
		free(a->buf);
		free(a);
		return rc;
	}
	a->cycle = cycle_new(&a->env.probe, on_cycle_done, a);
	uv_timer_init(loop, &a->tick);
	uv_timer_init(loop, &a->stop_timer);
	uv_timer_init(loop, &a->pace_timer);
	a->tick.data = a->stop_timer.data = a->pace_timer.data = a;
	a->handles_open = true;
	log_info("agent: %s (%s, region %s) boot %lld, %zu probe(s) every %d s", cfg->id,
	    cfg->site, cfg->region, (long long)a->boot, cfg->nprobes, cfg->interval_s);
	uint64_t splay = rng_below(&a->env.rng, (uint64_t)cfg->splay_s * 1000 + 1);
	a->first_due = uv_now(loop) + splay;
	a->period_s = cfg->interval_s;
	schedule_next(a);
	*out = a;
	if (a->cycle == NULL || (rc = start_mqtt(a, why, len)) != PANTAU_OK)
		agent_stop(a); /* the caller runs the loop to close, then agent_free */
	return rc;
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	outbox_free(a->outbox);
	free(a->buf);
	agent_set_probes(a, NULL, "");
	free(a);
}
