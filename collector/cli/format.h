/*
 * What `pantau` prints (docs/cli.md): pure functions from the API's JSON
 * to text, with the clock, the terminal width and colour passed in, so the
 * output is tested byte for byte.
 */
#ifndef PANTAU_CLI_FORMAT_H
#define PANTAU_CLI_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "text.h"

/* Summary table columns (characters) and the gap between them. */
#define FMT_W_STATUS 8
#define FMT_W_REGENCY 26
#define FMT_W_PROVINCE 12
#define FMT_W_SITES 5
#define FMT_W_RTT 14
#define FMT_W_LOSS 6
#define FMT_W_LAST 6
#define FMT_GAP TEXT_GAP
/* Width of everything before REASON. */
#define FMT_W_FIXED                                                                   \
	(FMT_W_STATUS + FMT_W_REGENCY + FMT_W_PROVINCE + FMT_W_SITES + FMT_W_RTT +     \
	    FMT_W_LOSS + FMT_W_LAST + 7 * FMT_GAP)
/* On a terminal, REASON shares the row only when it gets at least this many
 * columns; otherwise it goes on an indented line of its own. */
#define FMT_W_REASON_INLINE 48
/* A reason line never gets fewer columns than this (it wraps instead). */
#define FMT_W_REASON_MIN 24

struct fmt_opts {
	int64_t now_ms;     /* for ages ("3 min") */
	int width;          /* terminal columns; 0: no limit (not a terminal) */
	bool color;         /* colour status words (SGR sequences) */
};

/* The table of GET /api/v1/regions, worst first as the API sorted it,
 * then a line of counts per status. PANTAU_ERR_PARSE when doc has no
 * "regions" array. */
pantau_err fmt_summary(FILE *out, const json_t *doc, const struct fmt_opts *o);

/* The same table without the counts line, at most max_rows rows (0: all);
 * the rows left out are counted in *hidden (may be NULL). */
pantau_err fmt_summary_table(FILE *out, const json_t *doc, const struct fmt_opts *o,
    size_t max_rows, size_t *hidden);

/* GET /api/v1/sites/{agent}: header lines, a sparkline of the last hour's
 * RTT p95 per icmp target (collector/cli/spark.h), then the latest results
 * one per line. PANTAU_ERR_PARSE when doc has no "agent". */
pantau_err fmt_site(FILE *out, const json_t *doc, const struct fmt_opts *o);

/* One result in words, without newline: "icmp 203.0.113.10: 10/10 replies,
 * loss 0 %, rtt p50 43.0 ms p95 47.9 ms, jitter 1.9 ms". */
void fmt_result(FILE *out, const json_t *r, bool color);

/* `pantau kinds`: the result kinds' table, as rk_describe() gives it
 * (common/resultkind.h), one block per kind. PANTAU_ERR_PARSE when doc has
 * no "kinds" array. */
pantau_err fmt_kinds(FILE *out, const json_t *doc);

/* SGR colour of a status word, or NULL. */
const char *fmt_status_color(const char *status);

/* `pantau regions --at-risk` (fmt_risk.c): the regencies of GET
 * /api/v1/regions whose at_risk is true, in the API's order, then a count.
 * PANTAU_ERR_PARSE when doc has no "regions" array. */
pantau_err fmt_at_risk(FILE *out, const json_t *doc, const struct fmt_opts *o);
/* doc with only the regencies at risk (new reference; NULL on no memory). */
json_t *fmt_at_risk_json(const json_t *doc);

/* `pantau alerts` (fmt_alerts.c): GET /api/v1/alerts as a table, firing
 * first as the API sorts them, then a count. PANTAU_ERR_PARSE when doc has
 * no "alerts" array. */
pantau_err fmt_alerts(FILE *out, const json_t *doc, const struct fmt_opts *o);

/* `pantau incidents` (fmt_incidents.c): GET /api/v1/incidents as a table,
 * open ones first. PANTAU_ERR_PARSE when doc has no "incidents" array. */
pantau_err fmt_incidents(FILE *out, const json_t *doc, const struct fmt_opts *o);

/* What one `pantau watch` screen shows (fmt_watch.c). */
struct fmt_watch_docs {
	const char *url;
	const json_t *overview;   /* GET /api/v1/overview */
	const json_t *regions;    /* GET /api/v1/regions */
	const json_t *alerts;     /* GET /api/v1/alerts */
};
/* The screen: a title with the time in WIB, WITA and WIT, a banner while
 * the vote-counting window is active, national counts, then the summary
 * table cut to max_rows rows (0: all). PANTAU_ERR_PARSE when a document
 * is not what the API answers. */
pantau_err fmt_watch(FILE *out, const struct fmt_watch_docs *d, const struct fmt_opts *o,
    size_t max_rows);

#endif
