/*
 * The alerts' state in the store (collector/store/statusdb.h): saved when
 * it changed (fired, resolved, told), loaded at a start, and with
 * partitioned collectors loaded for one partition when it is taken over,
 * so its new owner neither tells a firing alert again nor forgets it.
 */
#ifndef PANTAU_ALERTSTATE_H
#define PANTAU_ALERTSTATE_H

#include "collector/alerts/alerts.h"
#include "collector/store/statusdb.h"

/* Save the alerts whose state changed. */
void alertstate_save(struct alerts *a, struct statusdb *db);

/* Restore the saved alerts: all of them with nparts 0, else those of
 * regencies in partition part (collector/cluster/partition.h). */
pantau_err alertstate_load(struct alerts *a, struct statusdb *db, int part, int nparts);

#endif
