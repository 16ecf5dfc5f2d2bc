#include "reload.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static void
keep_running(const char *path)
{
	log_warnx("collector: reload of %s failed (the reason is above); the running "
	    "configuration stays", path);
}

pantau_err
reload_read(const char *path, const struct collector_config *running, struct reload_set *r)
{
	char why[256];
	struct collector_config *next = malloc(sizeof(*next));
	memset(r, 0, sizeof(*r));
	if (next == NULL) {
		log_warnx("collector: reload: out of memory; the running configuration stays");
		return PANTAU_ERR_NOMEM;
	}
	/* the same checks, on the same stream, as a start */
	pantau_err rc = collector_config_load(path, next, stderr);
	if (rc == PANTAU_OK)
		rc = settings_files(next, running->catalog_dir, &r->catalog, &r->profiles, stderr);
	if (rc == PANTAU_OK) {
		r->cfg = *running;
		r->changed = collector_config_reload(&r->cfg, next);
		if ((rc = settings_engine(&r->cfg, &r->engine, why, sizeof(why))) != PANTAU_OK)
			log_warnx("collector: %s", why);
	}
	free(next);
	if (rc != PANTAU_OK) {
		reload_clear(r);
		keep_running(path);
	}
	return rc;
}

void
reload_clear(struct reload_set *r)
{
	catalog_free(r->catalog);
	profiles_free(r->profiles);
	r->catalog = NULL;
	r->profiles = NULL;
}
