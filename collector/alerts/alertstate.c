#include "alertstate.h"

#include <stdlib.h>

#include "collector/cluster/partition.h"

void
alertstate_save(struct alerts *a, struct statusdb *db)
{
	size_t n;
	struct alert *v = alerts_list(a, &n);
	statusdb_begin(db);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].dirty)
			continue;
		json_t *o = alert_json(&v[i]);
		char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (text != NULL && statusdb_save_alert(db, v[i].key, text) == PANTAU_OK)
			v[i].dirty = false;
		free(text);
		json_decref(o);
	}
	statusdb_end(db);
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
