/*
 * Thresholds of the status engine per link type (docs/status.md, the table
 * in DESIGN.md): a figure beyond the degraded bound makes a window
 * DEGRADED, beyond the critical bound CRITICAL. GEO VSAT has its own RTT
 * and jitter bounds; every other link type is terrestrial. Operators
 * override them per link type and per site in the profile file
 * (collector/status/profiles.h).
 */
#ifndef PANTAU_THRESHOLDS_H
#define PANTAU_THRESHOLDS_H

enum { TH_DEGRADED = 0, TH_CRITICAL = 1 };

struct thresholds {
	double rtt_p95_ms[2];     /* above: 150 / 400 ms; GEO 800 / 1500 ms */
	double loss_pct[2];       /* above: 2 / 10 % */
	double jitter_ms[2];      /* above: 30 / 60 ms; GEO 60 / 120 ms */
	double upload_mbps[2];    /* below: 1 / 0.256 Mbit/s */
	int http_failures[2];     /* consecutive failures: 1 / 3 */
	double retrans_pct[2];    /* the site's own traffic, above: 5 / 15 % */
	double dns_fail_pct[2];   /* the site's own DNS lookups failed, above: 10 / 25 % */
};

/* Defaults for a link type name ("fiber", "vsat-geo", ...); an unknown or
 * NULL link type gets the terrestrial defaults. */
void thresholds_default(const char *link, struct thresholds *t);

/* "", or why t is inconsistent (a critical bound milder than its degraded
 * bound): "rtt_p95_critical_ms (100) is below rtt_p95_degraded_ms (150)". */
const char *thresholds_check(const struct thresholds *t, char *why, unsigned len);

#endif
