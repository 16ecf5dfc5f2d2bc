/* GET /api/v1/regions and /api/v1/regions/{code}: regency summaries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "grow.h"
#include "query_priv.h"
#include "stats.h"
#include "strnum.h"

/* A growable array of doubles. */
struct dvec {
	double *v;
	size_t n, cap;
};

/* icmp figures gathered from result rows; the sites' latest upload rates. */
struct icmp_acc {
	struct dvec p50, p95, up;
	int64_t sent, lost;
};

struct figures {
	double p50, p95, loss;   /* NAN when no data */
	double up;               /* median upload Mbit/s; NAN when none */
};

/* One regency's summary while its sites are read. */
struct region_sum {
	char code[8];
	unsigned known;
	unsigned counts[SITE_STATUS_COUNT];
	enum site_status worst;
	char worst_agent[WIRE_AGENT_MAX + 1];
	char worst_reason[QUERY_REASON_MAX];
	int64_t last_ts;          /* newest measurement time, -1 none */
	struct figures fig;
	bool at_risk;
	bool is_3t;
};

/* A site of GET /api/v1/regions/{code}, kept for sorting. */
struct site_entry {
	json_t *obj;
	int rank;
	struct figures fig;
};

static int
dvec_push(struct dvec *d, double x)
{
	double *v = grow_to(d->v, &d->cap, d->n + 1, sizeof(*v), 64);
	if (v == NULL)
		return -1;
	d->v = v;
	d->v[d->n++] = x;
	return 0;
}

static void
acc_reset(struct icmp_acc *a)
{
	a->p50.n = a->p95.n = a->up.n = 0;
	a->sent = a->lost = 0;
}

static void
acc_free(struct icmp_acc *a)
{
	free(a->p50.v);
	free(a->p95.v);
	free(a->up.v);
}

/* Add the (rtt_p50, rtt_p95, sent, recv) columns from col on of the
 * current row of st. */
static pantau_err
acc_row(struct db_stmt *st, int col, struct icmp_acc *a)
{
	if (!q_col_null(st, col) && dvec_push(&a->p50, db_column_double(st, col)) != 0)
		return PANTAU_ERR_NOMEM;
	if (!q_col_null(st, col + 1) && dvec_push(&a->p95, db_column_double(st, col + 1)) != 0)
		return PANTAU_ERR_NOMEM;
	int64_t sent = q_col_int(st, col + 2, 0), recv = q_col_int(st, col + 3, 0);
	if (sent > 0 && recv >= 0 && recv <= sent) {
		a->sent += sent;
		a->lost += sent - recv;
	}
	return PANTAU_OK;
}

/* Add the rows of a (rtt_p50, rtt_p95, sent, recv) statement bound by the
 * caller, then reset it. */
static pantau_err
acc_rows(struct query *q, struct db_stmt *st, struct icmp_acc *a)
{
	pantau_err rc = PANTAU_OK;
	int s;
	while ((s = db_step(st)) == DB_ROW && rc == PANTAU_OK)
		rc = acc_row(st, 0, a);
	if (rc == PANTAU_OK && s != DB_DONE && s != DB_ROW)
		rc = q_db_fail(q, "reading icmp results");
	q_done(st);
	return rc;
}

/* Median of the p50s, 95th percentile of the p95s, pooled loss, median of
 * the upload rates. */
static void
acc_figures(struct icmp_acc *a, struct figures *f)
{
	f->p50 = f->p95 = f->loss = f->up = NAN;
	if (a->up.n > 0) {
		stats_sort(a->up.v, a->up.n);
		f->up = stats_percentile_sorted(a->up.v, a->up.n, 0.5);
	}
	if (a->p50.n > 0) {
		stats_sort(a->p50.v, a->p50.n);
		f->p50 = stats_percentile_sorted(a->p50.v, a->p50.n, 0.5);
	}
	if (a->p95.n > 0) {
		stats_sort(a->p95.v, a->p95.n);
		f->p95 = stats_percentile_sorted(a->p95.v, a->p95.n, 0.95);
	}
	if (a->sent > 0)
		f->loss = (double)a->lost * 100.0 / (double)a->sent;
}

static pantau_err
window_rows(struct query *q, const char *agent, int64_t now_ms, struct icmp_acc *a)
{
	struct db_stmt *st = q->st[Q_WINDOW];
	db_bind_text(st, 1, agent, -1);
	db_bind_int64(st, 2, now_ms - (int64_t)q->o.window_s * 1000);
	return acc_rows(q, st, a);
}

static void
region_init(struct region_sum *r, const char *code)
{
	memset(r, 0, sizeof(*r));
	(void)strnum_copy(r->code, sizeof(r->code), code);
	r->worst = SITE_OK;
	r->last_ts = -1;
}

/* Count the site on the current row of st into r, and add its recent
 * upload rate to win (its window's icmp rows are the caller's). */
static pantau_err
region_add_site(struct query *q, struct db_stmt *st, int64_t now_ms, struct region_sum *r,
    struct icmp_acc *win, enum site_status *status, char *reason, size_t len, int64_t *since)
{
	const char *agent = (const char *)db_column_text(st, SC_AGENT);
	enum site_status s = q_site_status(q, st, now_ms, reason, len, since);
	r->known++;
	r->counts[s]++;
	if (r->known == 1 || sitestate_rank(s) > sitestate_rank(r->worst)) {
		r->worst = s;
		(void)strnum_copy(r->worst_agent, sizeof(r->worst_agent), agent != NULL ? agent : "");
		(void)strnum_copy(r->worst_reason, sizeof(r->worst_reason), reason);
	}
	int64_t ts = q_col_int(st, SC_LAST_TS, -1);
	if (ts > r->last_ts)
		r->last_ts = ts;
	*status = s;
	if (!q_col_null(st, SC_UPLOAD) &&
	    q_col_int(st, SC_UPLOAD_TS, -1) > now_ms - QUERY_UPLOAD_MAX_AGE_MS &&
	    dvec_push(&win->up, db_column_double(st, SC_UPLOAD)) != 0)
		return PANTAU_ERR_NOMEM;
	return PANTAU_OK;
}

/* "2 of 5 sites OFFLINE: ag-x connection lost (last will) 3 min ago; 1 UNKNOWN" */
static void
region_reason(const struct region_sum *r, char *buf, size_t len)
{
	static const enum site_status by_rank[] = { SITE_OFFLINE, SITE_CRITICAL, SITE_DEGRADED,
		SITE_UNKNOWN };
	if (r->known == 0) {
		snprintf(buf, len, "no site known in this regency");
		return;
	}
	if (r->worst == SITE_OK) {
		if (r->known == 1)
			snprintf(buf, len, "the only site is reporting");
		else
			snprintf(buf, len, "all %u sites reporting", r->known);
		return;
	}
	int n = snprintf(buf, len, "%u of %u site%s %s: %s %s", r->counts[r->worst], r->known,
	    r->known == 1 ? "" : "s", sitestate_name(r->worst), r->worst_agent, r->worst_reason);
	for (size_t i = 0; i < sizeof(by_rank) / sizeof(by_rank[0]); i++) {
		enum site_status s = by_rank[i];
		if (s == r->worst || r->counts[s] == 0 || n < 0 || (size_t)n >= len)
			continue;
		n += snprintf(buf + n, len - (size_t)n, "; %u %s", r->counts[s], sitestate_name(s));
	}
}

/* Sites with live results, whatever they say: not OFFLINE, not UNKNOWN. */
static unsigned
reporting(const struct region_sum *r)
{
	return r->counts[SITE_OK] + r->counts[SITE_DEGRADED] + r->counts[SITE_CRITICAL];
}

/* What the status engine says of the regency: at risk, reason, since. */
static void
region_engine(const struct query *q, const struct region_sum *r, json_t *o)
{
	struct engine_regency_view v;
	const struct catalog_regency *cr = catalog_regency(q->catalog, r->code);
	const struct catalog_province *cp = cr != NULL ? catalog_province(q->catalog, cr->province) :
	                                                 NULL;
	if (cr != NULL) {
		json_object_set_new(o, "tertinggal", json_boolean(cr->tertinggal));
		json_object_set_new(o, "terdepan", json_boolean(cr->terdepan));
		json_object_set_new(o, "terluar", json_boolean(cr->terluar));
		json_object_set_new(o, "is_3t", json_boolean(catalog_regency_3t(cr)));
	}
	if (cp != NULL)
		json_object_set_new(o, "time_zone", json_string(catalog_tz_name(cp->tz)));
	bool known = q->o.engine != NULL && engine_regency(q->o.engine, r->code, &v);
	json_object_set_new(o, "at_risk", json_boolean(known && v.rollup->at_risk));
	if (!known)
		return;
	/* status and reason from the same roll-up, so they always agree */
	json_object_set_new(o, "status", json_string(sitestate_name(v.rollup->worst)));
	json_object_set_new(o, "reason", json_string(v.rollup->reason));
	json_set_time(o, "since", v.since_ms);
}

static bool
region_at_risk(const struct query *q, const char *code)
{
	struct engine_regency_view v;
	return q->o.engine != NULL && engine_regency(q->o.engine, code, &v) && v.rollup->at_risk;
}

static json_t *
region_json(const struct query *q, const struct region_sum *r)
{
	char reason[QUERY_REASON_MAX * 2];
	char province[3] = { r->code[0], r->code[1], '\0' };
	json_t *counts = json_object();
	for (int s = 0; s < SITE_STATUS_COUNT && counts != NULL; s++)
		json_object_set_new(counts, sitestate_name((enum site_status)s),
		    json_integer(r->counts[s]));
	region_reason(r, reason, sizeof(reason));
	json_t *o = json_pack("{s:s,s:s?,s:s,s:s?,s:i,s:i,s:o,s:s,s:s}", "code", r->code,
	    "name", q_regency_name(q, r->code), "province", province,
	    "province_name", q_province_name(q, province), "sites_known", (int)r->known,
	    "sites_reporting", (int)reporting(r), "status_counts", counts,
	    "status", r->known > 0 ? sitestate_name(r->worst) : sitestate_name(SITE_UNKNOWN),
	    "reason", reason);
	if (o == NULL)
		return NULL;
	json_set_time(o, "last_result", r->last_ts);
	q_set_num(o, "rtt_p50_ms", r->fig.p50);
	q_set_num(o, "rtt_p95_ms", r->fig.p95);
	q_set_num(o, "loss_pct", r->fig.loss);
	q_set_num(o, "upload_mbps", r->fig.up);
	region_engine(q, r, o);
	return o;
}

static int
cmp_region(const void *pa, const void *pb)
{
	const struct region_sum *a = pa, *b = pb;
	if (a->at_risk != b->at_risk)
		return a->at_risk ? -1 : 1;
	if (a->at_risk && a->is_3t != b->is_3t)  /* 3T regencies at risk lead */
		return a->is_3t ? -1 : 1;
	int c = q_cmp_worst(sitestate_rank(a->worst), a->fig.loss, a->fig.p95,
	    sitestate_rank(b->worst), b->fig.loss, b->fig.p95);
	return c != 0 ? c : strcmp(a->code, b->code);
}

/* {"generated","window_s"}: the head of both replies. */
static json_t *
doc_head(const struct query *q, int64_t now_ms)
{
	char iso[CLOCK_ISO_LEN];
	clock_format_iso(now_ms, iso);
	return json_pack("{s:s,s:i}", "generated", iso, "window_s", q->o.window_s);
}

/* The summaries being read, each with its sites' window and upload rates. */
struct regions_read {
	struct region_sum *v;
	struct icmp_acc *acc;
	size_t n, cap, acc_cap;
};

static pantau_err
regions_add(struct regions_read *r, const char *code)
{
	struct region_sum *nv = grow_to(r->v, &r->cap, r->n + 1, sizeof(*nv), 64);
	if (nv == NULL)
		return PANTAU_ERR_NOMEM;
	r->v = nv;
	struct icmp_acc *na = grow_to(r->acc, &r->acc_cap, r->n + 1, sizeof(*na), 64);
	if (na == NULL)
		return PANTAU_ERR_NOMEM;
	r->acc = na;
	memset(&r->acc[r->n], 0, sizeof(r->acc[r->n]));
	region_init(&r->v[r->n++], code);
	return PANTAU_OK;
}

static int
cmp_code(const void *key, const void *elem)
{
	return strcmp(key, ((const struct region_sum *)elem)->code);
}

/* Index of the summary of regency code, or r->n; *last is the previous
 * answer, tried first (rows come by site). v is in the order of Q_SITES,
 * which for codes of digits is strcmp's; a walk when it is not. */
static size_t
regions_find(const struct regions_read *r, const char *code, size_t *last)
{
	if (*last < r->n && strcmp(r->v[*last].code, code) == 0)
		return *last;
	const struct region_sum *f = bsearch(code, r->v, r->n, sizeof(*r->v), cmp_code);
	size_t i = f != NULL ? (size_t)(f - r->v) : 0;
	while (f == NULL && i < r->n && strcmp(r->v[i].code, code) != 0)
		i++;
	*last = i;
	return i;
}

/* Every site's window with one statement, into its regency's summary. */
static pantau_err
regions_windows(struct query *q, const char *province, int64_t now_ms, struct regions_read *r)
{
	struct db_stmt *st = q->st[Q_WINDOW_ALL];
	pantau_err rc = PANTAU_OK;
	size_t last = 0;
	int step = DB_DONE;
	if (province != NULL)
		db_bind_text(st, 1, province, -1);
	db_bind_int64(st, 2, now_ms - (int64_t)q->o.window_s * 1000);
	while (rc == PANTAU_OK && (step = db_step(st)) == DB_ROW) {
		const char *code = (const char *)db_column_text(st, 0);
		size_t i = regions_find(r, code != NULL ? code : "", &last);
		if (i < r->n)
			rc = acc_row(st, 1, &r->acc[i]);
	}
	if (rc == PANTAU_OK && step != DB_DONE)
		rc = q_db_fail(q, "reading icmp results");
	q_done(st);
	return rc;
}

/* Read every site (of one province) into one summary per regency. */
static pantau_err
collect_regions(struct query *q, const char *province, int64_t now_ms,
    struct region_sum **out, size_t *nout)
{
	char reason[QUERY_REASON_MAX];
	struct regions_read r = { 0 };
	enum site_status s;
	int64_t since;
	pantau_err rc = PANTAU_OK;
	int step = DB_DONE;
	struct db_stmt *st = q->st[Q_SITES];
	if (province != NULL)
		db_bind_text(st, 1, province, -1);
	while (rc == PANTAU_OK && (step = db_step(st)) == DB_ROW) {
		const char *code = (const char *)db_column_text(st, SC_REGENCY);
		code = code != NULL ? code : "";
		if (r.n == 0 || strcmp(r.v[r.n - 1].code, code) != 0)
			rc = regions_add(&r, code);
		if (rc == PANTAU_OK)
			rc = region_add_site(q, st, now_ms, &r.v[r.n - 1], &r.acc[r.n - 1], &s,
			    reason, sizeof(reason), &since);
	}
	if (rc == PANTAU_OK && step != DB_DONE)
		rc = q_db_fail(q, "reading sites");
	q_done(st);
	if (rc == PANTAU_OK && r.n > 0)
		rc = regions_windows(q, province, now_ms, &r);
	for (size_t i = 0; i < r.n; i++) {
		const struct catalog_regency *cr = catalog_regency(q->catalog, r.v[i].code);
		acc_figures(&r.acc[i], &r.v[i].fig);
		acc_free(&r.acc[i]);
		r.v[i].at_risk = region_at_risk(q, r.v[i].code);
		r.v[i].is_3t = cr != NULL && catalog_regency_3t(cr);
	}
	free(r.acc);
	*out = r.v;
	*nout = r.n;
	return rc;
}

pantau_err
query_regions(struct query *q, const char *province, int64_t now_ms, json_t **out)
{
	struct region_sum *v = NULL;
	size_t n = 0;
	json_t *doc = NULL, *list = NULL;
	pantau_err rc = PANTAU_ERR_NOT_FOUND;
	if (province != NULL && catalog_province(q->catalog, province) == NULL)
		goto out;
	if ((rc = collect_regions(q, province, now_ms, &v, &n)) != PANTAU_OK)
		goto out;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_region);
	rc = PANTAU_ERR_NOMEM;
	if ((doc = doc_head(q, now_ms)) == NULL ||
	    json_object_set_new(doc, "regions", list = json_array()) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(list, region_json(q, &v[i])) != 0)
			goto out;
	rc = PANTAU_OK;
out:
	free(v);
	if (rc != PANTAU_OK) {
		json_decref(doc);
		doc = NULL;
	}
	*out = doc;
	return rc;
}

/* ---- one regency with its sites ---- */

static json_t *
site_json(const struct query *q, struct db_stmt *st, enum site_status s, const char *reason,
    int64_t since,
    const struct figures *latest)
{
	json_t *o = json_object();
	json_t *outbox = json_object();
	if (o == NULL || outbox == NULL) {
		json_decref(o);
		json_decref(outbox);
		return NULL;
	}
	q_set_col_text(o, "agent", st, SC_AGENT, false);
	q_set_col_text(o, "site", st, SC_SITE, false);
	q_site_state(q, st, o, s, reason, since);
	q_set_col_iso(o, "last_result", st, SC_LAST_TS);
	q_set_col_int(o, "boot", st, SC_BOOT, false);
	q_set_col_text(o, "version", st, SC_VERSION, false);
	q_set_col_int(o, "skew_ms", st, SC_SKEW, false);
	q_set_col_int(outbox, "pending", st, SC_OUTBOX_PENDING, false);
	q_set_col_int(outbox, "dropped", st, SC_OUTBOX_DROPPED, false);
	json_object_set_new(o, "outbox", outbox);
	q_set_num(o, "rtt_p50_ms", latest->p50);
	q_set_num(o, "rtt_p95_ms", latest->p95);
	q_set_num(o, "loss_pct", latest->loss);
	q_set_col_num(o, "upload_mbps", st, SC_UPLOAD, false);
	q_set_col_iso(o, "upload_time", st, SC_UPLOAD_TS);
	return o;
}

/* icmp figures of the site's latest icmp measurement. */
static pantau_err
latest_figures(struct query *q, const char *agent, struct icmp_acc *a, struct figures *f)
{
	struct db_stmt *st = q->st[Q_LATEST_ICMP];
	acc_reset(a);
	db_bind_text(st, 1, agent, -1);
	pantau_err rc = acc_rows(q, st, a);
	acc_figures(a, f);
	return rc;
}

static int
cmp_site(const void *pa, const void *pb)
{
	const struct site_entry *a = pa, *b = pb;
	int c = q_cmp_worst(a->rank, a->fig.loss, a->fig.p95, b->rank, b->fig.loss, b->fig.p95);
	if (c != 0)
		return c;
	return strcmp(json_string_value(json_object_get(a->obj, "agent")),
	    json_string_value(json_object_get(b->obj, "agent")));
}

struct region_read {
	struct region_sum sum;
	struct site_entry *sites;
	size_t n;
	struct icmp_acc win, one;
};

static pantau_err
add_region_site(struct query *q, struct db_stmt *st, int64_t now_ms, struct region_read *r,
    size_t *cap)
{
	char reason[QUERY_REASON_MAX];
	enum site_status s;
	int64_t since;
	struct figures latest;
	const char *agent = (const char *)db_column_text(st, SC_AGENT);
	pantau_err rc = region_add_site(q, st, now_ms, &r->sum, &r->win, &s, reason,
	    sizeof(reason), &since);
	if (rc == PANTAU_OK && agent != NULL)
		rc = window_rows(q, agent, now_ms, &r->win);
	if (rc == PANTAU_OK)
		rc = latest_figures(q, agent, &r->one, &latest);
	if (rc != PANTAU_OK)
		return rc;
	struct site_entry *nv = grow_to(r->sites, cap, r->n + 1, sizeof(*nv), 16);
	if (nv == NULL)
		return PANTAU_ERR_NOMEM;
	r->sites = nv;
	struct site_entry *e = &r->sites[r->n];
	if ((e->obj = site_json(q, st, s, reason, since, &latest)) == NULL)
		return PANTAU_ERR_NOMEM;
	e->rank = sitestate_rank(s);
	e->fig = latest;
	r->n++;
	return PANTAU_OK;
}

static pantau_err
read_region(struct query *q, const char *code, int64_t now_ms, struct region_read *r)
{
	struct db_stmt *st = q->st[Q_SITES_REGENCY];
	pantau_err rc = PANTAU_OK;
	size_t cap = 0;
	int step = DB_DONE;
	region_init(&r->sum, code);
	db_bind_text(st, 1, code, -1);
	while (rc == PANTAU_OK && (step = db_step(st)) == DB_ROW)
		rc = add_region_site(q, st, now_ms, r, &cap);
	if (rc == PANTAU_OK && step != DB_DONE)
		rc = q_db_fail(q, "reading the regency's sites");
	q_done(st);
	acc_figures(&r->win, &r->sum.fig);
	return rc;
}

pantau_err
query_region(struct query *q, const char *code, int64_t now_ms, json_t **out)
{
	struct region_read r = { 0 };
	json_t *doc = NULL, *sites = NULL;
	pantau_err rc = PANTAU_ERR_NOT_FOUND;
	if (catalog_regency(q->catalog, code) == NULL)
		goto out;
	if ((rc = read_region(q, code, now_ms, &r)) != PANTAU_OK)
		goto out;
	if (r.n > 1)
		qsort(r.sites, r.n, sizeof(*r.sites), cmp_site);
	rc = PANTAU_ERR_NOMEM;
	if ((doc = doc_head(q, now_ms)) == NULL || (sites = region_json(q, &r.sum)) == NULL ||
	    json_object_update(doc, sites) != 0)
		goto out;
	json_decref(sites);
	if ((sites = json_array()) == NULL)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		json_array_append_new(sites, r.sites[i].obj);
		r.sites[i].obj = NULL;
	}
	json_object_set_new(doc, "sites", sites);
	sites = NULL;
	rc = PANTAU_OK;
out:
	for (size_t i = 0; i < r.n; i++)
		json_decref(r.sites[i].obj);
	free(r.sites);
	acc_free(&r.win);
	acc_free(&r.one);
	json_decref(sites);
	if (rc != PANTAU_OK) {
		json_decref(doc);
		doc = NULL;
	}
	*out = doc;
	return rc;
}
