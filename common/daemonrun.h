/*
 * A daemon's run on its own loop, the same for the collector and the
 * reflector: started on a fresh loop, SIGTERM/SIGINT and SIGHUP wired to
 * it (common/sigstop), "WHO: pantau-WHO VERSION running" logged, the loop
 * run until the daemon has closed its handles, then freed.
 */
#ifndef PANTAU_DAEMONRUN_H
#define PANTAU_DAEMONRUN_H

#include <stddef.h>
#include <uv.h>

#include "err.h"

struct daemon_run {
	const char *who;                                /* "collector": the log lines' prefix */
	/* Start on loop. On a failure say why (logged as "WHO: WHY") and
	 * leave no handle open. */
	pantau_err (*start)(uv_loop_t *loop, void *ctx, char *why, size_t len);
	void (*stop)(void *ctx);                        /* SIGTERM, SIGINT */
	void (*reload)(void *ctx, const char *path);    /* SIGHUP; path: the --config file */
	void (*free)(void *ctx);                        /* after the loop, started or not; or NULL */
};

/* Run the daemon d with its ctx (what the callbacks are given). 0, or 1
 * when it did not start. */
int daemon_run(const struct daemon_run *d, void *ctx, const char *path);

#endif
