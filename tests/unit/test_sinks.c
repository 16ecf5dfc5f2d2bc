/*
 * The alert sinks (collector/alerts/sink.h, sinks.h) and the "already told"
 * state per sink name (collector/alerts/alerts.h): the table is sound, a
 * state saved by release 9db89e2 (tests/fixtures/alert_state_9db89e2.db,
 * a three-entry array) decodes to the same versions per name, the new form
 * round-trips, a sink's payload takes what it tells, and a resolve is not
 * forgotten before its last told state was saved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "collector/store/db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "collector/alerts/alerts.h"
#include "collector/alerts/sinks.h"
#include "collector/collector_config.h"
#include "collector/status/engine.h"
#include "harness_files.h"
#include "log.h"

#define FIXTURE "file:tests/fixtures/alert_state_9db89e2.db?immutable=1"
#define T0 1700000000000LL
#define HOUR 3600000LL

static void
test_table_is_sound(void **state)
{
	(void)state;
	size_t n = sinks_count();
	assert_true(n >= 3 && n <= SINKS_MAX);
	assert_non_null(sinks_find("alertmanager"));
	assert_non_null(sinks_find("webhook"));
	assert_non_null(sinks_find("telegram"));
	assert_null(sinks_find("pager"));
	for (size_t i = 0; i < n; i++) {
		const struct sink_ops *s = sinks_table[i];
		assert_true(strlen(s->name) <= ALERT_SINK_NAME_MAX);
		assert_true(s->conf_size <= SINK_CONF_MAX);
		assert_non_null(s->url);
		assert_non_null(s->payload);
		assert_ptr_equal(sinks_find(s->name), s);
		/* no two sinks claim the same [alerts] key */
		for (size_t k = 0; k < s->nkeys; k++)
			for (size_t j = 0; j < i; j++)
				for (size_t m = 0; m < sinks_table[j]->nkeys; m++)
					assert_string_not_equal(s->keys[k].name, sinks_table[j]->keys[m].name);
	}
}

struct saved {
	char json[4][2048];
	size_t n;
};


static void
test_state_of_release_9db89e2_loads(void **state)
{
	(void)state;
	struct db *db;
	struct saved s = { .n = 0 };
	struct db_stmt *st;
	assert_int_equal(db_sqlite_open(FIXTURE, DB_SQLITE_READONLY, &db), DB_OK);
	assert_int_equal(db_prepare(db, "SELECT data FROM alerts ORDER BY key", &st), DB_OK);
	while (db_step(st) == DB_ROW) {
		assert_true(s.n < 4);
		snprintf(s.json[s.n++], sizeof(s.json[0]), "%s", db_column_text(st, 0));
	}
	db_finalize(st);
	db_close(db);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < s.n; i++) {
		struct alert al, back;
		json_t *o = json_loads(s.json[i], 0, NULL);
		assert_non_null(o);
		assert_true(json_is_array(json_object_get(o, "told")));  /* the old form */
		assert_true(alert_from_json(o, &al));
		json_decref(o);
		bool resolved = strstr(al.key, "32.73") != NULL || strstr(al.key, "3273") != NULL;
		assert_int_equal(al.version, resolved ? 2 : 1);
		assert_int_equal(al.firing, !resolved);
		assert_int_equal(alert_told(&al, "alertmanager"), al.version);
		assert_int_equal(alert_told(&al, "webhook"), al.version);
		assert_int_equal(alert_told(&al, "telegram"), 1);
		assert_int_equal(alert_told(&al, "pager"), 0);
		/* saved again it is an object by name, and reads back the same */
		o = alert_json(&al);
		json_t *told = json_object_get(o, "told");
		assert_true(json_is_object(told));
		assert_int_equal(json_integer_value(json_object_get(told, "telegram")), 1);
		assert_true(alert_from_json(o, &back));
		json_decref(o);
		assert_int_equal(back.ntold, 3);
		for (size_t k = 0; k < al.ntold; k++)
			assert_int_equal(alert_told(&back, al.told[k].sink), al.told[k].version);
		assert_string_equal(back.reason, al.reason);
		assert_int_equal(back.ends_ms, al.ends_ms);
	}
}

static void
test_told_is_bounded(void **state)
{
	(void)state;
	struct alert al;
	char name[40];
	memset(&al, 0, sizeof(al));
	for (int i = 0; i < ALERT_TOLD_MAX; i++) {
		snprintf(name, sizeof(name), "sink%d", i);
		assert_true(alert_set_told(&al, name, (unsigned)i + 1));
	}
	assert_false(alert_set_told(&al, "one-too-many", 1));
	assert_true(alert_set_told(&al, "sink3", 9));     /* a known one still updates */
	assert_int_equal(alert_told(&al, "sink3"), 9);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(&al, 0, sizeof(al));
	assert_false(alert_set_told(&al, name, 1));       /* longer than ALERT_SINK_NAME_MAX */
	al.dirty = false;
	assert_true(alert_set_told(&al, "webhook", 0));   /* 0 is "never told": no change */
	assert_false(al.dirty);
	assert_true(alert_set_told(&al, "webhook", 4));
	assert_true(al.dirty);
}

struct fixture {
	struct harness_base h;     /* first */
	const char *names[SINKS_MAX];
	struct alerts_rules rules;
};

static int
setup(void **state)
{
	struct fixture *f = harness_setup(state, sizeof(*f), 2, 3, T0);
	size_t n = 0;
	for (; sinks_table[n] != NULL; n++)
		f->names[n] = sinks_table[n]->name;
	f->rules = (struct alerts_rules){ .resolve_hold_ms = 0, .forget_ms = HOUR,
		.sinks = f->names, .nsinks = n };
	return 0;
}

static struct alert
resolved(const char *key, const char *regency)
{
	struct alert al;
	memset(&al, 0, sizeof(al));
	snprintf(al.key, sizeof(al.key), "%s", key);
	snprintf(al.alertname, sizeof(al.alertname), "PantauSiteDown");
	snprintf(al.severity, sizeof(al.severity), "warning");
	snprintf(al.regency, sizeof(al.regency), "%s", regency);
	snprintf(al.regency_name, sizeof(al.regency_name), "Regency %s", regency);
	snprintf(al.reason, sizeof(al.reason), "loss 60 %% above 10 %%");
	al.version = 2;
	al.starts_ms = al.since_ms = T0 - 3 * HOUR;
	al.ends_ms = T0 - 2 * HOUR;
	al.clear_ms = -1;
	return al;
}

static void
test_resolve_forgotten_only_once_told_and_saved(void **state)
{
	struct fixture *f = *state;
	struct alerts *a = alerts_new(&f->rules, f->h.cat);
	struct alert al = resolved("PantauSiteDown/ag-3273-0001", "32.73");
	(void)alert_set_told(&al, "alertmanager", 2);
	(void)alert_set_told(&al, "webhook", 2);
	(void)alert_set_told(&al, "telegram", 1);
	alerts_restore(a, &al);
	alerts_evaluate(a, f->h.e, T0);
	struct alert *got = alerts_get(a, al.key);
	assert_non_null(got);                      /* telegram was not told */
	assert_false(got->dirty);
	for (size_t i = 3; i < f->rules.nsinks; i++)  /* sinks added after these three */
		(void)alert_set_told(got, f->rules.sinks[i], 2);
	(void)alert_set_told(got, "telegram", 2);
	assert_true(got->dirty);
	alerts_evaluate(a, f->h.e, T0 + 1000);
	got = alerts_get(a, al.key);
	assert_non_null(got);                      /* not yet saved: kept */
	got->dirty = false;                        /* as save_alerts does */
	alerts_evaluate(a, f->h.e, T0 + 2000);
	assert_null(alerts_get(a, al.key));
	alerts_free(a);
}

static void
test_webhook_payload_takes_one_regency(void **state)
{
	struct fixture *f = *state;
	struct alerts *a = alerts_new(&f->rules, f->h.cat);
	struct alert x = resolved("PantauRegencyAtRisk/95.01", "95.01");
	struct alert y = resolved("PantauSiteDown/ag-3273-0001", "32.73");
	struct alert z = resolved("PantauSiteDown/ag-9501-0001", "95.01");
	(void)alert_set_told(&y, "webhook", 1);
	(void)alert_set_told(&z, "webhook", 2);   /* told: not in the message */
	alerts_restore(a, &x);
	alerts_restore(a, &y);
	alerts_restore(a, &z);
	struct sink_conf conf;
	memset(&conf, 0, sizeof(conf));
	struct sink_req r = { .sink = "webhook", .conf = &conf, .alerts = a, .dashboard_url = "",
		.now_ms = T0, .sent = calloc(SINK_SENT_MAX, sizeof(struct sink_sent)) };
	assert_non_null(r.sent);
	json_t *doc = sinks_find("webhook")->payload(&r);
	assert_non_null(doc);
	/* the first regency with something untold, only its untold alerts */
	assert_string_equal(json_string_value(json_object_get(doc, "regency")), "95.01");
	assert_int_equal(json_array_size(json_object_get(doc, "alerts")), 1);
	assert_int_equal(r.nsent, 1);
	assert_string_equal(r.sent[0].key, "PantauRegencyAtRisk/95.01");
	assert_int_equal(r.sent[0].version, 2);
	json_decref(doc);
	free(r.sent);
	alerts_free(a);
}

static void
test_config_fills_each_sink(void **state)
{
	(void)state;
	struct collector_config c;
	char url[SINK_URL_MAX];
	FILE *errs = tmpfile();
	char path[HARNESS_PATH_MAX];
	harness_file(path, "[alerts]\nalertmanager_url = http://127.0.0.1:9093\nrepost = 30\n"
	                   "telegram_url = http://127.0.0.1:1\ntelegram_token = 1:x\n"
	                   "telegram_chat = 7\n");
	assert_int_equal(collector_config_load(path, &c, errs), PANTAU_OK);
	for (size_t i = 0; sinks_table[i] != NULL; i++) {
		sinks_table[i]->url(&c.alerts.sink[i], url, sizeof(url));
		if (strcmp(sinks_table[i]->name, "alertmanager") == 0)
			assert_string_equal(url, "http://127.0.0.1:9093/api/v2/alerts");
		else if (strcmp(sinks_table[i]->name, "telegram") == 0)
			assert_string_equal(url, "http://127.0.0.1:1/bot1:x/sendMessage");
		else if (strcmp(sinks_table[i]->name, "webhook") == 0)
			assert_string_equal(url, "");
	}
	/* the telegram sink's own check, said as before */
	unlink(path);
	harness_file(path, "[alerts]\ntelegram_url = http://127.0.0.1:1\n");
	assert_int_equal(collector_config_load(path, &c, errs), PANTAU_ERR_CONFIG);
	char text[512] = "";
	rewind(errs);
	size_t got = fread(text, 1, sizeof(text) - 1, errs);
	text[got] = '\0';
	assert_non_null(strstr(text, ": [alerts] telegram_url needs telegram_token "
	                             "and telegram_chat too"));
	fclose(errs);
	unlink(path);
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN harness_teardown
#define UNIT_LOG_LEVEL LOG_LEVEL_ERROR
#include "unit_main.h"
