/* The agent's configuration file (agent/agent_config.c over common/cfg.c
 * and libinih), as a technician may write it: any bytes. */
#include <stdlib.h>

#include "agent/agent_config.h"
#include "fuzz.h"

FUZZ_INITIALIZE_QUIET

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config c;
	char path[512], why[512];
	if (fuzz_config_loaded(agent_config_load(fuzz_file(data, size), &c, fuzz_devnull()))) {
		if (c.nprobes > AGENT_MAX_PROBES || !wire_agent_id_valid(c.id) ||
		    !wire_regency_code_valid(c.region))
			abort();
		for (size_t i = 0; i < c.nprobes; i++)
			if (agent_config_probe_every(&c, &c.probes[i]) < 1)
				abort();
		agent_config_budget_bytes(&c);
		agent_config_worker(&c, path, sizeof(path), why, sizeof(why));
	}
	agent_config_clear(&c);
	return 0;
}
