#include "replayscan.h"

#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "log.h"
#include "collector/store/stmts.h"

/* Boots read from the boots table per step, at most: 15,000 boots with a
 * gap are scanned in 30 steps (3 s at one step per replay tick). */
#define SCAN_BOOTS 512
/* The lost rows of deleted boots are looked for at most this often. */
#define PRUNE_EVERY_MS (3600 * 1000)

enum {
	Q_BOOTS,      /* the next boots with seqs neither stored nor lost */
	Q_SEQS,       /* a boot's stored seqs after a seq */
	Q_LOST_OF,    /* a boot's lost ranges ending after a seq */
	Q_LOST_ADD,
	Q_LOST_PRUNE, /* lost ranges of boots retention deleted */
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	/* boots' primary key, from the position (agent, boot) on */
	[Q_BOOTS] = "SELECT agent, boot FROM boots AS b WHERE (agent, boot) >= (?1, ?2)"
	            " AND last_recv_ms >= ?3 AND stored < max_seq AND stored + (SELECT"
	            " coalesce(sum(to_seq - from_seq + 1), 0) FROM lost AS l WHERE"
	            " l.agent = b.agent AND l.boot = b.boot) < max_seq"
	            " ORDER BY agent, boot LIMIT ?4",
	/* UNIQUE(agent, boot, seq) index */
	[Q_SEQS] = "SELECT seq, recv_ms FROM batches WHERE agent = ?1 AND boot = ?2 AND seq > ?3"
	           " ORDER BY seq LIMIT ?4",
	[Q_LOST_OF] = "SELECT from_seq, to_seq FROM lost WHERE agent = ?1 AND boot = ?2"
	              " AND to_seq > ?3 ORDER BY from_seq",
	[Q_LOST_ADD] = "INSERT OR IGNORE INTO lost(agent, boot, from_seq, to_seq, reason, asks,"
	               " at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_LOST_PRUNE] = "DELETE FROM lost WHERE NOT EXISTS (SELECT 1 FROM boots AS b WHERE"
	                 " b.agent = lost.agent AND b.boot = lost.boot)",
};

struct range {
	int64_t from, to;
};

struct scan_boot {
	char agent[WIRE_AGENT_MAX + 1];
	int64_t boot;
};

struct replayscan {
	struct db *db;
	struct stmtset *q;
	struct replayscan_opts o;
	char pos_agent[WIRE_AGENT_MAX + 1];   /* the pass goes on from (agent, boot) */
	int64_t pos_boot;
	bool in_pass;
	int64_t pruned_ms;                    /* last prune; 0: never */
	struct range *lost;                   /* the boot being scanned */
	size_t nlost, caplost;
	struct scan_boot list[SCAN_BOOTS];    /* the boots of one step */
	replayscan_want_fn want;              /* NULL: every agent's boots */
	void *want_ctx;
};

void
replayscan_filter(struct replayscan *r, replayscan_want_fn want, void *ctx)
{
	r->want = want;
	r->want_ctx = ctx;
}

pantau_err
replayscan_new(struct db *db, const struct replayscan_opts *o, struct replayscan **out)
{
	pantau_err rc;
	struct replayscan *r = stmtset_part(sizeof(*r), offsetof(struct replayscan, q), db,
	    "replay", sql, Q_COUNT, &rc);
	*out = r;
	if (r == NULL)
		return rc;
	r->db = db;
	r->o = *o;
	return PANTAU_OK;
}

void
replayscan_free(struct replayscan *r)
{
	if (r == NULL)
		return;
	stmtset_close(r->q);
	free(r->lost);
	free(r);
}

static void
done_with(struct db_stmt *st)
{
	db_reset(st);
	db_clear_bindings(st);
}

static pantau_err
fail(struct replayscan *r, const char *what)
{
	log_warnx("replay: %s: %s", what, db_errmsg(r->db));
	return PANTAU_ERR_DB;
}

/* The boot's lost ranges that end after seq, in order. */
static pantau_err
load_lost(struct replayscan *r, const char *agent, int64_t boot, int64_t seq)
{
	struct db_stmt *st = r->q->st[Q_LOST_OF];
	int step;
	r->nlost = 0;
	db_bind_text(st, 1, agent, -1);
	db_bind_int64(st, 2, boot);
	db_bind_int64(st, 3, seq);
	while ((step = db_step(st)) == DB_ROW) {
		struct range *v = grow_to(r->lost, &r->caplost, r->nlost + 1, sizeof(*v), 16);
		if (v == NULL)
			break; /* the rest are asked for again: at worst gone twice */
		r->lost = v;
		r->lost[r->nlost++] = (struct range){ db_column_int64(st, 0),
			db_column_int64(st, 1) };
	}
	done_with(st);
	return step == DB_ROW || step == DB_DONE ? PANTAU_OK : fail(r, "read lost seqs");
}

/* Track from..to less the lost ranges, in pieces of WIRE_REPLAY_MAX. */
static bool
track(struct replayscan *r, struct replaysched *s, const char *agent, int64_t boot,
    int64_t from, int64_t to, int64_t ready_ms)
{
	for (size_t i = 0; i < r->nlost && from <= to; i++) {
		const struct range *l = &r->lost[i];
		if (l->to < from || l->from > to)
			continue;
		if (l->from > from && !track(r, s, agent, boot, from, l->from - 1, ready_ms))
			return false;
		from = l->to + 1;
	}
	for (; from <= to; from += WIRE_REPLAY_MAX) {
		int64_t end = to - from >= WIRE_REPLAY_MAX ? from + WIRE_REPLAY_MAX - 1 : to;
		if (!replaysched_add(s, agent, boot, from, end, ready_ms))
			return false;
	}
	return true;
}

/* Read a boot's seqs after the scanned mark, at most *budget rows; true in
 * *whole when its end was reached. */
static pantau_err
scan_boot(struct replayscan *r, struct replaysched *s, const char *agent, int64_t boot,
    int64_t now_ms, size_t *budget, bool *whole)
{
	struct db_stmt *st = r->q->st[Q_SEQS];
	int64_t prev = replaysched_scanned(s, agent, boot);
	size_t rows = 0;
	int step;
	bool ok = true;
	pantau_err rc = load_lost(r, agent, boot, prev);
	if (rc != PANTAU_OK)
		return rc;
	db_bind_text(st, 1, agent, -1);
	db_bind_int64(st, 2, boot);
	db_bind_int64(st, 3, prev);
	db_bind_int64(st, 4, (int64_t)*budget);
	while (ok && (step = db_step(st)) == DB_ROW) {
		int64_t seq = db_column_int64(st, 0), recv = db_column_int64(st, 1);
		rows++;
		/* The agent holds a batch about as long as the window. */
		if (seq > prev + 1 && now_ms - recv <= r->o.window_ms)
			ok = track(r, s, agent, boot, prev + 1, seq - 1, recv + r->o.min_age_ms);
		prev = seq;
	}
	done_with(st);
	if (!ok)
		return PANTAU_ERR_NOMEM;
	if (step != DB_DONE)
		return fail(r, "read a boot's seqs");
	if (!replaysched_set_scanned(s, agent, boot, prev))
		return PANTAU_ERR_NOMEM;
	*budget -= rows;
	*whole = *budget > 0;
	return PANTAU_OK;
}

static void
start_pass(struct replayscan *r, int64_t now_ms)
{
	struct db_stmt *st = r->q->st[Q_LOST_PRUNE];
	if (r->pruned_ms == 0 || now_ms - r->pruned_ms >= PRUNE_EVERY_MS) {
		if (db_step(st) != DB_DONE)
			(void)fail(r, "delete the lost seqs of deleted boots");
		done_with(st);
		r->pruned_ms = now_ms;
	}
	r->pos_agent[0] = '\0';
	r->pos_boot = 0;
	r->in_pass = true;
}

pantau_err
replayscan_step(struct replayscan *r, struct replaysched *s, int64_t now_ms, size_t max_rows,
    bool *done)
{
	struct scan_boot *list = r->list;
	struct db_stmt *st = r->q->st[Q_BOOTS];
	size_t n = 0, budget = max_rows > 0 ? max_rows : 1;
	pantau_err rc = PANTAU_OK;
	int step;
	if (!r->in_pass)
		start_pass(r, now_ms);
	db_bind_text(st, 1, r->pos_agent, -1);
	db_bind_int64(st, 2, r->pos_boot);
	db_bind_int64(st, 3, now_ms - r->o.window_ms);
	db_bind_int(st, 4, SCAN_BOOTS);
	while (n < SCAN_BOOTS && (step = db_step(st)) == DB_ROW) {
		snprintf(list[n].agent, sizeof(list[n].agent), "%s",
		    (const char *)db_column_text(st, 0));
		list[n++].boot = db_column_int64(st, 1);
	}
	done_with(st);
	if (n < SCAN_BOOTS && step != DB_DONE)
		rc = fail(r, "read the boots with gaps");
	for (size_t i = 0; i < n && budget > 0 && rc == PANTAU_OK; i++) {
		bool whole = r->want != NULL && !r->want(r->want_ctx, list[i].agent);
		if (!whole)
			rc = scan_boot(r, s, list[i].agent, list[i].boot, now_ms, &budget, &whole);
		/* Go on from this boot when it was cut short, else from the next. */
		memcpy(r->pos_agent, list[i].agent, sizeof(r->pos_agent));
		r->pos_boot = whole ? list[i].boot + 1 : list[i].boot;
	}
	*done = rc != PANTAU_OK || (n < SCAN_BOOTS && budget > 0);
	if (*done)
		r->in_pass = false;
	return rc;
}

void
replayscan_restart(struct replayscan *r)
{
	r->in_pass = false;
}

pantau_err
replayscan_lost(struct replayscan *r, const struct replay_gap *g, const char *reason,
    int64_t now_ms)
{
	struct db_stmt *st = r->q->st[Q_LOST_ADD];
	db_bind_text(st, 1, g->agent, -1);
	db_bind_int64(st, 2, g->boot);
	db_bind_int64(st, 3, g->from_seq);
	db_bind_int64(st, 4, g->to_seq);
	db_bind_text(st, 5, reason, -1);
	db_bind_int(st, 6, g->asks);
	db_bind_int64(st, 7, now_ms);
	int step = db_step(st);
	done_with(st);
	return step == DB_DONE ? PANTAU_OK : fail(r, "record lost seqs");
}
