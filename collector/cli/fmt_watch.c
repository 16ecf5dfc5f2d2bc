/* One screen of `pantau watch` (docs/cli.md). */
#include <string.h>

#include "format.h"
#include "format_priv.h"

static const char *const zones[] = { "WIB", "WITA", "WIT" };
static const char *const worst_first[] = { "OFFLINE", "CRITICAL", "DEGRADED", "UNKNOWN", "OK" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* "pantau watch  URL  2024-02-14 06:05:00 UTC  WIB 13:05  WITA 14:05  WIT 15:05" */
static void
title(FILE *out, const struct fmt_watch_docs *d, const struct fmt_opts *o)
{
	const char *gen = fmt_get_str(d->overview, "generated", "");
	const json_t *z = json_object_get(json_object_get(d->overview, "counting"), "zones");
	fprintf(out, "%spantau watch%s  %s", o->color ? FMT_SGR_BOLD : "",
	    o->color ? FMT_SGR_RESET : "", d->url);
	if (strlen(gen) >= 19)
		fprintf(out, "  %.10s %.8s UTC", gen, gen + 11);
	for (size_t i = 0; i < N(zones); i++) {
		const char *lt = fmt_get_str(json_object_get(z, zones[i]), "local_time", "");
		if (strlen(lt) >= 16)
			fprintf(out, "  %s %.5s", zones[i], lt + 11);
	}
	fputc('\n', out);
}

/* "VOTE COUNTING WINDOW ACTIVE: WIB, WITA" while some zone counts. */
static void
banner(FILE *out, const struct fmt_watch_docs *d, const struct fmt_opts *o)
{
	const json_t *c = json_object_get(d->overview, "counting");
	bool first = true;
	if (!json_is_true(json_object_get(c, "active")))
		return;
	fprintf(out, "%sVOTE COUNTING WINDOW ACTIVE: ", o->color ? "\033[1;35m" : "");
	for (size_t i = 0; i < N(zones); i++) {
		const json_t *z = json_object_get(json_object_get(c, "zones"), zones[i]);
		if (!json_is_true(json_object_get(z, "active")))
			continue;
		fprintf(out, "%s%s", first ? "" : ", ", zones[i]);
		first = false;
	}
	fprintf(out, "%s\n", o->color ? FMT_SGR_RESET : "");
}

/* "sites 9: 2 OFFLINE, 1 UNKNOWN, 6 OK; regencies at risk: 1 of 3; alerts firing: 2" */
static void
counts(FILE *out, const struct fmt_watch_docs *d, const struct fmt_opts *o)
{
	const json_t *nation = json_object_get(d->overview, "nation");
	const json_t *sc = json_object_get(nation, "site_counts");
	bool first = true;
	fprintf(out, "sites %lld", (long long)json_integer_value(json_object_get(nation, "sites")));
	for (size_t i = 0; i < N(worst_first); i++) {
		long long n = json_integer_value(json_object_get(sc, worst_first[i]));
		const char *c = o->color ? fmt_status_color(worst_first[i]) : NULL;
		if (n == 0)
			continue;
		fprintf(out, "%s%lld %s%s%s", first ? ": " : ", ", n, c != NULL ? c : "",
		    worst_first[i], c != NULL ? FMT_SGR_RESET : "");
		first = false;
	}
	long long risk = json_integer_value(json_object_get(nation, "regencies_at_risk"));
	long long firing = json_integer_value(json_object_get(d->alerts, "firing"));
	fprintf(out, "; regencies at risk: %s%lld%s of %lld; alerts firing: %s%lld%s\n",
	    o->color && risk > 0 ? FMT_SGR_RED : "", risk, o->color && risk > 0 ? FMT_SGR_RESET : "",
	    (long long)json_integer_value(json_object_get(nation, "regencies")),
	    o->color && firing > 0 ? FMT_SGR_RED : "", firing,
	    o->color && firing > 0 ? FMT_SGR_RESET : "");
}

pantau_err
fmt_watch(FILE *out, const struct fmt_watch_docs *d, const struct fmt_opts *o,
    size_t max_rows)
{
	size_t hidden = 0;
	if (!json_is_object(json_object_get(d->overview, "nation")) ||
	    !json_is_array(json_object_get(d->alerts, "alerts")) ||
	    !json_is_array(json_object_get(d->regions, "regions")))
		return PANTAU_ERR_PARSE;
	title(out, d, o);
	banner(out, d, o);
	counts(out, d, o);
	fputc('\n', out);
	pantau_err rc = fmt_summary_table(out, d->regions, o, max_rows, &hidden);
	if (rc == PANTAU_OK && hidden > 0)
		fprintf(out, "... %zu more regenc%s: pantau summary\n", hidden,
		    hidden == 1 ? "y" : "ies");
	return rc;
}
