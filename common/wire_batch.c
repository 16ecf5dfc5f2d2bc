#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "wire.h"
#include "wire_check.h"

/* Upper bound for any duration in milliseconds (one day). */
#define MS_MAX 86400000.0
/* Allowed rounding between loss_pct and sent/recv, in percent points. */
#define LOSS_TOLERANCE 0.05

static void
result_init(struct wire_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = -1;
	r->sent = r->recv = r->status = -1;
	r->loss_pct = r->rtt_min = r->rtt_p50 = r->rtt_avg = r->rtt_p95 = r->rtt_max = NAN;
	r->jitter_ms = r->pdv_ms = NAN;
	r->dns_ms = r->connect_ms = r->tls_ms = r->ttfb_ms = r->total_ms = NAN;
}

static bool
check_loss(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	const json_t *v = json_object_get(o, "loss_pct");
	if (v == NULL)
		return wire_fail(err, WIRE_REJ_MISSING_FIELD, "%s.loss_pct: required field is missing",
		    path);
	if (!json_is_number(v))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "%s.loss_pct: expected a number", path);
	double loss = json_number_value(v);
	if (!isfinite(loss) || loss < 0.0 || loss > 100.0)
		return wire_fail(err, WIRE_REJ_LOSS_RANGE, "%s.loss_pct: %g is not within 0..100",
		    path, loss);
	r->loss_pct = loss;
	if (r->sent > 0) {
		double want = (double)(r->sent - r->recv) * 100.0 / (double)r->sent;
		if (fabs(want - loss) > LOSS_TOLERANCE)
			return wire_fail(err, WIRE_REJ_INCONSISTENT,
			    "%s.loss_pct: %g does not match sent %lld and recv %lld", path, loss,
			    (long long)r->sent, (long long)r->recv);
	}
	return true;
}

static bool
check_rtt(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	char sub[64];
	const json_t *rtt = json_object_get(o, "rtt_ms");
	if (rtt == NULL) {
		if (r->recv > 0)
			return wire_fail(err, WIRE_REJ_MISSING_FIELD,
			    "%s.rtt_ms: required when recv > 0", path);
		return true;
	}
	if (!json_is_object(rtt))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "%s.rtt_ms: expected an object", path);
	snprintf(sub, sizeof(sub), "%s.rtt_ms", path);
	if (!wire_get_num(rtt, sub, "min", true, 0, MS_MAX, &r->rtt_min, err) ||
	    !wire_get_num(rtt, sub, "p50", true, 0, MS_MAX, &r->rtt_p50, err) ||
	    !wire_get_num(rtt, sub, "avg", true, 0, MS_MAX, &r->rtt_avg, err) ||
	    !wire_get_num(rtt, sub, "p95", true, 0, MS_MAX, &r->rtt_p95, err) ||
	    !wire_get_num(rtt, sub, "max", true, 0, MS_MAX, &r->rtt_max, err))
		return false;
	if (!(r->rtt_min <= r->rtt_p50 && r->rtt_p50 <= r->rtt_p95 &&
	        r->rtt_p95 <= r->rtt_max && r->rtt_min <= r->rtt_avg &&
	        r->rtt_avg <= r->rtt_max))
		return wire_fail(err, WIRE_REJ_INCONSISTENT,
		    "%s: must satisfy min <= p50 <= p95 <= max and min <= avg <= max", sub);
	return true;
}

static bool
decode_icmp(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	if (!wire_get_int(o, path, "sent", true, 0, 1000000, &r->sent, err) ||
	    !wire_get_int(o, path, "recv", true, 0, 1000000, &r->recv, err))
		return false;
	if (r->recv > r->sent)
		return wire_fail(err, WIRE_REJ_INCONSISTENT, "%s: recv %lld exceeds sent %lld",
		    path, (long long)r->recv, (long long)r->sent);
	if (!check_loss(o, path, r, err) || !check_rtt(o, path, r, err))
		return false;
	if (r->sent == 0 && json_object_get(o, "error") == NULL)
		return wire_fail(err, WIRE_REJ_MISSING_FIELD,
		    "%s.error: required when nothing was sent", path);
	return wire_get_num(o, path, "jitter_ms", false, 0, MS_MAX, &r->jitter_ms, err) &&
	    wire_get_num(o, path, "pdv_ms", false, 0, MS_MAX, &r->pdv_ms, err);
}

static bool
decode_timings(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	return wire_get_num(o, path, "dns_ms", false, 0, MS_MAX, &r->dns_ms, err) &&
	    wire_get_num(o, path, "connect_ms", false, 0, MS_MAX, &r->connect_ms, err) &&
	    wire_get_num(o, path, "tls_ms", false, 0, MS_MAX, &r->tls_ms, err) &&
	    wire_get_num(o, path, "ttfb_ms", false, 0, MS_MAX, &r->ttfb_ms, err) &&
	    wire_get_num(o, path, "total_ms", false, 0, MS_MAX, &r->total_ms, err);
}

static bool
decode_ok_or_error(const json_t *o, const char *path, struct wire_result *r,
    struct wire_error *err)
{
	if (!wire_get_bool(o, path, "ok", true, &r->ok, err))
		return false;
	if (r->ok == 0 && r->error == NULL)
		return wire_fail(err, WIRE_REJ_MISSING_FIELD, "%s.error: required when ok is false",
		    path);
	return true;
}

static bool
decode_tcp(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	if (!decode_ok_or_error(o, path, r, err) || !decode_timings(o, path, r, err))
		return false;
	if (r->ok == 1 && isnan(r->connect_ms))
		return wire_fail(err, WIRE_REJ_MISSING_FIELD,
		    "%s.connect_ms: required when ok is true", path);
	return true;
}

static bool
decode_http(const json_t *o, const char *path, struct wire_result *r, struct wire_error *err)
{
	if (!decode_ok_or_error(o, path, r, err) ||
	    !wire_get_int(o, path, "status", true, 0, 999, &r->status, err) ||
	    !decode_timings(o, path, r, err))
		return false;
	if (r->ok == 1 && isnan(r->total_ms))
		return wire_fail(err, WIRE_REJ_MISSING_FIELD,
		    "%s.total_ms: required when ok is true", path);
	return true;
}

static bool
decode_result(const json_t *o, size_t i, struct wire_result *r, struct wire_error *err)
{
	char path[32];
	snprintf(path, sizeof(path), "results[%zu]", i);
	result_init(r);
	r->obj = o;
	if (!json_is_object(o))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "%s: expected an object", path);
	if (!wire_get_str(o, path, "probe", true, 32, &r->probe, err) ||
	    !wire_get_str(o, path, "target", true, WIRE_TARGET_MAX, &r->target, err) ||
	    !wire_get_str(o, path, "error", false, WIRE_TEXT_MAX, &r->error, err))
		return false;
	if (strcmp(r->probe, "icmp") == 0) {
		r->kind = WIRE_PROBE_ICMP;
		return decode_icmp(o, path, r, err);
	}
	if (strcmp(r->probe, "tcp") == 0) {
		r->kind = WIRE_PROBE_TCP;
		return decode_tcp(o, path, r, err);
	}
	if (strcmp(r->probe, "http") == 0) {
		r->kind = WIRE_PROBE_HTTP;
		return decode_http(o, path, r, err);
	}
	/* A kind from a newer agent: keep it, checking only its common fields. */
	r->kind = WIRE_PROBE_OTHER;
	return wire_get_bool(o, path, "ok", false, &r->ok, err);
}

static bool
decode_header(const json_t *root, const struct wire_topic *t, struct wire_batch *b,
    struct wire_error *err)
{
	int64_t v;
	if (!wire_get_int(root, "", "v", true, 0, WIRE_INT_MAX, &v, err))
		return false;
	if (v != WIRE_VERSION)
		return wire_fail(err, WIRE_REJ_UNKNOWN_VERSION,
		    "v: version %lld is not supported (this collector speaks %d)", (long long)v,
		    WIRE_VERSION);
	if (!wire_get_str(root, "", "agent", true, WIRE_AGENT_MAX, &b->agent, err) ||
	    !wire_get_int(root, "", "boot", true, 0, WIRE_INT_MAX, &b->boot, err) ||
	    !wire_get_int(root, "", "seq", true, 1, WIRE_INT_MAX, &b->seq, err) ||
	    !wire_get_time(root, "", "ts", true, &b->ts_ms, err))
		return false;
	if (strcmp(b->agent, t->agent) != 0)
		return wire_fail(err, WIRE_REJ_AGENT_MISMATCH,
		    "agent: \"%s\" differs from \"%s\" in the topic", b->agent, t->agent);
	return true;
}

static bool
decode_outbox(const json_t *root, struct wire_batch *b, struct wire_error *err)
{
	const json_t *ob = json_object_get(root, "outbox");
	b->outbox_pending = b->outbox_dropped = -1;
	if (ob == NULL)
		return true;
	if (!json_is_object(ob))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "outbox: expected an object");
	return wire_get_int(ob, "outbox", "pending", false, 0, WIRE_INT_MAX,
	           &b->outbox_pending, err) &&
	    wire_get_int(ob, "outbox", "dropped", false, 0, WIRE_INT_MAX, &b->outbox_dropped,
	        err);
}

static bool
decode_results(const json_t *root, struct wire_batch *b, struct wire_error *err)
{
	const json_t *res = json_object_get(root, "results");
	if (res == NULL)
		return wire_fail(err, WIRE_REJ_MISSING_FIELD, "results: required field is missing");
	if (!json_is_array(res))
		return wire_fail(err, WIRE_REJ_WRONG_TYPE, "results: expected an array");
	size_t n = json_array_size(res);
	if (n > WIRE_MAX_RESULTS)
		return wire_fail(err, WIRE_REJ_TOO_MANY_RESULTS,
		    "results: %zu entries exceed the limit of %d", n, WIRE_MAX_RESULTS);
	if (n > 0) {
		b->results = calloc(n, sizeof(*b->results));
		if (b->results == NULL)
			return wire_fail(err, WIRE_REJ_TOO_LARGE, "results: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		if (!decode_result(json_array_get(res, i), i, &b->results[i], err))
			return false;
	b->nresults = n;
	return true;
}

enum wire_reason
wire_batch_decode(const struct wire_topic *t, const void *payload, size_t len,
    struct wire_batch *out, struct wire_error *err)
{
	memset(out, 0, sizeof(*out));
	err->reason = WIRE_ACCEPT;
	err->detail[0] = '\0';
	json_t *root = wire_load_object(payload, len, err);
	if (root == NULL)
		return err->reason;
	out->root = root;
	if (!decode_header(root, t, out, err) || !decode_outbox(root, out, err) ||
	    !decode_results(root, out, err)) {
		wire_batch_clear(out);
		return err->reason;
	}
	return WIRE_ACCEPT;
}

void
wire_batch_clear(struct wire_batch *b)
{
	free(b->results);
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
}

char *
wire_batch_encode(const struct wire_batch_hdr *h, json_t *results, size_t *len, pantau_err *rc)
{
	char ts[CLOCK_ISO_LEN];
	clock_format_iso(h->ts_ms, ts);
	json_t *root = json_pack("{s:i, s:s, s:I, s:I, s:s, s:O, s:{s:I, s:I}}", "v",
	    WIRE_VERSION, "agent", h->agent, "boot", (json_int_t)h->boot, "seq",
	    (json_int_t)h->seq, "ts", ts,
	    "results", results, "outbox", "pending", (json_int_t)h->outbox_pending, "dropped",
	    (json_int_t)h->outbox_dropped);
	if (root == NULL) {
		*rc = PANTAU_ERR_NOMEM;
		return NULL;
	}
	char *text = json_dumps(root, WIRE_JSON_FLAGS);
	json_decref(root);
	if (text == NULL) {
		*rc = PANTAU_ERR_NOMEM;
		return NULL;
	}
	*len = strlen(text);
	if (*len > WIRE_MAX_PAYLOAD) {
		free(text);
		*rc = PANTAU_ERR_TOO_BIG;
		return NULL;
	}
	*rc = PANTAU_OK;
	return text;
}

json_t *
wire_result_new(const char *probe, const char *target)
{
	return json_pack("{s:s, s:s}", "probe", probe, "target", target);
}

void
wire_set_num(json_t *obj, const char *key, double value)
{
	if (!isfinite(value))
		return;
	json_object_set_new(obj, key, json_real(round(value * 1000.0) / 1000.0));
}
