#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "rejectlog.h"

struct ingest {
	struct store *store;
	const struct catalog *catalog;
	struct ingest_stats stats;
	struct rejectlog log;       /* what of the rejections is logged */
	struct ingest_listener listener;
};

void
ingest_listen(struct ingest *in, const struct ingest_listener *l)
{
	in->listener = *l;
}

struct ingest *
ingest_new(struct store *store, const struct catalog *catalog)
{
	struct ingest *in = calloc(1, sizeof(*in));
	if (in == NULL)
		return NULL;
	in->store = store;
	in->catalog = catalog;
	in->stats.started_ms = clock_real_ms();
	in->log.window_start = in->stats.started_ms;
	return in;
}

void
ingest_free(struct ingest *in)
{
	free(in);
}

const struct ingest_stats *
ingest_stats(const struct ingest *in)
{
	return &in->stats;
}

void
ingest_tick(struct ingest *in, int64_t now_ms)
{
	rejectlog_flush(&in->log, now_ms);
}

static void
reject(struct ingest *in, const char *topic, const struct wire_error *err, int64_t now_ms)
{
	in->stats.rejected++;
	in->stats.rejected_by[err->reason]++;
	if (rejectlog_allow(&in->log, err->reason, now_ms))
		log_warnx("ingest: rejected message on %.160s: %s: %s", topic,
		    wire_reason_name(err->reason), err->detail);
}

static void
ingest_result(struct ingest *in, const char *topic, const struct wire_topic *t,
    const void *payload, size_t len, int64_t recv_ms)
{
	struct wire_batch b;
	struct wire_error err;
	if (wire_batch_decode(t, payload, len, &b, &err) != WIRE_ACCEPT) {
		reject(in, topic, &err, recv_ms);
		return;
	}
	pantau_err rc = store_batch(in->store, t->regency, &b, recv_ms);
	if (rc == PANTAU_OK) {
		in->stats.batches_stored++;
		in->stats.results_stored += b.nresults;
		if (in->listener.batch != NULL)
			in->listener.batch(in->listener.ctx, t->regency, &b, recv_ms);
	} else if (rc == PANTAU_ERR_DUPLICATE) {
		in->stats.duplicates++;
	} else {
		in->stats.store_errors++;
	}
	wire_batch_clear(&b);
}

static void
ingest_status(struct ingest *in, const char *topic, const struct wire_topic *t,
    const void *payload, size_t len, int64_t recv_ms)
{
	struct wire_status st;
	struct wire_error err;
	if (len == 0) {
		in->stats.ignored++; /* a retained status being cleared */
		return;
	}
	if (wire_status_decode(t, payload, len, &st, &err) != WIRE_ACCEPT) {
		reject(in, topic, &err, recv_ms);
		return;
	}
	if (store_status(in->store, t->regency, t->agent, &st, recv_ms) == PANTAU_OK) {
		in->stats.status_stored++;
		if (in->listener.status != NULL)
			in->listener.status(in->listener.ctx, t->regency, t->agent, &st, recv_ms);
	} else
		in->stats.store_errors++;
	wire_status_clear(&st);
}

/* A reply to a command: counted in the replay figures, not stored here. */
static void
ingest_reply(struct ingest *in, const char *topic, const struct wire_topic *t,
    const void *payload, size_t len, int64_t recv_ms)
{
	struct wire_gone g;
	struct wire_error err;
	if (wire_reply_decode(t, payload, len, &g, &err) != WIRE_ACCEPT) {
		reject(in, topic, &err, recv_ms);
		return;
	}
	if (in->listener.gone != NULL)
		in->listener.gone(in->listener.ctx, t->agent, &g, recv_ms);
}

void
ingest_message(struct ingest *in, const char *topic, const void *payload, size_t len,
    int64_t recv_ms)
{
	struct wire_topic t;
	struct wire_error err = { WIRE_ACCEPT, "" };
	in->stats.received++;
	in->stats.last_message_ms = recv_ms;
	if (!wire_topic_parse(topic, &t, &err)) {
		reject(in, topic, &err, recv_ms);
		return;
	}
	if (t.kind == WIRE_TOPIC_CMD || t.kind == WIRE_TOPIC_MODE || t.kind == WIRE_TOPIC_CHECK) {
		/* what the collector itself publishes, and agents' check messages */
		in->stats.ignored++;
		return;
	}
	if (catalog_regency(in->catalog, t.regency) == NULL) {
		err.reason = WIRE_REJ_UNKNOWN_REGION;
		snprintf(err.detail, sizeof(err.detail),
		    "regency %s is not in the region catalog", t.regency);
		reject(in, topic, &err, recv_ms);
		return;
	}
	if (in->listener.admit != NULL &&
	    !in->listener.admit(in->listener.ctx, t.agent, err.detail, sizeof(err.detail))) {
		err.reason = WIRE_REJ_TOO_MANY_AGENTS;
		reject(in, topic, &err, recv_ms);
		return;
	}
	if (t.kind == WIRE_TOPIC_RESULT)
		ingest_result(in, topic, &t, payload, len, recv_ms);
	else if (t.kind == WIRE_TOPIC_REPLY)
		ingest_reply(in, topic, &t, payload, len, recv_ms);
	else
		ingest_status(in, topic, &t, payload, len, recv_ms);
}
