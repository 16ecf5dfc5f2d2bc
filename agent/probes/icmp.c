/*
 * icmp: a train of echo requests to one address (docs/probes.md).
 *
 * The target is resolved asynchronously (uv_getaddrinfo, bounded by
 * ICMP_RESOLVE_ALLOWANCE_MS); the first address whose family has a shared
 * ICMP socket is pinged. Request i is sent at t0 + i * spacing; its reply
 * counts when it arrives within timeout_ms of the send, otherwise it is
 * late and the request lost (RFC 2681/7680: never credited later). A second
 * reply to a request is a duplicate, counted apart. The train ends when
 * every request is answered or timeout_ms after the last one was sent.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/icmpsock.h"
#include "agent/probes/probe.h"
#include "agent/probes/target.h"
#include "clock.h"
#include "mos.h"
#include "stats.h"

/* Longest wait for the name to resolve; part of max_duration_ms. */
#define ICMP_RESOLVE_ALLOWANCE_MS 3000
#define ICMP_DEFAULT_TIMEOUT_MS 1000

struct icmp_params {
	int count;
	int spacing_ms;
	int size;
};

#define O(f) offsetof(struct icmp_params, f)
static const struct cfg_key icmp_keys[] = {
	{ "count", CFG_INT, O(count), 0, 1, 1000, "10", NULL, NULL, 0,
	    "echo requests per run; e.g. count = 20" },
	{ "spacing_ms", CFG_INT, O(spacing_ms), 0, 10, 10000, "100", NULL, NULL, 0,
	    "milliseconds between two requests" },
	{ "size", CFG_INT, O(size), 0, ICMPSOCK_MIN_PAYLOAD, ICMPSOCK_MAX_PAYLOAD, "56", NULL, NULL,
	    0, "payload bytes per request (56 makes 84-byte IPv4 packets, as ping)" },
};
#undef O

enum icmp_phase {
	PH_RESOLVE,  /* waiting for uv_getaddrinfo; timer = resolve allowance */
	PH_FAIL,     /* timer (0 ms) reports why */
	PH_SEND,     /* timer = next request */
	PH_WAIT,     /* all sent; timer = end of the train */
	PH_OVER,     /* finished or cancelled; handles closing */
};

enum pkt_state {
	PKT_UNSENT = 0,
	PKT_PENDING,     /* sent, no reply yet */
	PKT_OK,          /* reply within the timeout */
	PKT_LATE,        /* reply after the timeout: lost */
	PKT_SEND_FAILED, /* the kernel refused it: lost */
};

struct icmp_run {
	struct probe_run *run;
	const struct probe_def *def;
	struct icmpsock *sock;
	uv_getaddrinfo_t gai;
	uv_timer_t timer;
	int refs;             /* timer handle + outstanding resolve */
	bool resolving;
	bool registered;
	enum icmp_phase phase;
	uint32_t cookie;
	struct sockaddr_storage dst;
	char addr[TARGET_ADDR_MAX];
	int count, spacing_ms, size, timeout_ms;
	int next;             /* next request to send */
	int pending;          /* sent and not answered */
	int recv, dup, late, send_failed, send_errno;
	int64_t t0;
	int64_t *tx;          /* send times, ns */
	double *rtt;          /* ms, STATS_LOST unless answered in time */
	double *scratch;
	uint8_t *st;          /* enum pkt_state */
	char why[WIRE_TEXT_MAX];
};

static void on_timer(uv_timer_t *t);

static void
release(struct icmp_run *s)
{
	if (--s->refs > 0)
		return;
	free(s->tx);
	free(s->rtt);
	free(s->scratch);
	free(s->st);
	free(s);
}

static void
on_timer_closed(uv_handle_t *h)
{
	release(h->data);
}

/* Stop everything; the state goes when the last handle has closed. */
static void
stop(struct icmp_run *s)
{
	if (s->phase == PH_OVER)
		return;
	s->phase = PH_OVER;
	if (s->registered)
		icmpsock_unregister(s->sock, s->cookie);
	s->registered = false;
	if (s->resolving)
		uv_cancel((uv_req_t *)&s->gai);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

/* Hand the result over; nothing of the run is touched afterwards. */
static void
finish(struct icmp_run *s, json_t *result)
{
	struct probe_run *run = s->run;
	stop(s);
	run->state = NULL;
	run->done(run, result);
}

static void
finish_failure(struct icmp_run *s, const char *why)
{
	json_t *r = probe_failure_result(s->def, why);
	if (r != NULL && s->addr[0] != '\0')
		json_object_set_new(r, "addr", json_string(s->addr));
	finish(s, r);
}

/* Report why from the loop (start() must not call done()). */
static void
fail_later(struct icmp_run *s)
{
	s->phase = PH_FAIL;
	uv_timer_start(&s->timer, on_timer, 0, 0);
}

static json_t *
rtt_object(const struct rtt_stats *st)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	wire_set_num(o, "min", st->min);
	wire_set_num(o, "p50", st->p50);
	wire_set_num(o, "avg", st->avg);
	wire_set_num(o, "p95", st->p95);
	wire_set_num(o, "max", st->max);
	return o;
}

static json_t *
train_result(struct icmp_run *s)
{
	struct rtt_stats st;
	json_t *r = wire_result_new("icmp", s->def->target);
	if (r == NULL)
		return NULL;
	stats_rtt(s->rtt, (size_t)s->count, s->scratch, &st);
	json_object_set_new(r, "addr", json_string(s->addr));
	json_object_set_new(r, "sent", json_integer((json_int_t)st.sent));
	json_object_set_new(r, "recv", json_integer((json_int_t)st.recv));
	wire_set_num(r, "loss_pct", st.loss_pct);
	if (st.recv > 0) {
		json_object_set_new(r, "rtt_ms", rtt_object(&st));
		if (st.ipdv_pairs > 0)
			wire_set_num(r, "jitter_ms", st.jitter);
		wire_set_num(r, "pdv_ms", st.pdv_p99);
	}
	if (st.sent > 0)
		wire_set_num(r, "mos", mos_estimate(st.recv > 0 ? st.avg : 0,
		    st.ipdv_pairs > 0 ? st.jitter : 0, st.loss_pct));
	if (s->dup > 0)
		json_object_set_new(r, "dup", json_integer(s->dup));
	if (s->late > 0)
		json_object_set_new(r, "late", json_integer(s->late));
	if (s->send_failed > 0) {
		char why[160];
		snprintf(why, sizeof(why), "%d of %d echo requests could not be sent: %s",
		    s->send_failed, s->count, strerror(s->send_errno));
		json_object_set_new(r, "error", json_string(why));
	}
	return r;
}

static void
end_train(struct icmp_run *s)
{
	finish(s, train_result(s));
}

static void
send_next(struct icmp_run *s)
{
	int i = s->next++;
	int64_t tx = 0;
	if (icmpsock_send(s->sock, (struct sockaddr *)&s->dst, s->cookie, (uint16_t)i,
	        (size_t)s->size, &tx) == PANTAU_OK) {
		s->st[i] = PKT_PENDING;
		s->pending++;
	} else {
		s->st[i] = PKT_SEND_FAILED;
		s->send_failed++;
		s->send_errno = errno;
	}
	s->tx[i] = tx;
	if (s->next < s->count) {
		/* Keep to t0 + i * spacing: no drift from loop latency. */
		int64_t due = s->t0 + (int64_t)s->next * s->spacing_ms * 1000000LL;
		int64_t wait = due - clock_mono_ns();
		uv_timer_start(&s->timer, on_timer, wait > 0 ? (uint64_t)(wait + 999999) / 1000000 : 0,
		    0);
		return;
	}
	s->phase = PH_WAIT;
	if (s->pending == 0)
		end_train(s);
	else /* +1: uv timers have millisecond resolution */
		uv_timer_start(&s->timer, on_timer, (uint64_t)s->timeout_ms + 1, 0);
}

static void
on_reply(void *arg, uint32_t cookie, uint16_t seq, int64_t rx_ns)
{
	struct icmp_run *s = arg;
	(void)cookie;
	if ((s->phase != PH_SEND && s->phase != PH_WAIT) || seq >= s->next)
		return;
	switch (s->st[seq]) {
	case PKT_PENDING: {
		int64_t rtt_ns = rx_ns - s->tx[seq];
		if (rtt_ns < 0)
			rtt_ns = 0;
		s->pending--;
		if (rtt_ns > (int64_t)s->timeout_ms * 1000000LL) {
			s->st[seq] = PKT_LATE;
			s->late++;
		} else {
			s->st[seq] = PKT_OK;
			s->rtt[seq] = (double)rtt_ns / 1e6;
			s->recv++;
		}
		break;
	}
	case PKT_OK:
	case PKT_LATE:
		s->dup++;
		break;
	default:
		return;
	}
	if (s->phase == PH_WAIT && s->pending == 0)
		end_train(s);
}

static void
on_timer(uv_timer_t *t)
{
	struct icmp_run *s = t->data;
	char why[WIRE_TEXT_MAX];
	switch (s->phase) {
	case PH_RESOLVE:
		snprintf(why, sizeof(why), "cannot resolve host %.*s: no answer within %d "
		    "ms", TARGET_HOST_MAX, s->def->target, ICMP_RESOLVE_ALLOWANCE_MS);
		finish_failure(s, why);
		break;
	case PH_FAIL:
		finish_failure(s, s->why);
		break;
	case PH_SEND:
		send_next(s);
		break;
	case PH_WAIT:
		end_train(s);
		break;
	case PH_OVER:
		break;
	}
}

/* The first address whose family has an ICMP socket. */
static const struct addrinfo *
pick_address(const struct icmp_run *s, const struct addrinfo *res, struct icmpsock **sock)
{
	const struct probe_env *env = s->run->env;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		*sock = ai->ai_family == AF_INET ? env->icmp4 :
		    ai->ai_family == AF_INET6 ? env->icmp6 : NULL;
		if (*sock != NULL)
			return ai;
	}
	return NULL;
}

static void
begin_train(struct icmp_run *s, const struct addrinfo *res)
{
	struct icmpsock *sock = NULL;
	const struct addrinfo *ai = pick_address(s, res, &sock);
	if (ai == NULL) {
		snprintf(s->why, sizeof(s->why), "no ICMP socket for the address family of "
		    "host %.*s", TARGET_HOST_MAX, s->def->target);
		finish_failure(s, s->why);
		return;
	}
	memcpy(&s->dst, ai->ai_addr, ai->ai_addrlen);
	target_addr_text(ai->ai_addr, s->addr, sizeof(s->addr));
	if (icmpsock_register(sock, on_reply, s, &s->cookie) != PANTAU_OK) {
		finish_failure(s, "cannot register with the ICMP socket");
		return;
	}
	s->sock = sock;
	s->registered = true;
	s->phase = PH_SEND;
	s->t0 = clock_mono_ns();
	send_next(s);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct icmp_run *s = req->data;
	s->resolving = false;
	if (s->phase == PH_RESOLVE) {
		uv_timer_stop(&s->timer);
		if (status < 0) {
			snprintf(s->why, sizeof(s->why), "cannot resolve host %.*s: %s",
			    TARGET_HOST_MAX, s->def->target, uv_strerror(status));
			finish_failure(s, s->why);
		} else {
			begin_train(s, res);
		}
	}
	uv_freeaddrinfo(res);
	release(s);
}

static struct icmp_run *
run_new(struct probe_run *run, const struct icmp_params *p)
{
	struct icmp_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	size_t n = (size_t)p->count;
	s->tx = calloc(n, sizeof(*s->tx));
	s->rtt = calloc(n, sizeof(*s->rtt));
	s->scratch = calloc(n, sizeof(*s->scratch));
	s->st = calloc(n, sizeof(*s->st));
	s->refs = 1;
	if (s->tx == NULL || s->rtt == NULL || s->scratch == NULL || s->st == NULL) {
		release(s);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		s->rtt[i] = STATS_LOST;
	s->run = run;
	s->def = run->def;
	s->count = p->count;
	s->spacing_ms = p->spacing_ms;
	s->size = p->size;
	s->timeout_ms = run->def->timeout_ms > 0 ? run->def->timeout_ms : ICMP_DEFAULT_TIMEOUT_MS;
	return s;
}

static pantau_err
icmp_start(struct probe_run *run)
{
	const struct icmp_params *p = run->def->params;
	struct probe_env *env = run->env;
	struct addrinfo hints;
	if (p == NULL || p->count < 1 || p->count > 1000)
		return PANTAU_ERR_INVAL;
	struct icmp_run *s = run_new(run, p);
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	uv_timer_init(env->loop, &s->timer);
	s->timer.data = s;
	s->gai.data = s;
	run->state = s;
	if (env->icmp4 == NULL && env->icmp6 == NULL) {
		snprintf(s->why, sizeof(s->why), "no ICMP socket: the agent needs root (or "
		    "CAP_NET_RAW) or a group allowed by sysctl net.ipv4.ping_group_range");
		fail_later(s);
		return PANTAU_OK;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = env->icmp6 == NULL ? AF_INET : env->icmp4 == NULL ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM; /* one entry per address */
	int r = uv_getaddrinfo(env->loop, &s->gai, on_resolved, run->def->target, NULL, &hints);
	if (r < 0) {
		snprintf(s->why, sizeof(s->why), "cannot resolve host %.*s: %s", TARGET_HOST_MAX,
		    run->def->target, uv_strerror(r));
		fail_later(s);
		return PANTAU_OK;
	}
	s->refs++;
	s->resolving = true;
	s->phase = PH_RESOLVE;
	uv_timer_start(&s->timer, on_timer, ICMP_RESOLVE_ALLOWANCE_MS, 0);
	return PANTAU_OK;
}

static void
icmp_cancel(struct probe_run *run)
{
	struct icmp_run *s = run->state;
	if (s == NULL)
		return;
	run->state = NULL;
	stop(s);
}

static bool
icmp_check(const struct probe_def *def, char *why, size_t len)
{
	if (strstr(def->target, "://") != NULL) {
		snprintf(why, len, "\"%s\" looks like a URL; an icmp target is a host name or "
		    "address, e.g. 203.0.113.1 (use type = http for URLs)", def->target);
		return false;
	}
	return target_host_valid(def->target, why, len);
}

static int
icmp_max_duration_ms(const struct probe_def *def)
{
	const struct icmp_params *p = def->params;
	int timeout = def->timeout_ms > 0 ? def->timeout_ms : ICMP_DEFAULT_TIMEOUT_MS;
	if (p == NULL)
		return timeout + ICMP_RESOLVE_ALLOWANCE_MS;
	return (p->count - 1) * p->spacing_ms + timeout + ICMP_RESOLVE_ALLOWANCE_MS;
}

const struct probe_spec probe_icmp_spec = {
	.kind = "icmp", PROBE_KEYS(icmp_keys, struct icmp_params),
	.default_timeout_ms = ICMP_DEFAULT_TIMEOUT_MS, .check = icmp_check,
	.max_duration_ms = icmp_max_duration_ms, .failure_fields = probe_train_failure_fields,
};

const struct probe_exec probe_icmp_exec = { .start = icmp_start, .cancel = icmp_cancel };
