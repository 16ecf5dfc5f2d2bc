#include "gaps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "collector/store/stmts.h"

/* Boots looked at per scan, at most. */
#define GAPS_MAX_BOOTS 256

struct gaps {
	sqlite3 *db;
	sqlite3_stmt *boots, *seqs;
	struct gaps_opts o;
};

static const char *const boots_sql =
    "SELECT agent, boot FROM boots WHERE stored < max_seq AND last_recv_ms >= ?1"
    " ORDER BY last_recv_ms DESC LIMIT ?2";
/* UNIQUE(agent, boot, seq) index. */
static const char *const seqs_sql =
    "SELECT seq, recv_ms FROM batches WHERE agent = ?1 AND boot = ?2 ORDER BY seq";

pantau_err
gaps_new(sqlite3 *db, const struct gaps_opts *o, struct gaps **out)
{
	struct gaps *g = calloc(1, sizeof(*g));
	*out = NULL;
	if (g == NULL)
		return PANTAU_ERR_NOMEM;
	g->db = db;
	g->o = *o;
	if (stmts_prepare(db, "gaps", &boots_sql, &g->boots, 1) != PANTAU_OK ||
	    stmts_prepare(db, "gaps", &seqs_sql, &g->seqs, 1) != PANTAU_OK) {
		gaps_free(g);
		return PANTAU_ERR_DB;
	}
	*out = g;
	return PANTAU_OK;
}

void
gaps_free(struct gaps *g)
{
	if (g == NULL)
		return;
	stmts_finalize(&g->boots, 1);
	stmts_finalize(&g->seqs, 1);
	free(g);
}

/* Add [from, to] in pieces of at most WIRE_REPLAY_MAX seqs. */
static void
add_range(const char *agent, int64_t boot, int64_t from, int64_t to, struct gap *out,
    size_t max, size_t *n)
{
	while (from <= to && *n < max) {
		int64_t end = to - from >= WIRE_REPLAY_MAX ? from + WIRE_REPLAY_MAX - 1 : to;
		struct gap *g = &out[(*n)++];
		snprintf(g->agent, sizeof(g->agent), "%s", agent);
		g->boot = boot;
		g->from_seq = from;
		g->to_seq = end;
		from = end + 1;
	}
}

static pantau_err
boot_gaps(struct gaps *g, const char *agent, int64_t boot, int64_t now_ms, struct gap *out,
    size_t max, size_t *n)
{
	sqlite3_stmt *st = g->seqs;
	int64_t prev = 0;
	int step = SQLITE_DONE;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, boot);
	while (*n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t recv = sqlite3_column_int64(st, 1);
		/* A gap whose next batch came before the window is not asked: the
		 * agent no longer has it, or retention deleted the batches before
		 * it (collector/store/retention.h). */
		if (seq > prev + 1 && now_ms - recv >= g->o.min_age_ms &&
		    now_ms - recv <= g->o.window_ms)
			add_range(agent, boot, prev + 1, seq - 1, out, max, n);
		prev = seq;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return *n < max && step != SQLITE_DONE ? PANTAU_ERR_DB : PANTAU_OK;
}

pantau_err
gaps_find(struct gaps *g, int64_t now_ms, struct gap *out, size_t max, size_t *n)
{
	struct { char agent[WIRE_AGENT_MAX + 1]; int64_t boot; } *list;
	size_t nb = 0;
	pantau_err rc = PANTAU_OK;
	*n = 0;
	list = malloc(GAPS_MAX_BOOTS * sizeof(*list));
	if (list == NULL)
		return PANTAU_ERR_NOMEM;
	sqlite3_bind_int64(g->boots, 1, now_ms - g->o.window_ms);
	sqlite3_bind_int(g->boots, 2, GAPS_MAX_BOOTS);
	while (nb < GAPS_MAX_BOOTS && sqlite3_step(g->boots) == SQLITE_ROW) {
		snprintf(list[nb].agent, sizeof(list[nb].agent), "%s",
		    (const char *)sqlite3_column_text(g->boots, 0));
		list[nb++].boot = sqlite3_column_int64(g->boots, 1);
	}
	sqlite3_reset(g->boots);
	sqlite3_clear_bindings(g->boots);
	for (size_t i = 0; i < nb && *n < max && rc == PANTAU_OK; i++)
		rc = boot_gaps(g, list[i].agent, list[i].boot, now_ms, out, max, n);
	if (rc != PANTAU_OK)
		log_warnx("gaps: cannot read the seqs of a boot: %s", sqlite3_errmsg(g->db));
	free(list);
	return rc;
}
