/* What the agent reads back from pantau-probe-worker's stdout
 * (agent/probes/workerproto.c), for each libcurl kind: any bytes give a result
 * object for the probe, the worker's or a failure saying why. */
#include <stdlib.h>
#include <string.h>

#include "agent/probes/kinds.h"
#include "agent/probes/workerproto.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "http", "throughput", "upload_task" };
	struct workerproto_stats st;
	struct probe_def def = { .name = "tally", .target = "https://tally.example/api/ping",
		.timeout_ms = 10000 };
	if (size > WORKERPROTO_MAX)
		return 0;   /* the agent reads at most this much */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct probe_kind *k = probe_kind_find(kinds[i]);
		if (k == NULL)
			abort();
		def.spec = k->spec;
		def.exec = k->exec;
		json_t *r = workerproto_reply_parse(&def, (const char *)data, size, 0, 0, &st);
		const char *probe = json_string_value(json_object_get(r, "probe"));
		if (!json_is_object(r) || probe == NULL || strcmp(probe, kinds[i]) != 0)
			abort();
		json_decref(r);
	}
	return 0;
}
