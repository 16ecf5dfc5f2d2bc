/*
 * tcp: how long a TCP handshake takes (docs/probes.md).
 *
 * The target "host:port" or "[v6addr]:port" is resolved asynchronously
 * (dns_ms), then the first address is connected with uv_tcp_connect
 * (connect_ms: from connect() to the handshake's completion). The probe's
 * timeout covers both steps. The connection is closed right away; no byte
 * is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/probe.h"
#include "agent/probes/target.h"
#include "clock.h"

#define TCP_DEFAULT_TIMEOUT_MS 5000

enum tcp_phase {
	TP_RESOLVE,  /* waiting for uv_getaddrinfo */
	TP_CONNECT,  /* waiting for the handshake */
	TP_FAIL,     /* timer (0 ms) reports why */
	TP_OVER,     /* finished or cancelled; handles closing */
};

struct tcp_run {
	struct probe_run *run;
	const struct probe_def *def;
	uv_getaddrinfo_t gai;
	uv_timer_t timer;
	uv_tcp_t tcp;
	uv_connect_t conn;
	int refs;            /* open handles + outstanding resolve */
	bool resolving;
	bool tcp_open;
	enum tcp_phase phase;
	int timeout_ms;
	char host[TARGET_HOST_MAX + 1];
	char addr[TARGET_ADDR_MAX];
	int64_t t_start, t_connect;
	double dns_ms;       /* < 0 until known */
	char why[WIRE_TEXT_MAX];
};

static void on_timer(uv_timer_t *t);

static void
release(struct tcp_run *s)
{
	if (--s->refs == 0)
		free(s);
}

static void
on_closed(uv_handle_t *h)
{
	release(h->data);
}

static void
stop(struct tcp_run *s)
{
	if (s->phase == TP_OVER)
		return;
	s->phase = TP_OVER;
	if (s->resolving)
		uv_cancel((uv_req_t *)&s->gai);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, on_closed);
	/* A pending connect completes with UV_ECANCELED before on_closed. */
	if (s->tcp_open)
		uv_close((uv_handle_t *)&s->tcp, on_closed);
	s->tcp_open = false;
}

static void
add_common(struct tcp_run *s, json_t *r)
{
	if (r == NULL)
		return;
	if (s->addr[0] != '\0')
		json_object_set_new(r, "addr", json_string(s->addr));
	if (s->dns_ms >= 0)
		wire_set_num(r, "dns_ms", s->dns_ms);
}

static void
finish(struct tcp_run *s, json_t *r)
{
	struct probe_run *run = s->run;
	stop(s);
	run->state = NULL;
	run->done(run, r);
}

static void
finish_failure(struct tcp_run *s, const char *why)
{
	json_t *r = probe_failure_result(s->def, why);
	add_common(s, r);
	finish(s, r);
}

static void
fail_later(struct tcp_run *s)
{
	s->phase = TP_FAIL;
	uv_timer_start(&s->timer, on_timer, 0, 0);
}

static void
on_timer(uv_timer_t *t)
{
	struct tcp_run *s = t->data;
	char why[WIRE_TEXT_MAX];
	switch (s->phase) {
	case TP_RESOLVE:
		snprintf(why, sizeof(why), "cannot resolve host %s: timed out after %d ms",
		    s->host, s->timeout_ms);
		finish_failure(s, why);
		break;
	case TP_CONNECT:
		snprintf(why, sizeof(why), "timed out after %d ms", s->timeout_ms);
		finish_failure(s, why);
		break;
	case TP_FAIL:
		finish_failure(s, s->why);
		break;
	case TP_OVER:
		break;
	}
}

static void
on_connect(uv_connect_t *req, int status)
{
	struct tcp_run *s = req->data;
	if (s->phase != TP_CONNECT)
		return; /* cancelled or timed out: the handle is closing */
	double connect_ms = target_ms_between(s->t_connect, clock_mono_ns());
	if (status < 0) {
		finish_failure(s, uv_strerror(status));
		return;
	}
	json_t *r = wire_result_new("tcp", s->def->target);
	if (r != NULL) {
		json_object_set_new(r, "ok", json_true());
		add_common(s, r);
		wire_set_num(r, "connect_ms", connect_ms);
	}
	finish(s, r);
}

static void
begin_connect(struct tcp_run *s, const struct addrinfo *ai)
{
	uv_loop_t *loop = s->run->env->loop;
	target_addr_text(ai->ai_addr, s->addr, sizeof(s->addr));
	if (uv_tcp_init(loop, &s->tcp) != 0) {
		finish_failure(s, "cannot create a TCP socket");
		return;
	}
	s->tcp.data = s;
	s->tcp_open = true;
	s->refs++;
	s->conn.data = s;
	s->phase = TP_CONNECT;
	s->t_connect = clock_mono_ns();
	int r = uv_tcp_connect(&s->conn, &s->tcp, ai->ai_addr, on_connect);
	if (r < 0)
		finish_failure(s, uv_strerror(r));
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct tcp_run *s = req->data;
	s->resolving = false;
	if (s->phase == TP_RESOLVE) {
		s->dns_ms = target_ms_between(s->t_start, clock_mono_ns());
		if (status < 0 || res == NULL) {
			snprintf(s->why, sizeof(s->why), "cannot resolve host %s: %s", s->host,
			    uv_strerror(status < 0 ? status : UV_EAI_NONAME));
			finish_failure(s, s->why);
		} else {
			begin_connect(s, res);
		}
	}
	uv_freeaddrinfo(res);
	release(s);
}

static pantau_err
tcp_start(struct probe_run *run)
{
	struct addrinfo hints;
	char port[8];
	int portnum = 0;
	struct tcp_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	s->run = run;
	s->def = run->def;
	s->timeout_ms = run->def->timeout_ms > 0 ? run->def->timeout_ms : TCP_DEFAULT_TIMEOUT_MS;
	s->dns_ms = -1;
	s->refs = 1;
	uv_timer_init(run->env->loop, &s->timer);
	s->timer.data = s;
	s->gai.data = s;
	run->state = s;
	if (target_split_host_port(run->def->target, s->host, sizeof(s->host), &portnum, s->why,
	        sizeof(s->why)) != PANTAU_OK) {
		fail_later(s);
		return PANTAU_OK;
	}
	snprintf(port, sizeof(port), "%d", portnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	s->t_start = clock_mono_ns();
	int r = uv_getaddrinfo(run->env->loop, &s->gai, on_resolved, s->host, port, &hints);
	if (r < 0) {
		snprintf(s->why, sizeof(s->why), "cannot resolve host %s: %s", s->host,
		    uv_strerror(r));
		fail_later(s);
		return PANTAU_OK;
	}
	s->refs++;
	s->resolving = true;
	s->phase = TP_RESOLVE;
	uv_timer_start(&s->timer, on_timer, (uint64_t)s->timeout_ms, 0);
	return PANTAU_OK;
}

static void
tcp_cancel(struct probe_run *run)
{
	struct tcp_run *s = run->state;
	if (s == NULL)
		return;
	run->state = NULL;
	stop(s);
}

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

const struct probe_exec probe_tcp_exec = { .start = tcp_start, .cancel = tcp_cancel };
