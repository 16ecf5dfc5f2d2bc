/* The measurement cycle's order: probes that load the link (throughput,
 * upload_task) start only after the others are done, one at a time, and
 * results stay in configuration order; at the deadline, waiting ones are
 * reported as not started. Fake probes on a real uv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cycle.h"

struct log {
	int order[8];       /* probe index, in start order */
	int nstarted;
	int running, most_heavy_at_once;
	int light_running;
	bool heavy_started_while_light_ran;
};

struct fake_params {
	int delay_ms;
	int index;
	bool heavy;
	struct log *log;
};

struct fake_run {
	uv_timer_t timer;
	struct probe_run *run;
	struct fake_params *p;
};

static void
closed(uv_handle_t *h)
{
	free(h->data);
}

static void
fake_end(struct fake_run *f)
{
	f->p->log->running -= f->p->heavy;
	f->p->log->light_running -= !f->p->heavy;
	uv_close((uv_handle_t *)&f->timer, closed);
}

static void
fake_fire(uv_timer_t *t)
{
	struct fake_run *f = t->data;
	struct probe_run *run = f->run;
	fake_end(f);
	run->state = NULL;
	run->done(run, wire_result_new(run->def->spec->kind, run->def->target));
}

static pantau_err
fake_start(struct probe_run *run)
{
	struct fake_params *p = run->def->params;
	struct fake_run *f = calloc(1, sizeof(*f));
	f->run = run;
	f->p = p;
	p->log->order[p->log->nstarted++] = p->index;
	if (p->heavy) {
		if (p->log->light_running > 0)
			p->log->heavy_started_while_light_ran = true;
		if (++p->log->running > p->log->most_heavy_at_once)
			p->log->most_heavy_at_once = p->log->running;
	} else {
		p->log->light_running++;
	}
	uv_timer_init(run->env->loop, &f->timer);
	f->timer.data = f;
	uv_timer_start(&f->timer, fake_fire, (uint64_t)p->delay_ms, 0);
	run->state = f;
	return PANTAU_OK;
}

static void
fake_cancel(struct probe_run *run, void *state)
{
	(void)run;
	struct fake_run *f = state;
	uv_timer_stop(&f->timer);
	fake_end(f);
}

static const struct probe_spec light_spec = { .kind = "light" };
static const struct probe_spec heavy_spec = { .kind = "heavy", .loads_link = true };
static const struct probe_exec fake_exec = { .start = fake_start, .cancel = fake_cancel };

struct fx {
	uv_loop_t loop;
	struct probe_env env;
	struct log log;
	struct fake_params params[6];
	struct probe_def defs[6];
	const struct probe_def *list[6];
	json_t *results;
};

static void
on_cycle(void *ctx, json_t *results, int64_t ts_ms)
{
	struct fx *x = ctx;
	(void)ts_ms;
	x->results = results;
}

/* heavy/delay per probe: "L20" light 20 ms, "H10" heavy 10 ms. */
static void
setup_probes(struct fx *x, const char *const *spec, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		x->params[i] = (struct fake_params){ .delay_ms = (int)strtol(spec[i] + 1, NULL, 10),
			.index = (int)i, .heavy = spec[i][0] == 'H', .log = &x->log };
		x->defs[i] = (struct probe_def){ .spec = spec[i][0] == 'H' ? &heavy_spec : &light_spec,
			.exec = &fake_exec, .params = &x->params[i] };
		snprintf(x->defs[i].name, sizeof(x->defs[i].name), "p%zu", i);
		snprintf(x->defs[i].target, sizeof(x->defs[i].target), "t%zu", i);
		x->list[i] = &x->defs[i];
	}
}

/* One cycle of the probes of spec (see setup_probes); its results, which
 * the fixture frees. */
static json_t *
run_cycle(struct fx *x, const char *const *spec, size_t n, int deadline_ms)
{
	setup_probes(x, spec, n);
	uv_loop_init(&x->loop);
	x->env.loop = &x->loop;
	struct cycle *c = cycle_new(&x->env, on_cycle, x);
	assert_int_equal(cycle_start(c, x->list, n, deadline_ms), PANTAU_OK);
	while (x->results == NULL && uv_run(&x->loop, UV_RUN_ONCE))
		;
	cycle_free(c);
	uv_run(&x->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&x->loop), 0);
	return x->results;
}

static void
test_link_loading_probes_wait_and_take_turns(void **state)
{
	struct fx *x = *state;
	static const char *const spec[] = { "H10", "L30", "H10", "L5" };
	json_t *r = run_cycle(x, spec, 4, 5000);
	assert_int_equal(x->log.nstarted, 4);
	assert_int_equal(x->log.order[0], 1);   /* light ones first */
	assert_int_equal(x->log.order[1], 3);
	assert_int_equal(x->log.order[2], 0);   /* then heavy ones in config order */
	assert_int_equal(x->log.order[3], 2);
	assert_false(x->log.heavy_started_while_light_ran);
	assert_int_equal(x->log.most_heavy_at_once, 1);
	assert_int_equal(json_array_size(r), 4);
	for (size_t i = 0; i < 4; i++) {
		char want[8];
		snprintf(want, sizeof(want), "t%zu", i);
		assert_string_equal(json_string_value(json_object_get(json_array_get(r, i),
		    "target")), want);
	}
}

static void
test_waiting_probes_reported_at_the_deadline(void **state)
{
	struct fx *x = *state;
	static const char *const spec[] = { "L200", "H10" };
	json_t *r = run_cycle(x, spec, 2, 100);
	assert_int_equal(x->log.nstarted, 1);
	assert_int_equal(json_array_size(r), 2);
	const char *e0 = json_string_value(json_object_get(json_array_get(r, 0), "error"));
	const char *e1 = json_string_value(json_object_get(json_array_get(r, 1), "error"));
	assert_non_null(strstr(e0, "did not finish within 0.1 s"));
	assert_non_null(strstr(e1, "not started"));
}

static void
test_only_heavy_probes(void **state)
{
	struct fx *x = *state;
	static const char *const spec[] = { "H5", "H5" };
	json_t *r = run_cycle(x, spec, 2, 5000);
	assert_int_equal(x->log.nstarted, 2);
	assert_int_equal(x->log.most_heavy_at_once, 1);
	assert_int_equal(json_array_size(r), 2);
}

static int
setup(void **state)
{
	*state = calloc(1, sizeof(struct fx));
	return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *x = *state;
	json_decref(x->results);
	free(x);
	return 0;
}

#define UNIT_SETUP setup
#define UNIT_TEARDOWN teardown
#include "unit_main.h"
