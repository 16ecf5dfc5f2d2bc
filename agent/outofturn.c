/* Probes run out of their turn when the last results call for it (outofturn.h). */
#include "agent/outofturn.h"

#include "log.h"

void
oot_reset(struct outofturn *o)
{
	for (size_t i = 0; i < AGENT_MAX_PROBES; i++) {
		o->last_ms[i] = INT64_MIN;
		o->due[i] = false;
	}
}

void
oot_judge(struct outofturn *o, const struct agent_config *cfg, const json_t *results,
    int64_t now_ms)
{
	for (size_t i = 0; i < cfg->nprobes && i < AGENT_MAX_PROBES; i++) {
		const struct probe_def *p = &cfg->probes[i];
		char why[256];
		int gap_s = 0;
		if (o->due[i] || p->spec->out_of_turn == NULL ||
		    !p->spec->out_of_turn(p, results, &gap_s, why, sizeof(why)))
			continue;
		if (o->last_ms[i] != INT64_MIN && now_ms - o->last_ms[i] < (int64_t)gap_s * 1000) {
			log_debug("agent: [probe.%s] not run at once (it ran %lld s ago, less than "
			    "%d s): %s", p->name, (long long)((now_ms - o->last_ms[i]) / 1000), gap_s, why);
			continue;
		}
		o->due[i] = true;
		log_info("agent: [probe.%s] runs at once, at the next cycle: %s", p->name, why);
	}
}

bool
oot_take(struct outofturn *o, size_t i)
{
	bool due = i < AGENT_MAX_PROBES && o->due[i];
	if (due)
		o->due[i] = false;
	return due;
}

void
oot_ran(struct outofturn *o, size_t i, int64_t now_ms)
{
	if (i < AGENT_MAX_PROBES)
		o->last_ms[i] = now_ms;
}
