/*
 * The collector's mode message (pantau/v1/mode, docs/protocol.md) as an
 * agent reads it: is its own time zone inside the vote-counting window?
 * Pure: no clock, no I/O.
 */
#ifndef PANTAU_AGENT_MODE_H
#define PANTAU_AGENT_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct agent_mode {
	bool counting;           /* this agent's zone is inside the window */
	int64_t until_ms;        /* end of its zone's window, -1 unknown */
};

/*
 * Read payload for an agent in region ("95.01"). An empty payload (the
 * retained message cleared) is normal mode. PANTAU_ERR_PARSE with why when
 * it is not a mode message.
 */
pantau_err agent_mode_parse(const void *payload, size_t len, const char *region,
    struct agent_mode *out, char *why, size_t whylen);

#endif
