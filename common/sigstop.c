#include "sigstop.h"

#include <signal.h>
#include <string.h>

#include "log.h"

static void
on_signal(uv_signal_t *h, int signum)
{
	struct sigstop *s = h->data;
	log_info("%s: %s received, stopping", s->who, strsignal(signum));
	uv_close((uv_handle_t *)&s->term, NULL);
	uv_close((uv_handle_t *)&s->intr, NULL);
	if (s->hup_open)
		uv_close((uv_handle_t *)&s->hup, NULL);
	s->hup_open = false;
	s->stop(s->arg);
}

void
sigstop_start(uv_loop_t *loop, struct sigstop *s, const char *who, void (*stop)(void *arg),
    void *arg)
{
	s->stop = stop;
	s->arg = arg;
	s->who = who;
	s->hup_open = false;
	uv_signal_init(loop, &s->term);
	uv_signal_init(loop, &s->intr);
	s->term.data = s->intr.data = s;
	uv_signal_start(&s->term, on_signal, SIGTERM);
	uv_signal_start(&s->intr, on_signal, SIGINT);
}

static void
on_hup(uv_signal_t *h, int signum)
{
	struct sigstop *s = h->data;
	(void)signum;
	log_info("%s: SIGHUP received, reloading", s->who);
	s->reload(s->reload_arg);
}

void
sigstop_reload(uv_loop_t *loop, struct sigstop *s, void (*reload)(void *arg), void *arg)
{
	s->reload = reload;
	s->reload_arg = arg;
	uv_signal_init(loop, &s->hup);
	s->hup.data = s;
	uv_signal_start(&s->hup, on_hup, SIGHUP);
	s->hup_open = true;
}
