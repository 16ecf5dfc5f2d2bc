#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "agent/probes/budget.h"
#include "agent/probes/workerproto.h"
#include "clock.h"
#include "curlglue.h"
#include "rng.h"
#include "runner.h"

struct measure {
	uv_loop_t loop;
	struct rng rng;
	struct probe_env env;
	struct probe_run run;
	json_t *result;
};

static void
on_done(struct probe_run *run, json_t *result)
{
	struct measure *m = run->owner;
	m->result = result;
	/* The probe has closed or is closing its handles: let the loop run dry. */
	curlglue_free(m->env.curl);
	m->env.curl = NULL;
}

static void
own_usage(struct workerproto_stats *st)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	st->maxrss_kb = ru.ru_maxrss;
	st->cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* Run the probe to its end on m's loop; m->result is its result. */
static void
run_probe(struct measure *m, const struct probe_def *def)
{
	char why[128];
	m->run = (struct probe_run){ .def = def, .env = &m->env, .done = on_done, .owner = m };
	pantau_err rc = m->env.curl == NULL ? PANTAU_ERR_NOMEM : def->exec->start(&m->run);
	if (rc == PANTAU_OK)
		uv_run(&m->loop, UV_RUN_DEFAULT);
	curlglue_free(m->env.curl);
	m->env.curl = NULL;
	uv_run(&m->loop, UV_RUN_DEFAULT);
	if (m->result == NULL) {
		snprintf(why, sizeof(why), "could not start: %s", pantau_strerror(rc));
		m->result = probe_failure_result(def, why);
	}
}

pantau_err
worker_measure(const char *req, size_t len, char **reply, char *why, size_t wlen)
{
	struct probe_def def;
	struct workerproto_budget b;
	struct workerproto_stats st = { .maxrss_kb = -1, .cpu_ms = -1 };
	struct measure m = { 0 };
	*reply = NULL;
	pantau_err rc = workerproto_request_parse(req, len, worker_kinds, &def, &b, why, wlen);
	if (rc != PANTAU_OK) {
		free(def.params);
		return rc;
	}
	int64_t now = clock_real_ms();
	if (budget_new(NULL, b.limit_bytes, now, &m.env.budget) != PANTAU_OK ||
	    budget_spend(m.env.budget, b.used_bytes, now) != PANTAU_OK) {
		budget_free(m.env.budget);
		free(def.params);
		snprintf(why, wlen, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	uv_loop_init(&m.loop);
	rng_seed(&m.rng);
	m.env.loop = &m.loop;
	m.env.rng = &m.rng;
	m.env.curl = curlglue_new(&m.loop);
	run_probe(&m, &def);
	int64_t used = budget_used(m.env.budget, clock_real_ms());
	st.spent_bytes = used > b.used_bytes ? used - b.used_bytes : 0;
	own_usage(&st);
	*reply = m.result != NULL ? workerproto_reply(m.result, &st) : NULL;
	json_decref(m.result);
	uv_loop_close(&m.loop);
	budget_free(m.env.budget);
	free(def.params);
	if (*reply == NULL) {
		snprintf(why, wlen, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	return PANTAU_OK;
}
