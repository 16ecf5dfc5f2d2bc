/*
 * The life of one probe run, for the kinds that work with their own
 * handles on the agent's loop (icmp, stamp, tcp, echo): start, resolve the
 * target, send packets and take their replies, time out, finish. A kind's
 * run state begins with a struct probe_life (its first member, so the two
 * pointers convert); the kind gives its own steps in struct life_ops.
 *
 *   start    life_start() sets up the state, its timer and run->state;
 *            then life_resolve() (uv_getaddrinfo on l->host, bounded) or
 *            life_fail_later(why): start() never calls done() itself.
 *   resolve  ops->resolved(l, ai) with the first address. A resolver
 *            error or no answer in time gives "cannot resolve host H: ...".
 *   train    life_train(l, count, spacing_ms): ops->send(l, i) for each
 *            i at t0 + i * spacing (kept to t0: no drift from loop
 *            latency); after the last, replies are awaited timeout_ms.
 *   receive  life_receiving(l): replies still count. After taking one the
 *            kind calls life_replied(l): once all are sent and
 *            ops->pending(l) is 0 the train ends at once (ops->result).
 *   wait     life_wait(l, ms): a step of the kind's own (tcp's handshake);
 *            ops->timeout(l) when ms pass first (ms < 0: the timer already
 *            running goes on, e.g. a deadline set with life_resolve).
 *   finish   life_finish(l, result) or life_fail(l, why): done() exactly
 *            once, after which nothing of the run is touched.
 *   cancel   life_cancel is the kinds' exec->cancel.
 *
 * Memory: handles the kind opens itself (stamp's poll, tcp's socket) take
 * a reference with life_hold(), get l as their data and close with
 * life_closed as callback, from ops->stop; a descriptor to watch does all
 * that with life_watch() and, from ops->stop, life_unwatch(); a timer of its own
 * with life_timer_open() and life_timer_close(). The state goes (ops->free) when
 * the timer, an outstanding resolve and those handles have all closed.
 */
#ifndef PANTAU_PROBES_LIFECYCLE_H
#define PANTAU_PROBES_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/probes/probe.h"
#include "agent/probes/target.h"

enum life_phase {
	LIFE_RESOLVE,  /* waiting for uv_getaddrinfo; timer = its allowance */
	LIFE_FAIL,     /* timer (0 ms) reports l->why */
	LIFE_SEND,     /* train: timer = the next packet */
	LIFE_WAIT,     /* train all sent: timer = end of the train */
	LIFE_BUSY,     /* the kind's own step (life_wait): timer = ops->timeout */
	LIFE_OVER,     /* finished or cancelled; handles closing */
};

struct probe_life;

struct life_ops {
	/* Resolved: begin with this address (l->addr can be set with
	 * target_addr_text). */
	void (*resolved)(struct probe_life *l, const struct addrinfo *ai);
	/* Trains: send packet i; packets sent and not yet answered; the
	 * train's result when it ends. */
	void (*send)(struct probe_life *l, int i);
	int (*pending)(const struct probe_life *l);
	json_t *(*result)(struct probe_life *l);
	/* life_wait's time passed first. */
	void (*timeout)(struct probe_life *l);
	/* Optional: more fields for a failure result (after addr). */
	void (*failed)(struct probe_life *l, json_t *result);
	/* Optional: close the kind's own handles (with life_closed). */
	void (*stop)(struct probe_life *l);
	/* The last reference is gone: free the kind's state. */
	void (*free)(struct probe_life *l);
};

struct probe_life {
	struct probe_run *run;
	const struct probe_def *def;
	const struct life_ops *ops;
	uv_getaddrinfo_t gai;
	uv_timer_t timer;
	int refs;              /* timer, outstanding resolve, life_hold()s */
	bool resolving;
	bool deadline;         /* the resolve allowance bounds the whole run */
	int resolve_ms;        /* that allowance */
	enum life_phase phase;
	int timeout_ms;        /* def->timeout_ms, or the kind's default */
	int count, spacing_ms; /* a train's packets and their spacing */
	int next;              /* the next packet to send */
	int64_t t0;            /* train start, CLOCK_MONOTONIC ns */
	int64_t t_resolve;     /* resolve start */
	double dns_ms;         /* how long the name took; < 0 until known */
	char host[TARGET_HOST_MAX + 1];  /* what life_resolve resolves */
	char addr[TARGET_ADDR_MAX];      /* the address measured; "" until known */
	char why[WIRE_TEXT_MAX];
};

/* Begin a run in l (zeroed by the caller, the kind's state's first
 * member); timeout_ms is the definition's, else default_timeout_ms. */
void life_start(struct probe_life *l, struct probe_run *run, const struct life_ops *ops,
    int default_timeout_ms);

/* Resolve l->host (service: a port, or NULL) within allowance_ms; with
 * deadline the same timer then bounds the kind's own step (life_wait with
 * ms < 0) and its expiry reads "timed out after N ms". */
void life_resolve(struct probe_life *l, const char *service, int family, int socktype,
    int allowance_ms, bool deadline);

/* Report why (printf format) from the loop. */
void life_fail_later(struct probe_life *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void life_train(struct probe_life *l, int count, int spacing_ms);
bool life_receiving(const struct probe_life *l);
void life_replied(struct probe_life *l);
void life_wait(struct probe_life *l, int ms);

void life_finish(struct probe_life *l, json_t *result);
void life_fail(struct probe_life *l, const char *why);

void life_hold(struct probe_life *l);
void life_closed(uv_handle_t *h);

/* A descriptor of the kind's, watched on the run's loop. */
struct life_poll {
	uv_poll_t h;
	bool open;
};
/* Open p on fd (h.data = l, a reference held) and start it for events
 * (UV_READABLE ...) with cb. 0, or libuv's error: p not opened, or
 * opened and not started (life_unwatch closes it all the same). */
int life_watch(struct probe_life *l, struct life_poll *p, int fd, int events, uv_poll_cb cb);
/* From ops->stop: stop and close p (life_closed) if it is open. */
void life_unwatch(struct life_poll *p);

/* A timer of the kind's (besides l->timer), on the run's loop. */
struct life_timer {
	uv_timer_t h;
	bool open;
};
/* Open t (h.data = l, a reference held); not started. */
void life_timer_open(struct probe_life *l, struct life_timer *t);
/* From ops->stop: close t (life_closed) if it is open. */
void life_timer_close(struct life_timer *t);

/* exec->cancel of the kinds built on this. */
void life_cancel(struct probe_run *run, void *state);

#endif
