/* `pantau regions --at-risk`: the regencies AT RISK (docs/cli.md). */
#include <string.h>

#include "format.h"
#include "format_priv.h"
#include "text.h"

#define W_REGENCY 26
#define W_PROVINCE 12
#define W_3T 2
#define W_DOWN 5
#define W_SINCE 6
/* Columns before REASON. */
#define W_FIXED (W_REGENCY + W_PROVINCE + W_3T + W_DOWN + W_SINCE + 5 * 2)
#define CELL_MAX 512

static bool
at_risk(const json_t *r)
{
	return json_is_true(json_object_get(r, "at_risk"));
}

json_t *
fmt_at_risk_json(const json_t *doc)
{
	json_t *copy = json_copy((json_t *)doc), *list = json_array();
	const json_t *regions = json_object_get(doc, "regions"), *r;
	size_t i;
	if (copy == NULL || list == NULL) {
		json_decref(copy);
		json_decref(list);
		return NULL;
	}
	json_array_foreach(regions, i, r)
		if (at_risk(r))
			json_array_append(list, (json_t *)r);
	json_object_set_new(copy, "regions", list);
	return copy;
}

static void
risk_row(FILE *out, const json_t *r, const struct fmt_opts *o)
{
	char cell[CELL_MAX];
	const json_t *counts = json_object_get(r, "status_counts");
	fmt_short_name(fmt_get_str(r, "code", "?"), fmt_get_str(r, "name", ""), cell, sizeof(cell));
	text_cell(out, cell, W_REGENCY, false, NULL);
	text_next_cell(out, fmt_get_str(r, "province_name", fmt_get_str(r, "province", "")), W_PROVINCE,
	    false, NULL);
	text_next_cell(out, json_is_true(json_object_get(r, "is_3t")) ? "3T" : "", W_3T, false, NULL);
	text_gap(out);
	snprintf(cell, sizeof(cell), "%lld/%lld",
	    (long long)(json_integer_value(json_object_get(counts, "CRITICAL")) +
	        json_integer_value(json_object_get(counts, "OFFLINE"))),
	    (long long)json_integer_value(json_object_get(r, "sites_known")));
	text_cell(out, cell, W_DOWN, true, NULL);
	text_gap(out);
	fmt_age_cell(out, r, "since", o->now_ms, W_SINCE);
	const char *reason = fmt_get_str(r, "reason", "");
	text_last_cell(out, reason, o->width, W_FIXED);
}

pantau_err
fmt_at_risk(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	const json_t *regions = json_object_get(doc, "regions"), *r;
	size_t i, n = 0, all = json_array_size(regions);
	if (!json_is_array(regions))
		return PANTAU_ERR_PARSE;
	json_array_foreach(regions, i, r) {
		if (!at_risk(r))
			continue;
		if (n++ == 0)
			fputs("REGENCY                     PROVINCE      3T   DOWN  SINCE   REASON\n",
			    out);
		risk_row(out, r, o);
	}
	if (n == 0) {
		fprintf(out, "no regency is at risk (%zu regenc%s with sites)\n", all,
		    all == 1 ? "y" : "ies");
		return PANTAU_OK;
	}
	const char *c = o->color ? FMT_SGR_RED : "";
	fprintf(out, "\n%s%zu of %zu regenc%s at risk%s\n", c, n, all, all == 1 ? "y" : "ies",
	    o->color ? FMT_SGR_RESET : "");
	return PANTAU_OK;
}
