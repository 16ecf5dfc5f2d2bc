/*
 * The agent's status message on pantau/v1/status/<agent> (docs/protocol.md):
 * online, with the site's description, sent after each CONNACK; offline,
 * with a reason, as the last will and at shutdown.
 */
#ifndef PANTAU_STATUSMSG_H
#define PANTAU_STATUSMSG_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_config.h"

/* The payload as compact JSON, to free(); NULL when out of memory. boot:
 * this boot's counter; period_s: the cycle now (interval or counting). */
char *statusmsg_payload(const struct agent_config *c, int64_t boot, int period_s, bool online,
    const char *reason);

#endif
