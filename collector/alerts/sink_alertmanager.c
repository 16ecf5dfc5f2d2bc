/* Prometheus Alertmanager v2: POST URL/api/v2/alerts with every firing
 * alert (and each resolved one once, with endsAt), at once when something
 * changed and again every repost seconds while any fires, as Alertmanager
 * expects of a client (docs/alerts.md). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "sink.h"

struct am_conf {
	char url[512];
	int repost_s;
};

#define C(field) offsetof(struct am_conf, field)

static const struct cfg_key am_keys[] = {
	CFG_KEY_STR("alertmanager_url", C(url), sizeof(((struct am_conf *)0)->url), "",
	    "Prometheus Alertmanager to post alerts to (v2 API); 'http://127.0.0.1:9093'",
	    .check = sink_check_url, .flags = CFG_RELOAD),
	CFG_KEY_INT("repost", C(repost_s), 5, 3600, "60",
	    "seconds between re-posts of firing alerts to Alertmanager", .flags = CFG_RELOAD),
};

static void
am_url(const void *conf, char *url, size_t len)
{
	const struct am_conf *c = conf;
	url[0] = '\0';
	if (c->url[0] != '\0')
		snprintf(url, len, "%s/api/v2/alerts", c->url);
}

static json_t *
am_alert(const struct sink_req *r, const struct alert *al)
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
	    "reason", al->reason, "since", sink_iso(al->since_ms, t), "regency_name",
	    al->regency_name, "startsAt", sink_iso(al->starts_ms, t));
	if (o != NULL && !al->firing)
		json_object_set_new(o, "endsAt", json_string(sink_iso(al->ends_ms, t)));
	if (o != NULL && r->dashboard_url[0] != '\0') {
		snprintf(url, sizeof(url), "%s/#/regency/%s", r->dashboard_url, al->regency);
		json_object_set_new(o, "generatorURL", json_string(url));
	}
	return o;
}

/* Every firing alert and every resolve not yet told. */
static json_t *
am_payload(struct sink_req *r)
{
	const struct am_conf *c = r->conf;
	size_t na;
	const struct alert *v = alerts_list(r->alerts, &na);
	json_t *list = json_array();
	bool changed = false, firing = false;
	for (size_t i = 0; list != NULL && i < na; i++) {
		bool pending = sink_pending(r, &v[i]);
		if (!v[i].firing && !pending)
			continue;
		changed = changed || pending;
		firing = firing || v[i].firing;
		if (sink_take(r, &v[i]))
			json_array_append_new(list, am_alert(r, &v[i]));
	}
	if (changed || (firing && r->now_ms - r->last_post_ms >= (int64_t)c->repost_s * 1000))
		return list;
	json_decref(list);
	return NULL;
}

const struct sink_ops sink_alertmanager = {
	.name = "alertmanager",
	SINK_KEYS(am_keys, struct am_conf),
	.url = am_url,
	.payload = am_payload,
};
