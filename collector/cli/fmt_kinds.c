/* `pantau kinds`: the result kinds' table (common/resultkind.h) in words. */
#include <string.h>

#include "format.h"
#include "format_priv.h"
#include "resultkind.h"

static void
kind_fields(FILE *out, const json_t *k)
{
	const json_t *f;
	size_t i;
	fprintf(out, "  %-28s %-8s %-15s %-7s %s\n", "field", "type", "need", "unit", "range");
	json_array_foreach(json_object_get(k, "fields"), i, f) {
		const char *unit = fmt_get_str(f, "unit", ""), *range = fmt_get_str(f, "range", "");
		fprintf(out, "  %-28s %-8s %-15s %-7s %s", fmt_get_str(f, "name", "?"),
		    fmt_get_str(f, "type", "?"), fmt_get_str(f, "need", "?"), unit[0] ? unit : "-",
		    range[0] ? range : "-");
		if (json_object_get(f, "column") != NULL)
			fprintf(out, "  column %s", fmt_get_str(f, "column", "?"));
		if (json_object_get(f, "judged") != NULL)
			fprintf(out, "  judged: %s", fmt_get_str(f, "judged", "?"));
		fputc('\n', out);
	}
}

static void
kind_series(FILE *out, const json_t *k)
{
	const json_t *s, *series = json_object_get(k, "series");
	size_t i;
	if (json_array_size(series) == 0)
		return;
	fputs("  series:", out);
	json_array_foreach(series, i, s)
		fprintf(out, "%s %s (%s, %s)", i > 0 ? "," : "", fmt_get_str(s, "key", "?"),
		    fmt_get_str(s, "field", "?"), fmt_get_str(s, "aggregate", "?"));
	fputc('\n', out);
}

pantau_err
fmt_kinds(FILE *out, const json_t *doc)
{
	const json_t *kinds = json_object_get(doc, "kinds"), *k;
	size_t i;
	if (!json_is_array(kinds))
		return PANTAU_ERR_PARSE;
	json_array_foreach(kinds, i, k) {
		fprintf(out, "%s%s: %s (stored %s, said as %s)\n", i > 0 ? "\n" : "",
		    fmt_get_str(k, "name", "?"), fmt_get_str(k, "what", ""),
		    strcmp(fmt_get_str(k, "store", ""), "json") == 0 ? "whole as JSON" : "in columns",
		    fmt_get_str(k, "say", "?"));
		kind_fields(out, k);
		kind_series(out, k);
	}
	return PANTAU_OK;
}
