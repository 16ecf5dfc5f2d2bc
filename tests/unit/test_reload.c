/*
 * What a SIGHUP reload is built from: cfg_reload (common/cfgreload.h) takes
 * the reloadable keys and names the others; collector_config_reload over
 * two files; engine_reconfigure judges the next window by the new
 * thresholds and keeps what the engine has seen; catalog_copy_flags; the
 * reflector's rate limit takes a new rate and burst in place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "cfgreload.h"
#include "collector/collector_config.h"
#include "collector/status/engine.h"
#include "collector/status/engine_reload.h"
#include "log.h"
#include "ratelimit.h"
#include "resultkind.h"
#include "harness_files.h"
#include "result_harness.h"

#define T0 1700000000000LL
#define SEC 1000LL

struct two {
	char name[16];
	int every;
	double share;
};

static const struct cfg_key two_keys[] = {
	CFG_KEY_STR("name", offsetof(struct two, name), 16, "a", "restart"),
	CFG_KEY_INT("every", offsetof(struct two, every), 0, 9, "1",
	    "reloads", .flags = CFG_RELOAD),
	CFG_KEY_DOUBLE("share", offsetof(struct two, share), 0, 1, "0",
	    "reloads", .flags = CFG_RELOAD),
};

static void
note(void *ctx, const char *section, const struct cfg_key *k)
{
	char *seen = ctx;
	size_t used = strlen(seen);
	snprintf(seen + used, 64 - used, "[%s] %s;", section, k->name);
}

static void
test_cfg_reload_takes_reloadable_keys_only(void **state)
{
	(void)state;
	struct two running = { "a", 1, NAN }, next = { "b", 5, NAN };
	char seen[64] = "";
	assert_int_equal(cfg_reload("x", two_keys, 3, &running, &next, note, seen), 1);
	assert_string_equal(seen, "[x] name;");      /* named, kept */
	assert_string_equal(running.name, "a");
	assert_int_equal(running.every, 5);           /* taken */
	seen[0] = '\0';
	next.share = 0.5;
	snprintf(next.name, sizeof(next.name), "a");
	assert_int_equal(cfg_reload("x", two_keys, 3, &running, &next, note, seen), 1);
	assert_string_equal(seen, "");
	assert_true(running.share == 0.5);
}

static void
test_collector_config_reload(void **state)
{
	(void)state;
	struct collector_config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char pa[HARNESS_PATH_MAX], pb[HARNESS_PATH_MAX];
	harness_file(pa, "[status]\nat_risk_pct = 30\nwindow = 60\n[alerts]\nrepost = 20\n");
	harness_file(pb, "[status]\nat_risk_pct = 40\nwindow = 90\n[alerts]\nrepost = 30\n"
	                 "webhook_url = http://127.0.0.1:1/hook\n");
	assert_int_equal(collector_config_load(pa, a, stderr), PANTAU_OK);
	assert_int_equal(collector_config_load(pb, b, stderr), PANTAU_OK);
	/* at_risk_pct, repost and webhook_url reload; window takes a restart */
	assert_int_equal(collector_config_reload(a, b), 3);
	assert_true(a->status.at_risk_pct == 40);
	assert_int_equal(a->status.window_s, 60);
	assert_int_equal(memcmp(&a->alerts.sink, &b->alerts.sink, sizeof(a->alerts.sink)), 0);
	assert_int_equal(collector_config_reload(a, b), 0);
	unlink(pa);
	unlink(pb);
	free(a);
	free(b);
}

struct fixture {
	struct harness_base h;     /* first */
	int64_t seq;
};

static int
setup(void **state)
{
	(void)harness_setup(state, sizeof(struct fixture), 1, 1, T0);
	return 0;
}

/* 1 of 20 lost: 5 %. */
static enum site_status
batch(struct fixture *f, const char *agent, int64_t t)
{
	struct wire_result r;
	icmp_train(&r, 20, 1, 20, 1);
	struct wire_batch b = one_result_batch(agent, ++f->seq, t, &r);
	struct engine_site_view v;
	engine_batch(f->h.e, "32.73", &b, t);
	assert_true(engine_site(f->h.e, agent, t, &v));
	return v.status;
}

static struct profiles *
profiles(const char *text)
{
	struct profiles *p = NULL;
	char path[HARNESS_PATH_MAX];
	harness_file(path, text);
	assert_int_equal(profiles_load(path, &p, stderr), PANTAU_OK);
	unlink(path);
	return p;
}

static void
test_engine_judges_the_next_window_by_new_thresholds(void **state)
{
	struct fixture *f = *state;
	const char *ag = "ag-3273-0001";
	struct wire_status st = { .online = true, .agent = ag, .boot = 1, .ts_ms = T0,
		.link = "fiber", .interval_s = 20, .lat = NAN, .lon = NAN };
	engine_status(f->h.e, "32.73", ag, &st, T0);
	assert_int_equal(batch(f, ag, T0 + SEC), SITE_DEGRADED);        /* 5 % above 2 % */
	struct engine_opts o = *engine_options(f->h.e);
	struct profiles *p = profiles("[link.fiber]\nloss_degraded_pct = 8\n");
	o.window_s = 999;                                               /* takes a restart */
	o.at_risk_share = 0.5;
	engine_reconfigure(f->h.e, &o, p);
	assert_int_equal(engine_options(f->h.e)->window_s, 60);
	assert_true(engine_options(f->h.e)->at_risk_share == 0.5);
	assert_int_equal(batch(f, ag, T0 + 21 * SEC), SITE_OK);         /* 5 % below 8 % */
	struct profiles *q = profiles("[site.ag-3273-0001]\nloss_degraded_pct = 4\n");
	engine_reconfigure(f->h.e, &o, q);
	profiles_free(p);
	assert_int_equal(batch(f, ag, T0 + 41 * SEC), SITE_DEGRADED);
	engine_reconfigure(f->h.e, &o, NULL);
	profiles_free(q);
	assert_int_equal(batch(f, ag, T0 + 61 * SEC), SITE_DEGRADED);   /* defaults: 2 % */
}

static void
test_catalog_copy_flags(void **state)
{
	struct fixture *f = *state;
	char why[256], flags[HARNESS_PATH_MAX];
	struct catalog *c2 = harness_catalog();
	harness_file(flags, "code,tertinggal,terdepan,terluar\n32.73,0,1,0\n");
	assert_int_equal(catalog_load_flags(c2, flags, why, sizeof(why)), PANTAU_OK);
	unlink(flags);
	assert_false(catalog_regency_3t(catalog_regency(f->h.cat, "32.73")));
	catalog_copy_flags(f->h.cat, c2);
	assert_true(catalog_regency_3t(catalog_regency(f->h.cat, "32.73")));
	assert_true(catalog_regency(f->h.cat, "95.01")->tertinggal);     /* the shipped ones stay */
	catalog_free(c2);
}

static void
test_rate_limit_takes_new_rate_in_place(void **state)
{
	(void)state;
	struct ratelimit *r = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, "198.18.0.1", &a.sin_addr);
	int64_t t = 1000000000LL;
	assert_int_equal(ratelimit_new(10, 2, 64, &r), PANTAU_OK);
	assert_true(ratelimit_allow(r, (struct sockaddr *)&a, t));
	assert_true(ratelimit_allow(r, (struct sockaddr *)&a, t));
	assert_false(ratelimit_allow(r, (struct sockaddr *)&a, t));
	/* 10/s: not yet */
	assert_false(ratelimit_allow(r, (struct sockaddr *)&a, t + 1000000LL));
	assert_int_equal(ratelimit_set(r, 0, 2), PANTAU_ERR_INVAL);
	assert_int_equal(ratelimit_set(r, 1000, 2), PANTAU_OK);    /* the same table... */
	assert_int_equal(ratelimit_slots(r), 64);
	/* ...and 1000/s: a token per ms */
	assert_true(ratelimit_allow(r, (struct sockaddr *)&a, t + 2000000LL));
	assert_false(ratelimit_allow(r, (struct sockaddr *)&a, t + 2000000LL));
	ratelimit_free(r);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN harness_teardown
#define UNIT_LOG_LEVEL LOG_LEVEL_ERROR
#include "unit_main.h"
