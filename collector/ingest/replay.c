#include "replay.h"

#include <stdlib.h>

#include "log.h"

/* Most commands and give-ups handled in one tick. */
#define REPLAY_TICK_MAX 1000
/* The summary line is logged at most this often. */
#define REPLAY_LOG_MS 10000

struct replay {
	struct replay_opts o;
	struct replaysched *sched;
	struct replayscan *scan;
	replay_publish_fn publish;
	void *ctx;
	int64_t next_pass_ms;     /* -1: a pass is running */
	struct replay_stats stats;
	replayscan_want_fn want;  /* NULL: every agent's gaps */
	void *want_ctx;
	/* since the last summary line */
	int64_t log_ms;
	uint64_t log_commands;
	int64_t log_seqs, log_lost;
};

pantau_err
replay_new(struct db *db, const struct replay_opts *o, replay_publish_fn publish, void *ctx,
    struct replay **out)
{
	struct replay *r = calloc(1, sizeof(*r));
	pantau_err rc = PANTAU_ERR_NOMEM;
	*out = NULL;
	if (r == NULL || (r->sched = replaysched_new(&o->sched)) == NULL)
		goto fail;
	if ((rc = replayscan_new(db, &o->scan, &r->scan)) != PANTAU_OK)
		goto fail;
	r->o = *o;
	r->publish = publish;
	r->ctx = ctx;
	r->next_pass_ms = 0;
	*out = r;
	return PANTAU_OK;
fail:
	replay_free(r);
	return rc;
}

/* The usual constructor's end and NULL-safe destructor of a part that owns
 * others (duplicates pairs it with stamp_train.c and other parts). */
void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	replaysched_free(r->sched);
	replayscan_free(r->scan);
	free(r);
}

void
replay_set_opts(struct replay *r, const struct replay_opts *o)
{
	r->o = *o;
	replaysched_set_opts(r->sched, &o->sched);
}

void
replay_set_filter(struct replay *r, replayscan_want_fn want, void *ctx)
{
	r->want = want;
	r->want_ctx = ctx;
	replayscan_filter(r->scan, want, ctx);
}

const struct replay_stats *
replay_stats(const struct replay *r)
{
	return &r->stats;
}

static void
record_lost(struct replay *r, const struct replay_gap *g, const char *reason, int64_t now_ms)
{
	int64_t n = g->to_seq - g->from_seq + 1;
	if (replayscan_lost(r->scan, g, reason, now_ms) != PANTAU_OK)
		return; /* asked for again after a restart */
	log_debug("replay: %s boot %lld seq %lld..%lld recorded lost (%s, asked %d time(s))",
	    g->agent, (long long)g->boot, (long long)g->from_seq, (long long)g->to_seq, reason,
	    g->asks);
	r->log_lost += n;
}

static void
summary(struct replay *r, int64_t now_ms)
{
	if (r->log_ms == 0)
		r->log_ms = now_ms;
	if (now_ms - r->log_ms < REPLAY_LOG_MS)
		return;
	if (r->log_commands > 0 || r->log_lost > 0)
		log_info("replay: %llu command(s) for %lld missing batch(es) and %lld seq(s) "
		    "recorded lost in the last %lld s; %zu gap(s) of %zu agent(s) still asked for",
		    (unsigned long long)r->log_commands, (long long)r->log_seqs,
		    (long long)r->log_lost, (long long)(now_ms - r->log_ms) / 1000, r->stats.gaps,
		    r->stats.agents);
	r->log_ms = now_ms;
	r->log_commands = 0;
	r->log_seqs = r->log_lost = 0;
}

static void
scan(struct replay *r, int64_t now_ms)
{
	bool done = false;
	if (r->next_pass_ms >= 0 && now_ms < r->next_pass_ms)
		return;
	r->next_pass_ms = -1;
	if (replayscan_step(r->scan, r->sched, now_ms, REPLAY_STEP_ROWS, &done) != PANTAU_OK)
		done = true; /* logged; the next pass tries again */
	if (done) {
		r->stats.passes++;
		r->next_pass_ms = now_ms + r->o.interval_ms;
	}
}

void
replay_tick(struct replay *r, int64_t now_ms, bool connected)
{
	struct replay_gap g;
	scan(r, now_ms);
	for (int i = 0; connected && i < REPLAY_TICK_MAX; i++) {
		enum replaysched_do what = replaysched_next(r->sched, now_ms, &g);
		if (what == RS_NONE)
			break;
		if (r->want != NULL && !r->want(r->want_ctx, g.agent))
			(void)replaysched_forget(r->sched, g.agent, g.boot, g.from_seq, g.to_seq, NULL,
			    NULL);
		else if (what == RS_LOST) {
			r->stats.lost_unanswered += g.to_seq - g.from_seq + 1;
			record_lost(r, &g, "unanswered", now_ms);
		} else if (r->publish(r->ctx, &g)) {
			r->stats.commands++;
			r->log_commands++;
			r->log_seqs += g.to_seq - g.from_seq + 1;
		}
	}
	const struct replaysched_stats *st = replaysched_stats(r->sched);
	r->stats.gaps = st->gaps;
	r->stats.seqs = st->seqs;
	r->stats.agents = st->agents;
	summary(r, now_ms);
}

void
replay_stored(struct replay *r, const char *agent, int64_t boot, int64_t seq)
{
	replaysched_forget(r->sched, agent, boot, seq, seq, NULL, NULL);
}

void
replay_rescan(struct replay *r)
{
	replaysched_rescan(r->sched);
	replayscan_restart(r->scan);
	r->next_pass_ms = 0;
}

struct gone_ctx {
	struct replay *r;
	int64_t now_ms;
};

static void
gone_piece(void *ctx, const struct replay_gap *g)
{
	struct gone_ctx *gc = ctx;
	gc->r->stats.lost_gone += g->to_seq - g->from_seq + 1;
	record_lost(gc->r, g, "gone", gc->now_ms);
}

void
replay_gone(struct replay *r, const char *agent, const struct wire_gone *g, int64_t now_ms)
{
	struct gone_ctx gc = { r, now_ms };
	r->stats.gone_replies++;
	for (size_t i = 0; i < g->n; i++)
		replaysched_forget(r->sched, agent, g->boot, g->seqs[i].from, g->seqs[i].to,
		    gone_piece, &gc);
}
