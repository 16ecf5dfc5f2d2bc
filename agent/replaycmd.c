#include "replaycmd.h"

#include <stdlib.h>

#include "log.h"

struct gone_acc {
	const struct replaycmd_ctx *c;
	struct wire_gone g;
	int64_t seqs;             /* gone seqs in all replies */
	int replies, failed;
};

static void
send_gone(struct gone_acc *acc)
{
	size_t len = 0;
	int mid;
	if (acc->g.n == 0)
		return;
	char *text = wire_gone_encode(acc->c->agent, &acc->g, &len);
	if (text != NULL && mqttc_publish(acc->c->mqtt, acc->c->reply_topic, text, len, 1, false,
	        &mid) == PANTAU_OK)
		acc->replies++;
	else
		acc->failed++; /* the collector asks again and gets its answer then */
	free(text);
	acc->g.n = 0;
}

static void
on_gone(void *ctx, int64_t from, int64_t to)
{
	struct gone_acc *acc = ctx;
	if (acc->g.n == WIRE_GONE_MAX)
		send_gone(acc);
	acc->g.seqs[acc->g.n].from = from;
	acc->g.seqs[acc->g.n++].to = to;
	acc->seqs += to - from + 1;
}

void
replaycmd_handle(const struct replaycmd_ctx *c, const struct wire_replay *r)
{
	struct gone_acc *acc = calloc(1, sizeof(*acc));
	if (acc == NULL) {
		log_warnx("agent: replay boot %lld seq %lld..%lld: out of memory, not answered",
		    (long long)r->boot, (long long)r->from_seq, (long long)r->to_seq);
		return;
	}
	acc->c = c;
	acc->g.boot = r->boot;
	size_t found = outbox_replay(c->outbox, r->boot, r->from_seq, r->to_seq, on_gone, acc);
	send_gone(acc);
	log_info("agent: replay boot %lld seq %lld..%lld: resent %zu, gone %lld%s",
	    (long long)r->boot, (long long)r->from_seq, (long long)r->to_seq, found,
	    (long long)acc->seqs, acc->failed > 0 ? " (the gone reply could not be sent)" : "");
	free(acc);
}
