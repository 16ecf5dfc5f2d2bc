/* `pantau alerts`: GET /api/v1/alerts as a table (docs/cli.md). */
#include <string.h>

#include "format.h"
#include "format_priv.h"
#include "text.h"

#define W_STATE 8
#define W_SEVERITY 8
#define W_ALERT 19
#define W_WHERE 36
#define W_AGE 6
/* Columns before REASON. */
#define W_FIXED (W_STATE + W_SEVERITY + W_ALERT + W_WHERE + W_AGE + 5 * 2)
#define CELL_MAX 512

/* "ag-9501-0001, 95.01 Kab. Jayawijaya" or "95.01 Kab. Jayawijaya". */
static void
where(const json_t *a, char *buf, size_t len)
{
	char name[CELL_MAX / 2];
	const char *site = fmt_get_str(a, "site", "");
	fmt_short_name(fmt_get_str(a, "regency", "?"), fmt_get_str(a, "regency_name", ""), name,
	    sizeof(name));
	if (site[0] != '\0')
		snprintf(buf, len, "%.64s, %s", site, name);
	else
		snprintf(buf, len, "%s", name);
}

static void
alert_row(FILE *out, const json_t *a, const struct fmt_opts *o)
{
	char cell[CELL_MAX];
	bool firing = json_is_true(json_object_get(a, "firing"));
	const char *severity = fmt_get_str(a, "severity", "?");
	const char *color = o->color && firing ?
	    (strcmp(severity, "critical") == 0 ? "\033[1;31m" : "\033[33m") : NULL;
	text_cell(out, firing ? "FIRING" : "resolved", W_STATE, false, color);
	text_next_cell(out, severity, W_SEVERITY, false, NULL);
	text_next_cell(out, fmt_get_str(a, "alertname", "?"), W_ALERT, false, NULL);
	text_gap(out);
	where(a, cell, sizeof(cell));
	text_cell(out, cell, W_WHERE, false, NULL);
	text_gap(out);
	fmt_age_cell(out, a, firing ? "starts_at" : "ends_at", o->now_ms, W_AGE);
	snprintf(cell, sizeof(cell), "%s: %s", fmt_get_str(a, "status", "?"),
	    fmt_get_str(a, "reason", ""));
	text_last_cell(out, cell, o->width, W_FIXED);
}

pantau_err
fmt_alerts(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	const json_t *alerts = json_object_get(doc, "alerts"), *a;
	size_t i, firing = 0, n = json_array_size(alerts);
	if (!json_is_array(alerts))
		return PANTAU_ERR_PARSE;
	if (n == 0) {
		fputs("no alert\n", out);
		return PANTAU_OK;
	}
	fputs("STATE     SEVERITY  ALERT                WHERE                                 AGE     "
	      "REASON\n", out);
	json_array_foreach(alerts, i, a) {
		alert_row(out, a, o);
		firing += json_is_true(json_object_get(a, "firing"));
	}
	fprintf(out, "\n%zu firing, %zu resolved\n", firing, n - firing);
	return PANTAU_OK;
}
