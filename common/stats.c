#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void
stats_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double
stats_percentile_sorted(const double *sorted, size_t n, double p)
{
	if (n == 1 || p <= 0.0)
		return sorted[0];
	if (p >= 1.0)
		return sorted[n - 1];
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	double frac = h - (double)lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static void
stats_ipdv(const double *rtt_ms, size_t n, struct rtt_stats *out)
{
	double sum = 0.0;
	size_t pairs = 0;
	for (size_t i = 1; i < n; i++) {
		if (rtt_ms[i] < 0 || rtt_ms[i - 1] < 0)
			continue;
		sum += fabs(rtt_ms[i] - rtt_ms[i - 1]);
		pairs++;
	}
	out->ipdv_pairs = pairs;
	out->jitter = pairs > 0 ? sum / (double)pairs : 0.0;
}

bool
stats_rtt(const double *rtt_ms, size_t n, double *scratch, struct rtt_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return false;
	size_t k = 0;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (rtt_ms[i] < 0)
			continue;
		scratch[k++] = rtt_ms[i];
		sum += rtt_ms[i];
	}
	out->sent = n;
	out->recv = k;
	out->loss_pct = (double)(n - k) * 100.0 / (double)n;
	if (k == 0)
		return true;

	stats_sort(scratch, k);
	out->min = scratch[0];
	out->max = scratch[k - 1];
	out->avg = sum / (double)k;
	out->p50 = stats_percentile_sorted(scratch, k, 0.50);
	out->p95 = stats_percentile_sorted(scratch, k, 0.95);
	double var = 0.0;
	for (size_t i = 0; i < k; i++)
		var += (scratch[i] - out->avg) * (scratch[i] - out->avg);
	out->mdev = sqrt(var / (double)k);
	/* PDV(i) = D(i) - D(min); sorting is preserved by the subtraction. */
	out->pdv_p99 = stats_percentile_sorted(scratch, k, 0.99) - out->min;
	stats_ipdv(rtt_ms, n, out);
	return true;
}
