/*
 * SIGTERM and SIGINT as loop events (uv_signal: no work in a signal
 * handler). The first one calls stop(arg) on the loop and closes the
 * watchers, so the loop ends once the daemon has closed its own handles.
 * With sigstop_reload, SIGHUP calls reload(arg) on the loop, each time.
 */
#ifndef PANTAU_SIGSTOP_H
#define PANTAU_SIGSTOP_H

#include <stdbool.h>
#include <uv.h>

struct sigstop {
	uv_signal_t term, intr, hup;
	void (*stop)(void *arg);
	void *arg;
	void (*reload)(void *arg);
	void *reload_arg;
	bool hup_open;
	const char *who;       /* "agent", "collector": for the log line */
};

void sigstop_start(uv_loop_t *loop, struct sigstop *s, const char *who,
    void (*stop)(void *arg), void *arg);

/* After sigstop_start: SIGHUP calls reload(arg) until the stop. */
void sigstop_reload(uv_loop_t *loop, struct sigstop *s, void (*reload)(void *arg), void *arg);

#endif
