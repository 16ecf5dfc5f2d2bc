#include "runner.h"

#include <string.h>

static const struct probe_runner *const runners[] = {
	&probe_http_runner,
	&probe_throughput_runner,
	&probe_upload_task_runner,
	NULL,
};

bool
probe_runner_ops(const char *kind, struct probe_ops *out)
{
	const struct probe_ops *spec = probe_find(kind);
	if (spec == NULL || !spec->in_worker)
		return false;
	for (size_t i = 0; runners[i] != NULL; i++) {
		if (strcmp(runners[i]->kind, kind) != 0)
			continue;
		*out = *spec;
		out->start = runners[i]->start;
		out->cancel = runners[i]->cancel;
		return true;
	}
	return false;
}
