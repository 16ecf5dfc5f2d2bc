/*
 * Clocks and timestamps. CLOCK_MONOTONIC for intervals and deadlines,
 * CLOCK_REALTIME only for timestamps that are published or stored.
 * Published timestamps are UTC ISO 8601 with milliseconds:
 * "2024-02-14T06:00:30.125Z".
 */
#ifndef PANTAU_CLOCK_H
#define PANTAU_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* Length of "YYYY-MM-DDTHH:MM:SS.mmmZ" plus the terminating NUL. */
#define CLOCK_ISO_LEN 25

int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);
int64_t clock_real_ms(void);
/* CLOCK_BOOTTIME in ms: monotonic, counts suspend, starts at the machine's boot
 * (the wire's mono_ms, docs/protocol.md). */
int64_t clock_boot_ms(void);
int64_t clock_boot_ns(void);
/* CLOCK_REALTIME in nanoseconds since the Unix epoch (packet timestamps). */
int64_t clock_real_ns(void);
/* A struct timespec (a clock's, or a kernel receive timestamp) in ns. */
int64_t clock_timespec_ns(const struct timespec *ts);

/* Format epoch milliseconds as ISO 8601 UTC; buf needs CLOCK_ISO_LEN bytes. */
void clock_format_iso(int64_t epoch_ms, char buf[CLOCK_ISO_LEN]);

/*
 * Parse "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" (UTC only, as the wire contract
 * requires). Fractions beyond milliseconds are truncated.
 * Returns PANTAU_ERR_PARSE on anything else.
 */
pantau_err clock_parse_iso(const char *s, int64_t *epoch_ms);

#endif
