/*
 * What the collector's configuration means for each room: the options of
 * the status engine, the alert rules and the alert delivery, and the files
 * the configuration names (region catalog, 3T flags, status profiles). A
 * start and a reload (collector/reload.h) build them with these same
 * functions, so both read a file alike and say its mistakes in the same
 * words.
 */
#ifndef PANTAU_SETTINGS_H
#define PANTAU_SETTINGS_H

#include <stdio.h>

#include "catalog.h"
#include "collector/api/api.h"
#include "collector/alerts/alerts.h"
#include "collector/alerts/notify.h"
#include "collector/ingest/replay.h"
#include "collector/status/engine.h"
#include "collector/status/profiles.h"
#include "collector_config.h"

/* The engine's options; false with why when the counting window is not
 * valid. */
pantau_err settings_engine(const struct collector_config *cfg, struct engine_opts *o,
    char *why, size_t len);

/* The alert rules; names: the sinks of the table (settings_sink_names). */
/* [incidents] (docs/incidents.md). */
struct incidents_rules;
void settings_incidents(const struct collector_config *cfg, struct incidents_rules *r);
void settings_alerts(const struct collector_config *cfg, const char *const *names,
    size_t nnames, struct alerts_rules *r);

/* The sinks' names in the table's order, into names (SINKS_MAX); returns
 * how many. */
size_t settings_sink_names(const char **names);

/* Replay: the scan's and the scheduler's options ([replay]). */
void settings_replay(const struct collector_config *cfg, struct replay_opts *o);

/* Alert delivery; points into cfg. */
void settings_notify(const struct collector_config *cfg, struct notify_opts *o);

/* The region catalog of catalog_dir with cfg's 3T flags over it, and cfg's
 * status profiles. Problems are said on errs as a start says them
 * ("pantau-collector: region catalog: ...", the profiles' file:line:key);
 * on failure nothing is left to free. */
pantau_err settings_files(const struct collector_config *cfg, const char *catalog_dir,
    struct catalog **cat, struct profiles **prof, FILE *errs);

/* The API's options from [api] and [status]; the rooms it reads are the caller's. */
void settings_api(const struct collector_config *cfg, struct api_opts *o);

#endif
