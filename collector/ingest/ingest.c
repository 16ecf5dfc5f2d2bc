#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootclock.h"
#include "clock.h"
#include "log.h"
#include "rejectlog.h"

struct ingest {
	struct store *store;
	const struct catalog *catalog;
	struct ingest_stats stats;
	struct rejectlog log;       /* what of the rejections is logged */
	struct ingest_listener listener;
	struct bootclock *clocks;
};

void
ingest_listen(struct ingest *in, const struct ingest_listener *l)
{
	in->listener = *l;
}

/* A batch's fate, from the store (store_batch_later). */
static void
batch_stored(void *ctx, const char *regency, const struct wire_batch *b, int64_t recv_ms,
    pantau_err rc)
{
	struct ingest *in = ctx;
	if (rc == PANTAU_OK) {
		in->stats.batches_stored++;
		in->stats.results_stored += b->nresults;
		if (in->listener.batch != NULL)
			in->listener.batch(in->listener.ctx, regency, b, recv_ms);
	} else if (rc == PANTAU_ERR_DUPLICATE) {
		in->stats.duplicates++;
	} else {
		in->stats.store_errors++;
	}
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
	if ((in->clocks = bootclock_new(store, NULL, NULL)) == NULL) {
		free(in);
		return NULL;
	}
	store_on_batch(store, batch_stored, in);
	return in;
}

void
ingest_free(struct ingest *in)
{
	if (in != NULL) {
		(void)store_flush(in->store);   /* told while it can be */
		store_on_batch(in->store, NULL, NULL);
		bootclock_free(in->clocks);
	}
	free(in);
}

const struct ingest_stats *
ingest_stats(const struct ingest *in)
{
	return &in->stats;
}

void
ingest_set_subscribed(struct ingest *in, bool yes)
{
	in->stats.subscribed = yes;
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

/* Feed the boot's clock estimate with a message sent at mono (>= 0;
 * prompt: a birth) and keep it, once anchored, for the boots table. False
 * when it could not be had. */
static bool
feed_clock(struct ingest *in, const char *agent, int64_t boot, int64_t mono_ms,
    int64_t recv_ms, bool prompt, struct clockest *est)
{
	if (mono_ms < 0 || boot < 0 ||
	    !bootclock_feed(in->clocks, agent, boot, mono_ms, recv_ms, prompt, est))
		return false;
	if (est->anchored &&
	    store_boot_clock(in->store, agent, boot, est->offset_ms, est->at_mono_ms) != PANTAU_OK)
		in->stats.store_errors++;
	return true;
}

/* Time the batch by the collector's clock (collector/ingest/clockest.h);
 * false, with err, when its timestamp cannot be placed. */
static bool
place_batch(struct ingest *in, struct wire_batch *b, int64_t recv_ms, struct wire_error *err)
{
	struct clockest est;
	struct clockest_time t;
	bool have = feed_clock(in, b->agent, b->boot, b->mono_ms, recv_ms, false, &est);
	clockest_judge(have ? &est : NULL, b->ts_ms, b->mono_ms, recv_ms, &t);
	if (t.reject) {
		char iso[CLOCK_ISO_LEN];
		clock_format_iso(b->ts_ms, iso);
		err->reason = WIRE_REJ_BAD_TIMESTAMP;
		snprintf(err->detail, sizeof(err->detail), "ts: %s is before 2020 or more than a day"
		    " ahead of its receipt, and the batch has no mono_ms to place it by", iso);
		return false;
	}
	b->agent_ts_ms = b->ts_ms;
	b->ts_ms = t.ts_ms;
	b->retimed = t.retimed;
	b->skew_known = t.skew_known;
	b->clock_skew_ms = t.skew_ms;
	if (t.retimed)
		in->stats.retimed++;
	return true;
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
	if (!place_batch(in, &b, recv_ms, &err)) {
		reject(in, topic, &err, recv_ms);
		wire_batch_clear(&b);
		return;
	}
	store_batch_later(in->store, t->regency, &b, recv_ms);   /* then batch_stored */
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
	struct clockest est;
	if (st.online)
		(void)feed_clock(in, t->agent, st.boot, st.mono_ms, recv_ms, true, &est);
	if (store_status(in->store, t->regency, t->agent, &st, recv_ms) == PANTAU_OK) {
		in->stats.status_stored++;
		if (in->listener.status != NULL)
			in->listener.status(in->listener.ctx, t->regency, t->agent, &st, recv_ms);
	} else
		in->stats.store_errors++;
	wire_status_clear(&st);
}

/* A reply to a command: counted in the replay figures, not stored here. Each
 * topic's handler decodes and rejects alike, with its own decoder and type. */
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
