#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "promtext.h"
#include "collector/status/sitestate.h"
#include "collector/status/window.h"
#include "wire.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* Bytes per site the text takes, roughly: to size the buffer once. */
#define METRICS_BYTES_PER_SITE 480
#define METRICS_BYTES_BASE 16384

/* The alert rules of collector/alerts/alerts.h, always exported (0 when quiet). */
static const char *const alert_names[] = { "PantauSiteDown", "PantauSiteDegraded",
	"PantauRegencyAtRisk", "PantauIncident" };

int
metrics_status_code(enum site_status s)
{
	return sitestate_rank(s);
}

static double
num(uint64_t v)
{
	return (double)v;
}

/* ---- the collector's own counters ---- */

static void
counter(struct promtext *t, const char *name, const char *help, uint64_t v)
{
	promtext_family(t, name, "counter", help);
	promtext_counter(t, name, NULL, 0, v);
}

static void
gauge(struct promtext *t, const char *name, const char *help, double v)
{
	promtext_family(t, name, "gauge", help);
	promtext_sample(t, name, NULL, 0, v);
}

static void
render_ingest(struct promtext *t, const struct ingest_stats *s, int64_t now_ms)
{
	counter(t, "pantau_messages_received_total", "MQTT messages received (result, status and reply topics).",
	    s->received);
	counter(t, "pantau_batches_stored_total", "Result batches stored.", s->batches_stored);
	counter(t, "pantau_results_stored_total", "Probe results stored (in those batches).",
	    s->results_stored);
	counter(t, "pantau_batches_duplicate_total",
	    "Batches already stored (same agent, boot, seq), not written again.", s->duplicates);
	counter(t, "pantau_batches_retimed_total",
	    "Batches stored at the collector's estimate of their time: the agent's clock was off.",
	    s->retimed);
	counter(t, "pantau_status_messages_stored_total",
	    "Birth, shutdown and last-will messages stored.", s->status_stored);
	counter(t, "pantau_messages_ignored_total",
	    "Messages on cmd, mode and check topics and cleared retained status messages.",
	    s->ignored);
	promtext_family(t, "pantau_messages_rejected_total", "counter",
	    "Messages rejected, by reason (docs/protocol.md, Rejections).");
	for (int r = 0; r < WIRE_REASON_COUNT; r++) {
		if (r == WIRE_ACCEPT)
			continue;
		struct promtext_label l = { "reason", wire_reason_name((enum wire_reason)r) };
		promtext_counter(t, "pantau_messages_rejected_total", &l, 1, s->rejected_by[r]);
	}
	counter(t, "pantau_store_errors_total", "Valid messages the database refused to store.",
	    s->store_errors);
	gauge(t, "pantau_last_message_timestamp_seconds",
	    "Receive time of the newest message (Unix seconds); 0 before the first.",
	    s->last_message_ms > 0 ? (double)s->last_message_ms / 1000.0 : 0);
	gauge(t, "pantau_ingest_lag_seconds",
	    "Seconds since the newest message was received (since the start before the first).",
	    (double)(now_ms - (s->last_message_ms > 0 ? s->last_message_ms :
	                       s->started_ms > 0 ? s->started_ms : now_ms)) / 1000.0);
}

static void
render_collector(struct promtext *t, const struct metrics_source *s)
{
	struct promtext_label v = { "version", PANTAU_VERSION };
	promtext_family(t, "pantau_build_info", "gauge", "Always 1; the collector's version.");
	promtext_sample(t, "pantau_build_info", &v, 1, 1);
	if (s->started_ms > 0)
		gauge(t, "pantau_start_time_seconds", "When the collector started (Unix seconds).",
		    (double)s->started_ms / 1000.0);
	gauge(t, "pantau_store_up", "1 while the database answers, 0 while it cannot be reached "
	    "(docs/storage.md).", s->store_up ? 1.0 : 0.0);
	if (s->store_bytes >= 0)
		gauge(t, "pantau_store_bytes",
		    "Size of the main database file (page count x page size; -wal excluded).",
		    (double)s->store_bytes);
}

/* Rows deleted by retention (collector/store/retention.h). */
static void
render_retention(struct promtext *t, const struct retention_stats *r)
{
	const char *const tables[] = { "batches", "results", "events", "boots" };
	const uint64_t counts[] = { r->batches, r->results, r->events, r->boots };
	promtext_family(t, "pantau_store_pruned_rows_total", "counter",
	    "Rows deleted by retention ([store] retain_days), by table.");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct promtext_label l = { "table", tables[i] };
		promtext_counter(t, "pantau_store_pruned_rows_total", &l, 1, counts[i]);
	}
	counter(t, "pantau_store_prune_runs_total", "Finished retention runs.", r->runs);
	gauge(t, "pantau_store_prune_longest_step_seconds",
	    "The longest single retention step since the start (the loop is held that long).",
	    (double)r->longest_step_us / 1e6);
}

/* Replay of missing batches (collector/ingest/replay.h). */
static void
render_replay(struct promtext *t, const struct replay_stats *r)
{
	const char *const reasons[] = { "gone", "unanswered" };
	const uint64_t seqs[] = { (uint64_t)r->lost_gone, (uint64_t)r->lost_unanswered };
	counter(t, "pantau_replay_commands_total", "Replay commands published ([replay] rate).",
	    r->commands);
	promtext_family(t, "pantau_replay_lost_seqs_total", "counter",
	    "Missing batches replay gave up on, by reason.");
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		struct promtext_label l = { "reason", reasons[i] };
		promtext_counter(t, "pantau_replay_lost_seqs_total", &l, 1, seqs[i]);
	}
	gauge(t, "pantau_replay_open_gaps", "Gaps in agents' seqs being asked for now.",
	    (double)r->gaps);
	gauge(t, "pantau_replay_open_seqs", "Missing batches in those gaps.", (double)r->seqs);
}

/* ---- alerts ---- */

static void
render_alerts(struct promtext *t, struct alerts *a, const struct notify_stats *ns)
{
	if (a != NULL) {
		size_t n, count[N(alert_names)] = { 0 };
		const struct alert *v = alerts_list(a, &n);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < N(alert_names); k++)
				if (v[i].firing && strcmp(v[i].alertname, alert_names[k]) == 0)
					count[k]++;
		promtext_family(t, "pantau_alerts_firing", "gauge", "Alerts firing, by rule.");
		for (size_t k = 0; k < N(alert_names); k++) {
			struct promtext_label l = { "alertname", alert_names[k] };
			promtext_sample(t, "pantau_alerts_firing", &l, 1, num(count[k]));
		}
	}
	if (ns == NULL)
		return;
	promtext_family(t, "pantau_alert_deliveries_sent_total", "counter",
	    "Alert deliveries a receiver accepted (2xx), by receiver.");
	for (size_t k = 0; k < ns->n; k++) {
		struct promtext_label l = { "receiver", ns->sink[k].name };
		promtext_counter(t, "pantau_alert_deliveries_sent_total", &l, 1, ns->sink[k].sent);
	}
	promtext_family(t, "pantau_alert_deliveries_failed_total", "counter",
	    "Alert deliveries that failed (to be retried), by receiver.");
	for (size_t k = 0; k < ns->n; k++) {
		struct promtext_label l = { "receiver", ns->sink[k].name };
		promtext_counter(t, "pantau_alert_deliveries_failed_total", &l, 1,
		    ns->sink[k].failed);
	}
}

/* ---- sites ---- */

struct site_row {
	const char *agent;
	const char *regency;
	const char *link;
	enum site_status status;
	struct window_metrics m;
};

struct site_rows {
	const struct engine *e;
	int64_t now_ms;
	struct site_row *v;
	size_t n, cap;
	bool oom;
};

static void
collect_site(void *ctx, const struct engine_site_info *s)
{
	struct site_rows *rows = ctx;
	struct engine_site_view view;
	if (rows->oom)
		return;
	struct site_row *v = grow_to(rows->v, &rows->cap, rows->n + 1, sizeof(*v), 1024);
	if (v == NULL) {
		rows->oom = true;
		return;
	}
	rows->v = v;
	struct site_row *r = &rows->v[rows->n++];
	r->agent = s->agent;
	r->regency = s->regency;
	r->link = s->link != NULL ? s->link : "unknown";
	r->status = s->status;
	bool have = engine_site(rows->e, s->agent, rows->now_ms, &view);
	if (have)
		r->m = view.metrics;
	else
		r->m = (struct window_metrics){ .loss_pct = NAN, .rtt_p95_ms = NAN,
			.jitter_ms = NAN, .upload_mbps = NAN };
	for (int t = 0; !have && t < WT_COUNT; t++)
		r->m.traffic[t] = NAN;
}

/* Which figure of a site a family exports: the window's, then its own
 * traffic's (collector/status/verdict.h), each in the family's unit. */
enum site_figure { SF_STATUS, SF_RTT, SF_LOSS, SF_JITTER, SF_UPLOAD, SF_TRAFFIC };
#define SF_COUNT (SF_TRAFFIC + WT_COUNT)

static double
site_figure(const struct site_row *r, int f)
{
	/* % as a ratio, ms as seconds, counts as they are */
	static const double traffic_scale[WT_COUNT] = { [WT_RETRANS] = 1e-2,
		[WT_DNS_FAIL] = 1e-2, [WT_HANDSHAKE] = 1e-3, [WT_TS_RTT] = 1e-3,
		[WT_DNS_TIME] = 1e-3, [WT_RESETS] = 1, [WT_SYN_UNANSWERED] = 1 };
	switch (f) {
	case SF_STATUS: return metrics_status_code(r->status);
	case SF_RTT: return r->m.rtt_p95_ms / 1e3;
	case SF_LOSS: return r->m.loss_pct / 1e2;
	case SF_JITTER: return r->m.jitter_ms / 1e3;
	case SF_UPLOAD: return r->m.upload_mbps * 1e6;
	default: break;
	}
	return f - SF_TRAFFIC < WT_COUNT ? r->m.traffic[f - SF_TRAFFIC] *
	    traffic_scale[f - SF_TRAFFIC] : NAN;
}

static void
render_sites(struct promtext *t, const struct site_rows *rows)
{
	static const struct { const char *name, *help; enum rk_judge judged; } fam[SF_COUNT] = {
		{ "pantau_site_status", "Site status: 0 OK, 1 UNKNOWN, 2 DEGRADED, 3 CRITICAL, "
		                        "4 OFFLINE.", RK_JUDGE_NONE },
		{ "pantau_site_rtt_p95_seconds", "Median of the %s trains' RTT p95 in the site's "
		                                 "window.", RK_JUDGE_RTT_P95 },
		{ "pantau_site_loss_ratio", "Packet loss pooled over the site's window (0-1).",
		  RK_JUDGE_NONE },
		{ "pantau_site_jitter_seconds", "Median mean |IPDV| in the site's window.", RK_JUDGE_NONE },
		{ "pantau_site_upload_bits_per_second", "Median upload throughput in the site's "
		                                        "window.", RK_JUDGE_NONE },
		/* the site's own traffic, in the order of enum win_traffic, each of the
		 * kinds with its field (window_traffic_judge) */
		{ "pantau_site_retrans_ratio", "Retransmitted segments of the site's own traffic "
		                               "(%s), its worst destination group, median over the "
		                               "window (0-1).", RK_JUDGE_NONE },
		{ "pantau_site_dns_fail_ratio", "DNS lookups of the site's own traffic (%s) that "
		                                "failed (timeout, SERVFAIL, REFUSED), its worst "
		                                "destination group, median over the window (0-1).", RK_JUDGE_NONE },
		{ "pantau_site_handshake_rtt_seconds", "TCP handshake RTT p50 of the site's own "
		                                       "traffic (%s), its slowest destination "
		                                       "group, median over the window.", RK_JUDGE_NONE },
		{ "pantau_site_tcp_timestamp_rtt_seconds", "RTT p50 from TCP timestamps of the "
		                                           "site's own traffic (%s), its slowest "
		                                           "destination group, median over the "
		                                           "window.", RK_JUDGE_NONE },
		{ "pantau_site_dns_answer_seconds", "DNS answer time p50 of the site's own traffic "
		                                    "(%s), its slowest destination group, median "
		                                    "over the window.", RK_JUDGE_NONE },
		{ "pantau_site_tcp_resets", "TCP resets in the site's own traffic (%s), every "
		                            "destination group, summed over the window.", RK_JUDGE_NONE },
		{ "pantau_site_syn_unanswered", "SYNs of the site's own traffic (%s) never "
		                                "answered, every destination group, summed over "
		                                "the window.", RK_JUDGE_NONE },
	};
	char kinds[64], help[256];
	for (int f = 0; f < SF_COUNT; f++) {
		/* The kinds whose figure the status engine takes (common/resultkind.h). */
		enum rk_judge j = f >= SF_TRAFFIC ? window_traffic_judge(f - SF_TRAFFIC) :
		    fam[f].judged;
		rk_names_judged(j, false, "/", kinds, sizeof(kinds));
		snprintf(help, sizeof(help), fam[f].help, kinds);
		promtext_family(t, fam[f].name, "gauge", help);
		for (size_t i = 0; i < rows->n; i++) {
			const struct site_row *r = &rows->v[i];
			double v = site_figure(r, f);
			if (isnan(v))
				continue;   /* no such measurement in the window: no sample */
			struct promtext_label l[] = { { "agent", r->agent }, { "regency", r->regency },
				{ "link", r->link } };
			promtext_sample(t, fam[f].name, l, N(l), v);
		}
	}
}

/* ---- regencies, provinces, the nation ---- */

struct reg_row {
	const struct catalog_regency *cat;
	const struct regency_rollup *r;
};

struct reg_rows {
	const struct catalog *cat;
	struct reg_row *v;
	size_t n, cap;
};

static void
collect_regency(void *ctx, const char *code, const struct regency_rollup *r, int64_t since_ms)
{
	struct reg_rows *rows = ctx;
	const struct catalog_regency *c = catalog_regency(rows->cat, code);
	(void)since_ms;
	if (c != NULL && rows->n < rows->cap)
		rows->v[rows->n++] = (struct reg_row){ c, r };
}

static void
render_regency_sites(struct promtext *t, const struct reg_rows *rows)
{
	promtext_family(t, "pantau_regency_sites", "gauge",
	    "Sites of a regency by status (every status present, zeros included).");
	for (size_t i = 0; i < rows->n; i++)
		for (int s = 0; s < SITE_STATUS_COUNT; s++) {
			struct promtext_label l[] = { { "regency", rows->v[i].cat->code },
				{ "province", rows->v[i].cat->province },
				{ "status", sitestate_name((enum site_status)s) } };
			promtext_sample(t, "pantau_regency_sites", l, N(l), rows->v[i].r->counts[s]);
		}
	promtext_family(t, "pantau_regency_status", "gauge",
	    "A regency's worst site status: 0 OK, 1 UNKNOWN, 2 DEGRADED, 3 CRITICAL, 4 OFFLINE.");
	for (size_t i = 0; i < rows->n; i++) {
		struct promtext_label l[] = { { "regency", rows->v[i].cat->code },
			{ "province", rows->v[i].cat->province } };
		promtext_sample(t, "pantau_regency_status", l, N(l),
		    metrics_status_code(rows->v[i].r->worst));
	}
}

static void
render_regency_risk(struct promtext *t, const struct reg_rows *rows)
{
	promtext_family(t, "pantau_regency_at_risk", "gauge",
	    "1 when the regency is AT RISK (docs/status.md), else 0.");
	for (size_t i = 0; i < rows->n; i++) {
		const struct catalog_regency *c = rows->v[i].cat;
		struct promtext_label l[] = { { "regency", c->code }, { "province", c->province },
			{ "name", c->name }, { "tertinggal", c->tertinggal ? "true" : "false" },
			{ "three_t", catalog_regency_3t(c) ? "true" : "false" } };
		promtext_sample(t, "pantau_regency_at_risk", l, N(l), rows->v[i].r->at_risk ? 1 : 0);
	}
}

static void
render_provinces(struct promtext *t, const struct engine *e, const struct catalog *cat)
{
	promtext_family(t, "pantau_province_sites", "gauge", "Sites of a province by status.");
	for (size_t i = 0; i < cat->nprovinces; i++) {
		const struct area_rollup *a = engine_province(e, cat->provinces[i].code);
		for (int s = 0; a != NULL && s < SITE_STATUS_COUNT; s++) {
			struct promtext_label l[] = { { "province", cat->provinces[i].code },
				{ "status", sitestate_name((enum site_status)s) } };
			promtext_sample(t, "pantau_province_sites", l, N(l), a->site_counts[s]);
		}
	}
	promtext_family(t, "pantau_province_regencies_at_risk", "gauge",
	    "Regencies AT RISK in a province.");
	for (size_t i = 0; i < cat->nprovinces; i++) {
		const struct area_rollup *a = engine_province(e, cat->provinces[i].code);
		struct promtext_label l[] = { { "province", cat->provinces[i].code },
			{ "name", cat->provinces[i].name } };
		if (a != NULL)
			promtext_sample(t, "pantau_province_regencies_at_risk", l, N(l), a->at_risk);
	}
}

static void
render_nation(struct promtext *t, const struct engine *e, int64_t now_ms)
{
	const struct area_rollup *a = engine_nation(e);
	promtext_family(t, "pantau_sites", "gauge", "Sites known to the status engine, by status.");
	for (int s = 0; s < SITE_STATUS_COUNT; s++) {
		struct promtext_label l = { "status", sitestate_name((enum site_status)s) };
		promtext_sample(t, "pantau_sites", &l, 1, a->site_counts[s]);
	}
	gauge(t, "pantau_regencies_reporting", "Regencies with at least one known site.",
	    a->regencies);
	gauge(t, "pantau_regencies_at_risk", "Regencies AT RISK in the nation.", a->at_risk);
	promtext_family(t, "pantau_counting_window_active", "gauge",
	    "1 while the vote-counting window is active in the time zone, else 0.");
	for (int tz = 0; tz < CATALOG_TZ_COUNT; tz++) {
		struct promtext_label l = { "zone", catalog_tz_name((enum catalog_tz)tz) };
		promtext_sample(t, "pantau_counting_window_active", &l, 1,
		    engine_counting(e, (enum catalog_tz)tz, now_ms) ? 1 : 0);
	}
}

static bool
render_engine(struct promtext *t, const struct metrics_source *s, int64_t now_ms)
{
	struct site_rows sites = { .e = s->engine, .now_ms = now_ms };
	struct reg_rows regs = { .cat = s->catalog, .cap = s->catalog->nregencies };
	regs.v = calloc(regs.cap + 1, sizeof(*regs.v));
	engine_each_site(s->engine, collect_site, &sites);
	bool ok = regs.v != NULL && !sites.oom;
	if (ok) {
		engine_each_regency(s->engine, collect_regency, &regs);
		render_nation(t, s->engine, now_ms);
		render_provinces(t, s->engine, s->catalog);
		render_regency_sites(t, &regs);
		render_regency_risk(t, &regs);
		render_sites(t, &sites);
	}
	free(sites.v);
	free(regs.v);
	return ok;
}

char *
metrics_render(const struct metrics_source *s, int64_t now_ms, size_t *len)
{
	struct promtext t;
	size_t nsites = 0;
	*len = 0;
	if (s->engine != NULL)
		nsites = (size_t)engine_nation(s->engine)->sites;
	promtext_init(&t, METRICS_BYTES_BASE + nsites * METRICS_BYTES_PER_SITE);
	render_collector(&t, s);
	if (s->retention != NULL)
		render_retention(&t, s->retention);
	if (s->replay != NULL)
		render_replay(&t, s->replay);
	if (s->ingest != NULL)
		render_ingest(&t, s->ingest, now_ms);
	render_alerts(&t, s->alerts, s->notify);
	if (s->incidents != NULL) {
		gauge(&t, "pantau_incidents_open", "Open incidents: bad sites behind a shared hop.",
		    (double)incidents_open(s->incidents));
		gauge(&t, "pantau_incident_sites", "Sites in open incidents.",
		    (double)incidents_sites_open(s->incidents));
	}
	if (s->engine != NULL && s->catalog != NULL && !render_engine(&t, s, now_ms)) {
		promtext_discard(&t);
		return NULL;
	}
	return promtext_take(&t, len);
}
