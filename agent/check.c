#include "check.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agent/enrol/enrol.h"
#include "agent/probes/budget.h"
#include "catalog.h"
#include "clock.h"
#include "clocksync.h"
#include "check_report.h"
#include "check_text.h"
#include "cycle.h"
#include "env.h"
#include "brokerlist.h"
#include "mqttc.h"
#include "pkey.h"
#include "state.h"

struct check {
	const struct agent_config *cfg;
	struct check_out o;       /* the lines printed, counted */
	FILE *json_out;            /* results as JSON lines, or NULL */
	uv_loop_t loop;
	struct agent_env env;
	struct cycle *cycle;
	struct mqttc *mqtt;
	uv_timer_t guard;
	json_t *res[AGENT_MAX_PROBES]; /* each probe's result (an array: passive) */
	/* Probes run alone after the others (spec->for_check: passive), on
	 * copies of their definitions; idx: the config's index of each. */
	struct probe_def alone[AGENT_MAX_PROBES];
	size_t idx[AGENT_MAX_PROBES], nalone;
	bool alone_started;
	int test_mid;
	bool broker_done, probes_done;
	/* [broker] host as a list: each broker is tried in turn, one result each */
	struct broker_addr addrs[BROKERLIST_MAX];
	size_t naddrs, cur;
	struct broker_try {
		bool ok, published, done;
		enum mqttc_fail why;
		char text[256];
	} tries[BROKERLIST_MAX];
};

int
check_lang_parse(const char *name)
{
	if (name == NULL) {
		const char *env = getenv("LANG");
		return env != NULL && strncmp(env, "id", 2) == 0 ? CHECK_ID : CHECK_EN;
	}
	if (strcmp(name, "en") == 0)
		return CHECK_EN;
	if (strcmp(name, "id") == 0)
		return CHECK_ID;
	return -1;
}

/* An unsynchronised clock is a warning, not a failure: the site still
 * reports, only its times may be off. */
static void
check_clock(struct check *k)
{
	struct stamp_errest e;
	clocksync_local(&e);
	if (e.synced)
		check_line(&k->o, true, M_CLOCK_OK, e.error_s * 1000.0);
	else
		check_note(&k->o, "WARN", M_CLOCK_UNSYNC);
}

static void
check_region(struct check *k, const char *catalog_dir)
{
	char why[256];
	struct catalog *cat = NULL;
	const char *region = k->cfg->region;
	if (catalog_load(catalog_dir, &cat, why, sizeof(why)) != PANTAU_OK) {
		check_note(&k->o, "INFO", M_REGION_SKIP, region, catalog_dir);
		return;
	}
	const struct catalog_regency *r = catalog_regency(cat, region);
	const struct catalog_province *p = r != NULL ? catalog_province(cat, r->province) : NULL;
	if (r != NULL)
		check_line(&k->o, true, M_REGION_OK, region, r->name, p != NULL ? p->name : r->province);
	else
		check_line(&k->o, false, M_REGION_BAD, region);
	catalog_free(cat);
}

static void
check_state(struct check *k)
{
	char why[512];
	if (state_prepare(k->cfg->state_dir, why, sizeof(why)) == PANTAU_OK) {
		check_line(&k->o, true, M_STATE_OK, k->cfg->state_dir);
		return;
	}
	check_fail(&k->o, why);
}


/* ---- broker ---- */

static void
broker_report(struct check *k)
{
	const struct broker_cfg *b = &k->cfg->broker;
	static const enum check_msg by_fail[] = {
		[MQTTC_FAIL_RESOLVE] = M_BROKER_RESOLVE, [MQTTC_FAIL_CONNECT] = M_BROKER_CONNECT,
		[MQTTC_FAIL_TLS] = M_BROKER_TLS, [MQTTC_FAIL_AUTH] = M_BROKER_AUTH,
		[MQTTC_FAIL_REFUSED] = M_BROKER_REFUSED, [MQTTC_FAIL_TIMEOUT] = M_BROKER_TIMEOUT,
		[MQTTC_FAIL_LOST] = M_BROKER_CONNECT,
	};
	for (size_t i = 0; i < k->naddrs; i++) {
		const struct broker_try *t = &k->tries[i];
		if (!t->ok) {
			check_line(&k->o, false, by_fail[t->why], t->text);
			continue;
		}
		check_line(&k->o, true, M_BROKER_OK, k->addrs[i].host, k->addrs[i].port, b->username);
		check_line(&k->o, t->published, t->published ? M_PUBLISH_OK : M_PUBLISH_FAIL);
	}
}

static pantau_err start_broker(struct check *k);
static void maybe_finish(struct check *k);

/* The broker being tried is done: on to the next one of the list. */
static void
broker_next(struct check *k)
{
	k->tries[k->cur].done = true;
	mqttc_free(k->mqtt);
	k->mqtt = NULL;
	if (++k->cur < k->naddrs && start_broker(k) == PANTAU_OK)
		return;
	k->broker_done = true;
	maybe_finish(k);
}

static void
on_connect(void *ctx)
{
	struct check *k = ctx;
	char topic[WIRE_TOPIC_MAX + 1];
	static const char payload[] = "{\"v\":1,\"check\":true}";
	k->tries[k->cur].ok = true;
	if (wire_topic_check(topic, sizeof(topic), k->cfg->region, k->cfg->id) != PANTAU_OK ||
	    mqttc_publish(k->mqtt, topic, payload, sizeof(payload) - 1, 1, false,
	        &k->test_mid) != PANTAU_OK)
		broker_next(k);
}

static void
on_fail(void *ctx, enum mqttc_fail why, const char *msg)
{
	struct check *k = ctx;
	if (k->broker_done || k->tries[k->cur].done)
		return;
	k->tries[k->cur].why = why;
	snprintf(k->tries[k->cur].text, sizeof(k->tries[k->cur].text), "%s", msg);
	broker_next(k);
}

static void
on_publish(void *ctx, int mid)
{
	struct check *k = ctx;
	if (mid != k->test_mid || k->tries[k->cur].done)
		return;
	k->tries[k->cur].published = true;
	broker_next(k);
}

static void
on_cycle_done(void *ctx, json_t *results, int64_t ts_ms)
{
	(void)ts_ms;
	struct check *k = ctx;
	size_t j = 0;
	for (size_t i = 0; i < k->cfg->nprobes; i++) {
		bool alone = k->cfg->probes[i].spec->for_check != NULL;
		if (alone == k->alone_started)
			k->res[i] = json_incref(json_array_get(results, j++));
	}
	json_decref(results);
	k->probes_done = true;
	maybe_finish(k);
}

/* The probes that run alone, once the broker and the others are done (so
 * that a capture sees none of the check's own traffic); false: none. */
static bool
start_alone(struct check *k)
{
	const struct probe_def *all[AGENT_MAX_PROBES];
	if (k->alone_started || k->cycle == NULL)
		return false;
	k->alone_started = true;
	for (size_t i = 0; i < k->nalone; i++)
		all[i] = &k->alone[i];
	k->probes_done = false;
	if (k->nalone > 0 &&
	    cycle_start(k->cycle, all, k->nalone, k->cfg->interval_s * 1000) == PANTAU_OK)
		return true;
	k->probes_done = true;
	return false;
}

/* Copies of the definitions that run alone, their params as the check
 * wants them (a short capture). */
static bool
copy_alone(struct check *k)
{
	for (size_t i = 0; i < k->cfg->nprobes; i++) {
		const struct probe_def *p = &k->cfg->probes[i];
		if (p->spec->for_check == NULL)
			continue;
		struct probe_def *c = &k->alone[k->nalone];
		*c = *p;
		c->params = malloc(p->spec->params_size > 0 ? p->spec->params_size : 1);
		if (c->params == NULL)
			return false;
		memcpy(c->params, p->params, p->spec->params_size);
		p->spec->for_check(c->params);
		k->idx[k->nalone++] = i;
	}
	return true;
}

/* Print in a fixed order once both the broker and the probes are done,
 * then close everything so the loop ends. */
static void
maybe_finish(struct check *k)
{
	if (!k->broker_done || !k->probes_done || start_alone(k))
		return;
	broker_report(k);
	for (size_t i = 0; i < k->cfg->nprobes; i++)
		check_report_probe(&k->o, &k->cfg->probes[i], k->res[i]);
	for (size_t i = 0; i < k->cfg->nprobes; i++) {
		json_t *one = json_is_array(k->res[i]) ? k->res[i] : NULL;
		for (size_t j = 0; k->json_out != NULL && j < (one ? json_array_size(one) : 1); j++) {
			json_dumpf(one ? json_array_get(one, j) : k->res[i], k->json_out,
			    WIRE_JSON_FLAGS);
			fputc('\n', k->json_out);
		}
		json_decref(k->res[i]);
		k->res[i] = NULL;
	}
	for (size_t i = 0; i < k->nalone; i++)
		free(k->alone[i].params);
	k->nalone = 0;
	mqttc_free(k->mqtt);
	k->mqtt = NULL;
	cycle_free(k->cycle);
	k->cycle = NULL;
	agent_env_close(&k->env);
	uv_close((uv_handle_t *)&k->guard, NULL);
}

static void
on_guard(uv_timer_t *t)
{
	/* Belt and braces: the broker step has its own timeout. */
	struct check *k = t->data;
	if (!k->broker_done)
		on_fail(k, MQTTC_FAIL_TIMEOUT, "no answer");
}

/* Try the broker k->cur of the list, alone and once. */
static pantau_err
start_broker(struct check *k)
{
	struct mqttc_opts mo;
	struct mqttc_callbacks cb = { .on_connect = on_connect, .on_fail = on_fail,
		.on_publish = on_publish };
	const struct broker_addr *a = &k->addrs[k->cur];
	char host[BROKERLIST_HOST_MAX + 3];
	snprintf(host, sizeof(host), strchr(a->host, ':') != NULL ? "[%s]" : "%s", a->host);
	brokercfg_to_mqttc(&k->cfg->broker, &mo);
	mo.host = host;
	mo.port = a->port;
	mo.reconnect = false;
	k->test_mid = -1;
	k->mqtt = mqttc_new(&k->loop, &mo, &cb, k);
	if (k->mqtt == NULL || mqttc_start(k->mqtt) != PANTAU_OK)
		return PANTAU_ERR_NOMEM;
	return PANTAU_OK;
}

static pantau_err
start(struct check *k)
{
	char why[PATH_MAX + 512], worker[PATH_MAX];
	const struct probe_def *all[AGENT_MAX_PROBES];
	struct mqttc_opts mo;
	uv_timer_init(&k->loop, &k->guard);
	k->guard.data = k;
	/* Without the worker its probes fail with the same reason, below. */
	if (agent_config_worker(k->cfg, worker, sizeof(worker), why, sizeof(why)) != PANTAU_OK)
		check_line(&k->o, false, M_WORKER_MISSING, why);
	if (agent_env_open(&k->loop, &k->env, worker, why, sizeof(why)) != PANTAU_OK) {
		fprintf(k->o.out, "[FAIL] %s\n", why);
		return PANTAU_ERR_NOMEM;
	}
	/* The check's own tests are not counted against the daily budget. */
	if (budget_new(NULL, agent_config_budget_bytes(k->cfg), clock_real_ms(),
	        &k->env.probe.budget) != PANTAU_OK)
		return PANTAU_ERR_NOMEM;
	char list_why[200];
	brokercfg_to_mqttc(&k->cfg->broker, &mo);
	if (brokerlist_parse(k->cfg->broker.host, k->cfg->broker.port, k->addrs, &k->naddrs,
	        list_why, sizeof(list_why)) != PANTAU_OK)
		return PANTAU_ERR_CONFIG; /* the config's check refused it already */
	k->cycle = cycle_new(&k->env.probe, on_cycle_done, k);
	size_t n = 0;
	for (size_t i = 0; i < k->cfg->nprobes; i++)
		if (k->cfg->probes[i].spec->for_check == NULL)
			all[n++] = &k->cfg->probes[i];
	uv_timer_start(&k->guard, on_guard,
	    ((uint64_t)mo.connect_timeout_ms + 5000) * k->naddrs, 0);
	if (k->cycle == NULL || !copy_alone(k) || start_broker(k) != PANTAU_OK ||
	    cycle_start(k->cycle, all, n, k->cfg->interval_s * 1000) != PANTAU_OK)
		return PANTAU_ERR_NOMEM;
	return PANTAU_OK;
}

/* The enrolled certificate ([broker] certfile) against the agent id and
 * this box's clock (agent/enrol/enrol.h). */
static void
check_cert(struct check *k)
{
	const struct broker_cfg *b = &k->cfg->broker;
	char cn[WIRE_AGENT_MAX + 2], until[CLOCK_ISO_LEN], now_iso[CLOCK_ISO_LEN];
	size_t n = 0;
	if (b->certfile[0] == '\0')
		return;
	char *pem = pkey_read_file(b->certfile, 64 * 1024, &n);
	X509 *x = pem != NULL ? pkey_cert_parse(pem, n) : NULL;
	free(pem);
	if (x == NULL || !pkey_common_name(X509_get_subject_name(x), cn, sizeof(cn))) {
		check_line(&k->o, false, M_CERT_BAD, b->certfile);
		X509_free(x);
		return;
	}
	int64_t now = clock_real_ms(), after = pkey_time(X509_get0_notAfter(x));
	clock_format_iso(after * 1000, until);
	clock_format_iso(now, now_iso);
	int when = enrol_cert_when(x, now / 1000);
	if (strcmp(cn, k->cfg->id) != 0)
		check_line(&k->o, false, M_CERT_OTHER, b->certfile, cn, k->cfg->id);
	else if (when < 0) {
		clock_format_iso(pkey_time(X509_get0_notBefore(x)) * 1000, until);
		check_line(&k->o, false, M_CERT_EARLY, now_iso, until);
	} else if (when > 0)
		check_line(&k->o, false, M_CERT_EXPIRED, until);
	else if (after - now / 1000 < (int64_t)k->cfg->enrol.renew_days * 86400 / 2)
		check_note(&k->o, "WARN", M_CERT_SOON, cn, until);
	else
		check_line(&k->o, true, M_CERT_OK, cn, until);
	X509_free(x);
}

int
check_run(const char *config_path, const struct agent_config *cfg, enum check_lang lang,
    const char *catalog_dir, FILE *out, FILE *json_out)
{
	struct check k = { .cfg = cfg, .o = { .out = out, .lang = lang }, .json_out = json_out,
		.test_mid = -1 };
	check_line(&k.o, true, M_CONFIG, config_path, cfg->id, cfg->nprobes, cfg->interval_s);
	check_region(&k, catalog_dir);
	check_state(&k);
	check_clock(&k);
	check_cert(&k);
	uv_loop_init(&k.loop);
	if (start(&k) != PANTAU_OK) {
		check_fail(&k.o, "out of memory");
		k.broker_done = k.probes_done = true;
		maybe_finish(&k);
	}
	uv_run(&k.loop, UV_RUN_DEFAULT);
	uv_loop_close(&k.loop);
	int total = k.o.passed + k.o.failed;
	fputc('\n', out);
	if (k.o.failed == 0)
		fprintf(out, check_text(M_SUMMARY_OK, lang), total);
	else
		fprintf(out, check_text(M_SUMMARY_FAIL, lang), k.o.failed, total);
	fputc('\n', out);
	return k.o.failed == 0 ? 0 : 1;
}
