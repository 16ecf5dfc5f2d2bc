/* GET /api/v1/sites: every site in one light list, for the dashboard's
 * national map (docs/api.md). */
#include "query.h"

#include <stdio.h>

#include "query_priv.h"

static json_t *
site_point(const struct query *q, struct db_stmt *st, int64_t now_ms)
{
	char reason[QUERY_REASON_MAX];
	int64_t since;
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	enum site_status s = q_site_status(q, st, now_ms, reason, sizeof(reason), &since);
	q_set_col_text(o, "agent", st, SC_AGENT, false);
	q_set_col_text(o, "regency", st, SC_REGENCY, false);
	q_set_col_text(o, "site", st, SC_SITE, false);
	q_site_state(q, st, o, s, reason, since);
	return o;
}

pantau_err
query_sites(struct query *q, int64_t now_ms, json_t **out)
{
	struct db_stmt *st = q->st[Q_SITES];
	json_t *list = json_array();
	json_t *doc = json_object();
	pantau_err rc = list != NULL && doc != NULL ? PANTAU_OK : PANTAU_ERR_NOMEM;
	int step = DB_DONE;
	db_bind_null(st, 1);
	while (rc == PANTAU_OK && (step = db_step(st)) == DB_ROW)
		if (json_array_append_new(list, site_point(q, st, now_ms)) != 0)
			rc = PANTAU_ERR_NOMEM;
	if (rc == PANTAU_OK && step != DB_DONE)
		rc = q_db_fail(q, "reading sites");
	q_done(st);
	if (rc == PANTAU_OK) {
		json_set_time(doc, "generated", now_ms);
		json_object_set_new(doc, "sites", list);
		list = NULL;
	}
	json_decref(list);
	if (rc != PANTAU_OK) {
		json_decref(doc);
		doc = NULL;
	}
	*out = doc;
	return rc;
}
