/*
 * http: one HTTP(S) request with libcurl through the agent's multi-socket
 * glue (docs/probes.md).
 *
 * Every run opens a fresh connection and resolves the name afresh (no
 * connection reuse, no DNS cache), so the phase times describe the path
 * and not libcurl's caches. Redirects are not followed: a 3xx answer is
 * the result. At most max_bytes of the body are read; the transfer then
 * stops and counts as complete ("truncated": true).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curlglue.h"
#include "agent/probe.h"

#define HTTP_DEFAULT_TIMEOUT_MS 10000

#ifndef PANTAU_VERSION
#define PANTAU_VERSION "0.0.0"
#endif

enum http_method { HTTP_GET = 0, HTTP_HEAD = 1 };

struct http_params {
	int method;          /* enum http_method */
	int64_t max_bytes;
	int expect_status;   /* 0: any 2xx or 3xx */
	bool insecure;
};

static const char *const http_methods[] = { "GET", "HEAD", NULL };

#define O(f) offsetof(struct http_params, f)
static const struct cfg_key http_keys[] = {
	{ "method", CFG_ENUM, O(method), 0, 0, 0, "GET", http_methods, NULL, 0,
	    "GET or HEAD" },
	{ "max_bytes", CFG_I64, O(max_bytes), 0, 0, 1073741824, "1048576", NULL, NULL, 0,
	    "body bytes read before the transfer is stopped" },
	{ "expect_status", CFG_INT, O(expect_status), 0, 0, 599, "0", NULL, NULL, 0,
	    "HTTP status that counts as ok; 0 = any 2xx or 3xx" },
	{ "insecure", CFG_BOOL, O(insecure), 0, 0, 0, "false", NULL, NULL, 0,
	    "true skips TLS certificate checks (only for test endpoints)" },
};
#undef O

struct http_run {
	struct probe_run *run;
	const struct probe_def *def;
	struct curlglue *glue;
	CURL *easy;
	int64_t bytes, limit;
	bool truncated;
	bool https;
	int expect_status;
	char err[CURL_ERROR_SIZE];
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_run *s = arg;
	size_t n = size * nmemb;
	(void)ptr;
	if ((int64_t)n > s->limit - s->bytes) {
		/* Enough: returning less than n makes libcurl stop the transfer. */
		s->bytes = s->limit;
		s->truncated = true;
		return 0;
	}
	s->bytes += (int64_t)n;
	return n;
}

static double
us_to_ms(curl_off_t us)
{
	return (double)us / 1000.0;
}

/*
 * Phase times. libcurl's *_TIME_T values are cumulative microseconds from
 * the start of the transfer; we report:
 *   dns_ms     = NAMELOOKUP                 (name resolution)
 *   connect_ms = CONNECT - NAMELOOKUP       (TCP handshake alone)
 *   tls_ms     = APPCONNECT - CONNECT       (TLS handshake alone, https)
 *   ttfb_ms    = STARTTRANSFER              (cumulative: start to first byte)
 *   total_ms   = TOTAL                      (cumulative: the whole transfer)
 * A phase that did not complete (value 0) is left out.
 */
static void
add_times(const struct http_run *s, json_t *r)
{
	curl_off_t nl = 0, co = 0, ac = 0, st = 0, tt = 0;
	curl_easy_getinfo(s->easy, CURLINFO_NAMELOOKUP_TIME_T, &nl);
	curl_easy_getinfo(s->easy, CURLINFO_CONNECT_TIME_T, &co);
	curl_easy_getinfo(s->easy, CURLINFO_APPCONNECT_TIME_T, &ac);
	curl_easy_getinfo(s->easy, CURLINFO_STARTTRANSFER_TIME_T, &st);
	curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME_T, &tt);
	if (nl > 0 || co > 0)
		wire_set_num(r, "dns_ms", us_to_ms(nl));
	if (co > 0)
		wire_set_num(r, "connect_ms", us_to_ms(co >= nl ? co - nl : 0));
	if (s->https && ac > 0)
		wire_set_num(r, "tls_ms", us_to_ms(ac >= co ? ac - co : 0));
	if (st > 0)
		wire_set_num(r, "ttfb_ms", us_to_ms(st));
	wire_set_num(r, "total_ms", us_to_ms(tt));
}

static int http_max_duration_ms(const struct probe_def *def);

static json_t *
http_result(const struct http_run *s, CURLcode rc)
{
	long status = 0;
	char why[WIRE_TEXT_MAX];
	json_t *r = wire_result_new("http", s->def->target);
	if (r == NULL)
		return NULL;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	bool transfer_ok = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && s->truncated);
	bool status_ok = s->expect_status == 0 ? status >= 200 && status < 400 :
	    status == s->expect_status;
	json_object_set_new(r, "ok", json_boolean(transfer_ok && status_ok));
	json_object_set_new(r, "status", json_integer(status));
	add_times(s, r);
	json_object_set_new(r, "bytes", json_integer(s->bytes));
	if (s->truncated)
		json_object_set_new(r, "truncated", json_true());
	if (!transfer_ok)
		snprintf(why, sizeof(why), "%s", s->err[0] != '\0' ? s->err :
		    curl_easy_strerror(rc));
	else if (!status_ok && s->expect_status == 0)
		snprintf(why, sizeof(why), "HTTP status %ld (expected 2xx or 3xx)", status);
	else if (!status_ok)
		snprintf(why, sizeof(why), "HTTP status %ld (expected %d)", status,
		    s->expect_status);
	if (!transfer_ok || !status_ok)
		json_object_set_new(r, "error", json_string(why));
	return r;
}

static void
run_free(struct http_run *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->easy);
	free(s);
}

static void
on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct http_run *s = arg;
	struct probe_run *run = s->run;
	(void)easy;
	json_t *r = http_result(s, rc);
	run_free(s);
	run->state = NULL;
	run->done(run, r);
}

static pantau_err
setup(struct http_run *s, const struct http_params *p)
{
	CURL *e = s->easy;
	CURLcode rc = CURLE_OK;
	long verify = p->insecure ? 0L : 1L;
	rc |= curl_easy_setopt(e, CURLOPT_URL, s->def->target);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)http_max_duration_ms(s->def));
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "pantau-agent/" PANTAU_VERSION);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->err);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify * 2);
	if (p->method == HTTP_HEAD)
		rc |= curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	return rc == CURLE_OK ? PANTAU_OK : PANTAU_ERR_INVAL;
}

static pantau_err
http_start(struct probe_run *run)
{
	pantau_err rc = PANTAU_OK;
	const struct http_params *p = run->def->params;
	struct http_run *s = NULL;
	if (p == NULL)
		return PANTAU_ERR_INVAL;
	if (run->env->curl == NULL)
		return PANTAU_ERR_STATE;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	s->run = run;
	s->def = run->def;
	s->glue = run->env->curl;
	s->limit = p->max_bytes;
	s->expect_status = p->expect_status;
	s->https = strncasecmp(run->def->target, "https://", 8) == 0;
	s->easy = curl_easy_init();
	if (s->easy == NULL) {
		rc = PANTAU_ERR_NOMEM;
		goto out;
	}
	rc = setup(s, p);
	if (rc != PANTAU_OK)
		goto out;
	/* done() comes from the loop, never from inside curlglue_add(). */
	rc = curlglue_add(s->glue, s->easy, on_done, s);
	if (rc != PANTAU_OK)
		goto out;
	run->state = s;
	s = NULL;
out:
	run_free(s);
	return rc;
}

static void
http_cancel(struct probe_run *run)
{
	struct http_run *s = run->state;
	if (s == NULL)
		return;
	run->state = NULL;
	curlglue_remove(s->glue, s->easy);
	run_free(s);
}

static bool
check_url(const char *url, char *why, size_t len)
{
	bool ok = false;
	char *host = NULL;
	CURLU *u = NULL;
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
		snprintf(why, len, "\"%s\" is not an http:// or https:// URL, e.g. "
		    "https://tally.example/api/ping", url);
		return false;
	}
	const char *rest = strstr(url, "://") + 3;
	if (*rest == '\0' || *rest == '/') {
		snprintf(why, len, "\"%s\" has no host after \"://\"", url);
		return false;
	}
	u = curl_url();
	if (u == NULL) {
		snprintf(why, len, "out of memory");
		return false;
	}
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc != CURLUE_OK || host == NULL || host[0] == '\0')
		snprintf(why, len, "\"%s\" is not a valid URL: %s", url,
		    uc != CURLUE_OK ? curl_url_strerror(uc) : "no host");
	else
		ok = true;
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

static bool
http_check(const struct probe_def *def, char *why, size_t len)
{
	const struct http_params *p = def->params;
	if (!check_url(def->target, why, len))
		return false;
	if (p != NULL && p->expect_status != 0 && p->expect_status < 100) {
		snprintf(why, len, "expect_status %d is not an HTTP status: use 100-599, or 0 "
		    "for any 2xx or 3xx", p->expect_status);
		return false;
	}
	return true;
}

static int
http_max_duration_ms(const struct probe_def *def)
{
	return def->timeout_ms > 0 ? def->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
}

const struct probe_ops probe_http_ops = {
	.kind = "http",
	.keys = http_keys,
	.nkeys = sizeof(http_keys) / sizeof(http_keys[0]),
	.params_size = sizeof(struct http_params),
	.default_timeout_ms = HTTP_DEFAULT_TIMEOUT_MS,
	.check = http_check,
	.start = http_start,
	.cancel = http_cancel,
	.max_duration_ms = http_max_duration_ms,
};
