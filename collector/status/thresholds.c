#include "thresholds.h"

#include <stdbool.h>
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

const char *
thresholds_check(const struct thresholds *t, char *why, unsigned len)
{
	why[0] = '\0';
	if (t->rtt_p95_ms[TH_CRITICAL] < t->rtt_p95_ms[TH_DEGRADED])
		snprintf(why, len, "rtt_p95_critical_ms (%g) is below rtt_p95_degraded_ms (%g)",
		    t->rtt_p95_ms[TH_CRITICAL], t->rtt_p95_ms[TH_DEGRADED]);
	else if (t->loss_pct[TH_CRITICAL] < t->loss_pct[TH_DEGRADED])
		snprintf(why, len, "loss_critical_pct (%g) is below loss_degraded_pct (%g)",
		    t->loss_pct[TH_CRITICAL], t->loss_pct[TH_DEGRADED]);
	else if (t->jitter_ms[TH_CRITICAL] < t->jitter_ms[TH_DEGRADED])
		snprintf(why, len, "jitter_critical_ms (%g) is below jitter_degraded_ms (%g)",
		    t->jitter_ms[TH_CRITICAL], t->jitter_ms[TH_DEGRADED]);
	else if (t->upload_mbps[TH_CRITICAL] > t->upload_mbps[TH_DEGRADED])
		snprintf(why, len,
		    "upload_critical_mbps (%g) is above upload_degraded_mbps (%g): critical means slower",
		    t->upload_mbps[TH_CRITICAL], t->upload_mbps[TH_DEGRADED]);
	else if (t->retrans_pct[TH_CRITICAL] < t->retrans_pct[TH_DEGRADED])
		snprintf(why, len, "retrans_critical_pct (%g) is below retrans_degraded_pct (%g)",
		    t->retrans_pct[TH_CRITICAL], t->retrans_pct[TH_DEGRADED]);
	else if (t->dns_fail_pct[TH_CRITICAL] < t->dns_fail_pct[TH_DEGRADED])
		snprintf(why, len, "dns_fail_critical_pct (%g) is below dns_fail_degraded_pct (%g)",
		    t->dns_fail_pct[TH_CRITICAL], t->dns_fail_pct[TH_DEGRADED]);
	else if (t->http_failures[TH_CRITICAL] < t->http_failures[TH_DEGRADED])
		snprintf(why, len, "http_critical_failures (%d) is below http_degraded_failures (%d)",
		    t->http_failures[TH_CRITICAL], t->http_failures[TH_DEGRADED]);
	return why;
}
