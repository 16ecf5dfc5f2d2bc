#include "window.h"

#include <math.h>
#include <stdio.h>
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

/* The site's own traffic (passive): the group with the most retransmitted,
 * of those with enough segments to say. */
static void
sample_retrans(struct win_sample *s, const struct wire_result *r, char *group)
{
	double pct = r->fig[RK_JUDGE_RETRANS], segs = r->fig[RK_JUDGE_SEGMENTS];
	if (isnan(pct) || !(segs >= WINDOW_RETRANS_MIN_SEGMENTS))
		return;
	if (!isnan(s->retrans_pct) && pct <= s->retrans_pct)
		return;
	s->retrans_pct = (float)pct;
	snprintf(group, WINDOW_GROUP_MAX, "%s", r->target);
}

/* What the status engine judges of each result is what its kind's table
 * entry says (common/resultkind.h). */
void
window_sample_of(const struct wire_batch *b, int64_t recv_ms, struct win_sample *s, char *error,
    char *group)
{
	error[0] = group[0] = '\0';
	*s = (struct win_sample){ .t_ms = recv_ms, .rtt_p95_ms = NAN, .jitter_ms = NAN,
		.upload_mbps = NAN, .retrans_pct = NAN };
	for (size_t i = 0; i < b->nresults; i++) {
		const struct wire_result *r = &b->results[i];
		const struct resultkind *k = r->kind;
		if (rk_judges(k, RK_JUDGE_SENT))
			sample_train(s, r);
		if (rk_judges(k, RK_JUDGE_TALLY))
			sample_http(s, r, error);
		if (rk_judges(k, RK_JUDGE_RETRANS))
			sample_retrans(s, r, group);
		double up = r->fig[RK_JUDGE_UPLOAD];
		if (!isnan(up) && (isnan(s->upload_mbps) || up < s->upload_mbps))
			s->upload_mbps = (float)up;
	}
}

void
window_add(struct window *w, const struct win_sample *s, const char *error, const char *group)
{
	int at = (w->head + w->n) % WINDOW_MAX_SAMPLES;
	if (w->n == WINDOW_MAX_SAMPLES) {
		at = w->head;
		w->head = (w->head + 1) % WINDOW_MAX_SAMPLES;
	} else {
		w->n++;
	}
	w->s[at] = *s;
	if (!isnan(s->retrans_pct))
		snprintf(w->retrans_to, sizeof(w->retrans_to), "%s", group);
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

void
window_metrics(struct window *w, int64_t now_ms, int64_t window_ms, struct window_metrics *m)
{
	double p95[WINDOW_MAX_SAMPLES], jit[WINDOW_MAX_SAMPLES], up[WINDOW_MAX_SAMPLES],
	    re[WINDOW_MAX_SAMPLES];
	size_t np = 0, nj = 0, nu = 0, nr = 0;
	int64_t sent = 0, recv = 0;
	*m = (struct window_metrics){ .loss_pct = NAN, .clock_skew_ms = NAN };
	for (int i = 0; i < w->n; i++) {
		const struct win_sample *s = &w->s[(w->head + i) % WINDOW_MAX_SAMPLES];
		if (s->t_ms <= now_ms - window_ms || s->t_ms > now_ms)
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
		if (!isnan(s->retrans_pct))
			re[nr++] = s->retrans_pct;
	}
	if (sent > 0)
		m->loss_pct = (double)(sent - recv) * 100.0 / (double)sent;
	m->rtt_p95_ms = median(p95, np);
	m->jitter_ms = median(jit, nj);
	m->upload_mbps = median(up, nu);
	m->retrans_pct = median(re, nr);
	memcpy(m->retrans_to, w->retrans_to, sizeof(m->retrans_to));
	m->http_fail_streak = w->http_fail_streak;
	memcpy(m->http_error, w->http_error, sizeof(m->http_error));
}
