#include "alertstate.h"

#include <stdlib.h>

#include "collector/cluster/partition.h"

/* The alerts that changed, saved in one transaction. One is marked clean
 * only once that transaction is committed: after a failed commit every
 * alert saved in it is saved again next time. */
void
alertstate_save(struct alerts *a, struct statusdb *db)
{
	size_t n;
	struct alert *v = alerts_list(a, &n);
	bool *saved = n > 0 ? calloc(n, sizeof(*saved)) : NULL;
	if (n > 0 && saved == NULL)
		return; /* still dirty: saved on a later turn */
	statusdb_begin(db);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].dirty)
			continue;
		json_t *o = alert_json(&v[i]);
		char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		saved[i] = text != NULL && statusdb_save_alert(db, v[i].key, text) == PANTAU_OK;
		free(text);
		json_decref(o);
	}
	bool committed = statusdb_end(db) == PANTAU_OK;
	for (size_t i = 0; committed && i < n; i++)
		if (saved[i])
			v[i].dirty = false;
	free(saved);
}

struct load_ctx {
	struct alerts *a;
	int part, nparts;
};

static void
restore_alert(void *ctx, const char *text)
{
	struct load_ctx *l = ctx;
	struct alert al;
	json_t *o = json_loads(text, 0, NULL);
	if (o != NULL && alert_from_json(o, &al) &&
	    (l->nparts <= 0 || partition_of(al.regency, l->nparts) == l->part))
		alerts_restore(l->a, &al);
	json_decref(o);
}

pantau_err
alertstate_load(struct alerts *a, struct statusdb *db, int part, int nparts)
{
	struct load_ctx l = { a, part, nparts };
	return statusdb_load_alerts(db, restore_alert, &l);
}
