/* The broker plugin's publish limit (broker/publimit) and the keyed token
 * buckets under it (common/ratelimit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "broker/publimit.h"
#include "ratelimit.h"

#define S 1000000000LL

static struct publimit *
limit(double rate, double burst, const char *exempt)
{
	struct publimit_opts o;
	publimit_opts_default(&o);
	o.rate = rate;
	o.burst = burst;
	if (exempt != NULL)
		snprintf(o.exempt, sizeof(o.exempt), "%s", exempt);
	struct publimit *p = NULL;
	assert_int_equal(publimit_new(&o, S, &p), PANTAU_OK);
	return p;
}

static void
test_keyed_buckets_are_apart(void **state)
{
	(void)state;
	struct ratelimit *r = NULL;
	assert_int_equal(ratelimit_new_keyed(1, 2, 64, 8, &r), PANTAU_OK);
	assert_true(ratelimit_allow_key(r, "ab", 2, S));
	assert_true(ratelimit_allow_key(r, "ab", 2, S));
	assert_false(ratelimit_allow_key(r, "ab", 2, S));
	/* "a" is a prefix of "ab", not the same key */
	assert_true(ratelimit_allow_key(r, "a", 1, S));
	assert_false(ratelimit_allow_key(r, "", 0, S));
	assert_false(ratelimit_allow_key(r, "123456789", 9, S));  /* over key_max */
	assert_true(ratelimit_allow_key(r, "ab", 2, 2 * S));      /* a token a second */
	ratelimit_free(r);
	assert_int_equal(ratelimit_new_keyed(1, 2, 64, 0, &r), PANTAU_ERR_INVAL);
	assert_int_equal(ratelimit_new_keyed(1, 2, 64, RATELIMIT_KEY_MAX + 1, &r),
	                 PANTAU_ERR_INVAL);
	assert_null(r);
}

static void
test_flooder_dropped_others_pass(void **state)
{
	(void)state;
	struct publimit *p = limit(10, 5, NULL);
	int passed = 0;
	for (int i = 0; i < 20000; i++)   /* 20,000 a second for one second */
		passed += publimit_allow(p, "flooder", S + i * 50000LL);
	assert_in_range(passed, 14, 16);  /* the burst and 10 more */
	assert_int_equal(publimit_dropped(p), 20000 - passed);
	assert_true(publimit_allow(p, "victim", 2 * S));
	/* no user name (an open broker), the collector, a bridge: never limited */
	for (int i = 0; i < 100; i++) {
		assert_true(publimit_allow(p, NULL, 2 * S));
		assert_true(publimit_allow(p, "", 2 * S));
		assert_true(publimit_allow(p, "pantau-collector", 2 * S));
		assert_true(publimit_allow(p, "pantau-bridge-jawa", 2 * S));
	}
	/* "pantau-collector" is a name, not a prefix */
	int extra = 0;
	for (int i = 0; i < 100; i++)
		extra += publimit_allow(p, "pantau-collector2", 2 * S);
	assert_int_equal(extra, 5);
	publimit_free(p);
	publimit_free(NULL);
}

static void
test_exempt_list_of_options(void **state)
{
	(void)state;
	struct publimit *p = limit(1, 1, "a,b*,,c");
	for (int i = 0; i < 10; i++) {
		assert_true(publimit_allow(p, "a", S));
		assert_true(publimit_allow(p, "b", S));
		assert_true(publimit_allow(p, "bx", S));
		assert_true(publimit_allow(p, "c", S));
	}
	assert_true(publimit_allow(p, "ab", S));
	assert_false(publimit_allow(p, "ab", S));
	publimit_free(p);
}

static void
test_summary_once_a_minute(void **state)
{
	(void)state;
	struct publimit *p = limit(1, 1, "");
	char line[PUBLIMIT_LINE_MAX] = "untouched";
	assert_false(publimit_summary(p, 100 * S, line, sizeof(line)));   /* no drop yet */
	const char *who[] = {"f1", "f2", "f3", "f4", "f5", "f6"};
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 3; j++)        /* one passes, two dropped each */
			publimit_allow(p, who[i], 100 * S);
	publimit_allow(p, "f1", 100 * S);
	assert_false(publimit_summary(p, 159 * S, line, sizeof(line)));
	assert_string_equal(line, "untouched");
	assert_true(publimit_summary(p, 160 * S, line, sizeof(line)));
	assert_string_equal(line, "dropped 13 publishes over the limit of 1/s (burst 1) in the "
	                    "last 60s, 0 disconnects: f1 3, f2 2, f3 2, f4 2, 4 from other clients");
	/* the next window starts at the next drop */
	assert_false(publimit_summary(p, 300 * S, line, sizeof(line)));
	publimit_allow(p, "f2", 300 * S);
	publimit_allow(p, "f2", 300 * S);
	char name[129];
	while (publimit_take_kick(p, name, sizeof(name)))
		;
	assert_true(publimit_summary(p, 361 * S, line, sizeof(line)));
	assert_string_equal(line, "dropped 1 publishes over the limit of 1/s (burst 1) in the "
	                    "last 61s, 6 disconnects: f2 1");
	assert_int_equal(publimit_dropped(p), 14);
	publimit_free(p);
}

static void
test_over_the_limit_queues_a_disconnect_once(void **state)
{
	(void)state;
	struct publimit *p = limit(1, 1, NULL);
	char name[129];
	assert_false(publimit_take_kick(p, name, sizeof(name)));
	assert_true(publimit_allow(p, "flooder", S));
	for (int i = 0; i < 100; i++)    /* the rest of the read: dropped, queued once */
		assert_false(publimit_allow(p, "flooder", S));
	assert_true(publimit_take_kick(p, name, sizeof(name)));
	assert_string_equal(name, "flooder");
	assert_false(publimit_take_kick(p, name, sizeof(name)));
	/* a queue of PUBLIMIT_KICKS; a name that finds it full comes at its next drop */
	char who[16];
	for (int i = 0; i < PUBLIMIT_KICKS + 1; i++) {
		snprintf(who, sizeof(who), "c%d", i);
		publimit_allow(p, who, S);
		assert_false(publimit_allow(p, who, S));
	}
	int kicked = 0;
	while (publimit_take_kick(p, name, sizeof(name)))
		kicked++;
	assert_int_equal(kicked, PUBLIMIT_KICKS);
	snprintf(who, sizeof(who), "c%d", PUBLIMIT_KICKS);
	assert_false(publimit_allow(p, who, S));
	assert_true(publimit_take_kick(p, name, sizeof(name)));
	assert_string_equal(name, who);
	publimit_free(p);
	/* plugin_opt_disconnect false: dropped only */
	struct publimit_opts o;
	publimit_opts_default(&o);
	o.rate = o.burst = 1;
	o.disconnect = false;
	assert_int_equal(publimit_new(&o, S, &p), PANTAU_OK);
	publimit_allow(p, "flooder", S);
	assert_false(publimit_allow(p, "flooder", S));
	assert_false(publimit_take_kick(p, name, sizeof(name)));
	publimit_free(p);
}

static void
test_options(void **state)
{
	(void)state;
	struct publimit_opts o;
	char why[256] = "";
	publimit_opts_default(&o);
	assert_string_equal(o.exempt, "pantau-collector,pantau-bridge-*");
	assert_int_equal(publimit_opt(&o, "rate", "200", why, sizeof(why)), PANTAU_OK);
	assert_int_equal(publimit_opt(&o, "burst", "5000", why, sizeof(why)), PANTAU_OK);
	assert_int_equal(publimit_opt(&o, "clients", "1024", why, sizeof(why)), PANTAU_OK);
	assert_int_equal(publimit_opt(&o, "summary", "5", why, sizeof(why)), PANTAU_OK);
	assert_int_equal(publimit_opt(&o, "exempt", "", why, sizeof(why)), PANTAU_OK);
	assert_true(o.rate == 200 && o.burst == 5000 && o.clients == 1024 && o.summary_s == 5 &&
	            o.exempt[0] == 0);
	assert_int_equal(publimit_opt(&o, "summary", "0", why, sizeof(why)), PANTAU_ERR_INVAL);
	assert_true(o.disconnect);
	assert_int_equal(publimit_opt(&o, "disconnect", "false", why, sizeof(why)), PANTAU_OK);
	assert_false(o.disconnect);
	assert_int_equal(publimit_opt(&o, "disconnect", "no", why, sizeof(why)), PANTAU_ERR_INVAL);
	assert_int_equal(publimit_opt(&o, "rate", "0", why, sizeof(why)), PANTAU_ERR_INVAL);
	assert_non_null(strstr(why, "plugin_opt_rate 0"));
	assert_int_equal(publimit_opt(&o, "burst", "lots", why, sizeof(why)), PANTAU_ERR_INVAL);
	assert_int_equal(publimit_opt(&o, "speed", "1", why, sizeof(why)), PANTAU_ERR_INVAL);
	assert_non_null(strstr(why, "unknown option plugin_opt_speed"));
	assert_true(o.rate == 200);   /* a refused value leaves the option as it was */
}

#include "unit_main.h"
