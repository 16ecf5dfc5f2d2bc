#include "sitestate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *
sitestate_name(enum site_status s)
{
	static const char *const names[SITE_STATUS_COUNT] = {
		[SITE_UNKNOWN] = "UNKNOWN", [SITE_OK] = "OK", [SITE_DEGRADED] = "DEGRADED",
		[SITE_CRITICAL] = "CRITICAL", [SITE_OFFLINE] = "OFFLINE",
	};
	return (unsigned)s < SITE_STATUS_COUNT ? names[s] : "UNKNOWN";
}

int
sitestate_rank(enum site_status s)
{
	static const int rank[SITE_STATUS_COUNT] = {
		[SITE_UNKNOWN] = 1, [SITE_OK] = 0, [SITE_DEGRADED] = 2,
		[SITE_CRITICAL] = 3, [SITE_OFFLINE] = 4,
	};
	return (unsigned)s < SITE_STATUS_COUNT ? rank[s] : 1;
}

void
sitestate_format_age(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms > 0 ? ms / 1000 : 0;
	if (s < 120)
		snprintf(buf, len, "%lld s", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lld min", (long long)(s / 60));
	else if (s < 172800)
		snprintf(buf, len, "%lld h %lld min", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lld d %lld h", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
}

enum site_status
sitestate_eval(const struct site_facts *f, const struct site_rules *rules, int64_t now_ms,
    char *reason, size_t len)
{
	char age[32];
	int64_t interval = f->interval_s > 0 ? f->interval_s : rules->default_interval_s;
	bool said_offline = f->online == 0 && f->status_ms >= 0 &&
	    (f->last_result_ms < 0 || f->status_ms >= f->last_result_ms);
	if (said_offline) {
		sitestate_format_age(now_ms - f->status_ms, age, sizeof(age));
		snprintf(reason, len, "%s %s ago",
		    f->offline_reason != NULL && strcmp(f->offline_reason, "shutdown") == 0 ?
		        "agent shut down" :
		        "connection lost (last will)",
		    age);
		return SITE_OFFLINE;
	}
	if (f->last_result_ms < 0) {
		snprintf(reason, len, "no result received yet");
		return SITE_UNKNOWN;
	}
	int64_t silent = now_ms - f->last_result_ms;
	int64_t from = f->grace_from_ms > f->last_result_ms ? f->grace_from_ms : f->last_result_ms;
	if (now_ms - from > (int64_t)rules->offline_intervals * interval * 1000) {
		sitestate_format_age(silent, age, sizeof(age));
		if (f->online == 1)
			snprintf(reason, len, "silent for %s (%d intervals of %lld s) but its broker "
			    "connection is up, no last will: the agent is stuck or its clock jumped", age,
			    rules->offline_intervals, (long long)interval);
		else
			snprintf(reason, len, "no result for %s (%d intervals of %lld s)", age,
			    rules->offline_intervals, (long long)interval);
		return SITE_OFFLINE;
	}
	sitestate_format_age(silent, age, sizeof(age));
	snprintf(reason, len, "reporting; last result %s ago", age);
	return SITE_OK;
}
