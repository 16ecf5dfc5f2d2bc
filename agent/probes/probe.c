#include "agent/probes/probe.h"

#include <stdio.h>
#include <string.h>

#include "mos.h"

void
probe_run_cancel(struct probe_run *run)
{
	void *state = run->state;
	if (state == NULL)
		return;
	run->state = NULL;
	run->def->exec->cancel(run, state);
}

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
probe_quantiles_json(const struct rtt_stats *st)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	wire_set_num(o, "min", st->min);
	wire_set_num(o, "p50", st->p50);
	wire_set_num(o, "avg", st->avg);
	wire_set_num(o, "p95", st->p95);
	wire_set_num(o, "max", st->max);
	return o;
}

void
probe_train_stats(json_t *r, const struct rtt_stats *st)
{
	json_object_set_new(r, "sent", json_integer((json_int_t)st->sent));
	json_object_set_new(r, "recv", json_integer((json_int_t)st->recv));
	wire_set_num(r, "loss_pct", st->loss_pct);
	if (st->recv > 0) {
		json_object_set_new(r, "rtt_ms", probe_quantiles_json(st));
		if (st->ipdv_pairs > 0)
			wire_set_num(r, "jitter_ms", st->jitter);
		wire_set_num(r, "pdv_ms", st->pdv_p99);
	}
	if (st->sent > 0)
		wire_set_num(r, "mos", mos_estimate(st->recv > 0 ? st->avg : 0,
		    st->ipdv_pairs > 0 ? st->jitter : 0, st->loss_pct));
}

void
probe_train_send_failures(json_t *r, int failed, int count, int err, const char *what)
{
	char why[160];
	if (failed <= 0)
		return;
	snprintf(why, sizeof(why), "%d of %d %s could not be sent: %s", failed, count, what,
	    strerror(err));
	json_object_set_new(r, "error", json_string(why));
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

json_t *
probe_results_flat(json_t *results)
{
	size_t i;
	json_t *r, *flat = json_array();
	json_array_foreach(results, i, r) {
		int rc = json_is_array(r) ? json_array_extend(flat, r) : json_array_append(flat, r);
		if (flat != NULL && rc != 0) {
			json_decref(flat);
			flat = NULL;
		}
	}
	json_decref(results);
	return flat;
}
