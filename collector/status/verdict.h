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

/* The site's own traffic (passive; the fields are the result kinds' table's,
 * common/resultkind.h): per batch the worst group's figure, of the groups
 * with enough to say, and its median over the window; a sum is of every
 * group and the whole window. */
enum win_traffic {
	WT_RETRANS,         /* retransmitted %, judged */
	WT_DNS_FAIL,        /* DNS lookups failed %, judged */
	WT_HANDSHAKE,       /* handshake RTT p50, ms */
	WT_TS_RTT,          /* TCP timestamp RTT p50, ms */
	WT_DNS_TIME,        /* DNS answer time p50, ms */
	WT_RESETS,          /* RSTs, a sum */
	WT_SYN_UNANSWERED,  /* SYNs never answered, a sum */
	WT_COUNT
};
#define WT_GROUP_MAX 33

struct window_metrics {
	int results;              /* measurements in the window */
	double loss_pct;          /* pooled over icmp and stamp trains */
	double rtt_p95_ms;        /* median of the trains' p95 */
	double jitter_ms;         /* median of the trains' mean |IPDV| */
	double upload_mbps;       /* median of the upload throughputs */
	int http_fail_streak;     /* consecutive batches with a failed http / upload_task */
	char http_error[160];     /* the latest failure, "" when none */
	double traffic[WT_COUNT]; /* the site's own traffic, NAN none */
	char traffic_to[WT_COUNT][WT_GROUP_MAX]; /* the worst group of the latest batch
	                                          * with the figure; "" for sums */
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
