#include "reload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static void
keep_running(const char *path)
{
	log_warnx("agent: reload of %s failed (the reason is above); the running configuration "
	    "stays", path);
}

void
agent_reload(struct agent *a, const char *path)
{
	char worker[PATH_MAX], why[PATH_MAX + 512];
	struct agent_config *next = malloc(sizeof(*next));
	if (next == NULL) {
		log_warnx("agent: reload: out of memory; the running configuration stays");
		return;
	}
	/* the same checks, said on the same stream, as a start */
	if (agent_config_load(path, next, stderr) != PANTAU_OK) {
		agent_config_clear(next);
		free(next);
		keep_running(path);
		return;
	}
	if (agent_config_worker(next, worker, sizeof(worker), why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau-agent: %s\n", why);
		agent_config_clear(next);
		free(next);
		keep_running(path);
		return;
	}
	size_t restart = agent_config_restart_changes(agent_config(a), next);
	size_t n = next->nprobes;
	char names[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
		    i > 0 ? ", " : "", next->probes[i].name);
	agent_set_probes(a, next, worker);
	log_info("agent: reloaded %s: %zu probe(s) from the next cycle on: %s%s", path, n,
	    n > 0 ? names : "none", restart > 0 ? " (other changes take a restart, see above)" :
	    "");
}
