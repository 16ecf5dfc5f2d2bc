#include "mqttc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "brokerlist.h"
#include "log.h"
#include "rng.h"

enum mqttc_state {
	ST_IDLE,       /* not started */
	ST_RESOLVING,  /* mosquitto_connect_async running on the thread pool */
	ST_CONNECTING, /* socket open, waiting for CONNACK */
	ST_CONNECTED,
	ST_BACKOFF,    /* waiting to retry */
	ST_STOPPED,    /* disconnected on request, or a single attempt failed */
};

struct mqttc_strings {
	char *host, *client_id, *username, *password, *cafile, *certfile, *keyfile;
	char *will_topic;
	void *will_payload;
	size_t will_len;
	int will_qos;
	bool will_retain;
};

struct mqttc {
	uv_loop_t *loop;
	struct mqttc_opts o;
	struct mqttc_strings s;
	struct mqttc_callbacks cb;
	void *ctx;
	struct broker_addr addrs[BROKERLIST_MAX]; /* opts.host as a list */
	size_t naddrs;
	size_t cur;             /* the broker of the current or last attempt */
	bool advance;           /* it failed: the next attempt takes the next one */
	struct mosquitto *mosq; /* the current attempt or connection */
	uv_poll_t *poll;        /* watches mosq's socket */
	int poll_events;        /* events poll was last started with */
	uv_timer_t timer;       /* backoff and connect timeout */
	uv_timer_t misc;        /* mosquitto_loop_misc once a second */
	uv_work_t work;
	int work_rc, work_errno;
	bool work_busy;
	enum mqttc_state state;
	int attempts;           /* failed attempts since the last CONNACK */
	int inflight;
	bool freeing;
	bool in_io;             /* inside mosquitto_loop_*: do not destroy */
	int open_handles;       /* timers and polls not yet closed */
	struct rng rng;
	/* Set by libmosquitto callbacks; acted on after loop_* returns. */
	bool lost;
	int connack_rc;         /* -1: none yet */
};

const char *
mqttc_fail_name(enum mqttc_fail why)
{
	static const char *const names[] = { "resolve", "connect", "tls", "auth", "refused",
		"timeout", "lost" };
	return (unsigned)why < sizeof(names) / sizeof(names[0]) ? names[why] : "unknown";
}

void
mqttc_opts_default(struct mqttc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 1883;
	o->clean_session = true;
	o->keepalive_s = 30;
	o->connect_timeout_ms = 10000;
	o->backoff_min_ms = 1000;
	o->backoff_max_ms = 60000;
	o->max_inflight = 20;
	o->reconnect = true;
}

static char *
dup_opt(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static void
free_strings(struct mqttc_strings *s)
{
	free(s->host);
	free(s->client_id);
	free(s->username);
	free(s->password);
	free(s->cafile);
	free(s->certfile);
	free(s->keyfile);
	free(s->will_topic);
	free(s->will_payload);
}

static void
maybe_release(struct mqttc *c)
{
	if (c->freeing && c->open_handles == 0 && !c->work_busy) {
		free_strings(&c->s);
		free(c);
	}
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct mqttc *c = h->data;
	if (h->type == UV_POLL)
		free(h);
	c->open_handles--;
	maybe_release(c);
}

static void mqttc_drive(struct mqttc *c, int status, int events);

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct mqttc *c = p->data;
	mqttc_drive(c, status, events);
}

/* Watch the socket for reading, and for writing when output is queued. */
static void
update_poll(struct mqttc *c)
{
	if (c->mosq == NULL)
		return;
	int fd = mosquitto_socket(c->mosq);
	if (fd < 0)
		return;
	if (c->poll == NULL) {
		c->poll = malloc(sizeof(*c->poll));
		if (c->poll == NULL || uv_poll_init_socket(c->loop, c->poll, fd) != 0) {
			free(c->poll);
			c->poll = NULL;
			c->lost = true;
			return;
		}
		c->poll->data = c;
		c->poll_events = 0;
		c->open_handles++;
	}
	/* Writable only while output is queued: the pending CONNECT (or TLS
	 * handshake) makes want_write true until the TCP connect completes.
	 * Asking for it unconditionally while waiting for CONNACK spins the
	 * loop for a whole round trip (or until connect_timeout_ms). */
	int ev = UV_READABLE;
	if (mosquitto_want_write(c->mosq))
		ev |= UV_WRITABLE;
	/* uv_poll_start re-registers the fd (two epoll_ctl calls): only on a change. */
	if (ev != c->poll_events) {
		uv_poll_start(c->poll, ev, on_poll);
		c->poll_events = ev;
	}
}

/* Drop the current connection: stop watching its socket, destroy it. */
static void
drop_connection(struct mqttc *c)
{
	if (c->poll != NULL) {
		uv_poll_stop(c->poll);
		uv_close((uv_handle_t *)c->poll, on_handle_closed);
		c->poll = NULL;
	}
	uv_timer_stop(&c->misc);
	if (c->mosq != NULL) {
		mosquitto_destroy(c->mosq);
		c->mosq = NULL;
	}
	c->inflight = 0;
}

static uint64_t
backoff_delay(struct mqttc *c)
{
	uint64_t base = (uint64_t)c->o.backoff_min_ms;
	uint64_t cap = (uint64_t)c->o.backoff_max_ms;
	uint64_t exp = base;
	for (int i = 0; i < c->attempts && exp < cap; i++)
		exp *= 2;
	if (exp > cap)
		exp = cap;
	return base + rng_below(&c->rng, exp + 1);
}

static void start_attempt(struct mqttc *c);

static void
on_backoff_timer(uv_timer_t *t)
{
	struct mqttc *c = t->data;
	if (c->state == ST_BACKOFF)
		start_attempt(c);
}

static void
fail(struct mqttc *c, enum mqttc_fail why, const char *text)
{
	bool was_connected = c->state == ST_CONNECTED;
	drop_connection(c);
	if (!was_connected)
		c->attempts++;
	else
		c->attempts = c->o.lost_attempts;
	c->advance = true; /* the next attempt goes to the next broker of the list */
	if (c->state == ST_STOPPED || c->freeing)
		return;
	if (c->o.reconnect) {
		uint64_t delay = backoff_delay(c);
		c->state = ST_BACKOFF;
		uv_timer_start(&c->timer, on_backoff_timer, delay, 0);
		log_debug("mqtt: %s (%s); retrying in %llu ms", text, mqttc_fail_name(why),
		    (unsigned long long)delay);
	} else {
		c->state = ST_STOPPED;
	}
	if (c->cb.on_fail != NULL)
		c->cb.on_fail(c->ctx, why, text);
}

/* ---- libmosquitto callbacks: record, act after loop_* returns ---- */

static void
cb_connect(struct mosquitto *m, void *obj, int rc)
{
	(void)m;
	struct mqttc *c = obj;
	c->connack_rc = rc;
}

static void
cb_disconnect(struct mosquitto *m, void *obj, int rc)
{
	(void)m;
	(void)rc;
	struct mqttc *c = obj;
	c->lost = true;
}

static void
cb_publish(struct mosquitto *m, void *obj, int mid)
{
	(void)m;
	struct mqttc *c = obj;
	if (c->inflight > 0)
		c->inflight--;
	if (c->cb.on_publish != NULL)
		c->cb.on_publish(c->ctx, mid);
}

static void
cb_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	(void)m;
	struct mqttc *c = obj;
	if (c->cb.on_message != NULL)
		c->cb.on_message(c->ctx, msg);
	errno = 0; /* see read_burst */
}

static void
cb_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	(void)m;
	struct mqttc *c = obj;
	if (c->cb.on_subscribe != NULL)
		c->cb.on_subscribe(c->ctx, mid, n > 0 ? granted[0] : -1);
}

static void
on_misc_timer(uv_timer_t *t)
{
	struct mqttc *c = t->data;
	mqttc_drive(c, 0, 0);
}

static void
handle_connack(struct mqttc *c)
{
	int rc = c->connack_rc;
	c->connack_rc = -1;
	if (rc != 0) {
		enum mqttc_fail why = rc == 4 || rc == 5 ? MQTTC_FAIL_AUTH : MQTTC_FAIL_REFUSED;
		fail(c, why, mosquitto_connack_string(rc));
		return;
	}
	uv_timer_stop(&c->timer);
	c->state = ST_CONNECTED;
	c->attempts = 0;
	uv_timer_start(&c->misc, on_misc_timer, 1000, 1000);
	if (c->cb.on_connect != NULL)
		c->cb.on_connect(c->ctx);
}

static enum mqttc_fail
classify(int rc)
{
	return rc == MOSQ_ERR_TLS ? MQTTC_FAIL_TLS : MQTTC_FAIL_CONNECT;
}

/* Read until the socket is drained (at most a bounded number of packets,
 * so one busy connection cannot starve the loop: a flood on the status
 * connection of [broker] split_status holds the results' connection for at
 * most one burst, 64 rejected packets about 0.5 ms of CPU; 512 held it up
 * to 10 ms, docs/bench.md "flood"). mosquitto_loop_read
 * handles one packet per call; a read that finds no data leaves errno at
 * EAGAIN. libmosquitto also leaves EAGAIN behind from its internal wake-up
 * pipe when it queues a PUBACK, before calling on_message: cb_message
 * clears errno afterwards, so EAGAIN here means the socket is drained. */
#define MQTTC_READ_BURST 64
/* Debian's folder of trusted CA certificates. */
#define MQTTC_SYSTEM_CAPATH "/etc/ssl/certs"

static int
read_burst(struct mqttc *c)
{
	int rc = MOSQ_ERR_SUCCESS;
	for (int i = 0; i < MQTTC_READ_BURST; i++) {
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS || errno == EAGAIN || errno == EWOULDBLOCK ||
		    c->lost || c->connack_rc >= 0 || c->state == ST_STOPPED)
			break;
	}
	return rc;
}

static int
run_io(struct mqttc *c, int events, int *err)
{
	int rc = MOSQ_ERR_SUCCESS;
	c->in_io = true;
	if (events & UV_READABLE)
		rc = read_burst(c);
	if (rc == MOSQ_ERR_SUCCESS && (events & UV_WRITABLE) && c->state != ST_STOPPED) {
		errno = 0;
		rc = mosquitto_loop_write(c->mosq, 1);
	}
	if (rc == MOSQ_ERR_SUCCESS && events == 0) {
		errno = 0;
		rc = mosquitto_loop_misc(c->mosq);
	}
	*err = errno;
	c->in_io = false;
	return rc;
}

/* Run libmosquitto's I/O for the events seen, then act on what happened. */
static void
mqttc_drive(struct mqttc *c, int status, int events)
{
	int err;
	if (c->mosq == NULL)
		return;
	if (status < 0)
		events = UV_READABLE | UV_WRITABLE; /* let libmosquitto see the error */
	int rc = run_io(c, events, &err);
	if (c->state == ST_STOPPED) {
		/* disconnected from inside a callback: flush DISCONNECT, then drop */
		if (c->mosq != NULL)
			mosquitto_loop_write(c->mosq, 1);
		drop_connection(c);
		return;
	}
	if (c->connack_rc >= 0)
		handle_connack(c);
	if (c->mosq == NULL)
		return; /* the attempt failed or a callback disconnected */
	if (rc != MOSQ_ERR_SUCCESS || c->lost) {
		char text[160];
		bool connected = c->state == ST_CONNECTED;
		snprintf(text, sizeof(text), "%s%s%s",
		    connected ? "connection lost: " : "cannot connect: ",
		    rc == MOSQ_ERR_ERRNO && err != 0 ? strerror(err) : mosquitto_strerror(rc),
		    rc == MOSQ_ERR_CONN_LOST && !connected ? " (broker closed the connection)" : "");
		fail(c, connected ? MQTTC_FAIL_LOST : classify(rc), text);
		return;
	}
	update_poll(c);
}

static void
on_connect_timeout(uv_timer_t *t)
{
	struct mqttc *c = t->data;
	if (c->state != ST_CONNECTING)
		return;
	char text[96];
	snprintf(text, sizeof(text), "no answer from the broker within %d ms",
	    c->o.connect_timeout_ms);
	fail(c, MQTTC_FAIL_TIMEOUT, text);
}

/* ---- connecting on the thread pool ---- */

static void
work_connect(uv_work_t *w)
{
	struct mqttc *c = w->data;
	errno = 0;
	const struct broker_addr *a = &c->addrs[c->cur];
	c->work_rc = mosquitto_connect_async(c->mosq, a->host, a->port, c->o.keepalive_s);
	c->work_errno = errno;
}

static void
work_connect_done(uv_work_t *w, int status)
{
	struct mqttc *c = w->data;
	c->work_busy = false;
	if (c->freeing || c->state == ST_STOPPED) {
		drop_connection(c);
		maybe_release(c);
		return;
	}
	if (status != 0 || c->work_rc != MOSQ_ERR_SUCCESS) {
		char text[BROKERLIST_HOST_MAX + 128]; /* a whole host name and a reason */
		int rc = c->work_rc;
		snprintf(text, sizeof(text), "%s %s:%d: %s",
		    rc == MOSQ_ERR_EAI ? "cannot resolve" : "cannot connect to",
		    c->addrs[c->cur].host, c->addrs[c->cur].port,
		    rc == MOSQ_ERR_ERRNO && c->work_errno ? strerror(c->work_errno) :
		                                           mosquitto_strerror(rc));
		fail(c, rc == MOSQ_ERR_EAI ? MQTTC_FAIL_RESOLVE : classify(rc), text);
		return;
	}
	c->state = ST_CONNECTING;
	uv_timer_start(&c->timer, on_connect_timeout, (uint64_t)c->o.connect_timeout_ms, 0);
	update_poll(c);
}

static pantau_err
configure_handle(struct mqttc *c, struct mosquitto *m)
{
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_max_inflight_messages_set(m, (unsigned)c->o.max_inflight);
	mosquitto_connect_callback_set(m, cb_connect);
	mosquitto_disconnect_callback_set(m, cb_disconnect);
	mosquitto_publish_callback_set(m, cb_publish);
	mosquitto_message_callback_set(m, cb_message);
	mosquitto_subscribe_callback_set(m, cb_subscribe);
	if (c->s.username != NULL &&
	    mosquitto_username_pw_set(m, c->s.username, c->s.password) != MOSQ_ERR_SUCCESS)
		return PANTAU_ERR_MQTT;
	if (c->s.will_topic != NULL &&
	    mosquitto_will_set(m, c->s.will_topic, (int)c->s.will_len, c->s.will_payload,
	        c->s.will_qos, c->s.will_retain) != MOSQ_ERR_SUCCESS)
		return PANTAU_ERR_MQTT;
	if (!c->o.tls)
		return PANTAU_OK;
	/* Without a CA file, trust the system's CAs (libmosquitto enables TLS
	 * on that option alone); a client certificate still needs tls_set. */
	if (c->s.cafile == NULL)
		mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
	if ((c->s.cafile != NULL || c->s.certfile != NULL) &&
	    mosquitto_tls_set(m, c->s.cafile, c->s.cafile == NULL ? MQTTC_SYSTEM_CAPATH : NULL,
	        c->s.certfile, c->s.keyfile, NULL) != MOSQ_ERR_SUCCESS)
		return PANTAU_ERR_MQTT;
	return PANTAU_OK;
}

static void
start_attempt(struct mqttc *c)
{
	if (c->advance)
		c->cur = (c->cur + 1) % c->naddrs;
	c->advance = false;
	c->lost = false;
	c->connack_rc = -1;
	c->mosq = mosquitto_new(c->s.client_id, c->o.clean_session, c);
	if (c->mosq == NULL) {
		fail(c, MQTTC_FAIL_CONNECT, "cannot create the MQTT client: out of memory");
		return;
	}
	if (configure_handle(c, c->mosq) != PANTAU_OK) {
		fail(c, c->o.tls ? MQTTC_FAIL_TLS : MQTTC_FAIL_CONNECT,
		    c->o.tls ? "cannot set up TLS: check the cafile, certfile and keyfile" :
		               "cannot set up the MQTT client");
		return;
	}
	c->state = ST_RESOLVING;
	c->work.data = c;
	c->work_busy = true;
	if (uv_queue_work(c->loop, &c->work, work_connect, work_connect_done) != 0) {
		c->work_busy = false;
		fail(c, MQTTC_FAIL_CONNECT, "cannot queue the connect");
	}
}

/* ---- public API ---- */

static bool
copy_strings(struct mqttc_strings *s, const struct mqttc_opts *o)
{
	s->host = dup_opt(o->host);
	s->client_id = dup_opt(o->client_id);
	s->username = dup_opt(o->username);
	s->password = dup_opt(o->password);
	s->cafile = dup_opt(o->cafile);
	s->certfile = dup_opt(o->certfile);
	s->keyfile = dup_opt(o->keyfile);
	return s->host != NULL && (o->client_id == NULL || o->client_id[0] == '\0' ||
	    s->client_id != NULL);
}

struct mqttc *
mqttc_new(uv_loop_t *loop, const struct mqttc_opts *opts, const struct mqttc_callbacks *cb,
    void *ctx)
{
	struct mqttc *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->o = *opts;
	c->cb = *cb;
	c->ctx = ctx;
	c->connack_rc = -1;
	rng_seed(&c->rng);
	char why[200];
	if (!copy_strings(&c->s, opts) ||
	    brokerlist_parse(c->s.host, opts->port, c->addrs, &c->naddrs, why, sizeof(why)) !=
	        PANTAU_OK) {
		free_strings(&c->s);
		free(c);
		return NULL;
	}
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->misc);
	c->timer.data = c->misc.data = c;
	c->open_handles = 2;
	return c;
}

pantau_err
mqttc_set_will(struct mqttc *c, const char *topic, const void *payload, size_t len, int qos,
    bool retain)
{
	char *t = dup_opt(topic);
	void *p = malloc(len > 0 ? len : 1);
	if (t == NULL || p == NULL) {
		free(t);
		free(p);
		return PANTAU_ERR_NOMEM;
	}
	memcpy(p, payload, len);
	free(c->s.will_topic);
	free(c->s.will_payload);
	c->s.will_topic = t;
	c->s.will_payload = p;
	c->s.will_len = len;
	c->s.will_qos = qos;
	c->s.will_retain = retain;
	return PANTAU_OK;
}

pantau_err
mqttc_start(struct mqttc *c)
{
	if (c->state != ST_IDLE && c->state != ST_STOPPED)
		return PANTAU_ERR_STATE;
	c->attempts = 0;
	start_attempt(c);
	return PANTAU_OK;
}

void
mqttc_disconnect(struct mqttc *c)
{
	uv_timer_stop(&c->timer);
	if (c->state == ST_CONNECTED && c->mosq != NULL) {
		mosquitto_disconnect(c->mosq);
		/* Flush DISCONNECT now, or after loop_* returns when called from
		 * inside a libmosquitto callback (writing there deadlocks). */
		if (!c->in_io)
			mosquitto_loop_write(c->mosq, 1);
	}
	c->state = ST_STOPPED;
	if (!c->work_busy && !c->in_io)
		drop_connection(c);
}

void
mqttc_free(struct mqttc *c)
{
	if (c == NULL)
		return;
	mqttc_disconnect(c);
	c->freeing = true;
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->misc, on_handle_closed);
}

const char *
mqttc_host(const struct mqttc *c)
{
	return c->addrs[c->cur].host;
}

int
mqttc_port(const struct mqttc *c)
{
	return c->addrs[c->cur].port;
}

bool
mqttc_connected(const struct mqttc *c)
{
	return c->state == ST_CONNECTED;
}

int
mqttc_inflight(const struct mqttc *c)
{
	return c->inflight;
}

pantau_err
mqttc_publish(struct mqttc *c, const char *topic, const void *payload, size_t len, int qos,
    bool retain, int *mid)
{
	if (c->state != ST_CONNECTED)
		return PANTAU_ERR_STATE;
	int rc = mosquitto_publish(c->mosq, mid, topic, (int)len, payload, qos, retain);
	if (rc != MOSQ_ERR_SUCCESS) {
		log_debug("mqtt: publish to %s: %s", topic, mosquitto_strerror(rc));
		return rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST ? PANTAU_ERR_STATE :
		                                                            PANTAU_ERR_MQTT;
	}
	if (qos > 0)
		c->inflight++;
	update_poll(c);
	return PANTAU_OK;
}

pantau_err
mqttc_subscribe(struct mqttc *c, const char *pattern, int qos, int *mid)
{
	if (c->state != ST_CONNECTED)
		return PANTAU_ERR_STATE;
	if (mosquitto_subscribe(c->mosq, mid, pattern, qos) != MOSQ_ERR_SUCCESS)
		return PANTAU_ERR_MQTT;
	update_poll(c);
	return PANTAU_OK;
}
