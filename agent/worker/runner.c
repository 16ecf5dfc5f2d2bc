#include "runner.h"

extern const struct probe_spec probe_http_spec, probe_throughput_spec, probe_upload_task_spec;
extern const struct probe_exec probe_http_exec, probe_throughput_exec, probe_upload_task_exec;

/* One line a kind measured here; each also has its line in agent/probes/kinds.c. */
const struct probe_kind worker_kinds[] = {
	{ &probe_http_spec, &probe_http_exec },
	{ &probe_throughput_spec, &probe_throughput_exec },
	{ &probe_upload_task_spec, &probe_upload_task_exec },
	{ NULL, NULL },
};
