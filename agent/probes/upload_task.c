/*
 * upload_task, the exec part: upload a body the size of a photographed
 * tally form to a configured URL, as polling-station officers do, and
 * report whether it went through and how long it took (docs/probes.md).
 *
 * One POST (or PUT) of `size` random bytes with libcurl through the
 * worker's multi-socket glue, in pantau-probe-worker, on a fresh
 * connection. The bytes count against the daily data budget (the agent's
 * allowance, handed to the worker); with too little left the run is
 * skipped and the result says so. Its spec part (keys, checks) is
 * upload_task_spec.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/budget.h"
#include "curlglue.h"
#include "agent/probes/probe.h"
#include "agent/probes/curlkinds.h"
#include "agent/probes/curlrun.h"
#include "log.h"
#include "clock.h"

#define UP_CHUNK (64 * 1024)

struct up_run {
	struct probe_run *run;
	const struct probe_def *def;
	CURL *easy;
	struct curl_slist *headers;
	uv_timer_t timer;       /* reports a skipped run from the loop */
	json_t *skipped;
	int64_t size, fed;
	bool over;
	char err[CURL_ERROR_SIZE];
	uint8_t chunk[UP_CHUNK];
};

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct up_run *s = arg;
	size_t n = size * nitems;
	if ((int64_t)n > s->size - s->fed)
		n = (size_t)(s->size - s->fed);
	if (n > sizeof(s->chunk))
		n = sizeof(s->chunk);
	memcpy(buf, s->chunk, n);
	s->fed += (int64_t)n;
	return n;
}

static void
on_closed(uv_handle_t *h)
{
	struct up_run *s = h->data;
	json_decref(s->skipped);
	curl_slist_free_all(s->headers);
	free(s);
}

static void
stop(struct up_run *s)
{
	if (s->over)
		return;
	s->over = true;
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	s->easy = NULL;
	uv_close((uv_handle_t *)&s->timer, on_closed);
}

static void
add_times(const struct up_run *s, json_t *r)
{
	curl_off_t speed = 0;
	curl_easy_getinfo(s->easy, CURLINFO_SPEED_UPLOAD_T, &speed);
	curlrun_set_phases(r, s->easy, false);
	wire_set_num(r, "mbps", (double)speed * 8 / 1e6);
}

static json_t *
up_result(struct up_run *s, CURLcode rc, int64_t sent)
{
	long status = 0;
	char why[WIRE_TEXT_MAX];
	json_t *r = wire_result_new("upload_task", s->def->target);
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	bool ok = rc == CURLE_OK && status >= 200 && status < 300;
	json_object_set_new(r, "ok", json_boolean(ok));
	json_object_set_new(r, "status", json_integer(status));
	json_object_set_new(r, "size", json_integer((json_int_t)s->size));
	json_object_set_new(r, "bytes", json_integer((json_int_t)sent));
	add_times(s, r);
	if (rc != CURLE_OK)
		snprintf(why, sizeof(why), "%s", s->err[0] != '\0' ? s->err : curl_easy_strerror(rc));
	else
		snprintf(why, sizeof(why), "HTTP status %ld (expected 2xx)", status);
	if (!ok)
		json_object_set_new(r, "error", json_string(why));
	return r;
}

static void
on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct up_run *s = arg;
	struct probe_run *run = s->run;
	curl_off_t up = 0;
	curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &up);
	if (budget_spend(run->env->budget, (int64_t)up, clock_real_ms()) != PANTAU_OK)
		log_warnx("upload_task: cannot store the data budget in the state folder");
	json_t *r = up_result(s, rc, (int64_t)up);
	stop(s);
	run->state = NULL;
	run->done(run, r);
}

static void
on_skip(uv_timer_t *t)
{
	struct up_run *s = t->data;
	struct probe_run *run = s->run;
	json_t *r = s->skipped;
	s->skipped = NULL;
	stop(s);
	run->state = NULL;
	run->done(run, r);
}

static bool
skip_for_budget(struct up_run *s)
{
	struct budget *b = s->run->env->budget;
	char note[200];
	if (budget_left(b, clock_real_ms()) >= s->size)
		return false;
	curlrun_budget_note(b, "upload", note, sizeof(note));
	s->skipped = wire_result_new("upload_task", s->def->target);
	json_object_set_new(s->skipped, "skipped", json_string("budget"));
	json_object_set_new(s->skipped, "note", json_string(note));
	uv_timer_start(&s->timer, on_skip, 0, 0);
	return true;
}

static pantau_err
setup(struct up_run *s, const struct up_params *p)
{
	CURL *e = s->easy;
	CURLcode rc = CURLE_OK;
	long verify = p->insecure ? 0L : 1L;
	char ctype[96];
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", p->content_type);
	s->headers = curl_slist_append(NULL, "Expect:");
	if (s->headers == NULL || (s->headers = curl_slist_append(s->headers, ctype)) == NULL)
		return PANTAU_ERR_NOMEM;
	rc |= curlrun_fresh(e, s->def->target, s->err);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->def->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, verify);
	rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, verify * 2);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	rc |= curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	rc |= curl_easy_setopt(e, CURLOPT_READDATA, s);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlrun_discard);
	if (p->method == UP_PUT) {
		rc |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		rc |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->size);
	} else {
		rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->size);
	}
	return rc == CURLE_OK ? PANTAU_OK : PANTAU_ERR_INVAL;
}

static pantau_err
up_start(struct probe_run *run)
{
	const struct up_params *p = run->def->params;
	struct up_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	s->run = run;
	s->def = run->def;
	s->size = p->size;
	uv_timer_init(run->env->loop, &s->timer);
	s->timer.data = s;
	run->state = s;
	for (size_t i = 0; i < sizeof(s->chunk); i++)
		s->chunk[i] = (uint8_t)(rng_next(run->env->rng) >> 56);
	if (skip_for_budget(s))
		return PANTAU_OK;
	pantau_err rc = (s->easy = curl_easy_init()) == NULL ? PANTAU_ERR_NOMEM : setup(s, p);
	if (rc == PANTAU_OK)
		rc = curlglue_add(run->env->curl, s->easy, on_done, s);
	if (rc != PANTAU_OK) {
		run->state = NULL;
		stop(s);
	}
	return rc;
}

static void
up_cancel(struct probe_run *run, void *state)
{
	struct up_run *s = state;
	if (s->easy != NULL)
		curlglue_remove(run->env->curl, s->easy);
	stop(s);
}

const struct probe_exec probe_upload_task_exec = { .start = up_start, .cancel = up_cancel };
