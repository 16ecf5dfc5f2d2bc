/* `pantau incidents`: GET /api/v1/incidents as a table (docs/cli.md). */
#include <stdio.h>

#include "format.h"
#include "format_priv.h"
#include "text.h"

#define W_STATE 6
#define W_ID 5
#define W_HOP 20
#define W_SITES 5
#define W_CONF 5
#define W_AGE 6
/* Columns before MESSAGE. */
#define W_FIXED (W_STATE + W_ID + W_HOP + W_SITES + W_CONF + W_AGE + 6 * 2)
#define CELL_MAX 512

static void
incident_row(FILE *out, const json_t *x, const struct fmt_opts *o)
{
	char cell[CELL_MAX];
	bool open = json_is_true(json_object_get(x, "open"));
	text_cell(out, open ? "OPEN" : "ended", W_STATE, false,
	    o->color && open ? "\033[1;31m" : NULL);
	text_gap(out);
	snprintf(cell, sizeof(cell), "%.0f", fmt_get_num(x, "id"));
	text_cell(out, cell, W_ID, true, NULL);
	text_next_cell(out, fmt_get_str(x, "hop", "?"), W_HOP, false, NULL);
	text_gap(out);
	snprintf(cell, sizeof(cell), "%zu", json_array_size(json_object_get(x, "sites")));
	text_cell(out, cell, W_SITES, true, NULL);
	text_gap(out);
	snprintf(cell, sizeof(cell), "%.2f", fmt_get_num(x, "confidence"));
	text_cell(out, cell, W_CONF, true, NULL);
	text_gap(out);
	fmt_age_cell(out, x, open ? "start" : "end", o->now_ms, W_AGE);
	text_last_cell(out, fmt_get_str(x, "message", ""), o->width, W_FIXED);
}

pantau_err
fmt_incidents(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	const json_t *list = json_object_get(doc, "incidents"), *x;
	size_t i, n = json_array_size(list);
	if (!json_is_array(list))
		return PANTAU_ERR_PARSE;
	if (n == 0) {
		fputs("no incident\n", out);
		return PANTAU_OK;
	}
	fputs("STATE      ID  HOP                   SITES   CONF  AGE     MESSAGE\n", out);
	json_array_foreach(list, i, x)
		incident_row(out, x, o);
	fprintf(out, "\n%.0f open, %.0f site(s) in them\n", fmt_get_num(doc, "open"),
	    fmt_get_num(doc, "sites_in_open"));
	return PANTAU_OK;
}
