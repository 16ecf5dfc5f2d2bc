/*
 * Cost of the status engine and the alert rules (docs/bench.md): N sites
 * across every regency, one batch each per round, then a tick (liveness,
 * roll-ups) and an alert evaluation, timed. The reference in the same run is
 * what the store itself spends on the same batches.
 *
 * Usage: status_bench CATALOG_DIR [SITES] [ROUNDS]; prints one JSON object.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "clock.h"
#include "strnum.h"
#include "collector/alerts/alerts.h"
#include "collector/status/engine.h"
#include "collector/api/metrics.h"
#include "collector/store/store.h"

struct bench {
	struct catalog *cat;
	struct store *store;
	struct statusdb *sdb;
	struct engine *e;
	struct alerts *a;
	char db[128];
	int sites, rounds;
	double store_ns, engine_ns, tick_ns, alerts_ns, metrics_ns;
	size_t metrics_bytes;
};

/* GET /metrics's text over the engine's state, timed. */
static void
render_metrics(struct bench *b, int64_t now)
{
	struct ingest_stats in = { .started_ms = now };
	struct metrics_source src = { .catalog = b->cat, .ingest = &in, .engine = b->e,
		.alerts = b->a, .started_ms = now, .store_bytes = 0 };
	int64_t t0 = clock_mono_ns();
	char *text = metrics_render(&src, now, &b->metrics_bytes);
	b->metrics_ns = (double)(clock_mono_ns() - t0);
	free(text);
}

static void
agent_name(char *buf, size_t len, const struct catalog_regency *r, int i)
{
	snprintf(buf, len, "ag-%.2s%.2s-%05d", r->code, r->code + 3, i);
}

/* One batch for site i in round k: a few sites are bad, so alerts exist. */
static void
one_batch(struct bench *b, int i, int k, int64_t now, int64_t seq)
{
	char agent[32];
	const struct catalog_regency *r = &b->cat->regencies[(size_t)i % b->cat->nregencies];
	agent_name(agent, sizeof(agent), r, i);
	int lost = i % 50 == 0 ? 10 : 0;
	struct wire_result res;
	wire_result_init(&res, rk_find("icmp"), "icmp", "198.18.0.1");
	static const struct {
		const char *path;
		double v;
	} figs[] = { { "rtt_ms.min", 30 }, { "rtt_ms.p50", 35 }, { "rtt_ms.avg", 36 },
		{ "rtt_ms.max", 45 }, { "jitter_ms", 2 }, { "pdv_ms", 4 }, { "sent", 20 } };
	for (size_t f = 0; f < sizeof(figs) / sizeof(figs[0]); f++)
		wire_result_set(&res, figs[f].path, figs[f].v);
	wire_result_set(&res, "recv", 20 - lost);
	wire_result_set(&res, "loss_pct", lost * 5.0);
	wire_result_set(&res, "rtt_ms.p95", 40 + k % 3);
	struct wire_batch batch = { .agent = agent, .boot = 1, .seq = seq, .ts_ms = now,
		.outbox_pending = 0, .outbox_dropped = 0, .nresults = 1, .results = &res };
	int64_t t0 = clock_mono_ns();
	(void)store_batch(b->store, r->code, &batch, now);
	int64_t t1 = clock_mono_ns();
	engine_batch(b->e, r->code, &batch, now);
	int64_t t2 = clock_mono_ns();
	b->store_ns += (double)(t1 - t0);
	b->engine_ns += (double)(t2 - t1);
}

static int
setup(struct bench *b, const char *dir)
{
	char why[256];
	if (catalog_load(dir, &b->cat, why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "status_bench: catalog: %s\n", why);
		return -1;
	}
	snprintf(b->db, sizeof(b->db), "/tmp/pantau-status-bench-%d.db", (int)getpid());
	struct store_opts so = { .path = b->db, .commit_ms = 1000, .commit_rows = 50000 };
	if (store_open(&so, &b->store) != PANTAU_OK ||
	    statusdb_open(store_db(b->store), &b->sdb) != PANTAU_OK)
		return -1;
	struct engine_opts o = { .window_s = 300, .offline_intervals = 3,
		.default_interval_s = 60, .hyst = { 2, 3 },
		.baseline = { 2, 30, 1 }, .baseline_hours = 72, .baseline_min_hours = 24,
		.at_risk_share = 0.25 };
	struct alerts_rules ar = { .resolve_hold_ms = 0, .forget_ms = 3600000 };
	b->e = engine_new(&o, b->cat, NULL, b->sdb, clock_real_ms());
	b->a = alerts_new(&ar, b->cat);
	return b->e != NULL && b->a != NULL ? 0 : -1;
}

static void
teardown(struct bench *b)
{
	char path[160];
	alerts_free(b->a);
	engine_free(b->e);
	statusdb_close(b->sdb);
	store_close(b->store);
	catalog_free(b->cat);
	const char *suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", b->db, suffix[i]);
		unlink(path);
	}
}

int
main(int argc, char **argv)
{
	long long sites = 20000, rounds = 5;
	bool bad = (argc > 2 && strnum_int(argv[2], 1, 10000000, &sites) != PANTAU_OK) ||
	    (argc > 3 && strnum_int(argv[3], 1, 1000, &rounds) != PANTAU_OK);
	struct bench b = { .sites = (int)sites, .rounds = (int)rounds };
	if (argc < 2 || bad) {
		fprintf(stderr, "usage: status_bench CATALOG_DIR [SITES] [ROUNDS]\n");
		return 2;
	}
	if (setup(&b, argv[1]) != 0)
		return 1;
	int64_t now = clock_real_ms();
	for (int k = 0; k < b.rounds; k++, now += 60000) {
		for (int i = 0; i < b.sites; i++)
			one_batch(&b, i, k, now + i % 60000, k + 1);
		(void)store_commit(b.store);
		int64_t t0 = clock_mono_ns();
		engine_tick(b.e, now + 60000);
		int64_t t1 = clock_mono_ns();
		alerts_evaluate(b.a, b.e, now + 60000);
		int64_t t2 = clock_mono_ns();
		b.tick_ns += (double)(t1 - t0);
		b.alerts_ns += (double)(t2 - t1);
	}
	render_metrics(&b, now);
	double batches = (double)b.sites * b.rounds;
	printf("{\"sites\":%d,\"rounds\":%d,\"store_us_per_batch\":%.2f,"
	       "\"engine_us_per_batch\":%.2f,\"tick_ms\":%.2f,\"alerts_ms\":%.2f,"
	       "\"alerts_firing\":%zu,\"metrics_ms\":%.2f,\"metrics_bytes\":%zu}\n", b.sites,
	    b.rounds, b.store_ns / batches / 1e3, b.engine_ns / batches / 1e3,
	    b.tick_ns / b.rounds / 1e6, b.alerts_ns / b.rounds / 1e6, alerts_firing(b.a),
	    b.metrics_ns / 1e6, b.metrics_bytes);
	teardown(&b);
	return 0;
}
