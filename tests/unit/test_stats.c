/* Statistics of a probe train against hand-computed cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "stats.h"

#define L STATS_LOST
#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* The statistics of the n RTTs of rtt (a train of at most 64), which must
 * have some. */
static struct rtt_stats
train(const double *rtt, size_t n)
{
	double scratch[64];
	struct rtt_stats s;
	assert_true(n <= 64);
	assert_true(stats_rtt(rtt, n, scratch, &s));
	return s;
}

static void
test_percentile_interpolates(void **state)
{
	(void)state;
	double v[] = { 10, 20, 30, 40 };
	NEAR(stats_percentile_sorted(v, 4, 0.5), 25.0);   /* mean of middle two */
	NEAR(stats_percentile_sorted(v, 4, 0.95), 38.5);  /* h = 2.85: 30 + 0.85*10 */
	NEAR(stats_percentile_sorted(v, 4, 0.0), 10.0);
	NEAR(stats_percentile_sorted(v, 4, 1.0), 40.0);
	double one[] = { 7 };
	NEAR(stats_percentile_sorted(one, 1, 0.95), 7.0);
	double odd[] = { 1, 2, 3, 4, 100 };
	NEAR(stats_percentile_sorted(odd, 5, 0.5), 3.0);
}

static void
test_train_all_received(void **state)
{
	(void)state;
	/* Hand-computed: sorted 41.2 43 43.4 44 52.1 */
	double rtt[] = { 43.0, 41.2, 44.0, 52.1, 43.4 };
	struct rtt_stats s = train(rtt, 5);
	assert_int_equal(s.sent, 5);
	assert_int_equal(s.recv, 5);
	NEAR(s.loss_pct, 0.0);
	NEAR(s.min, 41.2);
	NEAR(s.max, 52.1);
	NEAR(s.p50, 43.4);
	NEAR(s.avg, (43.0 + 41.2 + 44.0 + 52.1 + 43.4) / 5);
	NEAR(s.p95, 44.0 + 0.8 * (52.1 - 44.0)); /* h = 3.8 */
	/* |IPDV|: 1.8, 2.8, 8.1, 8.7 -> mean 5.35 */
	assert_int_equal(s.ipdv_pairs, 4);
	NEAR(s.jitter, (1.8 + 2.8 + 8.1 + 8.7) / 4);
	/* PDV p99: h = 3.96 -> 44 + 0.96*8.1 = 51.776, minus min 41.2 */
	NEAR(s.pdv_p99, 44.0 + 0.96 * 8.1 - 41.2);
}

static void
test_train_with_loss(void **state)
{
	(void)state;
	/* Lost packets break IPDV pairs: only (0,1) and (4,5) count. */
	double rtt[] = { 10, 12, L, 30, L, 16, 15 };
	struct rtt_stats s = train(rtt, 7);
	assert_int_equal(s.recv, 5);
	NEAR(s.loss_pct, 2.0 * 100.0 / 7.0);
	assert_int_equal(s.ipdv_pairs, 2);
	NEAR(s.jitter, (2.0 + 1.0) / 2);
	NEAR(s.p50, 15.0);
	/* population standard deviation as iputils: mean 16.6 */
	double m = (10 + 12 + 30 + 16 + 15) / 5.0;
	double var = ((10 - m) * (10 - m) + (12 - m) * (12 - m) + (30 - m) * (30 - m) +
	    (16 - m) * (16 - m) + (15 - m) * (15 - m)) / 5;
	NEAR(s.mdev, sqrt(var));
}

static void
test_train_all_lost(void **state)
{
	(void)state;
	double rtt[] = { L, L, L };
	double scratch[3];
	struct rtt_stats s;
	assert_true(stats_rtt(rtt, 3, scratch, &s));
	assert_int_equal(s.recv, 0);
	NEAR(s.loss_pct, 100.0);
	assert_int_equal(s.ipdv_pairs, 0);
	assert_false(stats_rtt(rtt, 0, scratch, &s));
}

#include "unit_main.h"
