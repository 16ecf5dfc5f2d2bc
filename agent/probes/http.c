/*
 * http, the exec part: one HTTP(S) request with libcurl through the
 * worker's multi-socket glue (docs/probes.md), run in pantau-probe-worker;
 * its spec part (keys, checks) is http_spec.c.
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

#include "curlglue.h"
#include "agent/probes/probe.h"
#include "agent/probes/curlkinds.h"
#include "agent/probes/curlrun.h"

struct http_run {
	struct probe_run *run;
	const struct probe_def *def;
	struct curlglue *glue;
	CURL *easy;
	int64_t bytes, limit;
	bool truncated;
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
	curlrun_set_phases(r, s->easy, true);
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
	rc |= curlrun_fresh(e, s->def->target, s->err);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->def->spec->max_duration_ms(s->def));
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
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
http_cancel(struct probe_run *run, void *state)
{
	(void)run;
	struct http_run *s = state;
	curlglue_remove(s->glue, s->easy);
	run_free(s);
}

const struct probe_exec probe_http_exec = { .start = http_start, .cancel = http_cancel };
