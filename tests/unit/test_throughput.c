/* The throughput probe's pure parts: the warm-up and rate of a test from
 * its samples, and the daily data budget (persisted, per UTC day). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/probes/budget.h"
#include "agent/probes/tput_rate.h"

#define SAMPLE_NS (TPUT_SAMPLE_MS * 1000000LL)
#define DAY_MS 86400000LL

/* The window tput_rate finds in n samples (at most 64) of a test whose
 * rate per sample interval is bytes_per_interval[i]; false when none. */
static bool
window_of(const double *bytes_per_interval, size_t n, struct tput_window *w)
{
	int64_t cum[64], t[64];
	assert_true(n <= 64);
	cum[0] = 0;
	t[0] = 1000;
	for (size_t i = 1; i < n; i++) {
		cum[i] = cum[i - 1] + (int64_t)bytes_per_interval[i - 1];
		t[i] = t[i - 1] + SAMPLE_NS;
	}
	return tput_rate(cum, t, n, w);
}

static void
test_warmup_excluded_once_rate_is_flat(void **state)
{
	(void)state;
	/* Slow start: 1/8, 1/4, 1/2, 3/4 of full, then full 1,250,000 bytes per
	 * 250 ms (40 Mbit/s) for 9 s. */
	double r[40];
	const double full = 1250000;
	const double ramp[] = { full / 8, full / 4, full / 2, full * 3 / 4 };
	for (size_t i = 0; i < 40; i++)
		r[i] = i < 4 ? ramp[i] : full;
	struct tput_window w;
	assert_true(window_of(r, 41, &w));
	assert_true(w.stable);
	/* (k-8, k-4] vs (k-4, k]: at k = 8 the second second is 4 x full against
	 * 1.625 x full; at k = 9 4 x full against 2.5; k = 10: 4 against 3.25;
	 * k = 11: 4 against 3.75 -> within 10 %: warm-up ends at sample 7. */
	assert_int_equal(w.warmup, 7);
	assert_true(fabs(w.mbps - 40.0) < 1e-9);
	assert_int_equal(w.bytes, (int64_t)(33 * full));
	assert_true(fabs(w.secs - 33 * 0.25) < 1e-9);
}

static void
test_never_stable_uses_second_half(void **state)
{
	(void)state;
	double r[20];
	for (size_t i = 0; i < 20; i++)
		r[i] = 1000.0 * (double)(1u << (i / 2));   /* doubling every 500 ms */
	struct tput_window w;
	assert_true(window_of(r, 21, &w));
	assert_false(w.stable);
	assert_int_equal(w.warmup, 10);
	int64_t one[1] = { 0 }, t1[1] = { 0 };
	assert_false(tput_rate(one, t1, 1, &w));
}

static void
test_budget_defaults_by_link(void **state)
{
	(void)state;
	assert_int_equal(budget_default_mb("fiber"), 2000);
	assert_int_equal(budget_default_mb("vsat-geo"), 100);
	assert_true(budget_default_mb("vsat-geo") < budget_default_mb("cellular"));
	assert_int_equal(budget_default_mb("unknown"), 100);
}

static void
test_budget_persists_and_rolls_over(void **state)
{
	(void)state;
	char dir[] = "/tmp/pantau-budget-XXXXXX";
	assert_non_null(mkdtemp(dir));
	int64_t noon = 20000 * DAY_MS + DAY_MS / 2;
	struct budget *b = NULL;
	assert_int_equal(budget_new(dir, 5000000, noon, &b), PANTAU_OK);
	assert_int_equal(budget_left(b, noon), 5000000);
	assert_int_equal(budget_spend(b, 3000000, noon), PANTAU_OK);
	budget_free(b);
	/* A restart the same day: what was used is still used. */
	assert_int_equal(budget_new(dir, 5000000, noon + 3600000, &b), PANTAU_OK);
	assert_int_equal(budget_used(b, noon + 3600000), 3000000);
	assert_int_equal(budget_spend(b, 4000000, noon + 3600000), PANTAU_OK);
	assert_int_equal(budget_left(b, noon + 3600000), 0);   /* never below 0 */
	/* Midnight UTC: a new day, a full budget. */
	assert_int_equal(budget_left(b, noon + DAY_MS / 2), 5000000);
	budget_free(b);
	/* A restart the next day does not bring yesterday's figure back. */
	assert_int_equal(budget_new(dir, 5000000, noon + DAY_MS, &b), PANTAU_OK);
	assert_int_equal(budget_used(b, noon + DAY_MS), 0);
	budget_free(b);
	char path[64];
	snprintf(path, sizeof(path), "%s/budget", dir);
	FILE *fp = fopen(path, "w");
	fputs("garbage\n", fp);
	fclose(fp);
	assert_int_equal(budget_new(dir, 5000000, noon, &b), PANTAU_OK);
	assert_int_equal(budget_used(b, noon), 0);
	budget_free(b);
	unlink(path);
	rmdir(dir);
}

#include "unit_main.h"
