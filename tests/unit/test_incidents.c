/* Incidents: bad sites grouped behind a shared hop by address and by
 * prefix, OK sites behind it lowering the confidence, silent hops, sites
 * without a path, all sites bad, start and end, hold and release, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "collector/incidents/incidents.h"
#include "collector/incidents/incwatch.h"
#include "collector/store/incidentdb.h"
#include "collector/store/store.h"
#include "db_harness.h"

#define T0 1700000000000LL
#define SEC 1000LL

/* Site i's path: its gateway, hop2 (its upstream), the core, the target. */
static void
route(struct path_route *r, int i, const char *hop2)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->target, sizeof(r->target), "198.18.1.2");
	r->reached = true;
	const char *core = "10.0.0.1";
	char gw[32];
	snprintf(gw, sizeof(gw), "192.168.%d.1", i);
	const char *hops[] = { gw, hop2, core, "198.18.1.2" };
	for (int h = 0; h < 4; h++) {
		r->hops[h].ttl = h + 1;
		snprintf(r->hops[h].addr, sizeof(r->hops[h].addr), "%s", hops[h]);
	}
	r->nhops = 4;
}

struct lab {
	struct path_route r[8];
	struct pg_site s[8];
	size_t n;
};

/* n more sites of status st, each named by its place (a, b, c...), with
 * hop2 as their hop 2 ("" silent, NULL: no path known). */
static void
sites(struct lab *l, size_t n, enum site_status st, const char *hop2)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
	for (size_t k = 0; k < n; k++) {
		assert_true(l->n < sizeof(names) / sizeof(names[0]));
		size_t i = l->n++;
		route(&l->r[i], (int)i, hop2 != NULL ? hop2 : "");
		l->s[i] = (struct pg_site){ names[i], st, hop2 != NULL ? &l->r[i] : NULL,
			                    hop2 != NULL };
	}
}

/* Two bad sites make a group; hold 90 s, keep an ended incident an hour. */
static const struct incidents_rules irules = {
	{ .min_sites = 2, .min_confidence = 0.5, .prefix_len = 0 }, 90 * SEC, 3600 * SEC
};
static const struct pg_rules *const rules = &irules.group;

static size_t
find(const struct lab *l, const struct pg_rules *r, struct pg_group **g)
{
	size_t n;
	assert_int_equal(pathgroup_find(l->s, l->n, r, g, &n), PANTAU_OK);
	return n;
}

/* The one group pathgroup_find makes of l's sites under r: at hop. */
static struct pg_group *
one_group(const struct lab *l, const struct pg_rules *r, const char *hop)
{
	struct pg_group *g;
	assert_int_equal(find(l, r, &g), 1);
	assert_string_equal(g[0].hop, hop);
	return g;
}

static void
no_group(const struct lab *l, const struct pg_rules *r)
{
	struct pg_group *g;
	assert_int_equal(find(l, r, &g), 0);
	pathgroup_free(g, 0);
}

/* Update in with l's sites at now. */
static void
update(struct incidents *in, const struct lab *l, int64_t now)
{
	assert_int_equal(incidents_update(in, l->s, l->n, now), PANTAU_OK);
}

/* in's incidents, of which there must be n. */
static struct incident *
listed(struct incidents *in, size_t n)
{
	size_t got;
	struct incident *v = incidents_list(in, &got);
	assert_int_equal(got, n);
	return v;
}

/* Incidents over l's sites, updated once at now. */
static struct incidents *
incidents_at(const struct lab *l, int64_t now)
{
	struct incidents *in = incidents_new(&irules);
	assert_non_null(in);
	update(in, l, now);
	return in;
}

static void
test_groups_by_address(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 1, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_CRITICAL, "10.20.0.1");
	sites(&l, 1, SITE_OFFLINE, "10.20.0.1");
	sites(&l, 1, SITE_OK, "10.30.0.1");
	/* the shared hop, not the core behind all four nor the target */
	struct pg_group *g = one_group(&l, rules, "10.20.0.1");
	assert_false(g[0].prefix);
	assert_int_equal(g[0].ttl, 2);
	assert_int_equal(g[0].nbad, 3);
	assert_int_equal(g[0].nok, 0);
	assert_true(g[0].localised);
	assert_true(g[0].confidence > 0.999);
	pathgroup_free(g, 1);
	/* d bad too: the deeper shared hop, d left on its own */
	l.s[3].status = SITE_CRITICAL;
	g = one_group(&l, rules, "10.20.0.1");
	assert_int_equal(g[0].nbad, 3);
	pathgroup_free(g, 1);
	l.s[3].status = SITE_OK;
	/* only d bad: one site is no incident */
	l.s[0].status = l.s[1].status = l.s[2].status = SITE_OK;
	l.s[3].status = SITE_CRITICAL;
	no_group(&l, rules);
}

/* A path measured while the link was congested lost hops: fewer sites
 * stand behind its hop 2, which must not pass for a deeper hop than the
 * one before it (tests/e2e/test_incidentlab.py met it). */
static void
test_partial_paths_keep_the_order(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 3, SITE_CRITICAL, "10.20.0.1");
	sites(&l, 1, SITE_CRITICAL, "10.30.0.1");
	/* the three share their gateway 10.10.0.1; c's hop 2 went silent */
	for (size_t i = 0; i < 3; i++)
		snprintf(l.r[i].hops[0].addr, sizeof(l.r[i].hops[0].addr), "10.10.0.1");
	l.r[2].hops[1].addr[0] = '\0';
	/* 10.20.0.1 has two sites behind it, the gateway three, but the
	 * gateway stands before it on a's and b's paths: the gateway, with
	 * the three; d alone is no group (not one at the core with c) */
	struct pg_group *g = one_group(&l, rules, "10.10.0.1");
	assert_int_equal(g[0].nbad, 3);
	pathgroup_free(g, 1);
}

static void
test_ok_sites_lower_the_confidence(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 3, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_OK, "10.20.0.1");
	sites(&l, 1, SITE_OK, "10.30.0.1");
	struct pg_group *g = one_group(&l, rules, "10.20.0.1");
	assert_int_equal(g[0].nok, 1);
	assert_true(g[0].confidence > 0.74 && g[0].confidence < 0.76);
	pathgroup_free(g, 1);
	/* above what the rules ask: none */
	struct pg_rules strict = *rules;
	strict.min_confidence = 0.8;
	no_group(&l, &strict);
}

static void
test_groups_by_prefix(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 1, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_DEGRADED, "10.20.0.2");
	sites(&l, 1, SITE_DEGRADED, "10.20.0.3");
	sites(&l, 1, SITE_OK, "10.30.0.1");
	/* by address only the core is shared, with d OK behind it */
	struct pg_group *g = one_group(&l, rules, "10.0.0.1");
	assert_int_equal(g[0].nok, 1);
	pathgroup_free(g, 1);
	struct pg_rules pfx = *rules;
	pfx.prefix_len = 24;
	g = one_group(&l, &pfx, "10.20.0.0/24");
	assert_true(g[0].prefix);
	assert_int_equal(g[0].nbad, 3);
	assert_int_equal(g[0].nok, 0);
	pathgroup_free(g, 1);
	/* an address before its own prefix when both explain the same */
	l.r[1].hops[1] = l.r[0].hops[1];
	l.r[2].hops[1] = l.r[0].hops[1];
	pathgroup_free(one_group(&l, &pfx, "10.20.0.1"), 1);
	char buf[PG_HOP_MAX];
	assert_true(pathgroup_prefix("10.20.7.9", 16, buf, sizeof(buf)));
	assert_string_equal(buf, "10.20.0.0/16");
	assert_false(pathgroup_prefix("2001:db8::1", 24, buf, sizeof(buf)));
}

static void
test_silent_hops_match_nothing(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 3, SITE_DEGRADED, "");
	sites(&l, 1, SITE_OK, "10.30.0.1");
	/* the silent shared hop is not guessed: the core is what they share */
	pathgroup_free(one_group(&l, rules, "10.0.0.1"), 1);
	/* everything beyond the gateway silent: nothing shared */
	for (int i = 0; i < 3; i++)
		l.r[i].nhops = 1;
	no_group(&l, rules);
}

static void
test_a_bad_site_without_a_path_is_not_guessed(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 2, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_DEGRADED, NULL);
	sites(&l, 1, SITE_OK, "10.30.0.1");
	struct pg_group *g;
	assert_int_equal(find(&l, rules, &g), 1);
	assert_int_equal(g[0].nbad, 2);
	assert_string_equal(l.s[g[0].bad[0]].agent, "a");
	assert_string_equal(l.s[g[0].bad[1]].agent, "b");
	pathgroup_free(g, 1);
}

static void
test_all_bad_is_said_not_localised(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 1, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_DEGRADED, "10.20.0.2");
	sites(&l, 1, SITE_DEGRADED, "10.30.0.1");
	struct incidents *in = incidents_at(&l, T0);
	struct incident *v = listed(in, 1);
	assert_string_equal(v[0].hop, "10.0.0.1");
	assert_false(v[0].localised);
	assert_non_null(strstr(v[0].message, "fault not localised: all 3 sites"));
	incidents_free(in);
}

static void
test_start_carry_end(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 2, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_OK, "10.20.0.1");
	sites(&l, 1, SITE_OK, "10.30.0.1");
	struct incidents *in = incidents_at(&l, T0);
	size_t n;
	struct incident *v = listed(in, 1);
	assert_int_equal(v[0].id, 1);
	assert_int_equal(v[0].start_ms, T0);
	assert_int_equal(v[0].end_ms, -1);
	assert_true(v[0].dirty);
	assert_string_equal(v[0].message, "likely fault at hop 10.20.0.1 (or beyond): 2 of 3 "
	                                  "sites behind it degraded; 1 behind it is OK");
	v[0].dirty = false;
	/* c goes bad too: the same incident, its sites follow */
	l.s[2].status = SITE_CRITICAL;
	update(in, &l, T0 + 10 * SEC);
	v = listed(in, 1);
	assert_int_equal(v[0].nsites, 3);
	assert_true(v[0].dirty);
	assert_string_equal(v[0].message, "likely fault at hop 10.20.0.1 (or beyond): 3 of 3 "
	                                  "sites behind it degraded; none behind it is OK");
	assert_non_null(incidents_of_site(in, "c"));
	assert_null(incidents_of_site(in, "d"));
	assert_int_equal(incidents_open(in), 1);
	assert_int_equal(incidents_sites_open(in), 3);
	v[0].dirty = false;
	update(in, &l, T0 + 20 * SEC);
	assert_false(incidents_list(in, &n)[0].dirty);
	/* all well again: it ends */
	l.s[0].status = l.s[1].status = l.s[2].status = SITE_OK;
	update(in, &l, T0 + 30 * SEC);
	v = incidents_list(in, &n);
	assert_int_equal(v[0].end_ms, T0 + 30 * SEC);
	assert_int_equal(incidents_open(in), 0);
	v[0].dirty = false;
	/* bad again: a new incident */
	l.s[0].status = l.s[1].status = SITE_DEGRADED;
	update(in, &l, T0 + 40 * SEC);
	v = listed(in, 2);
	assert_int_equal(v[1].id, 2);
	/* the ended one leaves the memory after keep_ms */
	update(in, &l, T0 + 30 * SEC + 3600 * SEC);
	v = listed(in, 1);
	assert_int_equal(v[0].id, 2);
	incidents_free(in);
}

static void
test_hold_and_release(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 2, SITE_DEGRADED, "10.20.0.1");
	sites(&l, 1, SITE_OK, "10.30.0.1");
	struct incidents *in = incidents_new(&irules);
	/* before any incident: held for hold_ms when a path is known */
	assert_true(incidents_holds(in, "a", true, T0, T0 + 30 * SEC));
	assert_false(incidents_holds(in, "a", true, T0, T0 + 90 * SEC));
	assert_false(incidents_holds(in, "x", false, T0, T0 + 1 * SEC));
	update(in, &l, T0 + 30 * SEC);
	/* in an open incident: held however long */
	assert_true(incidents_holds(in, "a", true, T0, T0 + 600 * SEC));
	assert_false(incidents_holds(in, "c", true, T0, T0 + 600 * SEC));
	/* b recovers, so one bad site is no incident: a's alert is released */
	l.s[1].status = SITE_OK;
	update(in, &l, T0 + 600 * SEC);
	assert_int_equal(incidents_open(in), 0);
	assert_false(incidents_holds(in, "a", true, T0, T0 + 600 * SEC));
	incidents_free(in);
}

static void
test_json_and_restore(void **state)
{
	(void)state;
	struct lab l = { .n = 0 };
	sites(&l, 2, SITE_DEGRADED, "10.20.0.1");
	struct incidents *in = incidents_at(&l, T0);
	size_t n;
	json_t *o = incident_json(&incidents_list(in, &n)[0]);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "hop")), "10.20.0.1");
	assert_true(json_is_true(json_object_get(o, "open")));
	assert_true(json_is_null(json_object_get(o, "end")));
	struct incident x;
	assert_true(incident_from_json(o, &x));
	json_decref(o);
	struct incidents *again = incidents_new(&irules);
	assert_int_equal(incidents_restore(again, &x), PANTAU_OK);
	incident_clear(&x);
	const struct incident *y = incidents_of_site(again, "b");
	assert_non_null(y);
	assert_int_equal(y->id, 1);
	assert_int_equal(y->start_ms, T0);
	/* carried on after the restart, not started again */
	update(again, &l, T0 + SEC);
	struct incident *v = listed(again, 1);
	assert_int_equal(v[0].start_ms, T0);
	/* a new one after it gets the next id */
	l.s[0].status = l.s[1].status = SITE_OK;
	update(again, &l, T0 + 2 * SEC);
	l.s[0].status = l.s[1].status = SITE_DEGRADED;
	update(again, &l, T0 + 3 * SEC);
	v = incidents_list(again, &n);
	assert_int_equal(v[n - 1].id, 2);
	incidents_free(again);
	incidents_free(in);
}

static void
test_route_from_json(void **state)
{
	(void)state;
	json_error_t e;
	json_t *o = json_loads("{\"probe\":\"path\",\"hops\":[{\"ttl\":1,\"addr\":\"198.18.0.1\","
	    "\"sent\":3,\"recv\":3},{\"ttl\":2,\"sent\":3,\"recv\":0}],\"reached\":true}", 0, &e);
	assert_non_null(o);
	struct path_route r;
	assert_int_equal(sitepath_route_from_json(o, "t", T0, &r), PANTAU_OK);
	assert_int_equal(r.nhops, 2);
	assert_string_equal(r.hops[0].addr, "198.18.0.1");
	assert_string_equal(r.hops[1].addr, "");
	assert_true(r.reached);
	json_decref(o);
	o = json_loads("{\"hops\":[{\"addr\":\"1.2.3.4\"}]}", 0, &e);
	assert_int_equal(sitepath_route_from_json(o, "t", T0, &r), PANTAU_ERR_INVAL);
	json_decref(o);
	struct sitepath *t = sitepath_new();
	route(&r, 1, "10.20.0.1");
	assert_int_equal(sitepath_put(t, "a", &r), PANTAU_OK);
	struct path_route older = r;
	older.ms = r.ms - 1;
	older.nhops = 1;
	assert_int_equal(sitepath_put(t, "a", &older), PANTAU_OK);
	size_t n;
	const struct path_route *got = sitepath_get(t, "a", &n);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].nhops, 4);
	assert_null(sitepath_get(t, "b", &n));
	assert_int_equal(sitepath_count(t), 1);
	sitepath_free(t);
}

static void
test_incidents_and_paths_survive_a_restart(void **state)
{
	(void)state;
	struct db_fixture fx;
	db_fixture_open(&fx, "incidents", 1);
	struct incidentdb *db;
	assert_int_equal(incidentdb_open(store_db(fx.store), &db), PANTAU_OK);
	struct incidents_rules r;
	incidents_rules_default(&r);
	struct incwatch *w = incwatch_new(&r, db, T0);
	assert_non_null(w);
	struct lab l = { .n = 0 };
	sites(&l, 2, SITE_DEGRADED, "10.20.0.1");
	update(incwatch_incidents(w), &l, T0);
	size_t n;
	struct incident *v = incidents_list(incwatch_incidents(w), &n);
	json_t *o = incident_json(&v[0]);
	char *text = json_dumps(o, JSON_COMPACT);
	assert_int_equal(incidentdb_save(db, v[0].id, v[0].end_ms, text), PANTAU_OK);
	free(text);
	json_decref(o);
	o = sitepath_route_json(&l.r[0]);
	text = json_dumps(o, JSON_COMPACT);
	assert_int_equal(incidentdb_save_path(db, "a", l.r[0].target, T0, text), PANTAU_OK);
	free(text);
	json_decref(o);
	incwatch_free(w);
	/* a restart: the open incident is carried on, a's path is known */
	w = incwatch_new(&r, db, T0 + 60 * SEC);
	assert_non_null(w);
	const struct incident *x = incidents_of_site(incwatch_incidents(w), "b");
	assert_non_null(x);
	assert_int_equal(x->id, 1);
	assert_int_equal(x->start_ms, T0);
	const struct path_route *p = sitepath_get(incwatch_paths(w), "a", &n);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].nhops, 4);
	assert_string_equal(p[0].hops[1].addr, "10.20.0.1");
	incwatch_free(w);
	incidentdb_close(db);
	db_fixture_close(&fx);
}

#include "unit_main.h"
