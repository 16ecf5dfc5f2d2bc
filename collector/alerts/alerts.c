#include "alerts.h"

#include "grow.h"
#include "jsontime.h"
#include "strsorted.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How release 9db89e2 saved "told": an array in this order. */
static const char *const told_9db89e2[] = { "alertmanager", "webhook", "telegram" };

struct alerts {
	struct alerts_rules r;
	const struct catalog *cat;
	struct alert *v;             /* sorted by key */
	size_t n, cap;
	int64_t now_ms;
	const struct engine *e;
	const struct incidents *in;  /* NULL: none */
	const struct sitepath *paths;
	engine_owns_fn owns;         /* NULL: every regency */
	void *owns_ctx;
};

/* What a rule wants this evaluation. */
struct want {
	const char *alertname, *regency, *site, *link, *status, *reason;
	int64_t since_ms;
	const char *key;             /* the key's second part when not the site or regency */
};

struct alerts *
alerts_new(const struct alerts_rules *r, const struct catalog *cat)
{
	struct alerts *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->r = *r;
	a->cat = cat;
	return a;
}

void
alerts_set_rules(struct alerts *a, const struct alerts_rules *r)
{
	a->r = *r;
}

void
alerts_set_owner(struct alerts *a, engine_owns_fn owns, void *ctx)
{
	a->owns = owns;
	a->owns_ctx = ctx;
}

bool
alerts_owned(const struct alerts *a, const char *regency)
{
	return a->owns == NULL || a->owns(a->owns_ctx, regency);
}

bool
alerts_partitioned(const struct alerts *a)
{
	return a->owns != NULL;
}

void
alerts_drop_unowned(struct alerts *a)
{
	size_t out = 0;
	for (size_t i = 0; i < a->n; i++)
		if (alerts_owned(a, a->v[i].regency))
			a->v[out++] = a->v[i];
	a->n = out;
}

void
alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	free(a->v);
	free(a);
}

struct alert *
alerts_list(struct alerts *a, size_t *n)
{
	*n = a->n;
	return a->v;
}

size_t
alerts_firing(const struct alerts *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].firing;
	return n;
}

static const char *
key_at(const void *a, size_t i)
{
	return ((const struct alerts *)a)->v[i].key;
}

/* Index of key, or where it would go (*found false). */
static size_t
find(const struct alerts *a, const char *key, bool *found)
{
	return strsorted_find(a, a->n, key_at, key, found);
}

unsigned
alert_told(const struct alert *al, const char *sink)
{
	for (size_t i = 0; i < al->ntold; i++)
		if (strcmp(al->told[i].sink, sink) == 0)
			return al->told[i].version;
	return 0;
}

bool
alert_set_told(struct alert *al, const char *sink, unsigned version)
{
	size_t i = 0;
	while (i < al->ntold && strcmp(al->told[i].sink, sink) != 0)
		i++;
	if (i == ALERT_TOLD_MAX || strlen(sink) > ALERT_SINK_NAME_MAX)
		return false;
	if (i == al->ntold) {
		snprintf(al->told[i].sink, sizeof(al->told[i].sink), "%s", sink);
		al->told[i].version = 0;
		al->ntold++;
	}
	if (al->told[i].version != version) {
		al->told[i].version = version;
		al->dirty = true;
	}
	return true;
}

static bool
told_all(const struct alerts *a, const struct alert *al)
{
	for (size_t s = 0; s < a->r.nsinks; s++)
		if (alert_told(al, a->r.sinks[s]) != al->version)
			return false;
	return true;
}

struct alert *
alerts_get(struct alerts *a, const char *key)
{
	bool found;
	size_t at = find(a, key, &found);
	return found ? &a->v[at] : NULL;
}

static struct alert *
insert(struct alerts *a, const char *key)
{
	bool found;
	size_t at = find(a, key, &found);
	if (found)
		return &a->v[at];
	struct alert *v = grow_to(a->v, &a->cap, a->n + 1, sizeof(*v), 64);
	if (v == NULL)
		return NULL;
	a->v = v;
	memmove(&a->v[at + 1], &a->v[at], (a->n - at) * sizeof(*a->v));
	a->n++;
	struct alert *al = &a->v[at];
	memset(al, 0, sizeof(*al));
	snprintf(al->key, sizeof(al->key), "%s", key);
	al->ends_ms = al->clear_ms = -1;
	return al;
}

static void
set_labels(struct alerts *a, struct alert *al, const struct want *w, bool counting)
{
	const struct catalog_regency *r = catalog_regency(a->cat, w->regency);
	snprintf(al->alertname, sizeof(al->alertname), "%s", w->alertname);
	snprintf(al->regency, sizeof(al->regency), "%s", w->regency);
	snprintf(al->province, sizeof(al->province), "%.2s", w->regency);
	snprintf(al->regency_name, sizeof(al->regency_name), "%s", r != NULL ? r->name : "");
	snprintf(al->site, sizeof(al->site), "%s", w->site != NULL ? w->site : "");
	snprintf(al->link, sizeof(al->link), "%s", w->link != NULL ? w->link : "");
	al->tertinggal = r != NULL && r->tertinggal;
	al->is_3t = r != NULL && catalog_regency_3t(r);
	const char *sev = counting ? "critical" : "warning";
	if (al->firing && strcmp(al->severity, sev) != 0)
		al->version++;  /* escalated or relaxed: tell the receivers */
	snprintf(al->severity, sizeof(al->severity), "%s", sev);
}

static void
want(struct alerts *a, const struct want *w)
{
	char key[96];
	const struct catalog_regency *r = catalog_regency(a->cat, w->regency);
	const struct catalog_province *p = r != NULL ? catalog_province(a->cat, r->province) : NULL;
	bool counting = p != NULL && engine_counting(a->e, p->tz, a->now_ms);
	snprintf(key, sizeof(key), "%s/%s", w->alertname, w->key != NULL ? w->key :
	    w->site != NULL ? w->site : w->regency);
	struct alert *al = insert(a, key);
	if (al == NULL)
		return;
	unsigned version = al->version;
	al->seen = true;
	al->clear_ms = -1;
	set_labels(a, al, w, counting);
	snprintf(al->status, sizeof(al->status), "%s", w->status);
	snprintf(al->reason, sizeof(al->reason), "%s", w->reason);
	al->since_ms = w->since_ms;
	if (!al->firing) {
		al->firing = true;
		al->starts_ms = a->now_ms;
		al->ends_ms = -1;
		al->version++;
	}
	al->dirty = al->dirty || al->version != version;
}

void
alerts_use_incidents(struct alerts *a, const struct incidents *in, const struct sitepath *paths)
{
	a->in = in;
	a->paths = paths;
}

/* PantauIncident, wanted from its first site. It takes that site's regency
 * when it starts firing and keeps it while it fires: the sites are sorted,
 * so a site joining can become the first, and a changed label would be a
 * second alert to Alertmanager. */
static void
rule_incident(struct alerts *a, const struct engine_site_info *s)
{
	char id[24], key[96], regency[sizeof(((struct alert *)0)->regency)];
	const struct incident *x = incidents_of_site(a->in, s->agent);
	if (x == NULL || x->nsites == 0 || strcmp(x->sites[0], s->agent) != 0)
		return;
	snprintf(id, sizeof(id), "%lld", (long long)x->id);
	snprintf(key, sizeof(key), "PantauIncident/%s", id);
	const struct alert *cur = alerts_get(a, key);
	snprintf(regency, sizeof(regency), "%s",
	    cur != NULL && cur->firing ? cur->regency : s->regency);
	struct want w = { "PantauIncident", regency, NULL, NULL, "INCIDENT", x->message,
		x->start_ms, id };
	want(a, &w);
}

/* A site alert not yet firing that an incident holds back. */
static bool
held(struct alerts *a, const char *alertname, const struct engine_site_info *s)
{
	char key[96];
	size_t n = 0;
	if (a->in == NULL)
		return false;
	snprintf(key, sizeof(key), "%s/%s", alertname, s->agent);
	const struct alert *al = alerts_get(a, key);
	if (al != NULL && al->firing)
		return false;
	if (a->paths != NULL)
		(void)sitepath_get(a->paths, s->agent, &n);
	return incidents_holds(a->in, s->agent, n > 0, s->since_ms, a->now_ms);
}

static void
rule_site(void *ctx, const struct engine_site_info *s)
{
	struct alerts *a = ctx;
	struct want w = { NULL, s->regency, s->agent, s->link, sitestate_name(s->status),
		s->reason, s->since_ms, NULL };
	if (!alerts_owned(a, s->regency))
		return;
	if (a->in != NULL)
		rule_incident(a, s);
	if (s->status == SITE_CRITICAL || s->status == SITE_OFFLINE) {
		w.alertname = "PantauSiteDown";
		if (!held(a, w.alertname, s))
			want(a, &w);
		return;
	}
	const struct catalog_regency *r = catalog_regency(a->cat, s->regency);
	const struct catalog_province *p = r != NULL ? catalog_province(a->cat, r->province) : NULL;
	if (s->status == SITE_DEGRADED && r != NULL && catalog_regency_3t(r) && p != NULL &&
	    engine_counting(a->e, p->tz, a->now_ms)) {
		w.alertname = "PantauSiteDegraded";
		if (!held(a, w.alertname, s))
			want(a, &w);
	}
}

static void
rule_regency(void *ctx, const char *code, const struct regency_rollup *r, int64_t since_ms)
{
	struct alerts *a = ctx;
	if (!r->at_risk || !alerts_owned(a, code))
		return;
	struct want w = { "PantauRegencyAtRisk", code, NULL, NULL, sitestate_name(r->worst),
		r->reason, since_ms, NULL };
	want(a, &w);
}

/* Resolve what was not wanted; forget what was resolved and told long ago. */
static void
settle(struct alerts *a)
{
	size_t out = 0;
	for (size_t i = 0; i < a->n; i++) {
		struct alert *al = &a->v[i];
		if (!alerts_owned(a, al->regency)) {  /* another owner's, until it is dropped */
			a->v[out++] = *al;
			continue;
		}
		if (al->firing && !al->seen) {
			if (al->clear_ms < 0)
				al->clear_ms = a->now_ms;
			if (a->now_ms - al->clear_ms >= a->r.resolve_hold_ms) {
				al->firing = false;
				al->ends_ms = a->now_ms;
				al->version++;
				al->dirty = true;
			}
		}
		/* a dirty one is saved first: a restart must not tell it again */
		bool forget = !al->firing && !al->dirty && told_all(a, al) &&
		    a->now_ms - al->ends_ms >= a->r.forget_ms;
		if (!forget)
			a->v[out++] = *al;
	}
	a->n = out;
}

void
alerts_evaluate(struct alerts *a, const struct engine *e, int64_t now_ms)
{
	a->now_ms = now_ms;
	a->e = e;
	for (size_t i = 0; i < a->n; i++)
		a->v[i].seen = false;
	engine_each_site(e, rule_site, a);
	engine_each_regency(e, rule_regency, a);
	settle(a);
}

void
alerts_restore(struct alerts *a, const struct alert *saved)
{
	struct alert *al = insert(a, saved->key);
	if (al != NULL) {
		*al = *saved;
		al->dirty = false;
	}
}

void
alerts_touch(struct alerts *a)
{
	for (size_t i = 0; i < a->n; i++)
		a->v[i].dirty = true;
}

json_t *
alert_json(const struct alert *al)
{
	json_t *told = json_object();
	for (size_t i = 0; told != NULL && i < al->ntold; i++)
		json_object_set_new(told, al->told[i].sink, json_integer(al->told[i].version));
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:b,s:i,s:o}",
	    "key", al->key, "alertname", al->alertname, "severity", al->severity, "province",
	    al->province, "regency", al->regency, "regency_name", al->regency_name, "site",
	    al->site, "link", al->link, "tertinggal", al->tertinggal, "is_3t", al->is_3t,
	    "status", al->status, "reason", al->reason, "firing", al->firing, "version",
	    (int)al->version, "told", told);
	if (o == NULL)
		return NULL;
	json_set_time(o, "since", al->since_ms);
	json_set_time(o, "starts_at", al->starts_ms);
	json_set_time(o, "ends_at", al->ends_ms);
	return o;
}

static bool
get_str(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (v == NULL)
		return false;
	snprintf(buf, len, "%s", v);
	return true;
}

/* "told": {"webhook":3,...}, or release 9db89e2's [am, webhook, telegram]. */
static bool
get_told(const json_t *told, struct alert *al)
{
	const char *sink;
	const json_t *v;
	size_t n = sizeof(told_9db89e2) / sizeof(told_9db89e2[0]);
	if (json_is_array(told) && json_array_size(told) == n) {
		for (size_t i = 0; i < n; i++)
			(void)alert_set_told(al, told_9db89e2[i],
			    (unsigned)json_integer_value(json_array_get(told, i)));
		return true;
	}
	if (!json_is_object(told))
		return false;
	json_object_foreach((json_t *)told, sink, v)
		(void)alert_set_told(al, sink, (unsigned)json_integer_value(v));
	return true;
}

bool
alert_from_json(const json_t *o, struct alert *al)
{
	memset(al, 0, sizeof(*al));
	bool ok = get_str(o, "key", al->key, sizeof(al->key)) &&
	    get_str(o, "alertname", al->alertname, sizeof(al->alertname)) &&
	    get_str(o, "severity", al->severity, sizeof(al->severity)) &&
	    get_str(o, "regency", al->regency, sizeof(al->regency)) &&
	    get_told(json_object_get(o, "told"), al);
	if (!ok)
		return false;
	(void)get_str(o, "province", al->province, sizeof(al->province));
	(void)get_str(o, "regency_name", al->regency_name, sizeof(al->regency_name));
	(void)get_str(o, "site", al->site, sizeof(al->site));
	(void)get_str(o, "link", al->link, sizeof(al->link));
	(void)get_str(o, "status", al->status, sizeof(al->status));
	(void)get_str(o, "reason", al->reason, sizeof(al->reason));
	al->tertinggal = json_is_true(json_object_get(o, "tertinggal"));
	al->is_3t = json_is_true(json_object_get(o, "is_3t"));
	al->firing = json_is_true(json_object_get(o, "firing"));
	al->version = (unsigned)json_integer_value(json_object_get(o, "version"));
	al->since_ms = json_get_time(o, "since");
	al->starts_ms = json_get_time(o, "starts_at");
	al->ends_ms = json_get_time(o, "ends_at");
	al->clear_ms = -1;
	return true;
}
