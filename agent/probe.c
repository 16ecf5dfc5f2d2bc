#include "probe.h"

#include <string.h>

extern const struct probe_ops probe_icmp_ops;
extern const struct probe_ops probe_tcp_ops;
extern const struct probe_ops probe_http_ops;
extern const struct probe_ops probe_stamp_ops;
extern const struct probe_ops probe_throughput_ops;
extern const struct probe_ops probe_upload_task_ops;

const struct probe_ops *const probe_kinds[] = {
	&probe_icmp_ops,
	&probe_tcp_ops,
	&probe_http_ops,
	&probe_stamp_ops,
	&probe_throughput_ops,
	&probe_upload_task_ops,
	NULL,
};

const struct probe_ops *
probe_find(const char *kind)
{
	for (size_t i = 0; probe_kinds[i] != NULL; i++)
		if (strcmp(probe_kinds[i]->kind, kind) == 0)
			return probe_kinds[i];
	return NULL;
}

json_t *
probe_failure_result(const struct probe_def *def, const char *error)
{
	json_t *r = wire_result_new(def->ops->kind, def->target);
	if (r == NULL)
		return NULL;
	bool train = strcmp(def->ops->kind, "stamp") == 0;
	if (strcmp(def->ops->kind, "icmp") == 0 || train) {
		json_object_set_new(r, "sent", json_integer(0));
		json_object_set_new(r, "recv", json_integer(0));
		json_object_set_new(r, "loss_pct", json_real(100.0));
	}
	if (strcmp(def->ops->kind, "icmp") != 0) {
		json_object_set_new(r, "ok", json_false());
		if (strcmp(def->ops->kind, "http") == 0)
			json_object_set_new(r, "status", json_integer(0));
	}
	json_object_set_new(r, "error", json_string(error));
	return r;
}

bool
probe_needs_worker(const struct probe_def *defs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (defs[i].ops != NULL && defs[i].ops->in_worker)
			return true;
	return false;
}
