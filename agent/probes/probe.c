#include "agent/probes/probe.h"

#include <stdio.h>
#include <string.h>

const struct probe_kind *
probe_kind_in(const struct probe_kind *table, const char *name)
{
	for (size_t i = 0; table[i].spec != NULL; i++)
		if (strcmp(table[i].spec->kind, name) == 0)
			return &table[i];
	return NULL;
}

void
probe_kind_names(const struct probe_kind *table, char *buf, size_t len)
{
	size_t n = 0, off = 0;
	while (table[n].spec != NULL)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		off += (size_t)snprintf(buf + off, len - off, "%s%s", sep, table[i].spec->kind);
	}
}

void
probe_train_failure_fields(json_t *r)
{
	json_object_set_new(r, "sent", json_integer(0));
	json_object_set_new(r, "recv", json_integer(0));
	json_object_set_new(r, "loss_pct", json_real(100.0));
}

json_t *
probe_failure_result(const struct probe_def *def, const char *error)
{
	json_t *r = wire_result_new(def->spec->kind, def->target);
	if (r == NULL)
		return NULL;
	if (def->spec->failure_fields != NULL)
		def->spec->failure_fields(r);
	else
		json_object_set_new(r, "ok", json_false());
	json_object_set_new(r, "error", json_string(error));
	return r;
}

bool
probe_needs_worker(const struct probe_def *defs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (defs[i].spec != NULL && defs[i].spec->in_worker)
			return true;
	return false;
}
