#include "notify.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curlglue.h"
#include "log.h"
#include "wire.h"

struct notify;

/* One sink of the table and its receiver's state. */
struct receiver {
	const struct sink_ops *ops;
	struct notify_sink_stats *stats;
	struct notify *owner;
	struct sink_conf conf;
	char url[SINK_URL_MAX];
	CURL *easy;                  /* NULL when idle */
	struct curl_slist *hdrs;
	char *body;
	struct sink_req req;         /* req.sent: the alerts in flight */
	int64_t next_ms;             /* earliest next attempt */
	int64_t backoff_ms;
	int64_t last_post_ms;        /* last accepted request */
	char err[CURL_ERROR_SIZE];
};

struct notify {
	struct notify_opts o;
	struct alerts *alerts;
	struct curlglue *glue;
	struct receiver rcv[SINKS_MAX];
	size_t n;
	struct notify_stats stats;
	char dashboard[512];
	int64_t now_ms;
};

const struct notify_stats *
notify_stats(const struct notify *n)
{
	return &n->stats;
}

void
notify_receivers(const struct notify *n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n->n && used < len; i++)
		if (n->rcv[i].url[0] != '\0')
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "",
			    n->rcv[i].ops->name);
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
}

void
notify_configure(struct notify *n, const struct notify_opts *o)
{
	char url[SINK_URL_MAX];
	n->o = *o;
	snprintf(n->dashboard, sizeof(n->dashboard), "%s", o->dashboard_url);
	n->o.dashboard_url = n->dashboard;
	n->o.sinks = NULL;
	for (size_t i = 0; i < n->n; i++) {
		struct receiver *r = &n->rcv[i];
		memcpy(&r->conf, &o->sinks[i], sizeof(r->conf));
		r->ops->url(&r->conf, url, sizeof(url));
		if (strcmp(url, r->url) != 0) {
			snprintf(r->url, sizeof(r->url), "%s", url);
			r->next_ms = r->backoff_ms = 0;
		}
	}
}

struct notify *
notify_new(uv_loop_t *loop, const struct notify_opts *o, struct alerts *a)
{
	struct notify *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->alerts = a;
	for (; sinks_table[n->n] != NULL && n->n < SINKS_MAX; n->n++) {
		struct receiver *r = &n->rcv[n->n];
		r->ops = sinks_table[n->n];
		r->owner = n;
		r->stats = &n->stats.sink[n->n];
		r->stats->name = r->ops->name;
	}
	n->stats.n = n->n;
	notify_configure(n, o);
	n->glue = curlglue_new(loop);
	if (n->glue == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

static void
receiver_reset(struct receiver *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->req.sent);
	r->easy = NULL;
	r->hdrs = NULL;
	r->body = NULL;
	r->req.sent = NULL;
	r->req.nsent = 0;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->rcv[i].easy != NULL)
			curlglue_remove(n->glue, n->rcv[i].easy);
		receiver_reset(&n->rcv[i]);
	}
	curlglue_free(n->glue);
	free(n);
}

/* What the accepted request carried is told. */
static void
told(struct notify *n, struct receiver *r)
{
	for (size_t i = 0; i < r->req.nsent; i++) {
		struct alert *al = alerts_get(n->alerts, r->req.sent[i].key);
		if (al != NULL)
			(void)alert_set_told(al, r->ops->name, r->req.sent[i].version);
	}
}

static void
on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct receiver *r = arg;
	struct notify *n = r->owner;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		r->stats->sent++;
		told(n, r);
		r->backoff_ms = 0;
		r->last_post_ms = n->now_ms;
		r->next_ms = 0;
	} else {
		r->stats->failed++;
		r->backoff_ms = r->backoff_ms > 0 ? r->backoff_ms * 2 : 1000;
		if (r->backoff_ms > n->o.retry_max_ms)
			r->backoff_ms = n->o.retry_max_ms;
		r->next_ms = n->now_ms + r->backoff_ms;
		log_warnx("alerts: %s at %s: %s; retrying in %lld s", r->ops->name,
		    r->ops->log_name != NULL ? r->ops->log_name : r->url,
		    rc != CURLE_OK ? (r->err[0] != '\0' ? r->err : curl_easy_strerror(rc)) :
		                     "the receiver answered with an error status",
		    (long long)(r->backoff_ms / 1000));
	}
	receiver_reset(r);
}

static bool
post(struct notify *n, struct receiver *r, json_t *doc)
{
	CURLcode rc = CURLE_OK;
	r->body = json_dumps(doc, WIRE_JSON_FLAGS);
	r->easy = curl_easy_init();
	r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (r->body == NULL || r->easy == NULL || r->hdrs == NULL)
		return false;
	r->err[0] = '\0';
	rc |= curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
	rc |= curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)n->o.timeout_ms);
	rc |= curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "pantau-collector/" PANTAU_VERSION);
	rc |= curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->err);
	rc |= curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
	rc |= curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	return rc == CURLE_OK && curlglue_add(n->glue, r->easy, on_done, r) == PANTAU_OK;
}

static void
receiver_tick(struct notify *n, struct receiver *r)
{
	if (r->easy != NULL || n->now_ms < r->next_ms)
		return;
	if (r->url[0] == '\0') {      /* not configured: nothing to tell */
		size_t na;
		struct alert *v = alerts_list(n->alerts, &na);
		for (size_t i = 0; i < na; i++)
			(void)alert_set_told(&v[i], r->ops->name, v[i].version);
		return;
	}
	r->req = (struct sink_req){ .sink = r->ops->name, .conf = &r->conf, .alerts = n->alerts,
		.dashboard_url = n->o.dashboard_url, .now_ms = n->now_ms,
		.last_post_ms = r->last_post_ms, .sent = calloc(SINK_SENT_MAX, sizeof(*r->req.sent)) };
	if (r->req.sent == NULL)
		return;
	json_t *doc = r->ops->payload(&r->req);
	bool started = doc != NULL && post(n, r, doc);
	if (doc != NULL && !started) {
		log_warnx("alerts: cannot start a request to the %s", r->ops->name);
		r->next_ms = n->now_ms + 1000;
	}
	json_decref(doc);
	if (!started)
		receiver_reset(r);
}

void
notify_tick(struct notify *n, int64_t now_ms)
{
	n->now_ms = now_ms;
	for (size_t i = 0; i < n->n; i++)
		receiver_tick(n, &n->rcv[i]);
}
