#include "loadgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "catalog.h"
#include "clock.h"
#include "log.h"
#include "mqttc.h"
#include "vagent.h"

/* Pacing timer period; unpaced runs tick slower, only as a safety net. */
#define LG_TICK_MS 10
#define LG_TICK_UNPACED_MS 100
/* MQTT message ids are 16 bits: one bit each says "a birth awaits its PUBACK". */
#define LG_MID_BYTES (65536 / 8)
/* Batches wait until every connection is ready (up once, its births
 * published), or this long. */
#define LG_START_GRACE_MS 5000
/* Interval announced in births when the agents have no fixed cycle. */
#define LG_NOMINAL_INTERVAL_S 60
/* Where the region catalog is looked for when --catalog is not given. */
#define LG_CATALOG_BUILD "build/share/pantau"
/* Replay commands to every agent (--serve-replay). */
#define LG_CMD_TOPICS "pantau/v1/cmd/+"

enum lg_phase { LG_RUNNING, LG_DRAINING, LG_SERVING, LG_CLOSING };

struct loadgen;

struct lg_conn {
	struct loadgen *lg;
	struct mqttc *m;
	size_t k;               /* carries agents k, k + C, k + 2C, ... */
	size_t nagents;
	size_t next;            /* round-robin position among its agents */
	size_t birth_pos;       /* births published since the last CONNACK */
	int window;             /* messages awaiting PUBACK */
	double share;           /* batches/s when paced */
	double credit;          /* batches owed when paced */
	unsigned char *birth_mids;
	unsigned char *replay_mids;
	int failures;
	bool connected;
	bool ready;             /* was up and published its births once */
	char client_id[96];
};

struct loadgen {
	uv_loop_t loop;
	const struct lg_opts *o;
	struct catalog *cat;
	struct vagent *agents;
	struct lg_conn *conns;
	size_t nconns;
	struct rng rng;
	uv_timer_t tick, duration, finish;
	uv_signal_t sigint, sigterm;
	enum lg_phase phase;
	bool paced;
	bool started;           /* batches may flow (see LG_START_GRACE_MS) */
	size_t nready;          /* connections ready */
	bool warned_unreachable;
	bool ever_connected;
	int birth_interval;
	int64_t outstanding;    /* sum of the windows */
	uint64_t published, acked, births_acked, replayed, gone;
	int64_t start_ns, first_pub_ns, last_ack_ns, last_tick_ns;
	pantau_err error;
};

void
lg_opts_default(struct lg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 1883;
	o->connections = 20;
	o->agents = 2000;
	o->inflight = 100;
	o->prefix = "sim";
}

static bool
mid_test(const unsigned char *bits, int mid)
{
	unsigned m = (unsigned)mid & 0xffffu;
	return bits != NULL && (bits[m / 8] & (1u << (m % 8))) != 0;
}

static void
mid_set(unsigned char *bits, int mid, bool on)
{
	unsigned m = (unsigned)mid & 0xffffu;
	if (bits == NULL)
		return;
	if (on)
		bits[m / 8] = (unsigned char)(bits[m / 8] | (1u << (m % 8)));
	else
		bits[m / 8] = (unsigned char)(bits[m / 8] & ~(1u << (m % 8)));
}

static struct vagent *
conn_agent(const struct lg_conn *c, size_t j)
{
	return &c->lg->agents[c->k + j * c->lg->nconns];
}

/* ---- ending the run ---- */

static void
close_all(struct loadgen *lg)
{
	if (lg->phase == LG_CLOSING)
		return;
	lg->phase = LG_CLOSING;
	for (size_t i = 0; i < lg->nconns; i++) {
		mqttc_free(lg->conns[i].m);
		lg->conns[i].m = NULL;
	}
	uv_close((uv_handle_t *)&lg->tick, NULL);
	uv_close((uv_handle_t *)&lg->duration, NULL);
	uv_close((uv_handle_t *)&lg->finish, NULL);
	uv_close((uv_handle_t *)&lg->sigint, NULL);
	uv_close((uv_handle_t *)&lg->sigterm, NULL);
}

static void
on_finish(uv_timer_t *t)
{
	struct loadgen *lg = t->data;
	if (lg->phase == LG_DRAINING && lg->outstanding > 0)
		log_warnx("loadgen: %lld message(s) still unacknowledged after %d s; giving up",
		    (long long)lg->outstanding, LG_DRAIN_MS / 1000);
	close_all(lg);
}

/* Closing happens from the finish timer, never inside an MQTT callback. */
static void
check_drained(struct loadgen *lg)
{
	if (lg->phase != LG_DRAINING || lg->outstanding > 0)
		return;
	if (lg->o->serve_replay) {
		uv_timer_stop(&lg->finish);
		lg->phase = LG_SERVING;
		log_info("loadgen: run done (%llu published); answering replay commands until "
		    "stopped", (unsigned long long)lg->published);
		return;
	}
	uv_timer_start(&lg->finish, on_finish, 0, 0);
}

static void
begin_drain(struct loadgen *lg)
{
	if (lg->phase != LG_RUNNING)
		return;
	lg->phase = LG_DRAINING;
	uv_timer_stop(&lg->tick);
	uv_timer_stop(&lg->duration);
	uv_timer_start(&lg->finish, on_finish, LG_DRAIN_MS, 0);
	check_drained(lg);
}

static void
fatal(struct loadgen *lg, pantau_err rc, const char *what)
{
	log_errorx("loadgen: %s: %s", what, pantau_strerror(rc));
	lg->error = rc;
	begin_drain(lg);
}

/* ---- publishing ---- */

static void
sent_one(struct lg_conn *c)
{
	c->window++;
	c->lg->outstanding++;
}

static bool
publish_birth(struct lg_conn *c)
{
	struct loadgen *lg = c->lg;
	char topic[WIRE_TOPIC_MAX + 1];
	size_t len = 0;
	int mid = 0;
	char *text = vagent_birth(conn_agent(c, c->birth_pos), lg->birth_interval,
	    clock_real_ms(), topic, sizeof(topic), &len);
	if (text == NULL) {
		fatal(lg, PANTAU_ERR_NOMEM, "cannot encode a birth message");
		return false;
	}
	pantau_err rc = mqttc_publish(c->m, topic, text, len, 1, true, &mid);
	free(text);
	if (rc != PANTAU_OK)
		return false;
	mid_set(c->birth_mids, mid, true);
	c->birth_pos++;
	sent_one(c);
	return true;
}

static bool
publish_batch(struct lg_conn *c)
{
	struct loadgen *lg = c->lg;
	/* an offline agent (--demo) publishes nothing after its last will */
	for (size_t k = 0; k < c->nagents && conn_agent(c, c->next)->cond == VC_OFFLINE; k++)
		c->next = (c->next + 1) % c->nagents;
	struct vagent *a = conn_agent(c, c->next);
	if (a->cond == VC_OFFLINE)
		return false;
	size_t len = 0;
	int mid = 0;
	pantau_err rc;
	char *text = vagent_batch(a, &lg->rng, clock_real_ms(), &len, &rc);
	if (text == NULL) {
		fatal(lg, rc, "cannot encode a batch");
		return false;
	}
	rc = mqttc_publish(c->m, a->topic, text, len, 1, false, &mid);
	free(text);
	if (rc != PANTAU_OK)
		return false;
	vagent_commit(a);
	mid_set(c->birth_mids, mid, false);
	c->next = (c->next + 1) % c->nagents;
	if (lg->published++ == 0)
		lg->first_pub_ns = clock_mono_ns();
	if (lg->paced)
		c->credit -= 1.0;
	sent_one(c);
	return true;
}

static void pump_all(struct loadgen *lg);

/* Batches may flow from now on; pacing starts from nothing owed. */
static void
start_batches(struct loadgen *lg)
{
	lg->started = true;
	lg->last_tick_ns = clock_mono_ns();
	for (size_t i = 0; i < lg->nconns; i++)
		lg->conns[i].credit = 0;
	pump_all(lg);
}

static void
conn_ready(struct lg_conn *c)
{
	struct loadgen *lg = c->lg;
	c->ready = true;
	if (++lg->nready == lg->nconns && !lg->started)
		start_batches(lg);
}

/* Publish one message if the window and pacing allow: births first, then
 * batches. False when nothing more can go now. */
static bool
pump_one(struct lg_conn *c)
{
	struct loadgen *lg = c->lg;
	const struct lg_opts *o = lg->o;
	if (lg->phase != LG_RUNNING || !c->connected || c->window >= o->inflight)
		return false;
	if (c->birth_pos < c->nagents)
		return publish_birth(c);
	if (!c->ready) {
		conn_ready(c); /* may pump every connection, this one too */
		return true;
	}
	if (o->count > 0 && lg->published >= o->count) {
		begin_drain(lg);
		return false;
	}
	if (!lg->started || (lg->paced && c->credit < 1.0))
		return false;
	return publish_batch(c);
}

/* Fill the connection's window. */
static void
pump(struct lg_conn *c)
{
	while (pump_one(c))
		;
}

/* Fill every window taking turns, so that a small --count is spread over
 * all connections (and so all agents) instead of filling the first. */
static void
pump_all(struct loadgen *lg)
{
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < lg->nconns; i++)
			more = pump_one(&lg->conns[i]) || more;
	}
}

/* ---- MQTT events ---- */

static void
on_connect(void *ctx)
{
	struct lg_conn *c = ctx;
	struct loadgen *lg = c->lg;
	int mid;
	if (c->failures > 0)
		log_info("loadgen: connection %zu to %s:%d is up", c->k, lg->o->host, lg->o->port);
	c->connected = true;
	c->failures = 0;
	lg->ever_connected = true;
	c->birth_pos = lg->o->births ? 0 : c->nagents;
	if (lg->o->serve_replay && c->k == 0 &&
	    mqttc_subscribe(c->m, LG_CMD_TOPICS, 1, &mid) != PANTAU_OK)
		log_warnx("loadgen: cannot subscribe to %s", LG_CMD_TOPICS);
	pump(c);
}

/* Republish seq of agent i (replay), if its connection is up. */
static void
replay_one(struct loadgen *lg, size_t i, int64_t seq)
{
	struct lg_conn *c = &lg->conns[i % lg->nconns];
	struct vagent *a = &lg->agents[i];
	size_t len = 0;
	int mid = 0;
	pantau_err rc;
	if (!c->connected)
		return;
	char *text = vagent_batch_seq(a, seq, &lg->rng, clock_real_ms(), &len, &rc);
	if (text != NULL && mqttc_publish(c->m, a->topic, text, len, 1, false, &mid) == PANTAU_OK) {
		mid_set(c->replay_mids, mid, true);
		lg->replayed++;
	}
	free(text);
}

/* Answer a replay command of agent i: every seq asked is gone. */
static void
gone_all(struct loadgen *lg, size_t i, const struct wire_replay *r)
{
	struct lg_conn *c = &lg->conns[i % lg->nconns];
	struct vagent *a = &lg->agents[i];
	char topic[WIRE_TOPIC_MAX + 1];
	struct wire_gone g = { .boot = r->boot, .n = 1 };
	size_t len = 0;
	int mid = 0;
	g.seqs[0].from = r->from_seq;
	g.seqs[0].to = r->to_seq;
	if (!c->connected || wire_topic_reply(topic, sizeof(topic), a->regency, a->id) != PANTAU_OK)
		return;
	char *text = wire_gone_encode(a->id, &g, &len);
	if (text != NULL && mqttc_publish(c->m, topic, text, len, 1, false, &mid) == PANTAU_OK) {
		mid_set(c->replay_mids, mid, true);
		lg->gone++;
	}
	free(text);
}

static void
on_message(void *ctx, const struct mosquitto_message *m)
{
	struct lg_conn *c = ctx;
	struct loadgen *lg = c->lg;
	struct wire_replay r;
	struct wire_error err;
	const char *id = strrchr(m->topic, '/');
	if (lg->phase == LG_CLOSING || id == NULL || m->payloadlen < 0 ||
	    wire_cmd_decode(m->payload, (size_t)m->payloadlen, &r, &err) != WIRE_ACCEPT)
		return;
	for (size_t i = 0; i < lg->o->agents; i++) {
		struct vagent *a = &lg->agents[i];
		if (strcmp(a->id, id + 1) != 0 || a->boot != r.boot)
			continue;
		if (lg->o->replay_gone)
			gone_all(lg, i, &r);
		for (int64_t seq = r.from_seq; !lg->o->replay_gone && seq <= r.to_seq && seq <= a->seq;
		     seq++)
			replay_one(lg, i, seq);
		log_info("loadgen: %s asked for boot %lld seq %lld..%lld again", a->id,
		    (long long)r.boot, (long long)r.from_seq, (long long)r.to_seq);
		return;
	}
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *text)
{
	struct lg_conn *c = ctx;
	struct loadgen *lg = c->lg;
	if (c->connected) {
		/* Whatever was in flight is gone with the connection: the load
		 * generator does not resend (published - acked shows it). */
		lg->outstanding -= c->window;
		c->window = 0;
		c->connected = false;
		if (c->birth_mids != NULL)
			memset(c->birth_mids, 0, LG_MID_BYTES);
	}
	c->failures++;
	if (why == MQTTC_FAIL_LOST || !lg->warned_unreachable)
		log_warnx("loadgen: connection %zu: %s (%s)", c->k, text, mqttc_fail_name(why));
	else
		log_debug("loadgen: connection %zu: %s", c->k, text);
	if (why != MQTTC_FAIL_LOST)
		lg->warned_unreachable = true;
	check_drained(lg);
}

static void
on_publish(void *ctx, int mid)
{
	struct lg_conn *c = ctx;
	struct loadgen *lg = c->lg;
	if (c->window > 0) {
		c->window--;
		lg->outstanding--;
	}
	if (mid_test(c->replay_mids, mid)) { /* outside the window */
		mid_set(c->replay_mids, mid, false);
		return;
	}
	if (mid_test(c->birth_mids, mid)) {
		mid_set(c->birth_mids, mid, false);
		lg->births_acked++;
	} else {
		lg->acked++;
		lg->last_ack_ns = clock_mono_ns();
	}
	if (lg->phase == LG_RUNNING)
		pump(c);
	else
		check_drained(lg);
}

/* ---- timers and signals ---- */

static void
on_tick(uv_timer_t *t)
{
	struct loadgen *lg = t->data;
	int64_t now = clock_mono_ns();
	double dt = (double)(now - lg->last_tick_ns) / 1e9;
	lg->last_tick_ns = now;
	if (!lg->started && lg->nready > 0 &&
	    now - lg->start_ns > LG_START_GRACE_MS * 1000000LL) {
		log_warnx("loadgen: only %zu of %zu connections are ready; starting anyway",
		    lg->nready, lg->nconns);
		start_batches(lg);
	}
	for (size_t i = 0; i < lg->nconns && lg->paced && lg->started; i++) {
		struct lg_conn *c = &lg->conns[i];
		double cap = fmax(c->share * LG_BACKLOG_S, (double)lg->o->inflight);
		c->credit = fmin(c->credit + c->share * dt, cap);
	}
	pump_all(lg);
}

static void
on_duration(uv_timer_t *t)
{
	struct loadgen *lg = t->data;
	log_info("loadgen: %g s are over; waiting for acknowledgements", lg->o->duration_s);
	begin_drain(lg);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct loadgen *lg = h->data;
	if (lg->phase == LG_RUNNING) {
		log_info("loadgen: %s received; waiting up to %d s for acknowledgements "
		         "(again to quit at once)", strsignal(signum), LG_DRAIN_MS / 1000);
		begin_drain(lg);
	} else {
		close_all(lg);
	}
}

/* ---- setting up ---- */

static pantau_err
load_catalog(struct loadgen *lg, char *why, size_t whylen)
{
	const char *dir = lg->o->catalog_dir;
	if (dir != NULL)
		return catalog_load(dir, &lg->cat, why, whylen);
	if (catalog_load(LG_CATALOG_BUILD, &lg->cat, why, whylen) == PANTAU_OK)
		return PANTAU_OK;
	return catalog_load(PANTAU_DATADIR, &lg->cat, why, whylen);
}

static int
birth_interval(const struct lg_opts *o)
{
	if (o->interval_s > 0)
		return o->interval_s;
	if (o->rate > 0) {
		double s = round((double)o->agents / o->rate);
		return s < 1 ? 1 : s > 86400 ? 86400 : (int)s;
	}
	return LG_NOMINAL_INTERVAL_S;
}

static pantau_err
prepare(struct loadgen *lg, char *why, size_t whylen)
{
	const struct lg_opts *o = lg->o;
	struct vfleet_spec spec = { .n = o->agents, .prefix = o->prefix, .seed = o->seed,
		.seeded = o->seeded, .boot_now = clock_real_ms() / 1000, .demo = o->demo };
	pantau_err rc = load_catalog(lg, why, whylen);
	if (rc == PANTAU_OK)
		rc = vfleet_new(lg->cat, &spec, &lg->agents, why, whylen);
	if (rc != PANTAU_OK)
		return rc;
	if (o->seeded)
		rng_seed_with(&lg->rng, o->seed ^ 0x5bd1e995u);
	else
		rng_seed(&lg->rng);
	lg->nconns = (size_t)o->connections < o->agents ? (size_t)o->connections : o->agents;
	lg->conns = calloc(lg->nconns, sizeof(*lg->conns));
	if (lg->conns == NULL) {
		snprintf(why, whylen, "out of memory for %zu connections", lg->nconns);
		return PANTAU_ERR_NOMEM;
	}
	lg->paced = o->rate > 0 || o->interval_s > 0;
	lg->birth_interval = birth_interval(o);
	return PANTAU_OK;
}

static pantau_err
conn_start(struct loadgen *lg, size_t k)
{
	const struct lg_opts *o = lg->o;
	struct lg_conn *c = &lg->conns[k];
	struct mqttc_opts mo;
	struct mqttc_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_publish = on_publish, .on_message = on_message };
	c->lg = lg;
	c->k = k;
	c->nagents = (o->agents - k + lg->nconns - 1) / lg->nconns;
	if (o->rate > 0)
		c->share = o->rate * (double)c->nagents / (double)o->agents;
	else if (o->interval_s > 0)
		c->share = (double)c->nagents / (double)o->interval_s;
	if (o->births && (c->birth_mids = calloc(1, LG_MID_BYTES)) == NULL)
		return PANTAU_ERR_NOMEM;
	if (o->serve_replay && (c->replay_mids = calloc(1, LG_MID_BYTES)) == NULL)
		return PANTAU_ERR_NOMEM;
	snprintf(c->client_id, sizeof(c->client_id), "%s-lg%ld-%zu", o->prefix, (long)getpid(),
	    k);
	mqttc_opts_default(&mo);
	mo.host = o->host;
	mo.port = o->port;
	mo.client_id = c->client_id;
	mo.keepalive_s = 60;
	mo.backoff_min_ms = 250;
	mo.backoff_max_ms = 5000;
	if (o->fleet_backoff) { /* pantau-agent's [broker] reconnect_min/max defaults */
		mo.backoff_min_ms = 1000;
		mo.backoff_max_ms = 60000;
		mo.lost_attempts = MQTTC_FLEET_LOST_ATTEMPTS;
	}
	mo.max_inflight = o->inflight;
	c->m = mqttc_new(&lg->loop, &mo, &cb, c);
	if (c->m == NULL)
		return PANTAU_ERR_NOMEM;
	return mqttc_start(c->m);
}

static void
start_handles(struct loadgen *lg)
{
	uv_timer_init(&lg->loop, &lg->tick);
	uv_timer_init(&lg->loop, &lg->duration);
	uv_timer_init(&lg->loop, &lg->finish);
	uv_signal_init(&lg->loop, &lg->sigint);
	uv_signal_init(&lg->loop, &lg->sigterm);
	lg->tick.data = lg->duration.data = lg->finish.data = lg;
	lg->sigint.data = lg->sigterm.data = lg;
	uv_signal_start(&lg->sigint, on_signal, SIGINT);
	uv_signal_start(&lg->sigterm, on_signal, SIGTERM);
	lg->start_ns = lg->last_tick_ns = clock_mono_ns();
	uint64_t period = lg->paced ? LG_TICK_MS : LG_TICK_UNPACED_MS;
	uv_timer_start(&lg->tick, on_tick, period, period);
	if (lg->o->duration_s > 0)
		uv_timer_start(&lg->duration, on_duration,
		    (uint64_t)llround(lg->o->duration_s * 1000.0), 0);
}

static void
fill_report(const struct loadgen *lg, struct lg_report *r)
{
	r->published = lg->published;
	r->acked = lg->acked;
	r->births = lg->births_acked;
	r->replayed = lg->replayed;
	r->gone = lg->gone;
	r->connections = (int)lg->nconns;
	r->agents = lg->o->agents;
	r->ever_connected = lg->ever_connected;
	r->seconds = 0;
	if (lg->acked > 0 && lg->last_ack_ns > lg->first_pub_ns)
		r->seconds = (double)(lg->last_ack_ns - lg->first_pub_ns) / 1e9;
}

static void
release(struct loadgen *lg)
{
	for (size_t i = 0; lg->conns != NULL && i < lg->nconns; i++) {
		free(lg->conns[i].birth_mids);
		free(lg->conns[i].replay_mids);
	}
	free(lg->conns);
	free(lg->agents);
	catalog_free(lg->cat);
	free(lg);
}

pantau_err
loadgen_run(const struct lg_opts *o, struct lg_report *r, char *why, size_t whylen)
{
	memset(r, 0, sizeof(*r));
	struct loadgen *lg = calloc(1, sizeof(*lg));
	if (lg == NULL) {
		snprintf(why, whylen, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	lg->o = o;
	pantau_err rc = prepare(lg, why, whylen);
	if (rc != PANTAU_OK) {
		release(lg);
		return rc;
	}
	uv_loop_init(&lg->loop);
	start_handles(lg);
	for (size_t k = 0; k < lg->nconns && rc == PANTAU_OK; k++)
		rc = conn_start(lg, k);
	if (rc != PANTAU_OK) {
		snprintf(why, whylen, "cannot start MQTT connection: %s", pantau_strerror(rc));
		close_all(lg);
	}
	uv_run(&lg->loop, UV_RUN_DEFAULT);
	uv_loop_close(&lg->loop);
	fill_report(lg, r);
	if (rc == PANTAU_OK && lg->error != PANTAU_OK) {
		rc = lg->error;
		snprintf(why, whylen, "the run stopped early: %s", pantau_strerror(rc));
	}
	release(lg);
	return rc;
}
