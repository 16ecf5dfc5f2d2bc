#include "rollup.h"

#include <stdio.h>
#include <string.h>

static bool
is_down(enum site_status s)
{
	return s == SITE_CRITICAL || s == SITE_OFFLINE;
}

/* The worst site (longest in its state among equals). */
static const struct rollup_site *
worst_site(const struct rollup_site *sites, size_t n)
{
	const struct rollup_site *w = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct rollup_site *s = &sites[i];
		if (w == NULL || sitestate_rank(s->status) > sitestate_rank(w->status) ||
		    (s->status == w->status && s->since_ms < w->since_ms))
			w = s;
	}
	return w;
}

static void
regency_reason(const struct rollup_site *w, const struct regency_rollup *r, bool is_3t,
    int64_t now_ms, char *buf, size_t len)
{
	char age[32];
	int down = r->counts[SITE_CRITICAL] + r->counts[SITE_OFFLINE];
	sitestate_format_age(now_ms - w->since_ms, age, sizeof(age));
	if (r->known == 0) {
		snprintf(buf, len, "no site known in this regency");
	} else if (r->worst == SITE_OK) {
		snprintf(buf, len, r->known == 1 ? "the only site is OK" : "all %d sites OK",
		    r->known);
	} else if (r->worst == SITE_UNKNOWN) {
		snprintf(buf, len, "%d of %d sites not reporting yet", r->counts[SITE_UNKNOWN],
		    r->known);
	} else if (is_3t && is_down(w->status)) {
		snprintf(buf, len, "3T site %s %s for %s: %s", w->agent, sitestate_name(w->status),
		    age, w->reason);
	} else if (down > 0) {
		snprintf(buf, len, "%d of %d sites CRITICAL or OFFLINE: %s %s", down, r->known,
		    w->agent, w->reason);
	} else {
		snprintf(buf, len, "%d of %d sites %s: %s %s", r->counts[w->status], r->known,
		    sitestate_name(w->status), w->agent, w->reason);
	}
}

void
rollup_regency(const struct rollup_site *sites, size_t n, bool is_3t, double share,
    int64_t now_ms, struct regency_rollup *out)
{
	memset(out, 0, sizeof(*out));
	out->worst = SITE_UNKNOWN;
	out->known = (int)n;
	for (size_t i = 0; i < n; i++)
		out->counts[sites[i].status]++;
	const struct rollup_site *w = worst_site(sites, n);
	if (w == NULL) {
		regency_reason(&(struct rollup_site){ .since_ms = now_ms }, out, is_3t, now_ms,
		    out->reason, sizeof(out->reason));
		return;
	}
	out->worst = w->status;
	int down = out->counts[SITE_CRITICAL] + out->counts[SITE_OFFLINE];
	out->at_risk = down > 0 && (is_3t || (double)down >= share * (double)n);
	regency_reason(w, out, is_3t, now_ms, out->reason, sizeof(out->reason));
}

void
rollup_area_init(struct area_rollup *a)
{
	memset(a, 0, sizeof(*a));
	a->worst = SITE_UNKNOWN;
}

void
rollup_area_add(struct area_rollup *a, const struct regency_rollup *r, const char *name)
{
	if (r->known == 0)
		return;
	a->regencies++;
	a->counts[r->worst]++;
	a->sites += r->known;
	for (int s = 0; s < SITE_STATUS_COUNT; s++)
		a->site_counts[s] += r->counts[s];
	if (a->regencies == 1 || sitestate_rank(r->worst) > sitestate_rank(a->worst))
		a->worst = r->worst;
	if (!r->at_risk)
		return;
	/* The reason lists the regencies at risk, as many as fit. */
	size_t used = strlen(a->reason);
	if (a->at_risk++ == 0)
		snprintf(a->reason, sizeof(a->reason), "%s", name);
	else if (used + strlen(name) + 8 < sizeof(a->reason))
		snprintf(a->reason + used, sizeof(a->reason) - used, ", %s", name);
}

void
rollup_area_finish(struct area_rollup *a)
{
	char names[ROLLUP_REASON_MAX];
	if (a->at_risk > 0) {
		memcpy(names, a->reason, sizeof(names));
		snprintf(a->reason, sizeof(a->reason), "%d of %d regencies at risk: %.*s", a->at_risk,
		    a->regencies, (int)(sizeof(a->reason) - 48), names);
	} else if (a->regencies == 0) {
		snprintf(a->reason, sizeof(a->reason), "no site known");
	} else {
		snprintf(a->reason, sizeof(a->reason),
		    "no regency at risk; %d of %d sites OK, %d DEGRADED", a->site_counts[SITE_OK],
		    a->sites, a->site_counts[SITE_DEGRADED]);
	}
}
