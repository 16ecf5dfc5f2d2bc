/* GET /api/v1/sites/{agent}: one site, its latest batch and its series over
 * a time range. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "collector/status/clockskew.h"
#include "collector/status/window.h"
#include "resultkind.h"
#include "query_priv.h"

/* The ranges of ?range=: span and bucket (1 ms: every measurement). */
static const struct {
	const char *name;
	int64_t span_ms, bucket_ms;
} ranges[QUERY_RANGE_COUNT] = {
	[QUERY_RANGE_1H] = { "1h", 3600 * 1000, 1 },
	[QUERY_RANGE_24H] = { "24h", 24 * 3600 * 1000, 300 * 1000 },
	[QUERY_RANGE_7D] = { "7d", 7 * 24 * 3600 * 1000LL, 3600 * 1000 },
};

bool
query_range_parse(const char *s, enum query_range *out)
{
	for (int i = 0; i < QUERY_RANGE_COUNT; i++) {
		if (s != NULL && strcmp(s, ranges[i].name) == 0) {
			*out = (enum query_range)i;
			return true;
		}
	}
	return false;
}

/* The agent's clock against the collector's, of its newest live batch. */
static void
site_clock(json_t *o, double skew_ms)
{
	char text[96];
	if (!isnan(skew_ms))
		json_object_set_new(o, "clock_skew_ms", json_integer((json_int_t)skew_ms));
	json_object_set_new(o, "clock", clockskew_text(skew_ms, text, sizeof(text)) ?
	        json_string(text) : json_null());
}

/* The window's figures of the site's own traffic, each named as the kind
 * that has it names it: its series key ("handshake_p50_ms"), else its
 * field ("resets"); null when absent. */
static void
site_traffic(json_t *w, const struct window_metrics *m)
{
	char path[64];
	for (int t = 0; t < WT_COUNT; t++) {
		enum rk_judge j = window_traffic_judge((enum win_traffic)t);
		for (size_t i = 0; resultkinds[i] != NULL; i++) {
			if (rk_judged(resultkinds[i], j, path, sizeof(path)) == NULL)
				continue;
			const struct rk_series *s = rk_series_judged(resultkinds[i], j);
			q_set_num(w, s != NULL ? s->key : path, m->traffic[t]);
			break;
		}
	}
}

/* What the status engine judges now: the window's figures and the
 * site's usual. */
static void
site_engine(struct query *q, json_t *o, int64_t now_ms)
{
	struct engine_site_view v;
	const char *agent = json_string_value(json_object_get(o, "agent"));
	if (q->o.engine == NULL || agent == NULL || !engine_site(q->o.engine, agent, now_ms, &v))
		return;
	json_t *w = json_pack("{s:i,s:i}", "results", v.metrics.results, "http_fail_streak",
	    v.metrics.http_fail_streak);
	json_t *b = json_pack("{s:b}", "ready", v.baseline->ready);
	if (w == NULL || b == NULL) {
		json_decref(w);
		json_decref(b);
		return;
	}
	q_set_num(w, "loss_pct", v.metrics.loss_pct);
	q_set_num(w, "rtt_p95_ms", v.metrics.rtt_p95_ms);
	q_set_num(w, "jitter_ms", v.metrics.jitter_ms);
	q_set_num(w, "upload_mbps", v.metrics.upload_mbps);
	site_traffic(w, &v.metrics);
	q_set_num(b, "rtt_p95_ms", v.baseline->rtt_p95_ms);
	q_set_num(b, "loss_pct", v.baseline->loss_pct);
	json_object_set_new(o, "window", w);
	json_object_set_new(o, "baseline", b);
	site_clock(o, v.metrics.clock_skew_ms);
}

static json_t *
site_header(struct query *q, struct db_stmt *st, int64_t now_ms)
{
	char reason[QUERY_REASON_MAX];
	const char *regency = (const char *)db_column_text(st, SC_REGENCY);
	char province[3] = { 0 };
	json_t *o = json_object(), *outbox = json_object();
	if (o == NULL || outbox == NULL || regency == NULL) {
		json_decref(o);
		json_decref(outbox);
		return NULL;
	}
	memcpy(province, regency, strnlen(regency, 2));
	int64_t since;
	enum site_status s = q_site_status(q, st, now_ms, reason, sizeof(reason), &since);
	q_set_col_text(o, "agent", st, SC_AGENT, false);
	q_set_col_text(o, "site", st, SC_SITE, false);
	json_object_set_new(o, "regency", json_string(regency));
	q_set_str(o, "regency_name", q_regency_name(q, regency));
	json_object_set_new(o, "province", json_string(province));
	q_set_str(o, "province_name", q_province_name(q, province));
	q_site_state(q, st, o, s, reason, since);
	q_set_col_iso(o, "first_seen", st, SC_FIRST_SEEN);
	q_set_col_iso(o, "last_result", st, SC_LAST_TS);
	q_set_col_iso(o, "last_received", st, SC_LAST_RESULT);
	q_set_col_int(o, "boot", st, SC_BOOT, false);
	q_set_col_text(o, "version", st, SC_VERSION, false);
	q_set_col_int(o, "interval_s", st, SC_INTERVAL, false);
	q_set_col_int(o, "skew_ms", st, SC_SKEW, false);
	q_set_col_num(o, "upload_mbps", st, SC_UPLOAD, false);
	q_set_col_iso(o, "upload_time", st, SC_UPLOAD_TS);
	q_set_col_int(outbox, "pending", st, SC_OUTBOX_PENDING, false);
	q_set_col_int(outbox, "dropped", st, SC_OUTBOX_DROPPED, false);
	json_object_set_new(o, "outbox", outbox);
	site_engine(q, o, now_ms);
	return o;
}

/* "latest_batch" and "latest" from the agent's newest (boot, seq). */
static pantau_err
latest_batch(struct query *q, const char *agent, json_t *doc)
{
	struct db_stmt *b = q->st[Q_LATEST_BATCH], *r = q->st[Q_BATCH_RESULTS];
	json_t *list = json_array(), *hdr = json_null();
	pantau_err rc = PANTAU_OK;
	int step;
	db_bind_text(b, 1, agent, -1);
	step = db_step(b);
	if (step == DB_ROW) {
		hdr = json_pack("{s:I,s:I}", "boot", (json_int_t)db_column_int64(b, 1), "seq",
		    (json_int_t)db_column_int64(b, 2));
		q_set_col_iso(hdr, "ts", b, 3);
		q_set_col_iso(hdr, "received", b, 4);
		db_bind_text(r, 1, agent, -1);
		db_bind_int64(r, 2, db_column_int64(b, 3));
		db_bind_int64(r, 3, db_column_int64(b, 0));
		while ((step = db_step(r)) == DB_ROW)
			json_array_append_new(list, q_result_json(r));
		if (step != DB_DONE)
			rc = q_db_fail(q, "reading the latest batch's results");
		q_done(r);
	} else if (step != DB_DONE) {
		rc = q_db_fail(q, "reading the latest batch");
	}
	q_done(b);
	if (list == NULL || hdr == NULL)
		rc = rc != PANTAU_OK ? rc : PANTAU_ERR_NOMEM;
	json_object_set_new(doc, "latest_batch", hdr);
	json_object_set_new(doc, "latest", list);
	return rc;
}

static bool
same_series(json_t *cur, struct db_stmt *st)
{
	const char *probe = (const char *)db_column_text(st, SR_PROBE);
	const char *target = (const char *)db_column_text(st, SR_TARGET);
	const char *cur_probe = json_string_value(json_object_get(cur, "probe"));
	const char *cur_target = json_string_value(json_object_get(cur, "target"));
	return probe != NULL && target != NULL && cur_probe != NULL && cur_target != NULL &&
	    strcmp(cur_probe, probe) == 0 && strcmp(cur_target, target) == 0;
}

/* More batches in the range than one series reads? */
static pantau_err
series_batches_cut(struct query *q, const char *agent, int64_t from_ms, bool *cut)
{
	struct db_stmt *st = q->st[Q_SERIES_COUNT];
	pantau_err rc = PANTAU_OK;
	db_bind_text(st, 1, agent, -1);
	db_bind_int64(st, 2, from_ms);
	if (db_step(st) == DB_ROW)
		*cut = db_column_int64(st, 0) > QUERY_SERIES_MAX_BATCHES;
	else
		rc = q_db_fail(q, "counting the site's batches");
	q_done(st);
	return rc;
}

/* "series": the range per (probe, target), oldest point first. */
static pantau_err
series(struct query *q, const char *agent, enum query_range range, int64_t now_ms, json_t *doc)
{
	struct db_stmt *st = q->st[Q_SERIES];
	json_t *list = json_array(), *cur = NULL;
	int64_t from_ms = now_ms - ranges[range].span_ms, bucket = ranges[range].bucket_ms;
	bool cut = false;
	pantau_err rc = series_batches_cut(q, agent, from_ms, &cut);
	int step = DB_DONE, rows = 0;
	db_bind_text(st, 1, agent, -1);
	db_bind_int64(st, 2, from_ms);
	db_bind_int64(st, 3, bucket);
	db_bind_int(st, 4, QUERY_SERIES_MAX_BATCHES);
	db_bind_int(st, 5, QUERY_SERIES_MAX_ROWS + 1);
	while (rc == PANTAU_OK && list != NULL && (step = db_step(st)) == DB_ROW &&
	    ++rows <= QUERY_SERIES_MAX_ROWS) {
		if (!same_series(cur, st)) {
			cur = json_pack("{s:s?,s:s?,s:[]}", "probe",
			    (const char *)db_column_text(st, SR_PROBE), "target",
			    (const char *)db_column_text(st, SR_TARGET), "points");
			if (json_array_append_new(list, cur) != 0) {
				rc = PANTAU_ERR_NOMEM;
				break;
			}
		}
		json_array_append_new(json_object_get(cur, "points"), q_series_point(q, st, bucket > 1));
	}
	if (list == NULL)
		rc = PANTAU_ERR_NOMEM;
	else if (rc == PANTAU_OK && step != DB_DONE && step != DB_ROW)
		rc = q_db_fail(q, "reading the site's series");
	q_done(st);
	json_object_set_new(doc, "range", json_string(ranges[range].name));
	json_object_set_new(doc, "bucket_s", json_integer(bucket > 1 ? bucket / 1000 : 0));
	json_object_set_new(doc, "series", list);
	json_object_set_new(doc, "series_truncated",
	    json_boolean(cut || rows > QUERY_SERIES_MAX_ROWS));
	return rc;
}

/* "delivery": the site's counts of expected, stored, missing, duplicate
 * and dropped batches over every boot. */
static pantau_err
delivery(struct query *q, const char *agent, json_t *doc)
{
	json_t *list = NULL;
	pantau_err rc = q_delivery(q, agent, &list);
	json_t *d = json_array_size(list) > 0 ? json_incref(json_array_get(list, 0)) :
	    json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "expected", 0, "stored", 0, "missing", 0,
	        "lost", 0, "duplicates", 0, "dropped", 0);
	json_decref(list);
	json_object_del(d, "agent");
	json_object_set_new(doc, "delivery", d);
	return rc;
}

pantau_err
query_site(struct query *q, const char *agent, enum query_range range, int64_t now_ms,
    json_t **out)
{
	struct db_stmt *st = q->st[Q_SITE];
	json_t *doc = NULL;
	pantau_err rc = PANTAU_OK;
	db_bind_text(st, 1, agent, -1);
	int step = db_step(st);
	if (step == DB_ROW) {
		if ((doc = site_header(q, st, now_ms)) == NULL)
			rc = PANTAU_ERR_NOMEM;
	} else {
		rc = step == DB_DONE ? PANTAU_ERR_NOT_FOUND : q_db_fail(q, "reading the site");
	}
	q_done(st);
	if (rc == PANTAU_OK)
		rc = delivery(q, agent, doc);
	if (rc == PANTAU_OK)
		rc = latest_batch(q, agent, doc);
	if (rc == PANTAU_OK)
		rc = series(q, agent, range, now_ms, doc);
	if (rc == PANTAU_OK)
		rc = query_site_incident(q, agent, doc);
	if (rc != PANTAU_OK) {
		json_decref(doc);
		doc = NULL;
	}
	*out = doc;
	return rc;
}
