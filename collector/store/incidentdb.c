#include "incidentdb.h"

#include <stddef.h>
#include <stdlib.h>

#include "log.h"
#include "stmts.h"

enum { ID_SAVE, ID_SAVE_PATH, ID_LOAD, ID_MAX, ID_LOAD_PATHS, ID_COUNT };

static const char *const id_sql[ID_COUNT] = {
	[ID_SAVE] = "INSERT OR REPLACE INTO incidents(id, end_ms, data) VALUES(?,?,?)",
	[ID_SAVE_PATH] = "INSERT OR REPLACE INTO site_paths(agent, target, ms, data) VALUES(?,?,?,?)",
	[ID_LOAD] = "SELECT data FROM incidents WHERE end_ms IS NULL OR end_ms >= ? ORDER BY id",
	[ID_MAX] = "SELECT coalesce(max(id), 0) FROM incidents",
	[ID_LOAD_PATHS] = "SELECT agent, ms, data FROM site_paths",
};

struct incidentdb {
	struct db *db;
	struct stmtset *q;
};

/* A part on stmtset_part and its NULL-safe close: statusdb.c's pair is
 * alike, each filling in its own part (duplicates lists the two). */
pantau_err
incidentdb_open(struct db *db, struct incidentdb **out)
{
	pantau_err rc;
	struct incidentdb *d = stmtset_part(sizeof(*d), offsetof(struct incidentdb, q), db,
	    "incidentdb", id_sql, ID_COUNT, &rc);
	if (d != NULL)
		d->db = db;
	*out = d;
	return rc;
}

void
incidentdb_close(struct incidentdb *d)
{
	if (d == NULL)
		return;
	stmtset_close(d->q);
	free(d);
}

static pantau_err
finish(struct incidentdb *d, struct db_stmt *st, int step, const char *what)
{
	db_reset(st);
	db_clear_bindings(st);
	if (step == DB_DONE || step == DB_ROW)
		return PANTAU_OK;
	log_warnx("store: %s: %s", what, db_errmsg(d->db));
	return PANTAU_ERR_DB;
}

/* The end as its own column, for loading the recent ones only. */
pantau_err
incidentdb_save(struct incidentdb *d, int64_t id, int64_t end_ms, const char *json)
{
	struct db_stmt *st = d->q->st[ID_SAVE];
	db_bind_int64(st, 1, id);
	if (end_ms >= 0)
		db_bind_int64(st, 2, end_ms);
	else
		db_bind_null(st, 2);
	db_bind_text(st, 3, json, -1);
	return finish(d, st, db_step(st), "saving an incident");
}

pantau_err
incidentdb_save_path(struct incidentdb *d, const char *agent, const char *target, int64_t ms,
    const char *json)
{
	struct db_stmt *st = d->q->st[ID_SAVE_PATH];
	db_bind_text(st, 1, agent, -1);
	db_bind_text(st, 2, target, -1);
	db_bind_int64(st, 3, ms);
	db_bind_text(st, 4, json, -1);
	return finish(d, st, db_step(st), "saving a site's path");
}

pantau_err
incidentdb_load(struct incidentdb *d, int64_t since_ms, incidentdb_fn fn, void *ctx,
    int64_t *max_id)
{
	struct db_stmt *st = d->q->st[ID_LOAD];
	int step;
	db_bind_int64(st, 1, since_ms);
	while ((step = db_step(st)) == DB_ROW)
		if (db_column_text(st, 0) != NULL)
			fn(ctx, (const char *)db_column_text(st, 0));
	if (finish(d, st, step, "loading incidents") != PANTAU_OK)
		return PANTAU_ERR_DB;
	st = d->q->st[ID_MAX];
	step = db_step(st);
	*max_id = step == DB_ROW ? db_column_int64(st, 0) : 0;
	return finish(d, st, step, "reading the incidents' highest id");
}

pantau_err
incidentdb_load_paths(struct incidentdb *d, incidentdb_path_fn fn, void *ctx)
{
	struct db_stmt *st = d->q->st[ID_LOAD_PATHS];
	int step;
	while ((step = db_step(st)) == DB_ROW)
		if (db_column_text(st, 0) != NULL && db_column_text(st, 2) != NULL)
			fn(ctx, (const char *)db_column_text(st, 0), db_column_int64(st, 1),
			    (const char *)db_column_text(st, 2));
	return finish(d, st, step, "loading the sites' paths");
}
