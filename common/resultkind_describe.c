/* The result kinds' table in words and as JSON (resultkind.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "resultkind.h"
#include "wire.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	bool is_int;
} column_names[RK_COL_COUNT] = {
	[RK_COL_NONE] = { "", false },
	[RK_COL_SENT] = { "sent", true },
	[RK_COL_RECV] = { "recv", true },
	[RK_COL_LOSS] = { "loss_pct", false },
	[RK_COL_RTT_MIN] = { "rtt_min", false },
	[RK_COL_RTT_P50] = { "rtt_p50", false },
	[RK_COL_RTT_AVG] = { "rtt_avg", false },
	[RK_COL_RTT_P95] = { "rtt_p95", false },
	[RK_COL_RTT_MAX] = { "rtt_max", false },
	[RK_COL_JITTER] = { "jitter_ms", false },
	[RK_COL_PDV] = { "pdv_ms", false },
	[RK_COL_STATUS] = { "status", true },
	[RK_COL_DNS] = { "dns_ms", false },
	[RK_COL_CONNECT] = { "connect_ms", false },
	[RK_COL_TLS] = { "tls_ms", false },
	[RK_COL_TTFB] = { "ttfb_ms", false },
	[RK_COL_TOTAL] = { "total_ms", false },
};

const char *
rk_column_name(enum rk_column c)
{
	return c > RK_COL_NONE && c < RK_COL_COUNT ? column_names[c].name : "";
}

bool
rk_column_is_int(enum rk_column c)
{
	return c > RK_COL_NONE && c < RK_COL_COUNT && column_names[c].is_int;
}

const char *
rk_type_name(enum rk_type t)
{
	static const char *const names[] = { "integer", "number", "boolean", "string",
		"object", "array" };
	return (size_t)t < N(names) ? names[t] : "?";
}

const char *
rk_need_name(enum rk_need n)
{
	static const char *const names[] = { "optional", "required", "when ok",
		"when not ok", "when recv > 0", "when sent is 0" };
	return (size_t)n < N(names) ? names[n] : "?";
}

const char *
rk_judge_name(enum rk_judge j)
{
	static const char *const names[RK_JUDGE_COUNT] = { "", "loss (sent)", "loss (recv)",
		"RTT p95", "jitter", "upload", "tally path", "retransmissions",
		"retransmissions (segments)", "DNS failures", "DNS failures (queries)",
		"handshake RTT (shown)", "timestamp RTT (shown)", "DNS answer time (shown)",
		"resets (shown)", "unanswered SYNs (shown)" };
	return (size_t)j < N(names) ? names[j] : "?";
}

const char *
rk_agg_name(enum rk_agg a)
{
	static const char *const names[] = { "mean", "max", "pooled loss" };
	return (size_t)a < N(names) ? names[a] : "?";
}

const char *
rk_store_name(enum rk_store s)
{
	return s == RK_STORE_COLUMNS ? "columns" : "json";
}

const char *
rk_say_name(enum rk_say s)
{
	static const char *const names[] = { "outcome", "train", "response", "connect", "rates",
		"upload", "traffic" };
	return (size_t)s < N(names) ? names[s] : "?";
}

void
rk_range_text(const struct rk_field *f, char *buf, size_t len)
{
	switch (f->type) {
	case RK_STR:
		if (f->min == f->max)
			snprintf(buf, len, "%.0f characters", f->max);
		else
			snprintf(buf, len, "%.0f–%.0f characters", f->min, f->max);
		break;
	case RK_ARR:
		snprintf(buf, len, "%.0f–%.0f elements", f->min, f->max);
		break;
	case RK_INT:
	case RK_NUM:
		if (isinf(f->max) || f->max >= (double)WIRE_INT_MAX)
			snprintf(buf, len, "≥ %.15g", f->min);
		else
			snprintf(buf, len, "%.15g–%.15g", f->min, f->max);
		break;
	case RK_BOOL:
	case RK_OBJ:
	default:
		buf[0] = '\0';
		break;
	}
}

static json_t *
field_json(const struct rk_field *f, const char *path, bool columns)
{
	char range[64];
	rk_range_text(f, range, sizeof(range));
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", path, "type", rk_type_name(f->type),
	    "need", rk_need_name(f->need), "unit", f->unit != NULL ? f->unit : "", "range", range);
	if (o == NULL)
		return NULL;
	if (f->type == RK_INT || f->type == RK_NUM || f->type == RK_STR || f->type == RK_ARR) {
		json_object_set_new(o, "min", json_real(f->min));
		if (isfinite(f->max))
			json_object_set_new(o, "max", json_real(f->max));
	}
	if (columns && f->column != RK_COL_NONE)
		json_object_set_new(o, "column", json_string(rk_column_name(f->column)));
	if (f->judge != RK_JUDGE_NONE)
		json_object_set_new(o, "judged", json_string(rk_judge_name(f->judge)));
	if (f->flags & RK_F_MOS)
		json_object_set_new(o, "recomputed", json_true());
	return o;
}

/* Append f and its members ("rtt_ms", "rtt_ms.min", …) to list. */
static int
add_fields(json_t *list, const struct rk_field *f, size_t n, const char *prefix, bool columns)
{
	for (size_t i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), "%s%s", prefix, f[i].name);
		if (json_array_append_new(list, field_json(&f[i], path, columns)) != 0)
			return -1;
		if (f[i].members == NULL)
			continue;
		char sub[72];
		snprintf(sub, sizeof(sub), "%s%s.", path, f[i].type == RK_ARR ? "[]" : "");
		if (add_fields(list, f[i].members, f[i].nmembers, sub, columns) != 0)
			return -1;
	}
	return 0;
}

static json_t *
series_json(const struct resultkind *k)
{
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < k->nseries; i++) {
		const struct rk_series *s = &k->series[i];
		const struct rk_field *f = rk_field(k, s->field);
		json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "key", s->key, "field", s->field,
		    "aggregate", rk_agg_name(s->agg), "unit", f != NULL && f->unit ? f->unit : "");
		if (o != NULL && s->chart != NULL) {
			json_object_set_new(o, "chart", json_string(s->chart));
			json_object_set_new(o, "line", json_string(s->line));
		}
		if (json_array_append_new(list, o) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

static json_t *
kind_json(const struct resultkind *k)
{
	json_t *fields = json_array();
	bool columns = k->store == RK_STORE_COLUMNS;
	if (fields == NULL || add_fields(fields, k->fields, k->nfields, "", columns) != 0) {
		json_decref(fields);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o*}", "name", k->name, "what", k->what, "store",
	    rk_store_name(k->store), "say", rk_say_name(k->say), "fields", fields, "series",
	    series_json(k));
}

json_t *
rk_describe(void)
{
	json_t *common = json_array(), *kinds = json_array();
	if (common == NULL || kinds == NULL ||
	    add_fields(common, rk_common_fields, rk_ncommon_fields, "", true) != 0)
		goto fail;
	for (size_t i = 0; resultkinds[i] != NULL; i++)
		if (json_array_append_new(kinds, kind_json(resultkinds[i])) != 0)
			goto fail;
	return json_pack("{s:o,s:o}", "common", common, "kinds", kinds);
fail:
	json_decref(common);
	json_decref(kinds);
	return NULL;
}
