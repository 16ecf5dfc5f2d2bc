/*
 * The agent renews its certificate by itself (docs/deployment.md,
 * "Enrolment"): RENEW_FIRST_MS after start and then every RENEW_EVERY_MS it
 * reads [broker] certfile, and when fewer than [enrol] renew_days are left
 * it runs its own program as `pantau-agent renew --if-due --config FILE` in
 * a child process (the request blocks; the loop must not), which writes
 * the new certificate over the old one; libmosquitto reads it at the next
 * connect. Nothing runs for an agent that was not enrolled ([enrol]
 * collector empty). Its handles do not keep the loop alive.
 */
#ifndef PANTAU_RENEWTIMER_H
#define PANTAU_RENEWTIMER_H

#include <uv.h>

#include "agent/agent_config.h"

#define RENEW_FIRST_MS 5000
#define RENEW_EVERY_MS (12LL * 3600 * 1000)

struct renewtimer;

/* Start on loop for cfg (borrowed, must outlive it), read from path;
 * NULL when the agent is not enrolled or out of memory. */
struct renewtimer *renewtimer_start(uv_loop_t *loop, const struct agent_config *cfg,
    const char *path);

/* Close its handles; the memory goes once the loop ran. NULL: no-op. */
void renewtimer_stop(struct renewtimer *r);

#endif
