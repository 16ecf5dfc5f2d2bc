/*
 * The verdict on one window of a site's measurements: OK, DEGRADED or
 * CRITICAL with the reason in words (docs/status.md). Pure: no clock, no
 * I/O. Absent figures are NAN and judge nothing.
 */
#ifndef PANTAU_VERDICT_H
#define PANTAU_VERDICT_H

#include <stddef.h>

#include "sitestate.h"
#include "thresholds.h"

struct window_metrics {
	int results;              /* measurements in the window */
	double loss_pct;          /* pooled over icmp and stamp trains */
	double rtt_p95_ms;        /* median of the trains' p95 */
	double jitter_ms;         /* median of the trains' mean |IPDV| */
	double upload_mbps;       /* median of the upload throughputs */
	int http_fail_streak;     /* consecutive batches with a failed http / upload_task */
	char http_error[160];     /* the latest failure, "" when none */
	double retrans_pct;       /* median of the batches' worst passive group, NAN none */
	char retrans_to[33];      /* that group's name in the latest batch judged */
	double clock_skew_ms;     /* the agent's clock minus the collector's, of the newest
	                           * live batch (collector/status/clockskew.h); NAN unknown */
};

/* A site's own usual figures (slow moving averages over days). */
struct baseline {
	double rtt_p95_ms;        /* NAN until ready */
	double loss_pct;
	int ready;                /* enough history to judge against */
};

struct baseline_rules {
	double factor;            /* "above its usual": figure > factor x baseline, */
	double rtt_floor_ms;      /* and at least this much above it (30 ms) */
	double loss_floor_pct;    /* or this many points above it (1) */
};

/* Judge m against t and the site's baseline b (NULL: none). reason gets
 * every condition that made the verdict, worst first, or "all figures
 * within bounds". */
enum site_status verdict_eval(const struct window_metrics *m, const struct thresholds *t,
    const struct baseline *b, const struct baseline_rules *br, char *reason, size_t len);

#endif
