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
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/probes/probe.h"
#include "agent/probes/stamp_train.h"
#include "agent/probes/target.h"
#include "clock.h"
#include "clocksync.h"
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

#define O(f) offsetof(struct stamp_params, f)
static const struct cfg_key stamp_keys[] = {
	{ "count", CFG_INT, O(count), 0, 1, 10000, "20", NULL, NULL, 0,
	    "test packets per run; e.g. count = 100" },
	{ "spacing_ms", CFG_INT, O(spacing_ms), 0, 1, 10000, "50", NULL, NULL, 0,
	    "milliseconds between two test packets" },
	{ "size", CFG_INT, O(size), 0, STAMP_PKT_MIN, STAMP_PKT_MAX, "44", NULL, NULL, 0,
	    "UDP payload bytes per packet, 44 and up (zero padding beyond 44)" },
	{ "dscp", CFG_INT, O(dscp), 0, 0, 63, "0", NULL, NULL, 0,
	    "DSCP of the test packets, e.g. 46 (EF) to measure the voice class" },
};
#undef O

enum stamp_phase {
	SP_RESOLVE,
	SP_FAIL,
	SP_SEND,
	SP_WAIT,
	SP_OVER,
};

struct stamp_run {
	struct probe_run *run;
	const struct probe_def *def;
	struct stamp_params p;
	struct stamp_train *train;
	uv_getaddrinfo_t gai;
	uv_timer_t timer;
	uv_poll_t poll;
	int fd;
	int refs;             /* timer, poll (when open), outstanding resolve */
	bool resolving, poll_open;
	enum stamp_phase phase;
	int timeout_ms;
	int port;
	int next;
	int64_t t0;
	struct stamp_errest local;
	char host[TARGET_HOST_MAX + 1];
	char addr[TARGET_ADDR_MAX];
	char why[WIRE_TEXT_MAX];
	uint8_t buf[STAMP_PKT_MAX + 1];
};

static void on_timer(uv_timer_t *t);

static void
release(struct stamp_run *s)
{
	if (--s->refs > 0)
		return;
	if (s->fd >= 0)
		close(s->fd);
	stamp_train_free(s->train);
	free(s);
}

static void
on_closed(uv_handle_t *h)
{
	release(h->data);
}

static void
stop(struct stamp_run *s)
{
	if (s->phase == SP_OVER)
		return;
	s->phase = SP_OVER;
	if (s->resolving)
		uv_cancel((uv_req_t *)&s->gai);
	if (s->poll_open) {
		uv_poll_stop(&s->poll);
		uv_close((uv_handle_t *)&s->poll, on_closed);
	}
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, on_closed);
}

static void
finish(struct stamp_run *s, json_t *result)
{
	struct probe_run *run = s->run;
	stop(s);
	run->state = NULL;
	run->done(run, result);
}

static void
finish_failure(struct stamp_run *s, const char *why)
{
	json_t *r = probe_failure_result(s->def, why);
	if (r != NULL && s->addr[0] != '\0')
		json_object_set_new(r, "addr", json_string(s->addr));
	finish(s, r);
}

static void
end_train(struct stamp_run *s)
{
	finish(s, stamp_train_result(s->train, s->def->target, s->addr, s->port));
}

static int64_t
real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
send_next(struct stamp_run *s)
{
	int i = s->next++;
	struct stamp_sender_pkt pkt = { .seq = (uint32_t)i,
		.errest = stamp_errest_encode(&s->local) };
	/* T1 as late as possible: read it, put it in, send. */
	int64_t t1 = real_ns();
	pkt.ts = stamp_ntp_from_unix_ns(t1);
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
	if (s->next < s->p.count) {
		int64_t due = s->t0 + (int64_t)s->next * s->p.spacing_ms * 1000000LL;
		int64_t wait = due - clock_mono_ns();
		uv_timer_start(&s->timer, on_timer,
		    wait > 0 ? (uint64_t)(wait + 999999) / 1000000 : 0, 0);
		return;
	}
	s->phase = SP_WAIT;
	if (stamp_train_pending(s->train) == 0)
		end_train(s);
	else
		uv_timer_start(&s->timer, on_timer, (uint64_t)s->timeout_ms + 1, 0);
}

/* T4: the kernel's receive time, else now. */
static int64_t
rx_time(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		}
	}
	return real_ns();
}

static bool
read_one(struct stamp_run *s)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct timespec)) + 64];
	} ctl;
	struct iovec iov = { .iov_base = s->buf, .iov_len = sizeof(s->buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
	if (n < 0 && errno == ECONNREFUSED) /* ICMP port unreachable */
		stamp_train_refused(s->train);
	if (n < 0)
		return errno == ECONNREFUSED;
	struct stamp_reflector_pkt p;
	if (stamp_reflector_decode(s->buf, (size_t)n, &p) == PANTAU_OK)
		stamp_train_reply(s->train, &p, rx_time(&msg));
	return true;
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct stamp_run *s = h->data;
	(void)status;
	(void)events;
	for (int i = 0; i < STAMP_READ_BUDGET && s->phase != SP_OVER; i++)
		if (!read_one(s))
			break;
	if (s->phase == SP_WAIT && stamp_train_pending(s->train) == 0)
		end_train(s);
}

static void
on_timer(uv_timer_t *t)
{
	struct stamp_run *s = t->data;
	switch (s->phase) {
	case SP_RESOLVE:
		snprintf(s->why, sizeof(s->why), "cannot resolve host %s: no answer within %d ms",
		    s->host, STAMP_RESOLVE_ALLOWANCE_MS);
		finish_failure(s, s->why);
		break;
	case SP_FAIL:
		finish_failure(s, s->why);
		break;
	case SP_SEND:
		send_next(s);
		break;
	case SP_WAIT:
		end_train(s);
		break;
	case SP_OVER:
		break;
	}
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
begin_train(struct stamp_run *s, const struct addrinfo *ai)
{
	target_addr_text(ai->ai_addr, s->addr, sizeof(s->addr));
	s->fd = open_socket(s, ai);
	if (s->fd < 0) {
		snprintf(s->why, sizeof(s->why), "cannot send to %s port %d: %s", s->addr, s->port,
		    strerror(errno));
		finish_failure(s, s->why);
		return;
	}
	if (uv_poll_init_socket(s->timer.loop, &s->poll, s->fd) != 0) {
		finish_failure(s, "cannot watch the STAMP socket on the event loop");
		return;
	}
	s->poll.data = s;
	s->poll_open = true;
	s->refs++;
	uv_poll_start(&s->poll, UV_READABLE, on_readable);
	clocksync_local(&s->local);
	s->train = stamp_train_new(s->p.count, s->timeout_ms, &s->local);
	if (s->train == NULL) {
		finish_failure(s, "out of memory");
		return;
	}
	s->phase = SP_SEND;
	s->t0 = clock_mono_ns();
	send_next(s);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct stamp_run *s = req->data;
	s->resolving = false;
	if (s->phase == SP_RESOLVE) {
		uv_timer_stop(&s->timer);
		if (status < 0 || res == NULL) {
			snprintf(s->why, sizeof(s->why), "cannot resolve host %s: %s", s->host,
			    uv_strerror(status < 0 ? status : UV_EAI_NONAME));
			finish_failure(s, s->why);
		} else {
			begin_train(s, res);
		}
	}
	uv_freeaddrinfo(res);
	release(s);
}

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
	char why[256];
	struct addrinfo hints;
	struct stamp_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	s->run = run;
	s->def = run->def;
	s->p = *(const struct stamp_params *)run->def->params;
	s->fd = -1;
	s->refs = 1;
	s->timeout_ms = run->def->timeout_ms > 0 ? run->def->timeout_ms : STAMP_DEFAULT_TIMEOUT_MS;
	uv_timer_init(run->env->loop, &s->timer);
	s->timer.data = s;
	s->gai.data = s;
	run->state = s;
	if (split_target(run->def->target, s->host, sizeof(s->host), &s->port, why,
	        sizeof(why)) != PANTAU_OK) {
		snprintf(s->why, sizeof(s->why), "target: %s", why);
		s->phase = SP_FAIL;
		uv_timer_start(&s->timer, on_timer, 0, 0);
		return PANTAU_OK;
	}
	char service[8];
	snprintf(service, sizeof(service), "%d", s->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	int r = uv_getaddrinfo(run->env->loop, &s->gai, on_resolved, s->host, service, &hints);
	if (r < 0) {
		snprintf(s->why, sizeof(s->why), "cannot resolve host %s: %s", s->host,
		    uv_strerror(r));
		s->phase = SP_FAIL;
		uv_timer_start(&s->timer, on_timer, 0, 0);
		return PANTAU_OK;
	}
	s->refs++;
	s->resolving = true;
	s->phase = SP_RESOLVE;
	uv_timer_start(&s->timer, on_timer, STAMP_RESOLVE_ALLOWANCE_MS, 0);
	return PANTAU_OK;
}

static void
stamp_cancel(struct probe_run *run)
{
	struct stamp_run *s = run->state;
	if (s == NULL)
		return;
	run->state = NULL;
	stop(s);
}

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

const struct probe_exec probe_stamp_exec = { .start = stamp_start, .cancel = stamp_cancel };
