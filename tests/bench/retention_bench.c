/*
 * Cost of retention (docs/bench.md): BATCHES batches of 5 results from
 * 15,000 sites are stored, the older half received 40 days ago, then a
 * retention run with 30 days deletes that half in the collector's steps.
 * Printed: the prune rate, the steps and the longest one; the reference in
 * the same run is what the store spends storing the same batches.
 *
 * Usage: retention_bench [BATCHES]; prints one JSON object.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "strnum.h"
#include "collector/store/retention.h"
#include "collector/store/store.h"

#define DAY_MS (86400LL * 1000)
#define SITES 15000
#define NRES 5

static void
fill_results(struct wire_result *res)
{
	static const char *const probes[NRES] = { "icmp", "icmp", "tcp", "http", "tcp" };
	for (int i = 0; i < NRES; i++) {
		struct wire_result *r = &res[i];
		/* The rows of earlier runs: every result of the tcp kind's row shape,
		 * the icmp figures in all of them. */
		wire_result_init(r, rk_find(i < 2 ? "icmp" : "tcp"), probes[i], "198.18.0.1");
		r->ok = i < 2 ? -1 : 1;
		r->col[RK_COL_SENT] = r->col[RK_COL_RECV] = i < 2 ? 20 : NAN;
		r->col[RK_COL_LOSS] = i < 2 ? 0 : NAN;
		r->col[RK_COL_RTT_MIN] = 30;
		r->col[RK_COL_RTT_P50] = 35;
		r->col[RK_COL_RTT_AVG] = 36;
		r->col[RK_COL_RTT_P95] = 40;
		r->col[RK_COL_RTT_MAX] = 45;
		r->col[RK_COL_JITTER] = 2;
		r->col[RK_COL_PDV] = 4;
		r->col[RK_COL_CONNECT] = 41;
	}
}

/* Store n batches received from old_ms on (the first half) and now_ms on;
 * the time spent in store_batch and commits, ns. */
static double
fill(struct store *s, int n, int64_t old_ms, int64_t now_ms)
{
	struct wire_result res[NRES];
	char agent[32];
	double ns = 0;
	fill_results(res);
	for (int i = 0; i < n; i++) {
		int64_t recv = (i < n / 2 ? old_ms : now_ms) + i;
		snprintf(agent, sizeof(agent), "ag-3273-%05d", i % SITES);
		struct wire_batch b = { .agent = agent, .boot = 1, .seq = i / SITES + 1,
			.ts_ms = recv, .outbox_pending = 0, .outbox_dropped = 0, .nresults = NRES,
			.results = res };
		int64_t t0 = clock_mono_ns();
		(void)store_batch(s, "32.73", &b, recv);
		if (store_should_commit(s))
			(void)store_commit(s);
		ns += (double)(clock_mono_ns() - t0);
	}
	int64_t t0 = clock_mono_ns();
	(void)store_commit(s);
	return ns + (double)(clock_mono_ns() - t0);
}

int
main(int argc, char **argv)
{
	long long nbatches = 1000000;
	if (argc > 1 && strnum_int(argv[1], 1, 100000000, &nbatches) != PANTAU_OK) {
		fprintf(stderr, "usage: retention_bench [BATCHES]\n");
		return 2;
	}
	int n = (int)nbatches;
	char db[128], path[160];
	struct store *s;
	struct retention *r;
	if (n < 2) {
		fprintf(stderr, "usage: retention_bench [BATCHES]\n");
		return 2;
	}
	snprintf(db, sizeof(db), "/tmp/pantau-retention-bench-%d.db", (int)getpid());
	struct store_opts so = { .path = db, .commit_ms = 1000, .commit_rows = 50000 };
	struct retention_opts ro = { .keep_ms = 30 * DAY_MS, .step_batches = 1000,
		.step_rows = 5000 };
	if (store_open(&so, &s) != PANTAU_OK || retention_new(s, &ro, &r) != PANTAU_OK)
		return 1;
	int64_t now = clock_real_ms();
	double store_ns = fill(s, n, now - 40 * DAY_MS, now);
	int steps = 0;
	int64_t t0 = clock_mono_ns();
	retention_start(r, now + n);
	while (retention_running(r)) {
		if (retention_step(r) != PANTAU_OK)
			return 1;
		if (store_should_commit(s))
			(void)store_commit(s);
		steps++;
	}
	(void)store_commit(s);
	double prune_s = (double)(clock_mono_ns() - t0) / 1e9;
	const struct retention_stats *st = retention_stats(r);
	printf("{\"batches\":%d,\"results_per_batch\":%d,\"pruned_batches\":%llu,"
	       "\"pruned_results\":%llu,\"steps\":%d,\"prune_s\":%.3f,\"prune_batches_per_s\":%.0f,"
	       "\"longest_step_ms\":%.2f,\"store_batches_per_s\":%.0f}\n", n, NRES,
	    (unsigned long long)st->batches, (unsigned long long)st->results, steps, prune_s,
	    (double)st->batches / prune_s, (double)st->longest_step_us / 1e3,
	    (double)n / (store_ns / 1e9));
	retention_free(r);
	store_close(s);
	const char *suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
		unlink(path);
	}
	return 0;
}
