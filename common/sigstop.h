/*
 * SIGTERM and SIGINT as loop events (uv_signal: no work in a signal
 * handler). The first one calls stop(arg) on the loop and closes both
 * watchers, so the loop ends once the daemon has closed its own handles.
 */
#ifndef PANTAU_SIGSTOP_H
#define PANTAU_SIGSTOP_H

#include <uv.h>

struct sigstop {
	uv_signal_t term, intr;
	void (*stop)(void *arg);
	void *arg;
	const char *who;       /* "agent", "collector": for the log line */
};

void sigstop_start(uv_loop_t *loop, struct sigstop *s, const char *who,
    void (*stop)(void *arg), void *arg);

#endif
