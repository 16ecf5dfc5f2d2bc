#include "format.h"
#include "format_priv.h"

#include <math.h>
#include <string.h>

#include "clock.h"
#include "resultkind.h"
#include "spark.h"
#include "text.h"

#define SGR_RED "\033[31m"
#define SGR_BOLD_RED "\033[1;31m"
#define SGR_YELLOW "\033[33m"
#define SGR_GREEN "\033[32m"
#define SGR_MAGENTA "\033[35m"
#define SGR_RESET "\033[0m"

/* Bytes of one table cell or header value before fitting. */
#define CELL_MAX 512

/* Statuses worst first, as the footer lists them. */
static const char *const statuses[] = { "OFFLINE", "CRITICAL", "DEGRADED", "UNKNOWN", "OK" };
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

const char *
fmt_status_color(const char *status)
{
	static const struct {
		const char *name, *sgr;
	} map[] = {
		{ "OK", SGR_GREEN }, { "DEGRADED", SGR_YELLOW }, { "CRITICAL", SGR_RED },
		{ "OFFLINE", SGR_BOLD_RED }, { "UNKNOWN", SGR_MAGENTA },
	};
	for (size_t i = 0; status != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(status, map[i].name) == 0)
			return map[i].sgr;
	return NULL;
}

const char *
fmt_get_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : dflt;
}

/* NAN when absent or not a number. */
double
fmt_get_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "43.0" below 100 ms, "812" from there; "-" when absent. */
void
fmt_ms_short(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v < 100.0)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

/* "0", "5", "33.3" */
static void
pct(double v, char *buf, size_t len)
{
	if (v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f", v);
}

/* Age of an ISO time relative to now, or "never". */
void
fmt_age_of(const char *iso, int64_t now_ms, char *buf, size_t len)
{
	int64_t t;
	if (iso == NULL || clock_parse_iso(iso, &t) != PANTAU_OK)
		snprintf(buf, len, "never");
	else
		text_age(now_ms - t, buf, len);
}

void
fmt_age_cell(FILE *out, const json_t *o, const char *key, int64_t now_ms, size_t width)
{
	char cell[CELL_MAX];
	fmt_age_of(fmt_get_str(o, key, NULL), now_ms, cell, sizeof(cell));
	text_cell(out, cell, width, false, NULL);
	text_gap(out);
}

/* "Kabupaten Bandung" reads "Kab. Bandung" in a narrow column. */
void
fmt_short_name(const char *code, const char *name, char *buf, size_t len)
{
	static const char kab[] = "Kabupaten ";
	if (strncmp(name, kab, sizeof(kab) - 1) == 0)
		snprintf(buf, len, "%s Kab. %s", code, name + sizeof(kab) - 1);
	else
		snprintf(buf, len, "%s %s", code, name);
}

/* Layout of the table: piped (width 0) or on a terminal of at least
 * FMT_W_FIXED + FMT_W_REASON_INLINE columns, one row per regency; on a
 * narrower terminal the reason goes on an indented line below its row, and
 * under FMT_W_FIXED columns PROVINCE is left out, so 80 columns suffice. */
struct layout {
	bool reason_inline;
	bool province;
};

static struct layout
layout_of(const struct fmt_opts *o)
{
	struct layout l;
	l.reason_inline = o->width <= 0 || o->width >= FMT_W_FIXED + FMT_W_REASON_INLINE;
	l.province = l.reason_inline || o->width >= FMT_W_FIXED - FMT_GAP;
	return l;
}

static void
summary_header(FILE *out, struct layout l)
{
	text_cell(out, "STATUS", FMT_W_STATUS, false, NULL);
	text_next_cell(out, "REGENCY", FMT_W_REGENCY, false, NULL);
	text_gap(out);
	if (l.province) {
		text_cell(out, "PROVINCE", FMT_W_PROVINCE, false, NULL);
		text_gap(out);
	}
	text_cell(out, "SITES", FMT_W_SITES, true, NULL);
	text_next_cell(out, "RTT p50/p95 ms", FMT_W_RTT, true, NULL);
	text_next_cell(out, "LOSS %", FMT_W_LOSS, true, NULL);
	text_gap(out);
	fputs(l.reason_inline ? "LAST    REASON\n" : "LAST\n", out);
}

/* SITES, RTT, LOSS and LAST cells of a row. */
static void
figures_cells(FILE *out, const json_t *r, const struct fmt_opts *o, bool pad_last)
{
	char cell[CELL_MAX], a[32], b[32];
	snprintf(cell, sizeof(cell), "%lld/%lld",
	    (long long)json_integer_value(json_object_get(r, "sites_reporting")),
	    (long long)json_integer_value(json_object_get(r, "sites_known")));
	text_cell(out, cell, FMT_W_SITES, true, NULL);
	text_gap(out);
	fmt_ms_short(fmt_get_num(r, "rtt_p50_ms"), a, sizeof(a));
	fmt_ms_short(fmt_get_num(r, "rtt_p95_ms"), b, sizeof(b));
	snprintf(cell, sizeof(cell), "%s/%s", a, b);
	text_cell(out, cell, FMT_W_RTT, true, NULL);
	text_gap(out);
	double loss = fmt_get_num(r, "loss_pct");
	if (isnan(loss))
		snprintf(cell, sizeof(cell), "-");
	else
		snprintf(cell, sizeof(cell), "%.1f", loss);
	text_cell(out, cell, FMT_W_LOSS, true, NULL);
	text_gap(out);
	fmt_age_of(fmt_get_str(r, "last_result", NULL), o->now_ms, cell, sizeof(cell));
	if (pad_last)
		text_cell(out, cell, FMT_W_LAST, false, NULL);
	else
		fputs(cell, out);   /* ends the line: no trailing blanks */
}

static void
summary_row(FILE *out, const json_t *r, const struct fmt_opts *o)
{
	char cell[CELL_MAX];
	struct layout l = layout_of(o);
	const char *status = fmt_get_str(r, "status", "?"), *reason = fmt_get_str(r, "reason", "");
	text_cell(out, status, FMT_W_STATUS, false, o->color ? fmt_status_color(status) : NULL);
	text_gap(out);
	fmt_short_name(fmt_get_str(r, "code", "?"), fmt_get_str(r, "name", ""), cell, sizeof(cell));
	text_cell(out, cell, FMT_W_REGENCY, false, NULL);
	text_gap(out);
	if (l.province) {
		text_cell(out, fmt_get_str(r, "province_name", fmt_get_str(r, "province", "")),
		    FMT_W_PROVINCE, false, NULL);
		text_gap(out);
	}
	figures_cells(out, r, o, l.reason_inline);
	size_t cols = text_cols(reason);
	if (l.reason_inline) {
		text_gap(out);
		if (o->width > 0 && cols > (size_t)(o->width - FMT_W_FIXED))
			cols = (size_t)(o->width - FMT_W_FIXED);
	} else {
		size_t room = o->width > FMT_W_STATUS + FMT_GAP + FMT_W_REASON_MIN ?
		    (size_t)(o->width - FMT_W_STATUS - FMT_GAP) : FMT_W_REASON_MIN;
		fprintf(out, "\n%*s", FMT_W_STATUS + FMT_GAP, "");
		cols = cols < room ? cols : room;
	}
	text_cell(out, reason, cols, false, NULL);
	fputc('\n', out);
}

/* "1 OFFLINE, 2 OK" from counts per status (zeros left out). */
static void
counts_line(FILE *out, const long long counts[NSTATUSES], const struct fmt_opts *o)
{
	bool first = true;
	for (size_t i = 0; i < NSTATUSES; i++) {
		if (counts[i] == 0)
			continue;
		const char *c = o->color ? fmt_status_color(statuses[i]) : NULL;
		fprintf(out, "%s%lld %s%s%s", first ? "" : ", ", counts[i], c != NULL ? c : "",
		    statuses[i], c != NULL ? SGR_RESET : "");
		first = false;
	}
}

static size_t
status_index(const char *s)
{
	for (size_t i = 0; s != NULL && i < NSTATUSES; i++)
		if (strcmp(s, statuses[i]) == 0)
			return i;
	return NSTATUSES;
}

pantau_err
fmt_summary_table(FILE *out, const json_t *doc, const struct fmt_opts *o, size_t max_rows,
    size_t *hidden)
{
	const json_t *regions = json_object_get(doc, "regions");
	size_t n = json_array_size(regions);
	if (hidden != NULL)
		*hidden = 0;
	if (!json_is_array(regions))
		return PANTAU_ERR_PARSE;
	if (n == 0) {
		fputs("no regency has a known site yet\n", out);
		return PANTAU_OK;
	}
	if (max_rows > 0 && max_rows < n) {
		if (hidden != NULL)
			*hidden = n - max_rows;
		n = max_rows;
	}
	summary_header(out, layout_of(o));
	for (size_t i = 0; i < n; i++)
		summary_row(out, json_array_get(regions, i), o);
	return PANTAU_OK;
}

pantau_err
fmt_summary(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	const json_t *regions = json_object_get(doc, "regions");
	long long per_region[NSTATUSES] = { 0 }, per_site[NSTATUSES] = { 0 };
	size_t i;
	const json_t *r;
	pantau_err rc = fmt_summary_table(out, doc, o, 0, NULL);
	if (rc != PANTAU_OK || json_array_size(regions) == 0)
		return rc;
	json_array_foreach(regions, i, r) {
		size_t k = status_index(fmt_get_str(r, "status", NULL));
		if (k < NSTATUSES)
			per_region[k]++;
		const json_t *counts = json_object_get(r, "status_counts");
		for (k = 0; k < NSTATUSES; k++)
			per_site[k] += json_integer_value(json_object_get(counts, statuses[k]));
	}
	fprintf(out, "\n%zu regenc%s: ", json_array_size(regions),
	    json_array_size(regions) == 1 ? "y" : "ies");
	counts_line(out, per_region, o);
	fputs("; sites: ", out);
	counts_line(out, per_site, o);
	fputc('\n', out);
	return PANTAU_OK;
}

/* ---- one site ---- */

static void
failed(FILE *out, bool color)
{
	fputs(color ? SGR_RED "FAILED" SGR_RESET : "FAILED", out);
}

static void
icmp_words(FILE *out, const json_t *r, bool color)
{
	char a[32], b[32];
	double sent = fmt_get_num(r, "sent"), recv = fmt_get_num(r, "recv");
	const char *error = fmt_get_str(r, "error", NULL);
	const json_t *rtt = json_object_get(r, "rtt_ms");
	if (isnan(sent) || sent <= 0) {
		failed(out, color);
		fprintf(out, " %s", error != NULL ? error : "nothing was sent");
		return;
	}
	pct(fmt_get_num(r, "loss_pct"), a, sizeof(a));
	fprintf(out, "%.0f/%.0f replies, loss %s %%", recv, sent, a);
	if (json_is_object(rtt)) {
		fmt_ms_short(fmt_get_num(rtt, "p50"), a, sizeof(a));
		fmt_ms_short(fmt_get_num(rtt, "p95"), b, sizeof(b));
		fprintf(out, ", rtt p50 %s ms p95 %s ms", a, b);
	}
	if (!isnan(fmt_get_num(r, "jitter_ms"))) {
		fmt_ms_short(fmt_get_num(r, "jitter_ms"), a, sizeof(a));
		fprintf(out, ", jitter %s ms", a);
	}
	if (error != NULL)
		fprintf(out, ", %s", error);
}

/* ok is true, false or absent (-1). */
static int
ok_of(const json_t *r)
{
	const json_t *v = json_object_get(r, "ok");
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static void
http_words(FILE *out, const json_t *r, bool color)
{
	double status = fmt_get_num(r, "status"), total = fmt_get_num(r, "total_ms");
	const char *error = fmt_get_str(r, "error", NULL);
	if (ok_of(r) == 1) {
		fprintf(out, "%.0f", status);
		if (!isnan(total))
			fprintf(out, " in %.0f ms", total);
		return;
	}
	failed(out, color);
	if (!isnan(status) && status > 0)
		fprintf(out, " status %.0f%s", status, error != NULL ? ":" : "");
	if (error != NULL)
		fprintf(out, " %s", error);
}

static void
tcp_words(FILE *out, const json_t *r, bool color)
{
	char a[32];
	double connect = fmt_get_num(r, "connect_ms");
	if (ok_of(r) == 1) {
		fmt_ms_short(connect, a, sizeof(a));
		if (isnan(connect))
			fputs("connected", out);
		else
			fprintf(out, "connected in %s ms", a);
		return;
	}
	failed(out, color);
	fprintf(out, " %s", fmt_get_str(r, "error", "(no reason given)"));
}

/* The site's own traffic (passive): "handshake p50 44.2 ms, retransmitted
 * 1.2 %, DNS failed 0.0 %, DNS p50 12.1 ms, 3 resets, 1 SYN unanswered,
 * 212 flows" (resets and SYNs when there are any). */
static void
traffic_words(FILE *out, const json_t *r, bool color)
{
	char a[32];
	if (ok_of(r) != 1) {
		failed(out, color);
		fprintf(out, " %s", fmt_get_str(r, "error", "(no reason given)"));
		return;
	}
	double hs = fmt_get_num(json_object_get(r, "handshake_ms"), "p50");
	double re = fmt_get_num(r, "retrans_pct"), dns = fmt_get_num(r, "dns_fail_pct");
	if (!isnan(hs)) {
		fmt_ms_short(hs, a, sizeof(a));
		fprintf(out, "handshake p50 %s ms, ", a);
	}
	if (!isnan(re))
		fprintf(out, "retransmitted %.1f %%, ", re);
	if (!isnan(dns))
		fprintf(out, "DNS failed %.1f %%, ", dns);
	double dns_ms = fmt_get_num(json_object_get(r, "dns_ms"), "p50");
	if (!isnan(dns_ms)) {
		fmt_ms_short(dns_ms, a, sizeof(a));
		fprintf(out, "DNS p50 %s ms, ", a);
	}
	double rst = fmt_get_num(r, "resets"), syn = fmt_get_num(r, "syn_unanswered");
	if (rst > 0)
		fprintf(out, "%.0f reset%s, ", rst, rst == 1 ? "" : "s");
	if (syn > 0)
		fprintf(out, "%.0f SYN%s unanswered, ", syn, syn == 1 ? "" : "s");
	fprintf(out, "%.0f flows", fmt_get_num(r, "flows"));
}

void
fmt_result(FILE *out, const json_t *r, bool color)
{
	const char *probe = fmt_get_str(r, "probe", "?");
	fprintf(out, "%s %s: ", probe, fmt_get_str(r, "target", "?"));
	const struct resultkind *k = rk_find(probe);
	enum rk_say say = k != NULL ? k->say : RK_SAY_OUTCOME;
	if (say == RK_SAY_TRAIN) {
		icmp_words(out, r, color);
	} else if (say == RK_SAY_RESPONSE) {
		http_words(out, r, color);
	} else if (say == RK_SAY_CONNECT) {
		tcp_words(out, r, color);
	} else if (say == RK_SAY_TRAFFIC) {
		traffic_words(out, r, color);
	} else if (ok_of(r) == 0) {
		failed(out, color);
		fprintf(out, " %s", fmt_get_str(r, "error", "(no reason given)"));
	} else {
		fputs(ok_of(r) == 1 ? "ok" : "reported", out);
	}
}

static void
label(FILE *out, const char *name)
{
	fprintf(out, "%-10s", name);
}

static void
site_identity(FILE *out, const json_t *doc)
{
	const char *site = fmt_get_str(doc, "site", NULL), *agent = fmt_get_str(doc, "agent", "?");
	label(out, "site");
	if (site != NULL)
		fprintf(out, "%s (%s)\n", site, agent);
	else
		fprintf(out, "%s (no site name yet)\n", agent);
	label(out, "regency");
	fprintf(out, "%s %s, %s\n", fmt_get_str(doc, "regency", "?"), fmt_get_str(doc, "regency_name", ""),
	    fmt_get_str(doc, "province_name", fmt_get_str(doc, "province", "")));
	label(out, "link");
	fprintf(out, "%s", fmt_get_str(doc, "link", "unknown"));
	if (json_is_integer(json_object_get(doc, "interval_s")))
		fprintf(out, ", every %lld s",
		    (long long)json_integer_value(json_object_get(doc, "interval_s")));
	fprintf(out, ", agent %s", fmt_get_str(doc, "version", "version unknown"));
	if (json_is_integer(json_object_get(doc, "boot")))
		fprintf(out, ", boot %lld", (long long)json_integer_value(json_object_get(doc, "boot")));
	fputc('\n', out);
	if (!isnan(fmt_get_num(doc, "lat")) && !isnan(fmt_get_num(doc, "lon"))) {
		label(out, "location");
		fprintf(out, "%.6g, %.6g\n", fmt_get_num(doc, "lat"), fmt_get_num(doc, "lon"));
	}
}

/* "delivery": what reached the store of what the agent made, over every boot. */
static void
site_delivery(FILE *out, const json_t *d)
{
	json_int_t expected = json_integer_value(json_object_get(d, "expected"));
	if (expected <= 0)
		return; /* no batch yet, or a collector without delivery counts */
	label(out, "delivery");
	json_int_t lost = json_integer_value(json_object_get(d, "lost"));
	fprintf(out, "%lld of %lld batches stored, %lld missing, ",
	    (long long)json_integer_value(json_object_get(d, "stored")), (long long)expected,
	    (long long)json_integer_value(json_object_get(d, "missing")));
	if (lost > 0) /* given up by replay (docs/protocol.md) */
		fprintf(out, "%lld lost, ", (long long)lost);
	fprintf(out, "%lld duplicates suppressed, %lld dropped by the outbox\n",
	    (long long)json_integer_value(json_object_get(d, "duplicates")),
	    (long long)json_integer_value(json_object_get(d, "dropped")));
}

static void
site_state(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	char age[TEXT_AGE_MAX];
	const char *status = fmt_get_str(doc, "status", "?"), *last = fmt_get_str(doc, "last_result", NULL);
	const char *c = o->color ? fmt_status_color(status) : NULL;
	const json_t *outbox = json_object_get(doc, "outbox");
	label(out, "status");
	fprintf(out, "%s%s%s: %s\n", c != NULL ? c : "", status, c != NULL ? SGR_RESET : "",
	    fmt_get_str(doc, "reason", ""));
	label(out, "last");
	if (last == NULL) {
		fputs("no result yet\n", out);
	} else {
		fmt_age_of(last, o->now_ms, age, sizeof(age));
		fprintf(out, "%s (%s ago)", last, age);
		if (json_is_integer(json_object_get(doc, "skew_ms")))
			fprintf(out, ", clock skew %lld ms",
			    (long long)json_integer_value(json_object_get(doc, "skew_ms")));
		fputc('\n', out);
	}
	if (json_is_string(json_object_get(doc, "clock"))) {
		label(out, "clock");
		fprintf(out, "%s\n", fmt_get_str(doc, "clock", ""));
	}
	label(out, "outbox");
	if (json_is_integer(json_object_get(outbox, "pending")))
		fprintf(out, "%lld pending, %lld dropped\n",
		    (long long)json_integer_value(json_object_get(outbox, "pending")),
		    (long long)json_integer_value(json_object_get(outbox, "dropped")));
	else
		fputs("not reported\n", out);
	site_delivery(out, json_object_get(doc, "delivery"));
}

/* "rtt 1 h   ▁▁▂█▁·x  icmp 203.0.113.10, p95 41.2-612 ms" per series of a
 * kind whose RTT p95 is charted (common/resultkind.h). */
static void
site_sparks(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	const json_t *series = json_object_get(doc, "series"), *e;
	char line[SPARK_MAX], a[32], b[32], kinds[64];
	size_t i;
	bool any = false;
	if (!json_is_array(series))
		return;
	json_array_foreach(series, i, e) {
		struct spark s;
		const char *probe = fmt_get_str(e, "probe", "");
		const struct rk_series *p95 = rk_series_judged(rk_find(probe), RK_JUDGE_RTT_P95);
		if (p95 == NULL)
			continue;
		spark_bin_points(json_object_get(e, "points"), p95->key, o->now_ms, &s);
		if (s.points == 0)
			continue;
		spark_draw(&s, line, sizeof(line));
		label(out, any ? "" : "rtt 1 h");
		fprintf(out, "%s  %s %s", line, probe, fmt_get_str(e, "target", "?"));
		if (!isnan(s.min)) {
			fmt_ms_short(s.min, a, sizeof(a));
			fmt_ms_short(s.max, b, sizeof(b));
			fprintf(out, ", p95 %s-%s ms", a, b);
		} else {
			fputs(", every packet lost", out);
		}
		fputc('\n', out);
		any = true;
	}
	if (!any) {
		label(out, "rtt 1 h");
		rk_names_judged(RK_JUDGE_RTT_P95, true, " or ", kinds, sizeof(kinds));
		fprintf(out, "no %s result in the last hour\n", kinds);
	}
}

pantau_err
fmt_site(FILE *out, const json_t *doc, const struct fmt_opts *o)
{
	const json_t *latest = json_object_get(doc, "latest"), *r;
	const char *ts = fmt_get_str(json_object_get(doc, "latest_batch"), "ts", NULL);
	size_t i;
	if (fmt_get_str(doc, "agent", NULL) == NULL)
		return PANTAU_ERR_PARSE;
	site_identity(out, doc);
	site_state(out, doc, o);
	site_sparks(out, doc, o);
	if (json_array_size(latest) == 0) {
		fputs("\nno result received yet\n", out);
		return PANTAU_OK;
	}
	fprintf(out, "\nlatest results%s%s:\n", ts != NULL ? ", measured " : "",
	    ts != NULL ? ts : "");
	json_array_foreach(latest, i, r) {
		fputs("  ", out);
		fmt_result(out, r, o->color);
		fputc('\n', out);
	}
	return PANTAU_OK;
}
