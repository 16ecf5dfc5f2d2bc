#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "wire.h"
#include "wire_check.h"

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
	    !wire_get_time(root, "", "ts", true, &b->ts_ms, err) ||
	    !wire_get_int(root, "", "mono_ms", false, 0, WIRE_INT_MAX, &b->mono_ms, err))
		return false;
	b->agent_ts_ms = b->ts_ms;
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
		if (!wire_result_decode(json_array_get(res, i), i, &b->results[i], err))
			return false;
	b->nresults = n;
	return true;
}

enum wire_reason
wire_batch_decode(const struct wire_topic *t, const void *payload, size_t len,
    struct wire_batch *out, struct wire_error *err)
{
	memset(out, 0, sizeof(*out));
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
	if (root != NULL && h->mono_ms > 0)
		json_object_set_new(root, "mono_ms", json_integer((json_int_t)h->mono_ms));
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
