/* Replies on pantau/v1/PP/RRRR/AGENT/reply (common/wire_reply.c), as the
 * collector reads them. A "gone" that decodes is encoded again and must
 * decode the same; its ranges ascend, within the bounds. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

static void
check(const struct wire_gone *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->seqs[i].from < 1 || g->seqs[i].to < g->seqs[i].from ||
		    g->seqs[i].to - g->seqs[i].from >= WIRE_REPLAY_MAX ||
		    (i > 0 && g->seqs[i].from <= g->seqs[i - 1].to))
			abort();
	if (g->boot < 0 || g->n > WIRE_GONE_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_topic t = { .kind = WIRE_TOPIC_REPLY, .province = "32", .regency = "32.73",
		.agent = "ag-3273-0001" };
	struct wire_gone *g = malloc(sizeof(*g)), *again = malloc(sizeof(*again));
	struct wire_error err;
	size_t len;
	if (g == NULL || again == NULL)
		abort();
	if (wire_reply_decode(&t, data, size, g, &err) != WIRE_ACCEPT) {
		if (err.reason == WIRE_ACCEPT || strlen(err.detail) == 0)
			abort();
		goto out;
	}
	check(g);
	char *text = wire_gone_encode(t.agent, g, &len);
	if (text == NULL || wire_reply_decode(&t, text, len, again, &err) != WIRE_ACCEPT ||
	    again->boot != g->boot || again->n != g->n ||
	    memcmp(again->seqs, g->seqs, g->n * sizeof(g->seqs[0])) != 0)
		abort();
	free(text);
out:
	free(g);
	free(again);
	return 0;
}
