#include "verdict.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clockskew.h"

/* The reasons found so far, most severe first. */
struct findings {
	enum site_status worst;
	char crit[256];
	char degr[256];
};

static void
add(struct findings *f, enum site_status s, const char *text)
{
	char *buf = s == SITE_CRITICAL ? f->crit : f->degr;
	size_t used = strlen(buf);
	snprintf(buf + used, sizeof(f->crit) - used, "%s%s", used > 0 ? "; " : "", text);
	if (sitestate_rank(s) > sitestate_rank(f->worst))
		f->worst = s;
}

/* A figure where higher is worse, against its degraded/critical bounds. */
static void
check_above(struct findings *f, double v, const double bound[2], const char *what,
    const char *fmt_unit)
{
	char text[96];
	if (isnan(v))
		return;
	int level = v > bound[TH_CRITICAL] ? TH_CRITICAL : v > bound[TH_DEGRADED] ? TH_DEGRADED : -1;
	if (level < 0)
		return;
	snprintf(text, sizeof(text), "%s %.*f %s above %g %s", what, v < 10 ? 1 : 0, v, fmt_unit,
	    bound[level], fmt_unit);
	add(f, level == TH_CRITICAL ? SITE_CRITICAL : SITE_DEGRADED, text);
}

static void
check_upload(struct findings *f, double v, const double bound[2])
{
	char text[96];
	if (isnan(v))
		return;
	int level = v < bound[TH_CRITICAL] ? TH_CRITICAL : v < bound[TH_DEGRADED] ? TH_DEGRADED : -1;
	if (level < 0)
		return;
	snprintf(text, sizeof(text), "upload %.2f Mbit/s below %g Mbit/s", v, bound[level]);
	add(f, level == TH_CRITICAL ? SITE_CRITICAL : SITE_DEGRADED, text);
}

static void
check_http(struct findings *f, const struct window_metrics *m, const struct thresholds *t)
{
	char text[256];
	int n = m->http_fail_streak;
	if (n < t->http_failures[TH_DEGRADED] || n <= 0)
		return;
	bool crit = n >= t->http_failures[TH_CRITICAL];
	if (n == 1)
		snprintf(text, sizeof(text), "tally upload path failed%s%s",
		    m->http_error[0] ? ": " : "", m->http_error);
	else
		snprintf(text, sizeof(text), "tally upload path failed %d times in a row%s%s", n,
		    m->http_error[0] ? ": " : "", m->http_error);
	add(f, crit ? SITE_CRITICAL : SITE_DEGRADED, text);
}

/* The site's own traffic: "retransmissions 12 % to tally above 5 %",
 * "DNS failures 30 % to other above 25 %". */
static void
check_traffic(struct findings *f, const struct window_metrics *m, enum win_traffic t,
    const double bound[2], const char *what)
{
	double v = m->traffic[t];
	if (isnan(v))
		return;
	int level = v > bound[TH_CRITICAL] ? TH_CRITICAL : v > bound[TH_DEGRADED] ? TH_DEGRADED : -1;
	if (level < 0)
		return;
	char text[128];
	snprintf(text, sizeof(text), "%s %.0f %% to %s above %g %%", what, v,
	    m->traffic_to[t][0] != '\0' ? m->traffic_to[t] : "the site's servers", bound[level]);
	add(f, level == TH_CRITICAL ? SITE_CRITICAL : SITE_DEGRADED, text);
}

/* One figure above its usual value: more than factor times it and at least
 * that much (least) more; said with prec decimals and its unit. */
static void
above_usual(struct findings *f, const char *what, double v, double usual, double factor,
    double least, int prec, const char *unit)
{
	char text[128];
	if (isnan(v) || isnan(usual) || v <= factor * usual || v - usual < least)
		return;
	snprintf(text, sizeof(text), "%s %.*f %s above its usual %.*f %s", what, prec, v, unit, prec,
	    usual, unit);
	add(f, SITE_DEGRADED, text);
}

/* "above its usual": only when no fixed threshold already said so. */
static void
check_baseline(struct findings *f, const struct window_metrics *m, const struct baseline *b,
    const struct baseline_rules *br)
{
	if (b == NULL || !b->ready || br->factor <= 0)
		return;
	above_usual(f, "RTT p95", m->rtt_p95_ms, b->rtt_p95_ms, br->factor, br->rtt_floor_ms, 0,
	    "ms");
	above_usual(f, "loss", m->loss_pct, b->loss_pct, br->factor, br->loss_floor_pct, 1, "%");
}

static void
check_clock(struct findings *f, double skew_ms)
{
	char text[96];
	if (clockskew_text(skew_ms, text, sizeof(text)))
		add(f, SITE_DEGRADED, text);
}

enum site_status
verdict_eval(const struct window_metrics *m, const struct thresholds *t,
    const struct baseline *b, const struct baseline_rules *br, char *reason, size_t len)
{
	struct findings f = { .worst = SITE_OK };
	check_above(&f, m->loss_pct, t->loss_pct, "loss", "%");
	check_above(&f, m->rtt_p95_ms, t->rtt_p95_ms, "RTT p95", "ms");
	check_above(&f, m->jitter_ms, t->jitter_ms, "jitter", "ms");
	check_upload(&f, m->upload_mbps, t->upload_mbps);
	check_http(&f, m, t);
	check_traffic(&f, m, WT_RETRANS, t->retrans_pct, "retransmissions");
	check_traffic(&f, m, WT_DNS_FAIL, t->dns_fail_pct, "DNS failures");
	check_clock(&f, m->clock_skew_ms);
	if (f.worst == SITE_OK)
		check_baseline(&f, m, b, br);
	if (f.worst == SITE_OK)
		snprintf(reason, len, "all figures within bounds");
	else if (f.crit[0] != '\0' && f.degr[0] != '\0')
		snprintf(reason, len, "%s; %s", f.crit, f.degr);
	else
		snprintf(reason, len, "%s", f.crit[0] != '\0' ? f.crit : f.degr);
	return f.worst;
}
