/* GET /api/v1/events and /api/v1/overview: the status engine's changes and
 * roll-ups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "grow.h"
#include "query_priv.h"
#include "sortedjson.h"

pantau_err
query_events(struct query *q, int64_t since_ms, int limit, const char *scope, json_t **out)
{
	struct db_stmt *st = q->st[Q_EVENTS];
	json_t *list = json_array();
	int step;
	*out = NULL;
	if (list == NULL)
		return PANTAU_ERR_NOMEM;
	db_bind_int64(st, 1, since_ms);
	if (scope != NULL)
		db_bind_text(st, 2, scope, -1);
	db_bind_int(st, 3, limit);
	while ((step = db_step(st)) == DB_ROW) {
		json_t *e = json_object();
		if (e == NULL || json_array_append_new(list, e) != 0)
			break;
		q_set_col_iso(e, "time", st, 0);
		q_set_col_text(e, "scope", st, 1, false);
		q_set_col_text(e, "key", st, 2, false);
		q_set_col_text(e, "regency", st, 3, false);
		q_set_col_text(e, "from", st, 4, false);
		q_set_col_text(e, "to", st, 5, false);
		q_set_col_text(e, "reason", st, 6, false);
	}
	pantau_err rc = step == DB_DONE ? PANTAU_OK : q_db_fail(q, "reading events");
	q_done(st);
	if (rc != PANTAU_OK) {
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:o}", "events", list);
	return *out != NULL ? PANTAU_OK : PANTAU_ERR_NOMEM;
}

static json_t *
area_json(const struct area_rollup *a)
{
	json_t *counts = json_object();
	for (int s = 0; s < SITE_STATUS_COUNT && counts != NULL; s++)
		json_object_set_new(counts, sitestate_name((enum site_status)s),
		    json_integer(a->site_counts[s]));
	return json_pack("{s:i,s:i,s:i,s:o,s:s,s:b,s:s}", "regencies", a->regencies,
	    "regencies_at_risk", a->at_risk, "sites", a->sites, "site_counts", counts, "status",
	    sitestate_name(a->worst), "at_risk", a->at_risk > 0, "reason", a->reason);
}

static json_t *
counting_json(const struct engine *e, int64_t now_ms)
{
	char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];
	const struct countwin *cw = &engine_options(e)->counting;
	json_t *o = json_pack("{s:b,s:b}", "configured", cw->configured, "active",
	    countwin_any_active(cw, now_ms));
	json_t *zones = json_object();
	for (int tz = 0; o != NULL && zones != NULL && tz < CATALOG_TZ_COUNT; tz++) {
		clock_format_iso(now_ms + (int64_t)catalog_tz_offset_h((enum catalog_tz)tz) * 3600000,
		    a);
		a[19] = '\0'; /* local wall clock, no zone suffix */
		json_t *z = json_pack("{s:s,s:b}", "local_time", a, "active",
		    countwin_active(cw, (enum catalog_tz)tz, now_ms));
		if (z != NULL && cw->configured) {
			clock_format_iso(cw->from_ms[tz], a);
			clock_format_iso(cw->until_ms[tz], b);
			json_object_set_new(z, "from", json_string(a));
			json_object_set_new(z, "until", json_string(b));
		}
		json_object_set_new(zones, catalog_tz_name((enum catalog_tz)tz), z);
	}
	json_object_set_new(o, "zones", zones);
	return o;
}

pantau_err
query_overview(struct query *q, int64_t now_ms, json_t **out)
{
	char iso[CLOCK_ISO_LEN];
	const struct engine *e = q->o.engine;
	*out = NULL;
	if (e == NULL)
		return PANTAU_ERR_NOT_FOUND;
	json_t *provs = json_array();
	for (size_t i = 0; provs != NULL && i < q->catalog->nprovinces; i++) {
		const struct catalog_province *p = &q->catalog->provinces[i];
		json_t *a = area_json(engine_province(e, p->code));
		if (a == NULL)
			continue;
		json_object_set_new(a, "code", json_string(p->code));
		json_object_set_new(a, "name", json_string(p->name));
		json_object_set_new(a, "time_zone", json_string(catalog_tz_name(p->tz)));
		json_array_append_new(provs, a);
	}
	clock_format_iso(now_ms, iso);
	*out = json_pack("{s:s,s:o,s:o,s:o}", "generated", iso, "nation",
	    area_json(engine_nation(e)), "provinces", provs, "counting", counting_json(e, now_ms));
	return *out != NULL ? PANTAU_OK : PANTAU_ERR_NOMEM;
}

static int
cmp_alert(const void *pa, const void *pb)
{
	const struct alert *a = *(const struct alert *const *)pa;
	const struct alert *b = *(const struct alert *const *)pb;
	if (a->firing != b->firing)
		return a->firing ? -1 : 1;
	if (a->starts_ms != b->starts_ms)
		return a->starts_ms > b->starts_ms ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* An alert's JSON without its sinks' "told" state. */
static json_t *
alert_item(const void *item, void *ctx)
{
	(void)ctx;
	json_t *o = alert_json(item);
	if (o != NULL)
		json_object_del(o, "told");
	return o;
}

/* The alerts an answer lists, copied. */
struct alert_list {
	struct alert *v;
	size_t n, cap;
};

static pantau_err
list_add(struct alert_list *l, const struct alert *al)
{
	struct alert *v = grow_to(l->v, &l->cap, l->n + 1, sizeof(*v), 16);
	if (v == NULL)
		return PANTAU_ERR_NOMEM;
	l->v = v;
	l->v[l->n++] = *al;
	return PANTAU_OK;
}

/* Partitioned collectors (docs/scaling.md): the alerts of the partitions
 * other collectors own, as their owners last saved them. */
static pantau_err
add_saved(struct query *q, struct alert_list *l)
{
	struct db_stmt *st;
	if (db_prepare(q->db, "SELECT data FROM alerts", &st) != DB_OK)
		return q_db_fail(q, "reading the saved alerts");
	pantau_err rc = PANTAU_OK;
	int step;
	while (rc == PANTAU_OK && (step = db_step(st)) == DB_ROW) {
		const char *text = (const char *)db_column_text(st, 0);
		json_t *o = text != NULL ? json_loads(text, 0, NULL) : NULL;
		struct alert al;
		if (o != NULL && alert_from_json(o, &al) && !alerts_owned(q->o.alerts, al.regency))
			rc = list_add(l, &al);
		json_decref(o);
	}
	if (rc == PANTAU_OK && step != DB_DONE)
		rc = q_db_fail(q, "reading the saved alerts");
	db_finalize(st);
	return rc;
}

/* The alerts this collector judges, then (partitioned) the others' saved. */
static pantau_err
collect_alerts(struct query *q, struct alert_list *l)
{
	size_t n = 0;
	struct alert *v = q->o.alerts != NULL ? alerts_list(q->o.alerts, &n) : NULL;
	pantau_err rc = PANTAU_OK;
	for (size_t i = 0; rc == PANTAU_OK && i < n; i++)
		if (alerts_owned(q->o.alerts, v[i].regency))
			rc = list_add(l, &v[i]);
	if (rc == PANTAU_OK && q->o.alerts != NULL && alerts_partitioned(q->o.alerts))
		rc = add_saved(q, l);
	return rc;
}

pantau_err
query_alerts(struct query *q, json_t **out)
{
	struct alert_list l = { 0 };
	*out = NULL;
	pantau_err rc = collect_alerts(q, &l);
	json_int_t firing = 0;
	for (size_t i = 0; i < l.n; i++)
		firing += l.v[i].firing;
	json_t *list = rc == PANTAU_OK ?
	    sortedjson_array(l.v, l.n, sizeof(*l.v), cmp_alert, alert_item, NULL) : NULL;
	free(l.v);
	if (rc != PANTAU_OK || list == NULL)
		return rc != PANTAU_OK ? rc : PANTAU_ERR_NOMEM;
	*out = json_pack("{s:I,s:o}", "firing", firing, "alerts", list);
	return *out != NULL ? PANTAU_OK : PANTAU_ERR_NOMEM;
}
