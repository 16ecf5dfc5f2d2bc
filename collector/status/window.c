#include "window.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static float
worst_of(float have, double v)
{
	if (isnan(v) || v < 0)
		return have;
	return isnan(have) || v > have ? (float)v : have;
}

static void
sample_http(struct win_sample *s, const struct wire_result *r, char *error)
{
	if (s->http_total < UINT16_MAX)
		s->http_total++;
	if (r->ok != 0 || s->http_failed == UINT16_MAX)
		return;
	if (s->http_failed++ == 0)
		snprintf(error, WINDOW_ERROR_MAX, "%s %s", r->target,
		    r->error != NULL ? r->error : "failed");
}

/* A packet train's figures: pooled loss, the worst p95 and jitter. */
static void
sample_train(struct win_sample *s, const struct wire_result *r)
{
	double sent = r->fig[RK_JUDGE_SENT], recv = r->fig[RK_JUDGE_RECV];
	if (!(sent > 0 && recv >= 0 && recv <= sent && s->sent + sent < INT32_MAX))
		return;
	s->sent += (int32_t)sent;
	s->recv += (int32_t)recv;
	s->rtt_p95_ms = worst_of(s->rtt_p95_ms, r->fig[RK_JUDGE_RTT_P95]);
	s->jitter_ms = worst_of(s->jitter_ms, r->fig[RK_JUDGE_JITTER]);
}

/* Each figure of the site's own traffic: which field of the result kinds'
 * table it is, which count a group needs at least min of to say it
 * (RK_JUDGE_NONE: any), and whether the groups and the window add up. */
static const struct traffic_rule {
	enum rk_judge fig, enough;
	double min;
	bool sum;
} traffic_rules[WT_COUNT] = {
	[WT_RETRANS] = { RK_JUDGE_RETRANS, RK_JUDGE_SEGMENTS, WINDOW_RETRANS_MIN_SEGMENTS, false },
	[WT_DNS_FAIL] = { RK_JUDGE_DNS_FAIL, RK_JUDGE_DNS_QUERIES, WINDOW_DNS_MIN_QUERIES, false },
	[WT_HANDSHAKE] = { RK_JUDGE_HANDSHAKE, RK_JUDGE_NONE, 0, false },
	[WT_TS_RTT] = { RK_JUDGE_TS_RTT, RK_JUDGE_NONE, 0, false },
	[WT_DNS_TIME] = { RK_JUDGE_DNS_TIME, RK_JUDGE_NONE, 0, false },
	[WT_RESETS] = { RK_JUDGE_RESETS, RK_JUDGE_NONE, 0, true },
	[WT_SYN_UNANSWERED] = { RK_JUDGE_SYN_UNANSWERED, RK_JUDGE_NONE, 0, true },
};

enum rk_judge
window_traffic_judge(enum win_traffic t)
{
	return (unsigned)t < WT_COUNT ? traffic_rules[t].fig : RK_JUDGE_NONE;
}

/* The site's own traffic (passive): of one group's result, each figure
 * that is worse than the batch's so far (sums: added). */
static void
sample_traffic(struct win_sample *s, const struct wire_result *r, struct win_groups *g)
{
	for (int t = 0; t < WT_COUNT; t++) {
		const struct traffic_rule *u = &traffic_rules[t];
		double v = r->fig[u->fig];
		if (isnan(v) || v < 0 ||
		    (u->enough != RK_JUDGE_NONE && !(r->fig[u->enough] >= u->min)))
			continue;
		if (u->sum) {
			s->traffic[t] = (float)((isnan(s->traffic[t]) ? 0 : s->traffic[t]) + v);
			continue;
		}
		if (!isnan(s->traffic[t]) && v <= s->traffic[t])
			continue;
		s->traffic[t] = (float)v;
		snprintf(g->to[t], sizeof(g->to[t]), "%s", r->target);
	}
}

/* What the status engine judges of each result is what its kind's table
 * entry says (common/resultkind.h). */
void
window_sample_of(const struct wire_batch *b, int64_t recv_ms, struct win_sample *s, char *error,
    struct win_groups *groups)
{
	error[0] = '\0';
	memset(groups, 0, sizeof(*groups));
	*s = (struct win_sample){ .t_ms = recv_ms, .rtt_p95_ms = NAN, .jitter_ms = NAN,
		.upload_mbps = NAN };
	for (int t = 0; t < WT_COUNT; t++)
		s->traffic[t] = NAN;
	for (size_t i = 0; i < b->nresults; i++) {
		const struct wire_result *r = &b->results[i];
		const struct resultkind *k = r->kind;
		if (rk_judges(k, RK_JUDGE_SENT))
			sample_train(s, r);
		if (rk_judges(k, RK_JUDGE_TALLY))
			sample_http(s, r, error);
		if (rk_judges(k, RK_JUDGE_RETRANS))
			sample_traffic(s, r, groups);
		double up = r->fig[RK_JUDGE_UPLOAD];
		if (!isnan(up) && (isnan(s->upload_mbps) || up < s->upload_mbps))
			s->upload_mbps = (float)up;
	}
}

/* The traffic figures of sample s into slot at; the first with any
 * allocates them. */
static void
traffic_add(struct window *w, int at, const struct win_sample *s, const struct win_groups *groups)
{
	bool any = false;
	for (int t = 0; t < WT_COUNT; t++)
		any = any || !isnan(s->traffic[t]);
	if (!any && w->traffic == NULL)
		return;
	if (w->traffic == NULL) {
		w->traffic = calloc(1, sizeof(*w->traffic));
		if (w->traffic == NULL)
			return;
		for (int i = 0; i < WINDOW_MAX_SAMPLES; i++)
			for (int t = 0; t < WT_COUNT; t++)
				w->traffic->v[i][t] = NAN;
	}
	for (int t = 0; t < WT_COUNT; t++) {
		w->traffic->v[at][t] = s->traffic[t];
		if (!isnan(s->traffic[t]))
			memcpy(w->traffic->to.to[t], groups->to[t], sizeof(w->traffic->to.to[t]));
	}
}

void
window_add(struct window *w, const struct win_sample *s, const char *error,
    const struct win_groups *groups)
{
	int at = (w->head + w->n) % WINDOW_MAX_SAMPLES;
	if (w->n == WINDOW_MAX_SAMPLES) {
		at = w->head;
		w->head = (w->head + 1) % WINDOW_MAX_SAMPLES;
	} else {
		w->n++;
	}
	w->s[at] = (struct win_slot){ .t_ms = s->t_ms, .sent = s->sent, .recv = s->recv,
		.rtt_p95_ms = s->rtt_p95_ms, .jitter_ms = s->jitter_ms,
		.upload_mbps = s->upload_mbps, .http_total = s->http_total,
		.http_failed = s->http_failed };
	traffic_add(w, at, s, groups);
	if (s->http_total == 0)
		return;
	if (s->http_failed > 0) {
		w->http_fail_streak++;
		snprintf(w->http_error, sizeof(w->http_error), "%s", error);
	} else {
		w->http_fail_streak = 0;
		w->http_error[0] = '\0';
	}
}

void
window_free(struct window *w)
{
	free(w->traffic);
	w->traffic = NULL;
}

/* The median, rounded to 0.001 as the wire carries figures (the samples are
 * kept as floats). */
static double
median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	stats_sort(v, n);
	return round(stats_percentile_sorted(v, n, 0.5) * 1000.0) / 1000.0;
}

/* Is sample s in (now - window_ms, now]? */
static bool
in_window(const struct win_slot *s, int64_t now_ms, int64_t window_ms)
{
	return s->t_ms > now_ms - window_ms && s->t_ms <= now_ms;
}

/* The site's own traffic over the window: medians of the batches' worst,
 * or sums. */
static void
traffic_metrics(const struct window *w, int64_t now_ms, int64_t window_ms,
    struct window_metrics *m)
{
	const struct win_passive *tr = w->traffic;
	for (int t = 0; t < WT_COUNT; t++) {
		double v[WINDOW_MAX_SAMPLES], sum = 0;
		size_t n = 0;
		for (int i = 0; tr != NULL && i < w->n; i++) {
			int at = (w->head + i) % WINDOW_MAX_SAMPLES;
			float f = tr->v[at][t];
			if (in_window(&w->s[at], now_ms, window_ms) && !isnan(f)) {
				v[n++] = f;
				sum += f;
			}
		}
		m->traffic[t] = traffic_rules[t].sum ? (n > 0 ? sum : NAN) : median(v, n);
		if (tr != NULL)
			memcpy(m->traffic_to[t], tr->to.to[t], sizeof(m->traffic_to[t]));
		else
			m->traffic_to[t][0] = '\0';
	}
}

void
window_metrics(struct window *w, int64_t now_ms, int64_t window_ms, struct window_metrics *m)
{
	double p95[WINDOW_MAX_SAMPLES], jit[WINDOW_MAX_SAMPLES], up[WINDOW_MAX_SAMPLES];
	size_t np = 0, nj = 0, nu = 0;
	int64_t sent = 0, recv = 0;
	*m = (struct window_metrics){ .loss_pct = NAN, .clock_skew_ms = NAN };
	for (int i = 0; i < w->n; i++) {
		const struct win_slot *s = &w->s[(w->head + i) % WINDOW_MAX_SAMPLES];
		if (!in_window(s, now_ms, window_ms))
			continue;
		m->results++;
		sent += s->sent;
		recv += s->recv;
		if (!isnan(s->rtt_p95_ms))
			p95[np++] = s->rtt_p95_ms;
		if (!isnan(s->jitter_ms))
			jit[nj++] = s->jitter_ms;
		if (!isnan(s->upload_mbps))
			up[nu++] = s->upload_mbps;
	}
	if (sent > 0)
		m->loss_pct = (double)(sent - recv) * 100.0 / (double)sent;
	m->rtt_p95_ms = median(p95, np);
	m->jitter_ms = median(jit, nj);
	m->upload_mbps = median(up, nu);
	traffic_metrics(w, now_ms, window_ms, m);
	m->http_fail_streak = w->http_fail_streak;
	memcpy(m->http_error, w->http_error, sizeof(m->http_error));
}
