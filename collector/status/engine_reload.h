/* A reload of the status engine's rules (SIGHUP, collector/reload.h). */
#ifndef PANTAU_ENGINE_RELOAD_H
#define PANTAU_ENGINE_RELOAD_H

#include "engine.h"

/*
 * New options and profiles: every site's thresholds are taken again from
 * prof (which the engine borrows from now on; the caller frees the old
 * profiles afterwards), so the next window of each site is judged by them.
 * What the engine has seen (windows, hysteresis, baselines, statuses) stays.
 * window_s, offline_intervals and default_interval_s keep their running
 * values (the API reads them too): they take a restart.
 */
void engine_reconfigure(struct engine *e, const struct engine_opts *o,
    const struct profiles *prof);

#endif
