/*
 * A site's liveness (docs/status.md), which the status engine combines with
 * the verdicts on its measurements:
 *   UNKNOWN  no result batch stored yet;
 *   OFFLINE  the last status message says offline (last will: the site is
 *            unreachable; or the agent shut down) and came after the latest
 *            batch, or nothing for offline_intervals intervals (with or
 *            without a last will, said apart), counted from the collector's
 *            own start at the earliest, so a collector that was down does not
 *            flag sites that had no chance to report;
 *   OK       otherwise (reporting).
 * Every status carries its reason in words.
 */
#ifndef PANTAU_SITESTATE_H
#define PANTAU_SITESTATE_H

#include <stddef.h>
#include <stdint.h>

enum site_status {
	SITE_UNKNOWN = 0,
	SITE_OK,
	SITE_DEGRADED,
	SITE_CRITICAL,
	SITE_OFFLINE,
	SITE_STATUS_COUNT
};

/* What sitestate_eval needs of a site row; -1 marks an absent value. */
struct site_facts {
	int64_t last_result_ms;  /* receive time of the latest batch */
	int64_t status_ms;       /* receive time of the latest status message */
	int online;              /* 1, 0, -1 */
	const char *offline_reason; /* "lost" (last will), "shutdown", or NULL */
	int64_t interval_s;      /* from the birth message; -1 unknown */
	int64_t grace_from_ms;   /* the collector (re)started listening; -1 none: silence
	                          * counts from then at the earliest */
};

struct site_rules {
	int offline_intervals;   /* default 3 */
	int default_interval_s;  /* when the site did not say: 60 */
};

enum site_status sitestate_eval(const struct site_facts *f, const struct site_rules *rules,
    int64_t now_ms, char *reason, size_t len);

/* An age in words: "45 s", "14 min", "3 h 5 min", "2 d 4 h". */
void sitestate_format_age(int64_t ms, char *buf, size_t len);

/* "OK", "DEGRADED", "CRITICAL", "OFFLINE", "UNKNOWN". */
const char *sitestate_name(enum site_status s);

/* Severity for worst-first ordering: OFFLINE 4 > CRITICAL 3 > DEGRADED 2 >
 * UNKNOWN 1 > OK 0. */
int sitestate_rank(enum site_status s);

#endif
