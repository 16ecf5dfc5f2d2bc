#include "cycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

struct cycle {
	struct probe_env *env;
	cycle_done_fn done;
	void *ctx;
	uv_timer_t deadline;
	struct probe_run runs[CYCLE_MAX_PROBES];
	json_t *slots[CYCLE_MAX_PROBES];
	bool running[CYCLE_MAX_PROBES];
	const struct probe_def *waiting[CYCLE_MAX_PROBES]; /* link-loading, not started */
	size_t n;
	size_t outstanding;
	int64_t ts_ms, mono_ms;
	int deadline_ms;
	bool active;
};

struct cycle *
cycle_new(struct probe_env *env, cycle_done_fn done, void *ctx)
{
	struct cycle *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->env = env;
	c->done = done;
	c->ctx = ctx;
	uv_timer_init(env->loop, &c->deadline);
	c->deadline.data = c;
	return c;
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

void
cycle_free(struct cycle *c)
{
	if (c == NULL)
		return;
	cycle_cancel(c);
	uv_close((uv_handle_t *)&c->deadline, on_closed);
}

static void
finish(struct cycle *c)
{
	json_t *results = json_array();
	uv_timer_stop(&c->deadline);
	c->active = false;
	for (size_t i = 0; i < c->n; i++) {
		if (c->slots[i] != NULL && results != NULL)
			json_array_append_new(results, c->slots[i]);
		else
			json_decref(c->slots[i]);
		c->slots[i] = NULL;
	}
	if (results == NULL) {
		log_warnx("cycle: out of memory; results of this cycle lost");
		return;
	}
	c->done(c->ctx, results, c->ts_ms);
}

static void start_one(struct cycle *c, size_t i, const struct probe_def *def);

/* Start the next waiting link-loading probe; false when none could start. */
static bool
start_waiting(struct cycle *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct probe_def *def = c->waiting[i];
		if (def == NULL)
			continue;
		c->waiting[i] = NULL;
		start_one(c, i, def);
		if (c->running[i])
			return true;
	}
	return false;
}

static void
on_probe_done(struct probe_run *run, json_t *result)
{
	struct cycle *c = run->owner;
	size_t i = (size_t)(run - c->runs);
	if (!c->running[i]) {
		json_decref(result);
		return;
	}
	c->running[i] = false;
	c->slots[i] = result;
	if (result == NULL)
		log_warnx("probe %s: no result (out of memory); left out of this batch",
		    run->def->name);
	if (--c->outstanding == 0 && !start_waiting(c))
		finish(c);
}

static void
on_deadline(uv_timer_t *t)
{
	struct cycle *c = t->data;
	char why[96];
	snprintf(why, sizeof(why), "did not finish within %.1f s", c->deadline_ms / 1000.0);
	for (size_t i = 0; i < c->n; i++) {
		if (!c->running[i])
			continue;
		const struct probe_def *def = c->runs[i].def;
		probe_run_cancel(&c->runs[i]);
		c->running[i] = false;
		c->slots[i] = probe_failure_result(def, why);
		log_warnx("probe %s: %s", def->name, why);
	}
	for (size_t i = 0; i < c->n; i++) {
		if (c->waiting[i] == NULL)
			continue;
		snprintf(why, sizeof(why), "not started: the other probes took the cycle's %.1f s",
		    c->deadline_ms / 1000.0);
		c->slots[i] = probe_failure_result(c->waiting[i], why);
		log_warnx("probe %s: %s", c->waiting[i]->name, why);
		c->waiting[i] = NULL;
	}
	c->outstanding = 0;
	finish(c);
}

static void
start_one(struct cycle *c, size_t i, const struct probe_def *def)
{
	struct probe_run *run = &c->runs[i];
	*run = (struct probe_run){ .def = def, .env = c->env, .done = on_probe_done, .owner = c };
	pantau_err rc = def->exec->start(run);
	if (rc == PANTAU_OK) {
		c->running[i] = true;
		c->outstanding++;
		return;
	}
	char why[128];
	snprintf(why, sizeof(why), "could not start: %s", pantau_strerror(rc));
	c->slots[i] = probe_failure_result(def, why);
}

pantau_err
cycle_start(struct cycle *c, const struct probe_def *const *probes, size_t n, int deadline_ms)
{
	if (c->active)
		return PANTAU_ERR_STATE;
	if (n > CYCLE_MAX_PROBES)
		return PANTAU_ERR_TOO_BIG;
	c->n = n;
	c->outstanding = 0;
	c->ts_ms = clock_real_ms();
	c->mono_ms = clock_boot_ms();
	c->deadline_ms = deadline_ms;
	c->active = true;
	for (size_t i = 0; i < n; i++) {
		c->waiting[i] = probes[i]->spec->loads_link ? probes[i] : NULL;
		if (c->waiting[i] == NULL)
			start_one(c, i, probes[i]);
	}
	if (c->outstanding == 0)
		start_waiting(c);
	/* Even when nothing could start, finish on the loop, never inside start. */
	uv_timer_start(&c->deadline, on_deadline,
	    c->outstanding > 0 ? (uint64_t)deadline_ms : 0, 0);
	return PANTAU_OK;
}

bool
cycle_active(const struct cycle *c)
{
	return c->active;
}

void
cycle_cancel(struct cycle *c)
{
	if (!c->active)
		return;
	uv_timer_stop(&c->deadline);
	for (size_t i = 0; i < c->n; i++) {
		if (c->running[i])
			probe_run_cancel(&c->runs[i]);
		c->running[i] = false;
		c->waiting[i] = NULL;
		json_decref(c->slots[i]);
		c->slots[i] = NULL;
	}
	c->outstanding = 0;
	c->active = false;
}

int64_t
cycle_mono_ms(const struct cycle *c)
{
	return c->mono_ms;
}
