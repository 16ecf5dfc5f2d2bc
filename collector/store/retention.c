#include "retention.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "collector/store/pg_parts.h"
#include "collector/store/stmts.h"

enum phase { PH_IDLE, PH_BATCHES, PH_EVENTS, PH_BOOTS };

enum rstmt { RS_OLDEST, RS_DEL_RESULTS, RS_DEL_BATCHES, RS_DEL_EVENTS, RS_DEL_BOOTS, RS_COUNT };

static const char *const rstmt_sql[RS_COUNT] = {
	/* batches.id grows with arrival: the oldest received come first, through
	 * the primary key (no index on recv_ms, nothing more to write at ingest). */
	[RS_OLDEST] = "SELECT id, recv_ms FROM batches ORDER BY id LIMIT ?1",
	/* results are clustered by (batch_id, idx): a range at the table's start. */
	[RS_DEL_RESULTS] = "DELETE FROM results WHERE batch_id <= ?1",
	[RS_DEL_BATCHES] = "DELETE FROM batches WHERE id <= ?1",
	[RS_DEL_EVENTS] = "DELETE FROM events WHERE id IN (SELECT id FROM events"
	                  " WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT ?2)",
	[RS_DEL_BOOTS] = "DELETE FROM boots WHERE (agent, boot) IN (SELECT agent, boot FROM boots"
	                 " WHERE last_recv_ms < ?1 LIMIT ?2)",
};

struct retention {
	struct store *store;
	struct db *db;
	struct stmtset *q;
	struct retention_opts o;
	struct retention_stats stats;
	enum phase phase;
	int64_t run_ms, cutoff_ms;
	struct retention_stats run;   /* counts of the run under way */
	bool partitioned;             /* PostgreSQL's day partitions */
};

pantau_err
retention_new(struct store *s, const struct retention_opts *o, struct retention **out)
{
	pantau_err rc;
	struct db *db = store_db(s);
	struct retention *r = stmtset_part(sizeof(*r), offsetof(struct retention, q), db,
	    "retention", rstmt_sql, RS_COUNT, &rc);
	*out = r;
	if (r == NULL)
		return rc;
	r->store = s;
	r->db = db;
	r->o = *o;
	r->partitioned = strcmp(db_backend(db), "postgresql") == 0;
	return PANTAU_OK;
}

void
retention_free(struct retention *r)
{
	if (r == NULL)
		return;
	stmtset_close(r->q);
	free(r);
}

void
retention_start(struct retention *r, int64_t now_ms)
{
	if (r->phase != PH_IDLE)
		return;
	r->phase = PH_BATCHES;
	r->run_ms = now_ms;
	r->cutoff_ms = now_ms - r->o.keep_ms;
	r->run = (struct retention_stats){ 0 };
}

bool
retention_running(const struct retention *r)
{
	return r->phase != PH_IDLE;
}

static pantau_err
fail(struct retention *r, struct db_stmt *st, const char *what)
{
	db_reset(st);
	db_clear_bindings(st);
	log_warnx("retention: %s: %s", what, db_errmsg(r->db));
	return PANTAU_ERR_DB;
}

/* Run st (bound already); *changed: rows it deleted. */
static pantau_err
run_delete(struct retention *r, struct db_stmt *st, const char *what, int64_t *changed)
{
	if (db_step(st) != DB_DONE)
		return fail(r, st, what);
	*changed = db_changes(r->db);
	db_reset(st);
	db_clear_bindings(st);
	return PANTAU_OK;
}

/* The highest id of the oldest step_batches batches received before the
 * cutoff (-1: none); *last: no more to delete after these. */
static pantau_err
oldest_chunk(struct retention *r, int64_t *hi, bool *last)
{
	struct db_stmt *st = r->q->st[RS_OLDEST];
	int rows = 0, step;
	*hi = -1;
	*last = false;
	db_bind_int(st, 1, r->o.step_batches);
	while ((step = db_step(st)) == DB_ROW) {
		rows++;
		if (db_column_int64(st, 1) >= r->cutoff_ms) {
			*last = true;
			break;
		}
		*hi = db_column_int64(st, 0);
	}
	if (step != DB_ROW && step != DB_DONE)
		return fail(r, st, "reading the oldest batches");
	db_reset(st);
	db_clear_bindings(st);
	if (rows < r->o.step_batches)
		*last = true;
	return PANTAU_OK;
}

/* PostgreSQL: the partitions made ahead, then a whole day dropped per step,
 * then the keys of the dropped days (collector/store/pg_parts.h). */
static pantau_err
step_partitions(struct retention *r, bool *done)
{
	int64_t nbat = 0, nres = 0;
	bool dropped = false;
	pantau_err rc = pg_parts_ensure(r->db, r->run_ms);
	if (rc == PANTAU_OK)
		rc = pg_parts_drop_oldest(r->db, r->cutoff_ms, &dropped, &nbat, &nres);
	if (rc == PANTAU_OK && !dropped)
		rc = pg_parts_prune_keys(r->db, r->cutoff_ms, r->o.step_rows, &nbat);
	if (rc != PANTAU_OK)
		log_warnx("retention: dropping old partitions: %s", db_errmsg(r->db));
	*done = rc != PANTAU_OK || (!dropped && nbat < r->o.step_rows);
	if (dropped) {
		r->run.batches += (uint64_t)nbat;
		r->run.results += (uint64_t)nres;
	}
	store_add_pending(r->store, dropped ? 1 : (int)nbat);
	return rc;
}

static pantau_err
step_batches(struct retention *r, bool *done)
{
	if (r->partitioned)
		return step_partitions(r, done);
	int64_t hi, nres = 0, nbat = 0;
	pantau_err rc = oldest_chunk(r, &hi, done);
	if (rc != PANTAU_OK || hi < 0)
		return rc;
	db_bind_int64(r->q->st[RS_DEL_RESULTS], 1, hi);
	rc = run_delete(r, r->q->st[RS_DEL_RESULTS], "deleting old results", &nres);
	if (rc == PANTAU_OK) {
		db_bind_int64(r->q->st[RS_DEL_BATCHES], 1, hi);
		rc = run_delete(r, r->q->st[RS_DEL_BATCHES], "deleting old batches", &nbat);
	}
	r->run.results += (uint64_t)nres;
	r->run.batches += (uint64_t)nbat;
	store_add_pending(r->store, (int)(nres + nbat));
	return rc;
}

/* One chunk of events (RS_DEL_EVENTS) or boots rows (RS_DEL_BOOTS). */
static pantau_err
step_rows(struct retention *r, enum rstmt id, uint64_t *count, bool *done)
{
	struct db_stmt *st = r->q->st[id];
	int64_t n = 0;
	db_bind_int64(st, 1, r->cutoff_ms);
	db_bind_int(st, 2, r->o.step_rows);
	pantau_err rc = run_delete(r, st, id == RS_DEL_EVENTS ? "deleting old events" :
	                                                        "deleting old delivery counts", &n);
	*count += (uint64_t)n;
	*done = n < r->o.step_rows;
	store_add_pending(r->store, (int)n);
	return rc;
}

static void
finish_run(struct retention *r)
{
	struct retention_stats *s = &r->stats;
	s->runs++;
	s->batches += r->run.batches;
	s->results += r->run.results;
	s->events += r->run.events;
	s->boots += r->run.boots;
	s->last_run_ms = r->run_ms;
	r->phase = PH_IDLE;
	char iso[CLOCK_ISO_LEN];
	clock_format_iso(r->cutoff_ms, iso);
	log_info("retention: deleted %llu batch(es), %llu result(s), %llu event(s) and %llu boot "
	         "delivery count(s) received before %s", (unsigned long long)r->run.batches,
	    (unsigned long long)r->run.results, (unsigned long long)r->run.events,
	    (unsigned long long)r->run.boots, iso);
}

static pantau_err
step_phase(struct retention *r, bool *done)
{
	switch (r->phase) {
	case PH_BATCHES: return step_batches(r, done);
	case PH_EVENTS: return step_rows(r, RS_DEL_EVENTS, &r->run.events, done);
	case PH_BOOTS: return step_rows(r, RS_DEL_BOOTS, &r->run.boots, done);
	case PH_IDLE: break;
	}
	*done = true;
	return PANTAU_OK;
}

pantau_err
retention_step(struct retention *r)
{
	bool done = false;
	if (r->phase == PH_IDLE)
		return PANTAU_OK;
	int64_t t0 = clock_mono_ns();
	pantau_err rc = store_begin(r->store);
	if (rc == PANTAU_OK)
		rc = step_phase(r, &done);
	int64_t us = (clock_mono_ns() - t0) / 1000;
	if (us > r->stats.longest_step_us)
		r->stats.longest_step_us = us;
	if (rc != PANTAU_OK) {
		r->phase = PH_IDLE; /* try again at the next run */
		return rc;
	}
	if (done && r->phase == PH_BOOTS)
		finish_run(r);
	else if (done)
		r->phase = (enum phase)(r->phase + 1);
	return PANTAU_OK;
}

const struct retention_stats *
retention_stats(const struct retention *r)
{
	return &r->stats;
}
