/*
 * echo: a probe kind for tests only. It is in the table of kinds only when
 * agent/probes/kinds.c is built with PANTAU_TEST_KINDS (the agent the
 * tests build as build/tests/pantau-agent-testkinds), never in a released
 * agent. It is what docs/architecture.md, "Adding a probe kind", asks of a
 * new kind, and nothing more: this file, one line in kinds.c, its row in
 * docs/probes.md, its tests (tests/unit/test_probes.c,
 * tests/e2e/test_kinds.py).
 *
 * A run waits delay_ms on the loop and answers
 *   {"probe":"echo","target":T,"ok":true,"delay_ms":D}
 * or, with fail set, fails with that text; a delay longer than timeout_ms
 * fails with "timed out after N ms".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/lifecycle.h"
#include "agent/probes/probe.h"
#include "agent/probes/target.h"

#define ECHO_DEFAULT_TIMEOUT_MS 1000

struct echo_params {
	int delay_ms;
	char fail[64];
};

/* ---- the exec part, on the probe-run lifecycle (lifecycle.h) ---- */

static void
echo_answer(struct probe_life *l)
{
	const struct echo_params *p = l->def->params;
	char why[WIRE_TEXT_MAX];
	if (p->delay_ms > l->timeout_ms) {
		snprintf(why, sizeof(why), "timed out after %d ms", l->timeout_ms);
		life_fail(l, why);
		return;
	}
	if (p->fail[0] != '\0') {
		life_fail(l, p->fail);
		return;
	}
	json_t *r = wire_result_new("echo", l->def->target);
	if (r != NULL) {
		json_object_set_new(r, "ok", json_true());
		json_object_set_new(r, "delay_ms", json_integer(p->delay_ms));
	}
	life_finish(l, r);
}

static void
echo_free(struct probe_life *l)
{
	free(l);
}

static const struct life_ops echo_life = { .timeout = echo_answer, .free = echo_free };

static pantau_err
echo_start(struct probe_run *run)
{
	const struct echo_params *p = run->def->params;
	struct probe_life *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return PANTAU_ERR_NOMEM;
	life_start(l, run, &echo_life, ECHO_DEFAULT_TIMEOUT_MS);
	life_wait(l, p->delay_ms < l->timeout_ms ? p->delay_ms : l->timeout_ms);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

/* One row per key (common/cfg.h): key tables look alike by design. */
#define O(f) offsetof(struct echo_params, f)
static const struct cfg_key echo_keys[] = {
	CFG_KEY_INT("delay_ms", O(delay_ms), 0, 60000, "0", "milliseconds before the answer"),
	CFG_KEY_STR("fail", O(fail), sizeof(((struct echo_params *)0)->fail), "",
	    "when set, the run fails with this text"),
};
#undef O

static bool
echo_check(const struct probe_def *def, char *why, size_t len)
{
	return target_host_valid(def->target, why, len);
}

static int
echo_max_duration_ms(const struct probe_def *def)
{
	return def->timeout_ms > 0 ? def->timeout_ms : ECHO_DEFAULT_TIMEOUT_MS;
}

const struct probe_spec probe_echo_spec = {
	.kind = "echo", PROBE_KEYS(echo_keys, struct echo_params),
	.default_timeout_ms = ECHO_DEFAULT_TIMEOUT_MS, .check = echo_check,
	.max_duration_ms = echo_max_duration_ms,
};

const struct probe_exec probe_echo_exec = { .start = echo_start, .cancel = life_cancel };
