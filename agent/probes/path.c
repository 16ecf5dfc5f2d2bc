/*
 * path: the hops towards a target, Paris-traceroute style (docs/probes.md).
 *
 * The target is resolved (uv_getaddrinfo, bounded); one non-blocking UDP
 * socket, connected to the destination's port, sends every probe of the
 * run, so source and destination ports (the flow ECMP hashes on) stay the
 * same and all probes take one path. The TTL is set per hop (IP_TTL,
 * IPV6_UNICAST_HOPS); a hop's probes go out together and its answers are
 * awaited timeout_ms, then the next hop's are sent. Answers are ICMP errors
 * the kernel queues on the socket (IP_RECVERR): time exceeded from a router
 * (its address is the offender), port unreachable from the destination,
 * where the trace stops. Each probe's payload carries its number, so an
 * answer quoting it is matched exactly; one that quotes none is taken for
 * the earliest unanswered probe of the hop being traced (a run's socket is
 * its own: no other run's answers reach it). The trace stops at max_hops,
 * after max_silent silent hops in a row, or when budget_ms is spent.
 * IPv4, UDP; parsing and tallies: pathtrace.h.
 *
 * Both parts of the kind are here: the exec part (on the probe-run
 * lifecycle, lifecycle.h) and, below it, the spec part (keys, checks).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent/probes/lifecycle.h"
#include "agent/probes/pathtrace.h"
#include "agent/probes/probe.h"
#include "agent/probes/target.h"
#include "clock.h"

#define PATH_RESOLVE_ALLOWANCE_MS 3000
#define PATH_DEFAULT_TIMEOUT_MS 1000
#define PATH_DEFAULT_INTERVAL_S 600
#define PATH_READ_BUDGET 64
#define PATH_PAYLOAD 32     /* UDP payload bytes of a probe */

struct path_params {
	int max_hops;
	int probes;
	int port;
	int budget_ms;
	int max_silent;
};

/* ---- the exec part, on the probe-run lifecycle (lifecycle.h) ---- */

struct path_run {
	struct probe_life life;  /* first: the run's lifecycle */
	struct path_params p;
	int fd;
	uv_poll_t poll;
	bool poll_open;
	struct pt_hop hops[PATHTRACE_MAX_HOPS];
	int nhops;                        /* hops done */
	int base;                         /* number of the hop's first probe */
	int64_t tx_ns[PATHTRACE_PROBES_MAX];  /* the hop's probes' send times */
	bool answered[PATHTRACE_PROBES_MAX];
	struct in_addr dest;
	int64_t t_start;                  /* CLOCK_MONOTONIC */
	int silent;                       /* silent hops in a row */
	bool ended;
};

static void
path_free(struct probe_life *l)
{
	struct path_run *s = (struct path_run *)l;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void
path_stop(struct probe_life *l)
{
	struct path_run *s = (struct path_run *)l;
	if (s->poll_open)
		uv_close((uv_handle_t *)&s->poll, life_closed);
	s->poll_open = false;
}

static int
elapsed_ms(const struct path_run *s)
{
	return (int)((clock_mono_ns() - s->t_start) / 1000000);
}

static void
finish(struct path_run *s)
{
	struct probe_life *l = &s->life;
	pt_finish(s->hops, (size_t)s->nhops);
	json_t *r = pt_result_json(l->def->target, PT_UDP, s->dest, s->hops, (size_t)s->nhops,
	    target_ms_between(s->t_start, clock_mono_ns()));
	life_finish(l, r);
}

/* Send one probe; a pending error of an earlier probe (the kernel reports
 * it at the next send) is no failure of this one: send it again. */
static bool
send_probe(struct path_run *s, int seq)
{
	uint8_t buf[PATH_PAYLOAD];
	pt_probe_payload(PT_UDP, 0, (uint16_t)seq, buf, sizeof(buf));
	for (int attempt = 0; attempt < 2; attempt++) {
		if (send(s->fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf))
			return true;
		if (errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH &&
		    errno != EPROTO && errno != EHOSTDOWN)
			return false;
	}
	return false;
}

static void next_hop(struct path_run *s);

static void
start_hop(struct path_run *s, int ttl)
{
	struct probe_life *l = &s->life;
	struct pt_hop *h = &s->hops[s->nhops];
	memset(h, 0, sizeof(*h));
	h->ttl = ttl;
	if (setsockopt(s->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) != 0) {
		snprintf(l->why, sizeof(l->why), "cannot set TTL %d: %s", ttl, strerror(errno));
		life_fail(l, l->why);
		return;
	}
	s->base = s->nhops * s->p.probes;
	int err = 0;
	for (int i = 0; i < s->p.probes; i++) {
		s->answered[i] = false;
		s->tx_ns[i] = clock_mono_ns();
		if (send_probe(s, s->base + i))
			h->sent++;
		else
			err = errno;
	}
	if (h->sent == 0) {
		snprintf(l->why, sizeof(l->why), "cannot send to %s port %d: %s", l->addr, s->p.port,
		    strerror(err));
		life_fail(l, l->why);
		return;
	}
	int left = s->p.budget_ms - elapsed_ms(s);
	life_wait(l, left < l->timeout_ms ? (left > 0 ? left : 0) : l->timeout_ms);
}

/* The hop being traced is over (all answered, or its time is up). */
static void
next_hop(struct path_run *s)
{
	const struct pt_hop *h = &s->hops[s->nhops++];
	s->silent = h->recv == 0 ? s->silent + 1 : 0;
	if (s->ended || s->silent >= s->p.max_silent || s->nhops >= s->p.max_hops ||
	    elapsed_ms(s) >= s->p.budget_ms)
		finish(s);
	else
		start_hop(s, h->ttl + 1);
}

static void
path_timeout(struct probe_life *l)
{
	next_hop((struct path_run *)l);
}

/* Which of the hop's probes a an answer is for; -1 none (late, another's). */
static int
probe_of(const struct path_run *s, const struct pt_answer *a)
{
	const struct pt_hop *h = &s->hops[s->nhops];
	if (a->seq >= 0) {
		int i = a->seq - s->base;
		return i >= 0 && i < h->sent && !s->answered[i] ? i : -1;
	}
	for (int i = 0; i < h->sent; i++)
		if (!s->answered[i])
			return i;
	return -1;
}

static void
take_answer(struct path_run *s, const struct pt_answer *a)
{
	struct pt_hop *h = &s->hops[s->nhops];
	int i = a->kind == PT_NONE ? -1 : probe_of(s, a);
	if (i < 0)
		return;
	s->answered[i] = true;
	double rtt = target_ms_between(s->tx_ns[i], clock_mono_ns());
	h->rtt_ms[h->recv++] = rtt > 0 ? rtt : 0;
	if (h->recv == 1)
		h->addr = a->from;
	if (a->kind == PT_UNREACHABLE)
		s->ended = true;
	if (h->recv == h->sent)
		next_hop(s);
}

/* One message of the error queue; false when none is waiting. */
static bool
read_error(struct path_run *s)
{
	uint8_t payload[PATH_PAYLOAD], control[512];
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
		.msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t n = recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return false;
	struct pt_answer a;
	if (pt_parse_errqueue(control, m.msg_controllen, payload, (size_t)n, PT_UDP, &a))
		take_answer(s, &a);
	return true;
}

/* A datagram from the destination itself (something listens on the port):
 * the destination answered. */
static bool
read_datagram(struct path_run *s)
{
	uint8_t buf[64];
	if (recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
		return false;
	struct pt_answer a = { .kind = PT_UNREACHABLE, .from = s->dest, .seq = -1 };
	take_answer(s, &a);
	return true;
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct path_run *s = h->data;
	(void)events;
	for (int i = 0; i < PATH_READ_BUDGET && s->life.phase == LIFE_BUSY; i++)
		if (!read_error(s) && !read_datagram(s))
			break;
	/* libuv stops the handle when the socket reports an error (POLLERR:
	 * the error queue was not empty); it is read now, so watch again. */
	if (status < 0 && s->poll_open && s->life.phase == LIFE_BUSY)
		uv_poll_start(&s->poll, UV_READABLE, on_poll);
}

/* A UDP socket from one port to the destination's, answers on its error queue. */
static int
open_socket(const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) != 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
path_resolved(struct probe_life *l, const struct addrinfo *ai)
{
	struct path_run *s = (struct path_run *)l;
	target_addr_text(ai->ai_addr, l->addr, sizeof(l->addr));
	s->dest = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	s->fd = open_socket(ai);
	if (s->fd < 0) {
		snprintf(l->why, sizeof(l->why), "cannot send to %s port %d: %s", l->addr, s->p.port,
		    strerror(errno));
		life_fail(l, l->why);
		return;
	}
	if (uv_poll_init_socket(l->timer.loop, &s->poll, s->fd) != 0) {
		life_fail(l, "cannot watch the path socket on the event loop");
		return;
	}
	s->poll.data = s;
	s->poll_open = true;
	life_hold(l);
	uv_poll_start(&s->poll, UV_READABLE, on_poll);
	s->t_start = clock_mono_ns();
	start_hop(s, 1);
}

static const struct life_ops path_life = {
	.resolved = path_resolved, .timeout = path_timeout, .stop = path_stop,
	.free = path_free,
};

static pantau_err
path_start(struct probe_run *run)
{
	char service[8];
	struct path_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	struct probe_life *l = &s->life;
	s->p = *(const struct path_params *)run->def->params;
	s->fd = -1;
	life_start(l, run, &path_life, PATH_DEFAULT_TIMEOUT_MS);
	snprintf(l->host, sizeof(l->host), "%.*s", TARGET_HOST_MAX, run->def->target);
	snprintf(service, sizeof(service), "%d", s->p.port);
	life_resolve(l, service, AF_INET, SOCK_DGRAM, PATH_RESOLVE_ALLOWANCE_MS, false);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

#define O(f) offsetof(struct path_params, f)
static const struct cfg_key path_keys[] = {
	{ "max_hops", CFG_INT, O(max_hops), 0, 1, PATHTRACE_MAX_HOPS, "30", NULL, NULL, 0,
	    "highest TTL traced" },
	{ "probes", CFG_INT, O(probes), 0, 1, PATHTRACE_PROBES_MAX, "3", NULL, NULL, 0,
	    "probes a hop (timeout_ms: how long a hop's answers are awaited)" },
	{ "port", CFG_INT, O(port), 0, 1, 65535, "33434", NULL, NULL, 0,
	    "UDP destination port of every probe of a run (one flow: ECMP keeps it on one path)" },
	{ "budget_ms", CFG_INT, O(budget_ms), 0, 1000, 120000, "20000", NULL, NULL, 0,
	    "longest a whole trace may take; it stops there, unreached" },
	{ "max_silent", CFG_INT, O(max_silent), 0, 1, PATHTRACE_MAX_HOPS, "5", NULL, NULL, 0,
	    "silent hops in a row after which the trace stops, unreached" },
};
#undef O

static bool
path_check(const struct probe_def *def, char *why, size_t len)
{
	if (strstr(def->target, "://") != NULL || strchr(def->target, '/') != NULL) {
		snprintf(why, len, "\"%s\" looks like a URL; a path target is a host name or "
		    "address, e.g. 203.0.113.1", def->target);
		return false;
	}
	return target_host_valid(def->target, why, len);
}

static int
path_max_duration_ms(const struct probe_def *def)
{
	const struct path_params *p = def->params;
	int timeout = def->timeout_ms > 0 ? def->timeout_ms : PATH_DEFAULT_TIMEOUT_MS;
	int budget = p != NULL ? p->budget_ms : 20000;
	return PATH_RESOLVE_ALLOWANCE_MS + budget + timeout;
}

const struct probe_spec probe_path_spec = {
	.kind = "path", PROBE_KEYS(path_keys, struct path_params),
	.default_timeout_ms = PATH_DEFAULT_TIMEOUT_MS, .default_interval_s = PATH_DEFAULT_INTERVAL_S,
	.check = path_check, .max_duration_ms = path_max_duration_ms,
};

const struct probe_exec probe_path_exec = { .start = path_start, .cancel = life_cancel };
