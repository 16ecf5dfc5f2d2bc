#include "notify.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "curlglue.h"
#include "log.h"
#include "wire.h"

#define SENT_MAX 4096            /* alerts in one request */

/* One alert a request carries, and the version it tells. */
struct told {
	char key[96];
	unsigned version;
};

struct notify;

struct sink {
	int id;
	struct notify *owner;
	char url[1024];
	CURL *easy;                  /* NULL when idle */
	struct curl_slist *hdrs;
	char *body;
	struct told *sent;
	size_t nsent;
	int64_t next_ms;             /* earliest next attempt */
	int64_t backoff_ms;
	int64_t last_post_ms;        /* Alertmanager: last accepted post */
	char err[CURL_ERROR_SIZE];
};

struct notify {
	struct notify_opts o;
	struct alerts *alerts;
	struct curlglue *glue;
	struct sink sinks[ALERT_SINKS];
	struct notify_stats stats;
	char dashboard[512];
	char chat[128];
	int64_t now_ms;
};

const char *
notify_sink_name(int sink)
{
	static const char *const names[ALERT_SINKS] = { "alertmanager", "webhook", "telegram" };
	return sink >= 0 && sink < ALERT_SINKS ? names[sink] : "?";
}

const struct notify_stats *
notify_stats(const struct notify *n)
{
	return &n->stats;
}

static void
sink_url(struct notify *n, int id, const struct notify_opts *o)
{
	char *url = n->sinks[id].url;
	size_t len = sizeof(n->sinks[id].url);
	url[0] = '\0';
	if (id == ALERT_SINK_AM && o->alertmanager_url[0] != '\0')
		snprintf(url, len, "%s/api/v2/alerts", o->alertmanager_url);
	else if (id == ALERT_SINK_WEBHOOK)
		snprintf(url, len, "%s", o->webhook_url);
	else if (id == ALERT_SINK_TELEGRAM && o->telegram_url[0] != '\0')
		snprintf(url, len, "%s/bot%s/sendMessage", o->telegram_url, o->telegram_token);
}

struct notify *
notify_new(uv_loop_t *loop, const struct notify_opts *o, struct alerts *a)
{
	struct notify *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->o = *o;
	n->alerts = a;
	snprintf(n->dashboard, sizeof(n->dashboard), "%s", o->dashboard_url);
	snprintf(n->chat, sizeof(n->chat), "%s", o->telegram_chat);
	n->o.dashboard_url = n->dashboard;
	n->o.telegram_chat = n->chat;
	for (int i = 0; i < ALERT_SINKS; i++) {
		n->sinks[i].id = i;
		n->sinks[i].owner = n;
		sink_url(n, i, o);
	}
	n->glue = curlglue_new(loop);
	if (n->glue == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

static void
sink_reset(struct sink *s)
{
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->hdrs);
	free(s->body);
	free(s->sent);
	s->easy = NULL;
	s->hdrs = NULL;
	s->body = NULL;
	s->sent = NULL;
	s->nsent = 0;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < ALERT_SINKS; i++) {
		if (n->sinks[i].easy != NULL)
			curlglue_remove(n->glue, n->sinks[i].easy);
		sink_reset(&n->sinks[i]);
	}
	curlglue_free(n->glue);
	free(n);
}

/* ---- payloads ---- */

static const char *
iso(int64_t ms, char buf[CLOCK_ISO_LEN])
{
	clock_format_iso(ms, buf);
	return buf;
}

static json_t *
am_alert(const struct notify *n, const struct alert *al)
{
	char t[CLOCK_ISO_LEN], url[700];
	json_t *labels = json_pack("{s:s,s:s,s:s,s:s,s:s}", "alertname", al->alertname,
	    "severity", al->severity, "province", al->province, "regency", al->regency,
	    "tertinggal", al->tertinggal ? "true" : "false");
	if (labels != NULL && al->site[0] != '\0')
		json_object_set_new(labels, "site", json_string(al->site));
	if (labels != NULL && al->link[0] != '\0')
		json_object_set_new(labels, "link", json_string(al->link));
	json_t *o = json_pack("{s:o,s:{s:s,s:s,s:s},s:s}", "labels", labels, "annotations",
	    "reason", al->reason, "since", iso(al->since_ms, t), "regency_name", al->regency_name,
	    "startsAt", iso(al->starts_ms, t));
	if (o != NULL && !al->firing)
		json_object_set_new(o, "endsAt", json_string(iso(al->ends_ms, t)));
	if (o != NULL && n->o.dashboard_url[0] != '\0') {
		snprintf(url, sizeof(url), "%s/#/regency/%s", n->o.dashboard_url, al->regency);
		json_object_set_new(o, "generatorURL", json_string(url));
	}
	return o;
}

static json_t *
hook_alert(const struct alert *al)
{
	char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN], c[CLOCK_ISO_LEN];
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "alertname", al->alertname,
	    "status", al->firing ? "firing" : "resolved", "severity", al->severity, "state",
	    al->status, "reason", al->reason, "since", iso(al->since_ms, a), "startsAt",
	    iso(al->starts_ms, b), "link", al->link);
	if (o == NULL)
		return NULL;
	if (al->site[0] != '\0')
		json_object_set_new(o, "site", json_string(al->site));
	if (!al->firing)
		json_object_set_new(o, "endsAt", json_string(iso(al->ends_ms, c)));
	return o;
}

/* "FIRING critical: Kabupaten Jayawijaya (95.01) ..." one line per alert. */
static void
telegram_line(const struct alert *al, char *buf, size_t len)
{
	if (al->site[0] != '\0')
		snprintf(buf, len, "%s %s: site %s %s: %s\n", al->firing ? "FIRING" : "RESOLVED",
		    al->severity, al->site, al->status, al->reason);
	else
		snprintf(buf, len, "%s %s: regency AT RISK: %s\n", al->firing ? "FIRING" : "RESOLVED",
		    al->severity, al->reason);
}

static bool
remember(struct sink *s, const struct alert *al)
{
	if (s->nsent >= SENT_MAX)
		return false;
	snprintf(s->sent[s->nsent].key, sizeof(s->sent[0].key), "%s", al->key);
	s->sent[s->nsent++].version = al->version;
	return true;
}

/* Alertmanager: every firing alert and every resolve not yet told. */
static json_t *
am_payload(struct notify *n, struct sink *s, bool *due)
{
	size_t na;
	struct alert *v = alerts_list(n->alerts, &na);
	json_t *list = json_array();
	bool changed = false, firing = false;
	for (size_t i = 0; list != NULL && i < na; i++) {
		bool pending = v[i].told[s->id] != v[i].version;
		if (!v[i].firing && !pending)
			continue;
		changed = changed || pending;
		firing = firing || v[i].firing;
		if (remember(s, &v[i]))
			json_array_append_new(list, am_alert(n, &v[i]));
	}
	*due = changed || (firing && n->now_ms - s->last_post_ms >= n->o.repost_ms);
	return list;
}

/* Webhook and Telegram: the changed alerts of the first regency that has
 * any, as one message. */
static json_t *
group_payload(struct notify *n, struct sink *s, bool *due)
{
	size_t na;
	struct alert *v = alerts_list(n->alerts, &na);
	const char *regency = NULL;
	char text[3800] = "", line[512];
	size_t used = 0;
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < na; i++) {
		if (v[i].told[s->id] == v[i].version ||
		    (regency != NULL && strcmp(v[i].regency, regency) != 0) || !remember(s, &v[i]))
			continue;
		regency = v[i].regency;
		json_array_append_new(list, hook_alert(&v[i]));
		telegram_line(&v[i], line, sizeof(line));
		size_t add = strlen(line);
		if (used + add < sizeof(text)) {
			memcpy(text + used, line, add + 1);
			used += add;
		}
	}
	*due = regency != NULL;
	if (!*due || list == NULL) {
		json_decref(list);
		return NULL;
	}
	const struct alert *first = alerts_get(n->alerts, s->sent[0].key);
	const char *name = first != NULL ? first->regency_name : "";
	if (s->id == ALERT_SINK_TELEGRAM) {
		char msg[4096];
		snprintf(msg, sizeof(msg), "pantau: %s (%s)\n%s", name, regency, text);
		json_decref(list);
		return json_pack("{s:s,s:s}", "chat_id", n->o.telegram_chat, "text", msg);
	}
	return json_pack("{s:i,s:s,s:s,s:s,s:o}", "version", 1, "regency", regency,
	    "regency_name", name, "province", first != NULL ? first->province : "", "alerts",
	    list);
}

/* ---- requests ---- */

static void
told(struct notify *n, struct sink *s)
{
	for (size_t i = 0; i < s->nsent; i++) {
		struct alert *al = alerts_get(n->alerts, s->sent[i].key);
		if (al != NULL && al->told[s->id] != s->sent[i].version) {
			al->told[s->id] = s->sent[i].version;
			al->dirty = true;
		}
	}
}

static void
on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct sink *s = arg;
	struct notify *n = s->owner;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status >= 200 && status < 300) {
		n->stats.sent[s->id]++;
		told(n, s);
		s->backoff_ms = 0;
		s->last_post_ms = n->now_ms;
		s->next_ms = 0;
	} else {
		n->stats.failed[s->id]++;
		s->backoff_ms = s->backoff_ms > 0 ? s->backoff_ms * 2 : 1000;
		if (s->backoff_ms > n->o.retry_max_ms)
			s->backoff_ms = n->o.retry_max_ms;
		s->next_ms = n->now_ms + s->backoff_ms;
		log_warnx("alerts: %s at %s: %s; retrying in %lld s", notify_sink_name(s->id),
		    s->id == ALERT_SINK_TELEGRAM ? "the telegram endpoint" : s->url,
		    rc != CURLE_OK ? (s->err[0] != '\0' ? s->err : curl_easy_strerror(rc)) :
		                     "the receiver answered with an error status",
		    (long long)(s->backoff_ms / 1000));
	}
	sink_reset(s);
}

static bool
post(struct notify *n, struct sink *s, json_t *doc)
{
	CURLcode rc = CURLE_OK;
	s->body = json_dumps(doc, WIRE_JSON_FLAGS);
	s->easy = curl_easy_init();
	s->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (s->body == NULL || s->easy == NULL || s->hdrs == NULL)
		return false;
	s->err[0] = '\0';
	rc |= curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	rc |= curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, (long)n->o.timeout_ms);
	rc |= curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "pantau-collector/" PANTAU_VERSION);
	rc |= curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->err);
	rc |= curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	rc |= curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	return rc == CURLE_OK && curlglue_add(n->glue, s->easy, on_done, s) == PANTAU_OK;
}

static void
sink_tick(struct notify *n, struct sink *s)
{
	bool due = false;
	if (s->easy != NULL || n->now_ms < s->next_ms)
		return;
	if (s->url[0] == '\0') {      /* not configured: nothing to tell */
		size_t na;
		struct alert *v = alerts_list(n->alerts, &na);
		for (size_t i = 0; i < na; i++)
			v[i].told[s->id] = v[i].version;
		return;
	}
	s->sent = calloc(SENT_MAX, sizeof(*s->sent));
	if (s->sent == NULL)
		return;
	json_t *doc = s->id == ALERT_SINK_AM ? am_payload(n, s, &due) : group_payload(n, s, &due);
	if (due && doc != NULL && !post(n, s, doc)) {
		log_warnx("alerts: cannot start a request to the %s", notify_sink_name(s->id));
		s->next_ms = n->now_ms + 1000;
		due = false;
	}
	json_decref(doc);
	if (!due)
		sink_reset(s);
}

void
notify_tick(struct notify *n, int64_t now_ms)
{
	n->now_ms = now_ms;
	for (int i = 0; i < ALERT_SINKS; i++)
		sink_tick(n, &n->sinks[i]);
}
