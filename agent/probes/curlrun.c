#include "agent/probes/curlrun.h"

#include <stdint.h>
#include <stdio.h>

#include "agent/probes/budget.h"
#include "clock.h"
#include "curlglue.h"
#include "wire.h"

#ifndef PANTAU_VERSION
#define PANTAU_VERSION "0.0.0"
#endif

CURLcode
curlrun_fresh(CURL *e, const char *url, char *errbuf)
{
	CURLcode rc = CURLE_OK;
	rc |= curl_easy_setopt(e, CURLOPT_URL, url);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "pantau-agent/" PANTAU_VERSION);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	return rc;
}

void
curlrun_set_phases(json_t *r, CURL *easy, bool ttfb)
{
	struct curlglue_phases p;
	curlglue_phases(easy, &p);
	if (p.dns_ms >= 0)
		wire_set_num(r, "dns_ms", p.dns_ms);
	if (p.connect_ms >= 0)
		wire_set_num(r, "connect_ms", p.connect_ms);
	if (p.tls_ms >= 0)
		wire_set_num(r, "tls_ms", p.tls_ms);
	if (ttfb && p.ttfb_ms >= 0)
		wire_set_num(r, "ttfb_ms", p.ttfb_ms);
	wire_set_num(r, "total_ms", p.total_ms);
}

size_t
curlrun_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

void
curlrun_budget_note(struct budget *b, const char *what, char *note, size_t len)
{
	snprintf(note, len, "skipped: the daily data budget of %lld MB is spent (%lld MB used "
	    "today, UTC); the next %s runs after midnight UTC",
	    (long long)(budget_limit(b) / 1000000),
	    (long long)(budget_used(b, clock_real_ms()) / 1000000), what);
}
