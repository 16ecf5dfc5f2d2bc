#include "thresholds.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void
thresholds_default(const char *link, struct thresholds *t)
{
	bool geo = link != NULL && strcmp(link, "vsat-geo") == 0;
	*t = (struct thresholds){
		.rtt_p95_ms = { geo ? 800.0 : 150.0, geo ? 1500.0 : 400.0 },
		.loss_pct = { 2.0, 10.0 },
		.jitter_ms = { geo ? 60.0 : 30.0, geo ? 120.0 : 60.0 },
		.upload_mbps = { 1.0, 0.256 },
		.http_failures = { 1, 3 },
		.retrans_pct = { 5.0, 15.0 },
		.dns_fail_pct = { 10.0, 25.0 },
	};
}

/* A pair of limits that must not cross: the critical one above the degraded
 * one (below it where lower is worse: upload), named as in the file. */
struct pair {
	size_t at;              /* offset of the double[2] in struct thresholds */
	const char *critical, *degraded;
	bool lower_worse;
};

static const struct pair pairs[] = {
	{ offsetof(struct thresholds, rtt_p95_ms), "rtt_p95_critical_ms", "rtt_p95_degraded_ms",
	  false },
	{ offsetof(struct thresholds, loss_pct), "loss_critical_pct", "loss_degraded_pct", false },
	{ offsetof(struct thresholds, jitter_ms), "jitter_critical_ms", "jitter_degraded_ms",
	  false },
	{ offsetof(struct thresholds, upload_mbps), "upload_critical_mbps", "upload_degraded_mbps",
	  true },
	{ offsetof(struct thresholds, retrans_pct), "retrans_critical_pct", "retrans_degraded_pct",
	  false },
	{ offsetof(struct thresholds, dns_fail_pct), "dns_fail_critical_pct",
	  "dns_fail_degraded_pct", false },
};

const char *
thresholds_check(const struct thresholds *t, char *why, unsigned len)
{
	why[0] = '\0';
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct pair *p = &pairs[i];
		const double *v = (const double *)((const char *)t + p->at);
		if (p->lower_worse ? v[TH_CRITICAL] > v[TH_DEGRADED] :
		    v[TH_CRITICAL] < v[TH_DEGRADED]) {
			snprintf(why, len, "%s (%g) is %s %s (%g)%s", p->critical, v[TH_CRITICAL],
			    p->lower_worse ? "above" : "below", p->degraded, v[TH_DEGRADED],
			    p->lower_worse ? ": critical means slower" : "");
			return why;
		}
	}
	if (t->http_failures[TH_CRITICAL] < t->http_failures[TH_DEGRADED])
		snprintf(why, len, "http_critical_failures (%d) is below http_degraded_failures (%d)",
		    t->http_failures[TH_CRITICAL], t->http_failures[TH_DEGRADED]);
	return why;
}
