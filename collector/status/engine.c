#include "engine_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "window.h"

/* ---- life cycle ---- */

struct engine *
engine_new(const struct engine_opts *o, const struct catalog *cat, const struct profiles *prof,
    struct statusdb *db, int64_t now_ms)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->o = *o;
	e->cat = cat;
	e->prof = prof;
	e->db = db;
	e->listening_ms = now_ms;
	e->nslots = 64;
	e->capsites = 32;
	e->slots = calloc(e->nslots, sizeof(*e->slots));
	e->sites = calloc(e->capsites, sizeof(*e->sites));
	e->regs = calloc(cat->nregencies, sizeof(*e->regs));
	e->provinces = calloc(cat->nprovinces, sizeof(*e->provinces));
	if (e->slots == NULL || e->sites == NULL || e->regs == NULL || e->provinces == NULL) {
		engine_free(e);
		return NULL;
	}
	rollup_area_init(&e->nation);
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nsites; i++) {
		window_free(&e->sites[i]->win);
		free(e->sites[i]);
	}
	free(e->sites);
	free(e->slots);
	free(e->regs);
	free(e->provinces);
	free(e);
}

void
engine_on_event(struct engine *e, engine_event_fn fn, void *ctx)
{
	e->fn = fn;
	e->fn_ctx = ctx;
}

void
engine_listening(struct engine *e, int64_t now_ms)
{
	e->listening_ms = now_ms;
	for (size_t i = 0; i < e->nsites; i++)
		if (e->sites[i]->grace_from_ms < now_ms)
			e->sites[i]->grace_from_ms = now_ms;
}

const struct engine_opts *
engine_options(const struct engine *e)
{
	return &e->o;
}

/* ---- ownership ---- */

void
engine_set_owner(struct engine *e, engine_owns_fn owns, void *ctx)
{
	e->owns = owns;
	e->owns_ctx = ctx;
}

static bool
owns_code(const struct engine *e, const char *regency)
{
	return e->owns == NULL || e->owns(e->owns_ctx, regency);
}

static bool
owns_reg(const struct engine *e, int reg)
{
	return owns_code(e, e->cat->regencies[reg].code);
}

const char *
engine_site_regency(const struct engine *e, const char *agent)
{
	const struct esite *s = sitetable_find(e, agent);
	return s != NULL ? e->cat->regencies[s->regency].code : NULL;
}

/* ---- events ---- */

static bool
regency_3t(const struct engine *e, int reg)
{
	return catalog_regency_3t(&e->cat->regencies[reg]);
}

static void
save_site(struct engine *e, const struct esite *s)
{
	if (e->db != NULL)
		(void)statusdb_save_site(e->db, s->agent, (int)s->shown, s->since_ms, s->reason,
		    s->base.rtt_p95_ms, s->base.loss_pct, s->base_first_ms);
}

static void
emit(struct engine *e, const struct engine_event *ev)
{
	char from[24], to[24];
	snprintf(from, sizeof(from), "%s%s", sitestate_name(ev->from),
	    ev->at_risk_from ? " AT RISK" : "");
	snprintf(to, sizeof(to), "%s%s", sitestate_name(ev->to), ev->at_risk_to ? " AT RISK" : "");
	log_info("status: %s %s %s -> %s: %s", ev->regency_scope ? "regency" : "site", ev->key,
	    from, to, ev->reason);
	if (e->db != NULL) {
		struct statusdb_event row = { ev->ts_ms, ev->regency_scope ? "regency" : "site",
			ev->key, ev->regency, from, to, ev->reason };
		(void)statusdb_event(e->db, &row);
	}
	if (e->fn != NULL)
		e->fn(e->fn_ctx, ev);
}

/* Show a new status for a site, with an event when it changed. */
static void
site_show(struct engine *e, struct esite *s, enum site_status to, const char *reason,
    int64_t now_ms)
{
	enum site_status from = s->shown;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	if (from == to)
		return;
	s->shown = to;
	s->since_ms = now_ms;
	save_site(e, s);
	const struct catalog_regency *r = &e->cat->regencies[s->regency];
	struct engine_event ev = { .ts_ms = now_ms, .key = s->agent, .regency = r->code,
		.link = s->link[0] != '\0' ? s->link : NULL, .is_3t = catalog_regency_3t(r),
		.from = from, .to = to, .since_ms = now_ms, .reason = s->reason };
	emit(e, &ev);
}

/* ---- results ---- */

static void
baseline_update(struct engine *e, struct esite *s, const struct window_metrics *m,
    int64_t now_ms)
{
	double tau = (double)e->o.baseline_hours * 3600e3;
	double dt = s->base_last_ms >= 0 ? (double)(now_ms - s->base_last_ms) : 0;
	double a = s->base_last_ms >= 0 && tau > 0 ? 1.0 - exp(-(dt > 0 ? dt : 0) / tau) : 1.0;
	if (!isnan(m->rtt_p95_ms))
		s->base.rtt_p95_ms = isnan(s->base.rtt_p95_ms) ? m->rtt_p95_ms :
		    s->base.rtt_p95_ms + a * (m->rtt_p95_ms - s->base.rtt_p95_ms);
	if (!isnan(m->loss_pct))
		s->base.loss_pct = isnan(s->base.loss_pct) ? m->loss_pct :
		    s->base.loss_pct + a * (m->loss_pct - s->base.loss_pct);
	if (s->base_first_ms < 0)
		s->base_first_ms = now_ms;
	s->base_last_ms = now_ms;
}

static void
baseline_ready(const struct engine *e, struct esite *s, int64_t now_ms)
{
	s->base.ready = s->base_first_ms >= 0 &&
	    now_ms - s->base_first_ms >= (int64_t)e->o.baseline_min_hours * 3600000;
}

static void
site_skew(const struct esite *s, struct window_metrics *m)
{
	m->clock_skew_ms = s->skew_known ? (double)s->clock_skew_ms : NAN;
}

/* Judge the window that this live batch closes. */
static void
judge(struct engine *e, struct esite *s, int64_t now_ms)
{
	char why[REASON_MAX];
	struct window_metrics m;
	window_metrics(&s->win, now_ms, (int64_t)e->o.window_s * 1000, &m);
	site_skew(s, &m);
	baseline_ready(e, s, now_ms);
	enum site_status v = verdict_eval(&m, &s->th, &s->base, &e->o.baseline, why, sizeof(why));
	baseline_update(e, s, &m, now_ms);
	if (s->shown == SITE_OFFLINE || s->shown == SITE_UNKNOWN) {
		hyst_reset(&s->hyst, v);  /* back: show what it measures now */
		site_show(e, s, v, why, now_ms);
		return;
	}
	if (hyst_feed(&s->hyst, v, &e->o.hyst) || v == s->shown)
		site_show(e, s, s->hyst.shown, why, now_ms);
}

/* Live: after the newest (boot, seq) seen. The boot is the one the latest
 * birth announced, or a higher one; an older boot's batch, or one of a
 * seq already passed, is a resend or backfill: history, not news about the
 * link now. The agent's wall clock has no say (docs/status.md). */
static bool
is_live(struct esite *s, const struct wire_batch *b)
{
	if (b->boot > s->boot) {
		s->boot = b->boot;
		s->seq = 0;
	}
	if (b->boot != s->boot || b->seq <= s->seq)
		return false;
	s->seq = b->seq;
	return true;
}

void
engine_batch(struct engine *e, const char *regency, const struct wire_batch *b, int64_t recv_ms)
{
	struct esite *s = owns_code(e, regency) ? sitetable_site_for(e, b->agent, regency) : NULL;
	if (s == NULL)
		return;
	s->last_result_ms = recv_ms;
	if (!is_live(s, b))
		return;
	s->skew_known = b->skew_known;
	s->clock_skew_ms = b->clock_skew_ms;
	struct win_sample smp;
	char err[WINDOW_ERROR_MAX];
	struct win_groups groups;
	window_sample_of(b, recv_ms, &smp, err, &groups);
	window_add(&s->win, &smp, err, &groups);
	judge(e, s, recv_ms);
}

void
engine_status(struct engine *e, const char *regency, const char *agent,
    const struct wire_status *st, int64_t recv_ms)
{
	char why[REASON_MAX];
	struct esite *s = owns_code(e, regency) ? sitetable_site_for(e, agent, regency) : NULL;
	if (s == NULL)
		return;
	s->status_ms = recv_ms;
	s->online = st->online ? 1 : 0;
	snprintf(s->offline_reason, sizeof(s->offline_reason), "%s",
	    st->reason != NULL ? st->reason : "");
	if (st->link != NULL && profiles_site_link(e->prof, agent) == NULL) {
		snprintf(s->link, sizeof(s->link), "%s", st->link);
		sitetable_thresholds(e, s);
	}
	if (st->interval_s > 0)
		s->interval_s = st->interval_s;
	if (st->online && st->boot >= 0 && st->boot != s->boot) {
		s->boot = st->boot;    /* a new boot, or a reset counter: its batches are live */
		s->seq = 0;
	}
	if (!st->online) {
		struct site_rules rules = { e->o.offline_intervals, e->o.default_interval_s };
		struct site_facts f = { s->last_result_ms, s->status_ms, 0, s->offline_reason,
			s->interval_s, s->grace_from_ms };
		if (sitestate_eval(&f, &rules, recv_ms, why, sizeof(why)) == SITE_OFFLINE)
			site_show(e, s, SITE_OFFLINE, why, recv_ms);
		return;
	}
	s->grace_from_ms = recv_ms;  /* connected: its silence counts from now */
	if (s->shown == SITE_OFFLINE)
		site_show(e, s, SITE_UNKNOWN, "back online; waiting for its first result", recv_ms);
}

/* ---- liveness and roll-ups ---- */

static void
liveness(struct engine *e, struct esite *s, int64_t now_ms)
{
	char why[REASON_MAX];
	struct site_rules rules = { e->o.offline_intervals, e->o.default_interval_s };
	struct site_facts f = { s->last_result_ms, s->status_ms, s->online,
		s->offline_reason[0] != '\0' ? s->offline_reason : NULL, s->interval_s,
		s->grace_from_ms };
	if (s->shown == SITE_OFFLINE || !owns_reg(e, s->regency))
		return;
	if (sitestate_eval(&f, &rules, now_ms, why, sizeof(why)) == SITE_OFFLINE)
		site_show(e, s, SITE_OFFLINE, why, now_ms);
}

static void
regency_emit(struct engine *e, int reg, struct ereg *g, const struct regency_rollup *r,
    int64_t now_ms)
{
	const char *code = e->cat->regencies[reg].code;
	struct engine_event ev = { .ts_ms = now_ms, .regency_scope = true, .key = code,
		.regency = code, .is_3t = regency_3t(e, reg), .from = g->r.worst, .to = r->worst,
		.at_risk_from = g->r.at_risk, .at_risk_to = r->at_risk, .since_ms = now_ms,
		.reason = r->reason };
	bool changed = !g->known || g->r.worst != r->worst || g->r.at_risk != r->at_risk;
	g->r = *r;
	if (!changed)
		return;
	if (!owns_reg(e, reg)) {  /* another owner's: its row and event are that owner's */
		if (!g->known)
			g->since_ms = now_ms;
		g->known = true;
		return;
	}
	g->known = true;
	g->since_ms = now_ms;
	if (e->db != NULL) {
		struct statusdb_regency row = { code, r->reason, (int)r->worst, r->at_risk, now_ms };
		(void)statusdb_save_regency(e->db, &row);
	}
	if (ev.from != ev.to || ev.at_risk_from != ev.at_risk_to)
		emit(e, &ev);
}

/* Sites grouped by regency: order[] holds site indexes, start[] the first
 * of each regency (counting sort). */
static bool
group_sites(const struct engine *e, size_t *order, size_t *start)
{
	size_t nreg = e->cat->nregencies;
	memset(start, 0, (nreg + 1) * sizeof(*start));
	for (size_t i = 0; i < e->nsites; i++)
		start[e->sites[i]->regency + 1]++;
	for (size_t r = 0; r < nreg; r++)
		start[r + 1] += start[r];
	size_t *fill = calloc(nreg, sizeof(*fill));
	if (fill == NULL)
		return false;
	for (size_t i = 0; i < e->nsites; i++) {
		int r = e->sites[i]->regency;
		order[start[r] + fill[r]++] = i;
	}
	free(fill);
	return true;
}

static void
roll_regency(struct engine *e, int reg, const size_t *idx, size_t n, struct rollup_site *buf,
    int64_t now_ms)
{
	struct regency_rollup r;
	for (size_t i = 0; i < n; i++) {
		const struct esite *s = e->sites[idx[i]];
		buf[i] = (struct rollup_site){ s->agent, s->shown, s->since_ms, s->reason };
	}
	rollup_regency(buf, n, regency_3t(e, reg), e->o.at_risk_share, now_ms, &r);
	if (n > 0 || e->regs[reg].known)
		regency_emit(e, reg, &e->regs[reg], &r, now_ms);
}

static void
roll_areas(struct engine *e)
{
	rollup_area_init(&e->nation);
	for (size_t p = 0; p < e->cat->nprovinces; p++)
		rollup_area_init(&e->provinces[p]);
	for (size_t r = 0; r < e->cat->nregencies; r++) {
		const struct catalog_regency *cr = &e->cat->regencies[r];
		const struct catalog_province *cp = catalog_province(e->cat, cr->province);
		if (!e->regs[r].known)
			continue;
		rollup_area_add(&e->nation, &e->regs[r].r, cr->name);
		if (cp != NULL)
			rollup_area_add(&e->provinces[cp - e->cat->provinces], &e->regs[r].r, cr->name);
	}
	rollup_area_finish(&e->nation);
	for (size_t p = 0; p < e->cat->nprovinces; p++)
		rollup_area_finish(&e->provinces[p]);
}

void
engine_tick(struct engine *e, int64_t now_ms)
{
	size_t nreg = e->cat->nregencies;
	size_t *order = calloc(e->nsites + 1, sizeof(*order));
	size_t *start = calloc(nreg + 1, sizeof(*start));
	struct rollup_site *buf = calloc(e->nsites + 1, sizeof(*buf));
	if (e->db != NULL)
		statusdb_begin(e->db);
	for (size_t i = 0; i < e->nsites; i++)
		liveness(e, e->sites[i], now_ms);
	if (order != NULL && start != NULL && buf != NULL && group_sites(e, order, start)) {
		for (size_t r = 0; r < nreg; r++)
			roll_regency(e, (int)r, order + start[r], start[r + 1] - start[r], buf, now_ms);
		roll_areas(e);
	} else {
		log_warnx("engine: out of memory; regional status not updated");
	}
	if (e->db != NULL)
		(void)statusdb_end(e->db);
	free(order);
	free(start);
	free(buf);
}

/* ---- loading ---- */

static void
load_site(void *ctx, const struct statusdb_site *row)
{
	struct engine *e = ctx;
	struct esite *s = sitetable_site_for(e, row->agent, row->regency);
	if (s == NULL)
		return;
	if (row->link != NULL && profiles_site_link(e->prof, s->agent) == NULL) {
		snprintf(s->link, sizeof(s->link), "%s", row->link);
		sitetable_thresholds(e, s);
	}
	s->interval_s = row->interval_s;
	s->last_result_ms = row->last_result_ms;
	s->boot = row->boot;
	s->seq = row->max_seq;
	s->status_ms = row->status_ms;
	s->online = row->online;
	snprintf(s->offline_reason, sizeof(s->offline_reason), "%s",
	    row->online_reason != NULL ? row->online_reason : "");
	if (row->status >= 0 && row->status < SITE_STATUS_COUNT) {
		s->shown = (enum site_status)row->status;
		s->since_ms = row->since_ms;
		snprintf(s->reason, sizeof(s->reason), "%s", row->reason != NULL ? row->reason : "");
		if (s->shown != SITE_OFFLINE && s->shown != SITE_UNKNOWN)
			hyst_reset(&s->hyst, s->shown);
	}
	s->base.rtt_p95_ms = row->base_rtt_p95;
	s->base.loss_pct = row->base_loss;
	s->base_first_ms = row->base_first_ms;
	s->base_last_ms = e->listening_ms;
}

static void
load_regency(void *ctx, const struct statusdb_regency *row)
{
	struct engine *e = ctx;
	int reg = sitetable_regency_index(e, row->code);
	if (reg < 0 || row->status < 0 || row->status >= SITE_STATUS_COUNT)
		return;
	struct ereg *g = &e->regs[reg];
	g->known = true;
	g->since_ms = row->since_ms;
	g->r.worst = (enum site_status)row->status;
	g->r.at_risk = row->at_risk;
	snprintf(g->r.reason, sizeof(g->r.reason), "%s", row->reason != NULL ? row->reason : "");
}

static void
refresh_site(void *ctx, const struct statusdb_site *row)
{
	struct engine *e = ctx;
	if (row->regency != NULL && !owns_code(e, row->regency))
		load_site(e, row);
}

static void
refresh_regency(void *ctx, const struct statusdb_regency *row)
{
	struct engine *e = ctx;
	if (row->code != NULL && !owns_code(e, row->code))
		load_regency(e, row);
}

static pantau_err
load_rows(struct engine *e, statusdb_site_fn site, statusdb_regency_fn regency)
{
	if (e->db == NULL)
		return PANTAU_OK;
	pantau_err rc = statusdb_load_sites(e->db, site, e);
	if (rc == PANTAU_OK)
		rc = statusdb_load_regencies(e->db, regency, e);
	return rc;
}

pantau_err
engine_refresh(struct engine *e)
{
	return load_rows(e, refresh_site, refresh_regency);
}

pantau_err
engine_load(struct engine *e)
{
	return load_rows(e, load_site, load_regency);
}

/* ---- views ---- */

bool
engine_site(const struct engine *e, const char *agent, int64_t now_ms,
    struct engine_site_view *out)
{
	struct esite *s = sitetable_find(e, agent);
	if (s == NULL)
		return false;
	out->status = s->shown;
	out->since_ms = s->since_ms;
	out->reason = s->reason;
	out->baseline = &s->base;
	window_metrics(&s->win, now_ms, (int64_t)e->o.window_s * 1000, &out->metrics);
	site_skew(s, &out->metrics);
	out->lat = out->lon = NAN;
	(void)profiles_site_coords(e->prof, agent, &out->lat, &out->lon);
	return true;
}

bool
engine_regency(const struct engine *e, const char *code, struct engine_regency_view *out)
{
	int reg = sitetable_regency_index(e, code);
	if (reg < 0 || !e->regs[reg].known)
		return false;
	out->rollup = &e->regs[reg].r;
	out->since_ms = e->regs[reg].since_ms;
	return true;
}

const struct area_rollup *
engine_province(const struct engine *e, const char *code)
{
	const struct catalog_province *p = catalog_province(e->cat, code);
	return p != NULL ? &e->provinces[p - e->cat->provinces] : NULL;
}

const struct area_rollup *
engine_nation(const struct engine *e)
{
	return &e->nation;
}

bool
engine_counting(const struct engine *e, enum catalog_tz tz, int64_t now_ms)
{
	return countwin_active(&e->o.counting, tz, now_ms);
}

void
engine_each_site(const struct engine *e, engine_site_fn fn, void *ctx)
{
	for (size_t i = 0; i < e->nsites; i++) {
		const struct esite *s = e->sites[i];
		struct engine_site_info info = { s->agent, e->cat->regencies[s->regency].code,
			s->link[0] != '\0' ? s->link : NULL, s->shown, s->since_ms, s->reason };
		fn(ctx, &info);
	}
}

void
engine_each_regency(const struct engine *e, engine_regency_fn fn, void *ctx)
{
	for (size_t r = 0; r < e->cat->nregencies; r++)
		if (e->regs[r].known)
			fn(ctx, e->cat->regencies[r].code, &e->regs[r].r, e->regs[r].since_ms);
}

void
engine_save_all(struct engine *e)
{
	if (e->db == NULL)
		return;
	statusdb_begin(e->db);
	for (size_t i = 0; i < e->nsites; i++)
		save_site(e, e->sites[i]);
	for (size_t i = 0; i < e->cat->nregencies; i++) {
		const struct ereg *g = &e->regs[i];
		struct statusdb_regency row = { e->cat->regencies[i].code, g->r.reason,
			(int)g->r.worst, g->r.at_risk, g->since_ms };
		if (g->known)
			(void)statusdb_save_regency(e->db, &row);
	}
	(void)statusdb_end(e->db);
}
