/* Result batches (common/wire_batch.c): the payload of any message on
 * pantau/v1/PP/RRRR/AGENT/result. The topic's agent is taken from the
 * input's first line when it has one, so both the matching and the
 * mismatching agent are reached. An accepted batch is encoded again and
 * must decode to the same header. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

FUZZ_INITIALIZE_QUIET

static void
check_result(const struct wire_result *r)
{
	if (r->probe == NULL || r->target == NULL || r->obj == NULL)
		abort();
	/* a packet train never receives more than it sent */
	double sent = r->fig[RK_JUDGE_SENT], recv = r->fig[RK_JUDGE_RECV];
	if (r->kind != NULL && isfinite(sent) && isfinite(recv) && recv > sent)
		abort();
	if (r->ok < -1 || r->ok > 1)
		abort();
}

static void
round_trip(const struct wire_topic *t, const struct wire_batch *b)
{
	struct wire_batch_hdr h = { .agent = b->agent, .boot = b->boot, .seq = b->seq,
		.ts_ms = b->ts_ms, .outbox_pending = b->outbox_pending < 0 ? 0 : b->outbox_pending,
		.outbox_dropped = b->outbox_dropped < 0 ? 0 : b->outbox_dropped,
		.mono_ms = b->mono_ms };
	struct wire_batch again;
	struct wire_error err;
	size_t len;
	pantau_err rc;
	char *text = wire_batch_encode(&h, json_object_get(b->root, "results"), &len, &rc);
	if (text == NULL) {
		if (rc != PANTAU_ERR_TOO_BIG)
			abort();
		return;
	}
	if (wire_batch_decode(t, text, len, &again, &err) != WIRE_ACCEPT ||
	    again.boot != b->boot || again.seq != b->seq || again.ts_ms != b->ts_ms ||
	    again.mono_ms != (b->mono_ms > 0 ? b->mono_ms : -1) || again.agent_ts_ms != b->ts_ms ||
	    again.nresults != b->nresults || strcmp(again.agent, b->agent) != 0)
		abort();
	wire_batch_clear(&again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_topic t;
	struct wire_error err;
	struct wire_batch b;
	const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
	char topic[WIRE_TOPIC_MAX + 1];
	snprintf(topic, sizeof(topic), "pantau/v1/32/3273/%.*s/result",
	    nl != NULL ? (int)(nl - data) : 0, (const char *)data);
	if (nl == NULL || !wire_topic_parse(topic, &t, &err)) {
		if (!wire_topic_parse("pantau/v1/32/3273/ag-3273-0001/result", &t, &err))
			abort();
	} else {
		size -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	enum wire_reason r = wire_batch_decode(&t, data, size, &b, &err);
	if (r != err.reason && !(r == WIRE_ACCEPT && err.reason == WIRE_ACCEPT))
		abort();
	if (r != WIRE_ACCEPT) {
		if (b.root != NULL || b.results != NULL || strlen(err.detail) == 0 ||
		    wire_reason_name(r) == NULL)
			abort();
		return 0;
	}
	if (b.nresults > WIRE_MAX_RESULTS || strcmp(b.agent, t.agent) != 0 || b.seq < 1)
		abort();
	for (size_t i = 0; i < b.nresults; i++)
		check_result(&b.results[i]);
	round_trip(&t, &b);
	wire_batch_clear(&b);
	return 0;
}
