/*
 * tcp: how long a TCP handshake takes (docs/probes.md).
 *
 * The target "host:port" or "[v6addr]:port" is resolved asynchronously
 * (dns_ms), then the first address is connected with uv_tcp_connect
 * (connect_ms: from connect() to the handshake's completion). The probe's
 * timeout covers both steps. The connection is closed right away; no byte
 * is sent.
 *
 * Both parts of the kind are here: the exec part (on the probe-run
 * lifecycle, lifecycle.h) and, below it, the spec part (checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/lifecycle.h"
#include "agent/probes/probe.h"
#include "agent/probes/target.h"
#include "clock.h"

#define TCP_DEFAULT_TIMEOUT_MS 5000

/* ---- the exec part, on the probe-run lifecycle (lifecycle.h) ---- */

struct tcp_run {
	struct probe_life life;  /* first: the run's lifecycle */
	uv_tcp_t tcp;
	uv_connect_t conn;
	bool tcp_open;
	int64_t t_connect;
};

static void
tcp_free(struct probe_life *l)
{
	free(l);
}

static void
tcp_stop(struct probe_life *l)
{
	struct tcp_run *s = (struct tcp_run *)l;
	/* A pending connect completes with UV_ECANCELED before life_closed. */
	if (s->tcp_open)
		uv_close((uv_handle_t *)&s->tcp, life_closed);
	s->tcp_open = false;
}

static void
tcp_failed(struct probe_life *l, json_t *r)
{
	if (l->dns_ms >= 0)
		wire_set_num(r, "dns_ms", l->dns_ms);
}

static void
tcp_timeout(struct probe_life *l)
{
	char why[WIRE_TEXT_MAX];
	snprintf(why, sizeof(why), "timed out after %d ms", l->timeout_ms);
	life_fail(l, why);
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct tcp_run *s = req->data;
	struct probe_life *l = &s->life;
	if (l->phase != LIFE_BUSY)
		return; /* cancelled or timed out: the handle is closing */
	double connect_ms = target_ms_between(s->t_connect, clock_mono_ns());
	if (status < 0) {
		life_fail(l, uv_strerror(status));
		return;
	}
	json_t *r = wire_result_new("tcp", l->def->target);
	if (r != NULL) {
		json_object_set_new(r, "ok", json_true());
		json_object_set_new(r, "addr", json_string(l->addr));
		tcp_failed(l, r);
		wire_set_num(r, "connect_ms", connect_ms);
	}
	life_finish(l, r);
}

/* Connect to the first address; the resolve's deadline still runs. */
static void
tcp_resolved(struct probe_life *l, const struct addrinfo *ai)
{
	struct tcp_run *s = (struct tcp_run *)l;
	target_addr_text(ai->ai_addr, l->addr, sizeof(l->addr));
	life_wait(l, -1);
	if (uv_tcp_init(l->timer.loop, &s->tcp) != 0) {
		life_fail(l, "cannot create a TCP socket");
		return;
	}
	s->tcp.data = l;
	s->tcp_open = true;
	life_hold(l);
	s->conn.data = s;
	s->t_connect = clock_mono_ns();
	int r = uv_tcp_connect(&s->conn, &s->tcp, ai->ai_addr, on_connect);
	if (r < 0)
		life_fail(l, uv_strerror(r));
}

static const struct life_ops tcp_life = {
	.resolved = tcp_resolved, .timeout = tcp_timeout, .failed = tcp_failed,
	.stop = tcp_stop, .free = tcp_free,
};

static pantau_err
tcp_start(struct probe_run *run)
{
	char port[8], why[WIRE_TEXT_MAX];
	int portnum = 0;
	struct tcp_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	struct probe_life *l = &s->life;
	life_start(l, run, &tcp_life, TCP_DEFAULT_TIMEOUT_MS);
	if (target_split_host_port(run->def->target, l->host, sizeof(l->host), &portnum, why,
	        sizeof(why)) != PANTAU_OK) {
		life_fail_later(l, "%s", why);
		return PANTAU_OK;
	}
	snprintf(port, sizeof(port), "%d", portnum);
	/* The timeout covers the resolve and the handshake. */
	life_resolve(l, port, AF_UNSPEC, SOCK_STREAM, l->timeout_ms, true);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

static bool
tcp_check(const struct probe_def *def, char *why, size_t len)
{
	char host[TARGET_HOST_MAX + 1];
	int port;
	return target_split_host_port(def->target, host, sizeof(host), &port, why, len) ==
	    PANTAU_OK;
}

static int
tcp_max_duration_ms(const struct probe_def *def)
{
	return def->timeout_ms > 0 ? def->timeout_ms : TCP_DEFAULT_TIMEOUT_MS;
}

const struct probe_spec probe_tcp_spec = {
	.kind = "tcp", .default_timeout_ms = TCP_DEFAULT_TIMEOUT_MS, .check = tcp_check,
	.max_duration_ms = tcp_max_duration_ms,
};

const struct probe_exec probe_tcp_exec = { .start = tcp_start, .cancel = life_cancel };
