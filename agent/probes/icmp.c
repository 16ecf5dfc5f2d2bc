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
 *
 * Both parts of the kind are here: the exec part (on the probe-run
 * lifecycle, lifecycle.h) and, below it, the spec part (keys, checks).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/icmpsock.h"
#include "agent/probes/lifecycle.h"
#include "agent/probes/probe.h"
#include "agent/probes/target.h"
#include "block.h"
#include "clock.h"
#include "stats.h"

/* Longest wait for the name to resolve; part of max_duration_ms. */
#define ICMP_RESOLVE_ALLOWANCE_MS 3000
#define ICMP_DEFAULT_TIMEOUT_MS 1000

struct icmp_params {
	int count;
	int spacing_ms;
	int size;
};

enum pkt_state {
	PKT_UNSENT = 0,
	PKT_PENDING,     /* sent, no reply yet */
	PKT_OK,          /* reply within the timeout */
	PKT_LATE,        /* reply after the timeout: lost */
	PKT_SEND_FAILED, /* the kernel refused it: lost */
};

/* ---- the exec part, on the probe-run lifecycle (lifecycle.h) ---- */

struct icmp_run {
	struct probe_life life;  /* first: the run's lifecycle */
	struct icmpsock *sock;
	bool registered;
	uint32_t cookie;
	struct sockaddr_storage dst;
	int size;
	int pending;          /* sent and not answered */
	int recv, dup, late, send_failed, send_errno;
	int64_t *tx;          /* send times, ns */
	double *rtt;          /* ms, STATS_LOST unless answered in time */
	double *scratch;
	uint8_t *st;          /* enum pkt_state */
};

static void
icmp_free(struct probe_life *l)
{
	free(l); /* the run and its arrays are one block (run_new) */
}

static void
icmp_stop(struct probe_life *l)
{
	struct icmp_run *s = (struct icmp_run *)l;
	if (s->registered)
		icmpsock_unregister(s->sock, s->cookie);
	s->registered = false;
}

static json_t *
icmp_result(struct probe_life *l)
{
	struct icmp_run *s = (struct icmp_run *)l;
	struct rtt_stats st;
	json_t *r = wire_result_new("icmp", l->def->target);
	if (r == NULL)
		return NULL;
	stats_rtt(s->rtt, (size_t)l->count, s->scratch, &st);
	json_object_set_new(r, "addr", json_string(l->addr));
	probe_train_stats(r, &st);
	if (s->dup > 0)
		json_object_set_new(r, "dup", json_integer(s->dup));
	if (s->late > 0)
		json_object_set_new(r, "late", json_integer(s->late));
	probe_train_send_failures(r, s->send_failed, l->count, s->send_errno, "echo requests");
	return r;
}

static void
icmp_send(struct probe_life *l, int i)
{
	struct icmp_run *s = (struct icmp_run *)l;
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
}

static int
icmp_pending(const struct probe_life *l)
{
	return ((const struct icmp_run *)l)->pending;
}

static void
on_reply(void *arg, uint32_t cookie, uint16_t seq, int64_t rx_ns)
{
	struct icmp_run *s = arg;
	struct probe_life *l = &s->life;
	(void)cookie;
	if (!life_receiving(l) || seq >= l->next)
		return;
	switch (s->st[seq]) {
	case PKT_PENDING: {
		int64_t rtt_ns = rx_ns - s->tx[seq];
		if (rtt_ns < 0)
			rtt_ns = 0;
		s->pending--;
		if (rtt_ns > (int64_t)l->timeout_ms * 1000000LL) {
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
	life_replied(l);
}

/* The first address whose family has an ICMP socket. */
static const struct addrinfo *
pick_address(const struct probe_env *env, const struct addrinfo *res, struct icmpsock **sock)
{
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		*sock = ai->ai_family == AF_INET ? env->icmp4 :
		    ai->ai_family == AF_INET6 ? env->icmp6 : NULL;
		if (*sock != NULL)
			return ai;
	}
	return NULL;
}

static void
icmp_resolved(struct probe_life *l, const struct addrinfo *res)
{
	struct icmp_run *s = (struct icmp_run *)l;
	const struct icmp_params *p = l->def->params;
	struct icmpsock *sock = NULL;
	const struct addrinfo *ai = pick_address(l->run->env, res, &sock);
	if (ai == NULL) {
		snprintf(l->why, sizeof(l->why), "no ICMP socket for the address family of "
		    "host %s", l->host);
		life_fail(l, l->why);
		return;
	}
	memcpy(&s->dst, ai->ai_addr, ai->ai_addrlen);
	target_addr_text(ai->ai_addr, l->addr, sizeof(l->addr));
	if (icmpsock_register(sock, on_reply, s, &s->cookie) != PANTAU_OK) {
		life_fail(l, "cannot register with the ICMP socket");
		return;
	}
	s->sock = sock;
	s->registered = true;
	life_train(l, p->count, p->spacing_ms);
}

static const struct life_ops icmp_life = {
	.resolved = icmp_resolved, .send = icmp_send, .pending = icmp_pending,
	.result = icmp_result, .stop = icmp_stop, .free = icmp_free,
};

static struct icmp_run *
run_new(const struct icmp_params *p)
{
	size_t n = (size_t)p->count;
	struct block b;
	struct icmp_run *s = block_alloc(sizeof(*s), n * (sizeof(*s->tx) + 2 * sizeof(double) +
	    sizeof(*s->st)), &b);
	if (s == NULL)
		return NULL;
	s->tx = block_take(&b, n, sizeof(*s->tx));
	s->rtt = block_take(&b, n, sizeof(double));
	s->scratch = block_take(&b, n, sizeof(double));
	s->st = block_take(&b, n, sizeof(*s->st));
	for (size_t i = 0; i < n; i++)
		s->rtt[i] = STATS_LOST;
	s->size = p->size;
	return s;
}

static pantau_err
icmp_start(struct probe_run *run)
{
	const struct icmp_params *p = run->def->params;
	struct probe_env *env = run->env;
	if (p == NULL || p->count < 1 || p->count > 1000)
		return PANTAU_ERR_INVAL;
	struct icmp_run *s = run_new(p);
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	struct probe_life *l = &s->life;
	life_start(l, run, &icmp_life, ICMP_DEFAULT_TIMEOUT_MS);
	snprintf(l->host, sizeof(l->host), "%.*s", TARGET_HOST_MAX, run->def->target);
	if (env->icmp4 == NULL && env->icmp6 == NULL) {
		life_fail_later(l, "no ICMP socket: the agent needs root (or CAP_NET_RAW) or a "
		    "group allowed by sysctl net.ipv4.ping_group_range");
		return PANTAU_OK;
	}
	int family = env->icmp6 == NULL ? AF_INET : env->icmp4 == NULL ? AF_INET6 : AF_UNSPEC;
	/* SOCK_DGRAM: one entry per address */
	life_resolve(l, NULL, family, SOCK_DGRAM, ICMP_RESOLVE_ALLOWANCE_MS, false);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

/* One row per key (common/cfg.h): key tables look alike by design. */
#define O(f) offsetof(struct icmp_params, f)
static const struct cfg_key icmp_keys[] = {
	CFG_KEY_INT("count", O(count), 1, 1000, "10", "echo requests per run; e.g. count = 20"),
	CFG_KEY_INT("spacing_ms", O(spacing_ms), 10, 10000, "100",
	    "milliseconds between two requests"),
	CFG_KEY_INT("size", O(size), ICMPSOCK_MIN_PAYLOAD, ICMPSOCK_MAX_PAYLOAD, "56",
	    "payload bytes per request (56 makes 84-byte IPv4 packets, as ping)"),
};
#undef O

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

const struct probe_exec probe_icmp_exec = { .start = icmp_start, .cancel = life_cancel };
