/* The request pantau-probe-worker reads on stdin (agent/probes/workerproto.c).
 * A request that parses is written again and must read back the same. */
#include <stdlib.h>
#include <string.h>

#include "agent/probes/kinds.h"
#include "agent/probes/workerproto.h"
#include "fuzz.h"

FUZZ_INITIALIZE_QUIET

static void
round_trip(const struct probe_def *def, const struct workerproto_budget *b)
{
	struct probe_def again;
	struct workerproto_budget b2;
	char why[256];
	char *text = workerproto_request(def, b);
	if (text == NULL)
		abort();
	if (workerproto_request_parse(text, strlen(text), probe_kinds, &again, &b2, why, sizeof(why)) !=
	        PANTAU_OK || again.spec != def->spec || strcmp(again.name, def->name) != 0 ||
	    strcmp(again.target, def->target) != 0 || again.timeout_ms != def->timeout_ms ||
	    b2.limit_bytes != b->limit_bytes || b2.used_bytes != b->used_bytes)
		abort();
	free(again.params);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_def def;
	struct workerproto_budget b;
	char why[256];
	if (size > WORKERPROTO_MAX)
		return 0;   /* the worker reads at most this much */
	why[0] = '\0';
	pantau_err rc = workerproto_request_parse((const char *)data, size, probe_kinds, &def, &b, why,
	    sizeof(why));
	if (rc == PANTAU_OK) {
		if (def.spec == NULL || !def.spec->in_worker || def.params == NULL)
			abort();
		round_trip(&def, &b);
	} else if (why[0] == '\0') {
		abort();
	}
	free(def.params);
	return 0;
}
