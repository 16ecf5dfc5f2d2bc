#include "check_report.h"

#include <stdarg.h>
#include <string.h>

static void
vemit(struct check_out *o, const char *tag, enum check_msg m, va_list ap)
{
	fprintf(o->out, "[%s] ", tag);
	vfprintf(o->out, check_text(m, o->lang), ap);
	fputc('\n', o->out);
}

void
check_line(struct check_out *o, bool ok, enum check_msg m, ...)
{
	va_list ap;
	va_start(ap, m);
	vemit(o, ok ? " OK " : "FAIL", m, ap);
	va_end(ap);
	if (ok)
		o->passed++;
	else
		o->failed++;
}

void
check_note(struct check_out *o, const char *tag, enum check_msg m, ...)
{
	va_list ap;
	va_start(ap, m);
	vemit(o, tag, m, ap);
	va_end(ap);
}

void
check_fail(struct check_out *o, const char *why)
{
	fprintf(o->out, "[FAIL] %s\n", why);
	o->failed++;
}

/* ---- a probe's result ---- */

static double
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : -1.0;
}

static void
report_icmp(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	long long sent = (long long)num(r, "sent"), recv = (long long)num(r, "recv");
	const json_t *rtt = json_object_get(r, "rtt_ms");
	if (recv > 0)
		check_line(o, true, M_ICMP_OK, p->name, p->target, recv, sent, num(r, "loss_pct"),
		    num(rtt, "p50"));
	else
		check_line(o, false, M_ICMP_NONE, p->name, p->target);
}

/* A packet train of another kind (stamp): replies, loss, median, MOS. */
static bool
report_train(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	const json_t *rtt = json_object_get(r, "rtt_ms");
	if (num(r, "recv") <= 0 || rtt == NULL)
		return false;
	check_line(o, true, M_TRAIN_OK, p->name, p->spec->kind, p->target, (long long)num(r, "recv"),
	    (long long)num(r, "sent"), num(r, "loss_pct"), num(rtt, "p50"), num(r, "mos"));
	return true;
}

/* A path: its hops as traceroute shows them ("*" silent), reached or not. */
static bool
report_path(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	const json_t *hops = json_object_get(r, "hops"), *h;
	char text[512];
	size_t i, off = 0;
	if (!json_is_array(hops))
		return false;
	text[0] = '\0';
	json_array_foreach(hops, i, h) {
		const char *a = json_string_value(json_object_get(h, "addr"));
		int w = snprintf(text + off, sizeof(text) - off, "%s%s", i ? " " : "", a ? a : "*");
		if (w < 0 || (size_t)w >= sizeof(text) - off)
			break;
		off += (size_t)w;
	}
	bool reached = json_is_true(json_object_get(r, "reached"));
	static const char *const said[2][2] = { { "target not reached (it may not answer)",
		"target tidak tercapai (mungkin tidak menjawab)" }, { "target reached",
		"target tercapai" } };
	check_line(o, true, M_PATH_OK, p->name, p->target, (int)json_array_size(hops),
	    said[reached][o->lang == CHECK_ID], text);
	return true;
}

/* Throughput: the rate of each direction, or why it was skipped. */
static bool
report_throughput(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	char text[200];
	size_t off = 0;
	const char *note = json_string_value(json_object_get(r, "note"));
	if (note != NULL) {
		check_line(o, true, M_PROBE_ERROR, p->name, p->spec->kind, p->target, note);
		return true;
	}
	if (!json_is_true(json_object_get(r, "ok")))
		return false;
	text[0] = '\0';
	static const char *const dirs[2][2] = { { "download", "unduh" },
		{ "upload", "unggah" } };
	for (int i = 0; i < 2; i++) {
		const json_t *d = json_object_get(r, dirs[i][0]);
		if (d == NULL || off >= sizeof(text) - 2)
			continue;
		if (off > 0)
			off += (size_t)snprintf(text + off, sizeof(text) - off, ", ");
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    check_text(M_TPUT_DIR, o->lang), dirs[i][o->lang], num(d, "mbps"));
	}
	check_line(o, true, M_PROBE_ERROR, p->name, p->spec->kind, p->target, text);
	return true;
}

/* upload_task: size and time, or why it was skipped. */
static bool
report_upload(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	const char *note = json_string_value(json_object_get(r, "note"));
	if (note != NULL)
		check_line(o, true, M_PROBE_ERROR, p->name, p->spec->kind, p->target, note);
	else if (json_is_true(json_object_get(r, "ok")))
		check_line(o, true, M_UPLOAD_OK, p->name, p->target, (long long)num(r, "bytes"),
		    num(r, "total_ms"), (long long)num(r, "status"));
	else
		return false;
	return true;
}

/* dns: answers and time, or what the resolver said and what to do. */
static void
report_dns(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	const char *rcode = json_string_value(json_object_get(r, "rcode"));
	const char *resolver = json_string_value(json_object_get(r, "resolver"));
	const char *err = json_string_value(json_object_get(r, "error"));
	const char *rec = json_string_value(json_object_get(r, "record"));
	resolver = resolver != NULL ? resolver : "?";
	if (json_is_true(json_object_get(r, "ok")))
		check_line(o, true, M_DNS_OK, p->name, rec != NULL ? rec : "", p->target,
		    (long long)num(r, "recv"), (long long)num(r, "sent"), resolver,
		    num(json_object_get(r, "time_ms"), "p50"), (long long)num(r, "answers"),
		    json_is_true(json_object_get(r, "truncated")) ? ", truncated" : "");
	else if (rcode != NULL && strcmp(rcode, "NXDOMAIN") == 0)
		check_line(o, false, M_DNS_NXDOMAIN, p->name, p->target, resolver);
	else if (rcode != NULL)
		check_line(o, false, M_DNS_REFUSED, p->name, p->target, resolver, rcode);
	else
		check_line(o, false, M_DNS_NOREPLY, p->name, p->target, err != NULL ? err : "failed");
}

/* passive: its first group's result tells the whole capture; a failure
 * names the interface or the permission. */
static void
report_passive(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	const json_t *all = r;
	long long packets = 0, flows = 0, handshakes = 0;
	r = json_is_array(all) ? json_array_get(all, 0) : all;
	const char *err = json_string_value(json_object_get(r, "error"));
	if (err != NULL && strncmp(err, "no interface", 12) == 0)
		check_line(o, false, M_PASSIVE_NOIF, p->name, p->target, err);
	else if (err != NULL && strncmp(err, "no permission", 13) == 0)
		check_line(o, false, M_PASSIVE_PERM, p->name, p->target, err);
	else if (err != NULL || r == NULL)
		check_line(o, false, M_PROBE_ERROR, p->name, "passive", p->target,
		    err != NULL ? err : "no result");
	if (err != NULL || r == NULL)
		return;
	size_t i;
	const json_t *g;
	json_array_foreach(all, i, g) {
		flows += (long long)num(g, "flows");
		handshakes += (long long)num(g, "handshakes");
	}
	packets = (long long)num(r, "packets");
	if (packets > 0)
		check_line(o, true, M_PASSIVE_OK, p->name, p->target, packets, num(r, "window_s"), flows,
		    handshakes);
	else
		check_line(o, false, M_PASSIVE_QUIET, p->name, p->target, num(r, "window_s"));
}

void
check_report_probe(struct check_out *o, const struct probe_def *p, const json_t *r)
{
	const char *err = json_string_value(json_object_get(r, "error"));
	bool ok = json_is_true(json_object_get(r, "ok"));
	const char *kind = p->spec->kind;
	if (strcmp(kind, "icmp") == 0 && (err == NULL || num(r, "recv") > 0))
		report_icmp(o, p, r);
	else if (strcmp(kind, "dns") == 0)
		report_dns(o, p, r);
	else if (strcmp(kind, "passive") == 0)
		report_passive(o, p, r);
	else if (strcmp(kind, "path") == 0 && err == NULL && report_path(o, p, r))
		;
	else if (strcmp(kind, "stamp") == 0 && report_train(o, p, r))
		;
	else if (strcmp(kind, "throughput") == 0 && report_throughput(o, p, r))
		;
	else if (strcmp(kind, "upload_task") == 0 && report_upload(o, p, r))
		;
	else if (err != NULL && strcmp(kind, "tcp") == 0)
		check_line(o, false, M_TCP_FAIL, p->name, p->target, err);
	else if (err != NULL && strcmp(kind, "http") == 0)
		check_line(o, false, M_HTTP_FAIL, p->name, p->target, err);
	else if (err != NULL)
		check_line(o, false, M_PROBE_ERROR, p->name, kind, p->target, err);
	else if (strcmp(kind, "tcp") == 0)
		check_line(o, ok, M_TCP_OK, p->name, p->target, num(r, "connect_ms"));
	else if (strcmp(kind, "http") == 0)
		check_line(o, ok, M_HTTP_OK, p->name, p->target, (long long)num(r, "status"),
		    num(r, "total_ms"));
	else
		check_line(o, ok, M_PROBE_ERROR, p->name, kind, p->target, ok ? "ok" : "failed");
}

