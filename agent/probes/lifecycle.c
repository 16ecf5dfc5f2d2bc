#include "agent/probes/lifecycle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static void on_timer(uv_timer_t *t);

static void
release(struct probe_life *l)
{
	if (--l->refs == 0)
		l->ops->free(l);
}

void
life_closed(uv_handle_t *h)
{
	release(h->data);
}

void
life_hold(struct probe_life *l)
{
	l->refs++;
}

int
life_watch(struct probe_life *l, struct life_poll *p, int fd, int events, uv_poll_cb cb)
{
	/* uv_poll_init: any descriptor (a capture's too); on Unix the same as
	 * uv_poll_init_socket */
	int r = uv_poll_init(l->timer.loop, &p->h, fd);
	if (r != 0)
		return r;
	p->h.data = l;
	p->open = true;
	life_hold(l);
	return uv_poll_start(&p->h, events, cb);
}

void
life_unwatch(struct life_poll *p)
{
	if (!p->open)
		return;
	uv_poll_stop(&p->h);
	uv_close((uv_handle_t *)&p->h, life_closed);
	p->open = false;
}

void
life_timer_open(struct probe_life *l, struct life_timer *t)
{
	uv_timer_init(l->timer.loop, &t->h);
	t->h.data = l;
	t->open = true;
	life_hold(l);
}

void
life_timer_close(struct life_timer *t)
{
	if (!t->open)
		return;
	uv_close((uv_handle_t *)&t->h, life_closed);
	t->open = false;
}

void
life_start(struct probe_life *l, struct probe_run *run, const struct life_ops *ops,
    int default_timeout_ms)
{
	l->run = run;
	l->def = run->def;
	l->ops = ops;
	l->refs = 1;
	l->dns_ms = -1;
	l->timeout_ms = run->def->timeout_ms > 0 ? run->def->timeout_ms : default_timeout_ms;
	uv_timer_init(run->env->loop, &l->timer);
	l->timer.data = l;
	l->gai.data = l;
	run->state = l;
}

/* Stop everything; the state goes when the last handle has closed. */
static void
stop(struct probe_life *l)
{
	if (l->phase == LIFE_OVER)
		return;
	l->phase = LIFE_OVER;
	if (l->resolving)
		uv_cancel((uv_req_t *)&l->gai);
	if (l->ops->stop != NULL)
		l->ops->stop(l);
	uv_timer_stop(&l->timer);
	uv_close((uv_handle_t *)&l->timer, life_closed);
}

void
life_finish(struct probe_life *l, json_t *result)
{
	struct probe_run *run = l->run;
	stop(l);
	run->state = NULL;
	run->done(run, result);
}

void
life_fail(struct probe_life *l, const char *why)
{
	json_t *r = probe_failure_result(l->def, why);
	if (r != NULL && l->addr[0] != '\0')
		json_object_set_new(r, "addr", json_string(l->addr));
	if (r != NULL && l->ops->failed != NULL)
		l->ops->failed(l, r);
	life_finish(l, r);
}

void
life_fail_later(struct probe_life *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
	l->phase = LIFE_FAIL;
	uv_timer_start(&l->timer, on_timer, 0, 0);
}

void
life_cancel(struct probe_run *run, void *state)
{
	(void)run;
	stop(state);
}

/* ---- resolve ---- */

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct probe_life *l = req->data;
	l->resolving = false;
	if (l->phase == LIFE_RESOLVE) {
		if (!l->deadline)
			uv_timer_stop(&l->timer);
		l->dns_ms = target_ms_between(l->t_resolve, clock_mono_ns());
		if (status < 0 || res == NULL) {
			snprintf(l->why, sizeof(l->why), "cannot resolve host %s: %s", l->host,
			    uv_strerror(status < 0 ? status : UV_EAI_NONAME));
			life_fail(l, l->why);
		} else {
			l->ops->resolved(l, res);
		}
	}
	uv_freeaddrinfo(res);
	release(l);
}

void
life_resolve(struct probe_life *l, const char *service, int family, int socktype,
    int allowance_ms, bool deadline)
{
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	l->t_resolve = clock_mono_ns();
	int r = uv_getaddrinfo(l->timer.loop, &l->gai, on_resolved, l->host, service, &hints);
	if (r < 0) {
		life_fail_later(l, "cannot resolve host %s: %s", l->host, uv_strerror(r));
		return;
	}
	l->refs++;
	l->resolving = true;
	l->deadline = deadline;
	l->resolve_ms = allowance_ms;
	l->phase = LIFE_RESOLVE;
	uv_timer_start(&l->timer, on_timer, (uint64_t)allowance_ms, 0);
}

/* ---- trains and waits ---- */

static void
end_train(struct probe_life *l)
{
	life_finish(l, l->ops->result(l));
}

static void
send_next(struct probe_life *l)
{
	int i = l->next++;
	l->ops->send(l, i);
	if (l->next < l->count) {
		/* Keep to t0 + i * spacing: no drift from loop latency. */
		int64_t due = l->t0 + (int64_t)l->next * l->spacing_ms * 1000000LL;
		int64_t wait = due - clock_mono_ns();
		uv_timer_start(&l->timer, on_timer,
		    wait > 0 ? (uint64_t)(wait + 999999) / 1000000 : 0, 0);
		return;
	}
	l->phase = LIFE_WAIT;
	if (l->ops->pending(l) == 0)
		end_train(l);
	else /* +1: uv timers have millisecond resolution */
		uv_timer_start(&l->timer, on_timer, (uint64_t)l->timeout_ms + 1, 0);
}

void
life_train(struct probe_life *l, int count, int spacing_ms)
{
	l->count = count;
	l->spacing_ms = spacing_ms;
	l->next = 0;
	l->phase = LIFE_SEND;
	l->t0 = clock_mono_ns();
	send_next(l);
}

bool
life_receiving(const struct probe_life *l)
{
	return l->phase == LIFE_SEND || l->phase == LIFE_WAIT;
}

void
life_replied(struct probe_life *l)
{
	if (l->phase == LIFE_WAIT && l->ops->pending(l) == 0)
		end_train(l);
}

void
life_wait(struct probe_life *l, int ms)
{
	l->phase = LIFE_BUSY;
	if (ms >= 0)
		uv_timer_start(&l->timer, on_timer, (uint64_t)ms, 0);
}

static void
on_timer(uv_timer_t *t)
{
	struct probe_life *l = t->data;
	switch (l->phase) {
	case LIFE_RESOLVE:
		snprintf(l->why, sizeof(l->why), "cannot resolve host %s: %s %d ms", l->host,
		    l->deadline ? "timed out after" : "no answer within", l->resolve_ms);
		life_fail(l, l->why);
		break;
	case LIFE_FAIL:
		life_fail(l, l->why);
		break;
	case LIFE_SEND:
		send_next(l);
		break;
	case LIFE_WAIT:
		end_train(l);
		break;
	case LIFE_BUSY:
		l->ops->timeout(l);
		break;
	case LIFE_OVER:
		break;
	}
}
