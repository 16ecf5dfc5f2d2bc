/*
 * An agent's clock against the collector's (docs/status.md): a skew above
 * CLOCKSKEW_MS is a DEGRADED reason of its own and is shown on the site as
 * "agent clock 3 h 5 min ahead". Pure.
 */
#ifndef PANTAU_CLOCKSKEW_H
#define PANTAU_CLOCKSKEW_H

#include <stdbool.h>
#include <stddef.h>

#define CLOCKSKEW_MS 5000

/* skew_ms: the agent's clock minus the collector's (> 0 ahead; NAN
 * unknown). True, with the words in buf, when it is above CLOCKSKEW_MS. */
bool clockskew_text(double skew_ms, char *buf, size_t len);

#endif
