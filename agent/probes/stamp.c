/*
 * stamp: a train of STAMP test packets (RFC 8762, unauthenticated) to a
 * reflector (docs/probes.md); the bookkeeping is in stamp_train.c.
 *
 * The target "host", "host:port" or "[v6addr]:port" (default port 862) is
 * resolved asynchronously; the first address is used with a UDP socket of
 * this run, connected to it (so only the reflector's replies arrive),
 * with kernel receive timestamps (SO_TIMESTAMPNS) and the configured DSCP.
 * Packet i leaves at t0 + i * spacing; its timestamp T1 is read and
 * written into the packet right before send(). The train ends when every
 * packet is answered, or timeout_ms after the last one was sent.
 *
 * Both parts of the kind are here: the exec part (on the probe-run
 * lifecycle, lifecycle.h) and, below it, the spec part (keys, checks).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/probes/lifecycle.h"
#include "agent/probes/probe.h"
#include "agent/probes/stamp_train.h"
#include "agent/probes/target.h"
#include "clock.h"
#include "clocksync.h"
#include "rxmeta.h"
#include "stamp.h"

#define STAMP_RESOLVE_ALLOWANCE_MS 3000
#define STAMP_DEFAULT_TIMEOUT_MS 1000
#define STAMP_READ_BUDGET 64

struct stamp_params {
	int count;
	int spacing_ms;
	int size;
	int dscp;
};

/* ---- the exec part, on the probe-run lifecycle (lifecycle.h) ---- */

struct stamp_run {
	struct probe_life life;  /* first: the run's lifecycle */
	struct stamp_params p;
	struct stamp_train *train;
	struct life_poll poll;
	int fd;
	int port;
	struct stamp_errest local;
	uint8_t buf[STAMP_PKT_MAX + 1];
};

static void
stamp_free(struct probe_life *l)
{
	struct stamp_run *s = (struct stamp_run *)l;
	if (s->fd >= 0)
		close(s->fd);
	stamp_train_free(s->train);
	free(s);
}

static void
stamp_stop(struct probe_life *l)
{
	struct stamp_run *s = (struct stamp_run *)l;
	life_unwatch(&s->poll);
}

static json_t *
stamp_result(struct probe_life *l)
{
	struct stamp_run *s = (struct stamp_run *)l;
	return stamp_train_result(s->train, l->def->target, l->addr, s->port);
}

static int
stamp_pending(const struct probe_life *l)
{
	return stamp_train_pending(((const struct stamp_run *)l)->train);
}

static void
stamp_send(struct probe_life *l, int i)
{
	struct stamp_run *s = (struct stamp_run *)l;
	struct stamp_sender_pkt pkt = { .seq = (uint32_t)i,
		.errest = stamp_errest_encode(&s->local) };
	/* T1 as late as possible: read it, put it in, send. */
	pkt.ts = stamp_ntp_from_unix_ns(clock_real_ns());
	stamp_sender_encode(&pkt, s->buf, (size_t)s->p.size);
	ssize_t n = send(s->fd, s->buf, (size_t)s->p.size, 0);
	if (n < 0 && errno == ECONNREFUSED) {
		/* The error belongs to an earlier packet (ICMP port unreachable);
		 * this one was not sent: send it now. */
		stamp_train_refused(s->train);
		n = send(s->fd, s->buf, (size_t)s->p.size, 0);
	}
	if (n == (ssize_t)s->p.size)
		stamp_train_sent(s->train, i, stamp_ntp_to_unix_ns(pkt.ts), pkt.ts);
	else
		stamp_train_send_failed(s->train, i, errno);
}

static bool
read_one(struct stamp_run *s)
{
	struct rxmeta m;
	ssize_t n = rxmeta_recv(s->fd, s->buf, sizeof(s->buf), NULL, &m);
	if (n < 0 && errno == ECONNREFUSED) /* ICMP port unreachable */
		stamp_train_refused(s->train);
	if (n < 0)
		return errno == ECONNREFUSED;
	struct stamp_reflector_pkt p;
	if (stamp_reflector_decode(s->buf, (size_t)n, &p) == PANTAU_OK)
		stamp_train_reply(s->train, &p, m.real_ns >= 0 ? m.real_ns : clock_real_ns());
	return true;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct stamp_run *s = h->data;
	(void)status;
	(void)events;
	for (int i = 0; i < STAMP_READ_BUDGET && s->life.phase != LIFE_OVER; i++)
		if (!read_one(s))
			break;
	life_replied(&s->life);
}

/* A UDP socket connected to ai, with receive timestamps and the DSCP. */
static int
open_socket(struct stamp_run *s, const struct addrinfo *ai)
{
	int one = 1, tos = s->p.dscp << 2;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (tos != 0) {
		if (ai->ai_family == AF_INET)
			(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		else
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
stamp_resolved(struct probe_life *l, const struct addrinfo *ai)
{
	struct stamp_run *s = (struct stamp_run *)l;
	target_addr_text(ai->ai_addr, l->addr, sizeof(l->addr));
	s->fd = open_socket(s, ai);
	if (s->fd < 0) {
		snprintf(l->why, sizeof(l->why), "cannot send to %s port %d: %s", l->addr, s->port,
		    strerror(errno));
		life_fail(l, l->why);
		return;
	}
	if (life_watch(l, &s->poll, s->fd, UV_READABLE, on_readable) != 0) {
		life_fail(l, "cannot watch the STAMP socket on the event loop");
		return;
	}
	clocksync_local(&s->local);
	s->train = stamp_train_new(s->p.count, l->timeout_ms, &s->local);
	if (s->train == NULL) {
		life_fail(l, "out of memory");
		return;
	}
	life_train(l, s->p.count, s->p.spacing_ms);
}

static const struct life_ops stamp_life = {
	.resolved = stamp_resolved, .send = stamp_send, .pending = stamp_pending,
	.result = stamp_result, .stop = stamp_stop, .free = stamp_free,
};

/* "host", "host:port" or "[v6]:port"; a bare IPv6 address has no port. */
static pantau_err
split_target(const char *target, char *host, size_t hostlen, int *port, char *why,
    size_t len)
{
	const char *colon = strchr(target, ':');
	if (target[0] == '[' || (colon != NULL && strchr(colon + 1, ':') == NULL))
		return target_split_host_port(target, host, hostlen, port, why, len);
	if (!target_host_valid(target, why, len))
		return PANTAU_ERR_INVAL;
	snprintf(host, hostlen, "%s", target);
	*port = STAMP_PORT;
	return PANTAU_OK;
}

static pantau_err
stamp_start(struct probe_run *run)
{
	char why[256], service[8];
	struct stamp_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	struct probe_life *l = &s->life;
	s->p = *(const struct stamp_params *)run->def->params;
	s->fd = -1;
	life_start(l, run, &stamp_life, STAMP_DEFAULT_TIMEOUT_MS);
	if (split_target(run->def->target, l->host, sizeof(l->host), &s->port, why,
	        sizeof(why)) != PANTAU_OK) {
		life_fail_later(l, "target: %s", why);
		return PANTAU_OK;
	}
	snprintf(service, sizeof(service), "%d", s->port);
	life_resolve(l, service, AF_UNSPEC, SOCK_DGRAM, STAMP_RESOLVE_ALLOWANCE_MS, false);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

/* One row per key (common/cfg.h): key tables look alike by design. */
#define O(f) offsetof(struct stamp_params, f)
static const struct cfg_key stamp_keys[] = {
	CFG_KEY_INT("count", O(count), 1, 10000, "20", "test packets per run; e.g. count = 100"),
	CFG_KEY_INT("spacing_ms", O(spacing_ms), 1, 10000, "50",
	    "milliseconds between two test packets"),
	CFG_KEY_INT("size", O(size), STAMP_PKT_MIN, STAMP_PKT_MAX, "44",
	    "UDP payload bytes per packet, 44 and up (zero padding beyond 44)"),
	CFG_KEY_INT("dscp", O(dscp), 0, 63, "0",
	    "DSCP of the test packets, e.g. 46 (EF) to measure the voice class"),
};
#undef O

static bool
stamp_check(const struct probe_def *def, char *why, size_t len)
{
	char host[TARGET_HOST_MAX + 1];
	int port;
	if (strstr(def->target, "://") != NULL) {
		snprintf(why, len, "\"%s\" looks like a URL; a stamp target is a reflector's host, "
		    "host:port or [v6addr]:port, e.g. reflector.example:862", def->target);
		return false;
	}
	return split_target(def->target, host, sizeof(host), &port, why, len) == PANTAU_OK;
}

static int
stamp_max_duration_ms(const struct probe_def *def)
{
	const struct stamp_params *p = def->params;
	int timeout = def->timeout_ms > 0 ? def->timeout_ms : STAMP_DEFAULT_TIMEOUT_MS;
	return (p->count - 1) * p->spacing_ms + timeout + STAMP_RESOLVE_ALLOWANCE_MS;
}

static void
stamp_failure_fields(json_t *r)
{
	probe_train_failure_fields(r);
	json_object_set_new(r, "ok", json_false());
}

const struct probe_spec probe_stamp_spec = {
	.kind = "stamp", PROBE_KEYS(stamp_keys, struct stamp_params),
	.default_timeout_ms = STAMP_DEFAULT_TIMEOUT_MS, .check = stamp_check,
	.max_duration_ms = stamp_max_duration_ms, .failure_fields = stamp_failure_fields,
};

const struct probe_exec probe_stamp_exec = { .start = stamp_start, .cancel = life_cancel };
