/*
 * Statistics of a probe train (see docs/probes.md and RFC 2681, 3393, 5481).
 *
 * Percentiles use linear interpolation between closest ranks (the
 * "R-7" definition used by numpy and spreadsheets): h = (n-1) p,
 * value = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 * The median of an even count is therefore the mean of the middle two.
 */
#ifndef PANTAU_STATS_H
#define PANTAU_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* A lost packet in a sample array. */
#define STATS_LOST (-1.0)

struct rtt_stats {
	size_t sent;
	size_t recv;
	double loss_pct;  /* (sent - recv) * 100 / sent */
	/* The fields below are meaningful only when recv > 0. */
	double min, p50, avg, p95, max;
	double mdev;      /* population standard deviation, as iputils ping */
	/* Mean |IPDV| (RFC 3393) over consecutive pairs (i-1, i) where both
	 * packets were received; valid when ipdv_pairs > 0. */
	double jitter;
	size_t ipdv_pairs;
	/* 99th percentile of PDV (RFC 5481): D(i) - D(min), never negative. */
	double pdv_p99;
};

/* Percentile p in [0,1] of n >= 1 values sorted ascending. */
double stats_percentile_sorted(const double *sorted, size_t n, double p);

/* Sort in place ascending. */
void stats_sort(double *v, size_t n);

/*
 * Compute train statistics from RTT samples in send order; a lost packet is
 * STATS_LOST (any negative value). scratch must hold n doubles.
 * Returns false when n == 0.
 */
bool stats_rtt(const double *rtt_ms, size_t n, double *scratch, struct rtt_stats *out);

#endif
