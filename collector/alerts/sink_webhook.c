/* A generic JSON webhook: one POST per regency whose alerts changed, with
 * all of that regency's changes (docs/alerts.md). */
#include <stddef.h>
#include <stdio.h>

#include "clock.h"
#include "sink.h"

struct hook_conf {
	char url[512];
};

static const struct cfg_key hook_keys[] = {
	CFG_KEY_STR("webhook_url", offsetof(struct hook_conf, url),
	    sizeof(((struct hook_conf *)0)->url), "",
	    "URL that gets a JSON POST per regency whose alerts changed",
	    .check = sink_check_url, .flags = CFG_RELOAD),
};

static void
hook_url(const void *conf, char *url, size_t len)
{
	snprintf(url, len, "%s", ((const struct hook_conf *)conf)->url);
}

static void
hook_alert(void *ctx, const struct alert *al)
{
	char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN], c[CLOCK_ISO_LEN];
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "alertname", al->alertname,
	    "status", al->firing ? "firing" : "resolved", "severity", al->severity, "state",
	    al->status, "reason", al->reason, "since", sink_iso(al->since_ms, a), "startsAt",
	    sink_iso(al->starts_ms, b), "link", al->link);
	if (o == NULL)
		return;
	if (al->site[0] != '\0')
		json_object_set_new(o, "site", json_string(al->site));
	if (!al->firing)
		json_object_set_new(o, "endsAt", json_string(sink_iso(al->ends_ms, c)));
	json_array_append_new(ctx, o);
}

static json_t *
hook_payload(struct sink_req *r)
{
	json_t *list = json_array();
	const struct alert *first = list != NULL ? sink_take_regency(r, hook_alert, list) : NULL;
	if (first == NULL) {
		json_decref(list);
		return NULL;
	}
	return json_pack("{s:i,s:s,s:s,s:s,s:o}", "version", 1, "regency", first->regency,
	    "regency_name", first->regency_name, "province", first->province, "alerts", list);
}

const struct sink_ops sink_webhook = {
	.name = "webhook",
	SINK_KEYS(hook_keys, struct hook_conf),
	.url = hook_url,
	.payload = hook_payload,
};
