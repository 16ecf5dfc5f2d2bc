/*
 * What SIGHUP reloads in the collector (docs/configuration.md, "Reloading"):
 * the status profile file and the 3T flags file (both re-read, also when
 * their names did not change), the [status] keys marked "SIGHUP reloads it"
 * (hysteresis, baseline, AT RISK share), the [counting] window and every
 * [alerts] key (the receivers). Any other key that changed is logged and
 * keeps its running value until a restart.
 *
 * The file and the files it names are read and checked with the functions a
 * start uses (collector_config_load, settings_files), so a mistake is said
 * in the same words as at a start; then nothing changes.
 */
#ifndef PANTAU_RELOAD_H
#define PANTAU_RELOAD_H

#include "settings.h"

struct reload_set {
	struct collector_config cfg;  /* the running one with the file's reloadable keys */
	struct catalog *catalog;      /* the running catalog_dir with the new 3T flags */
	struct profiles *profiles;
	struct engine_opts engine;
	size_t changed;               /* reloadable keys whose value changed */
};

/* Read path against the running configuration. PANTAU_OK: r is ready to
 * apply (and to clear). Otherwise the reason is logged and r holds
 * nothing. */
pantau_err reload_read(const char *path, const struct collector_config *running,
    struct reload_set *r);

/* Free what r still holds (what was applied is set to NULL by the caller). */
void reload_clear(struct reload_set *r);

#endif
