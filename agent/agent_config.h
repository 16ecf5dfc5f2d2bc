/* The agent's configuration file (docs/configuration.md). */
#ifndef PANTAU_AGENT_CONFIG_H
#define PANTAU_AGENT_CONFIG_H

#include <stdio.h>

#include "agent/enrol/enrolkeys.h"
#include "brokercfg.h"
#include "agent/probes/probe.h"
#include "wire.h"

#define AGENT_MAX_PROBES 64

struct agent_config {
	char id[WIRE_AGENT_MAX + 1];
	char region[6];              /* regency code "32.73" */
	char site[128];
	int link;                    /* index into wire_link_names */
	double lat, lon;             /* NAN when not set */
	int interval_s;              /* cycle: one batch per interval */
	int counting_interval_s;     /* the cycle while the vote is counted (mode message) */
	int splay_s;                 /* random delay before the first cycle, at most */
	char state_dir[512];
	int log_level;               /* enum log_level */
	int outbox_max_kb;           /* outbox bound: all segments together */
	int outbox_max_age_s;        /* undelivered batches older are deleted */
	int outbox_retention_s;      /* delivered batches kept for replay */
	int backfill_rate;           /* bytes per second of backlog, at most */
	int data_budget_mb;          /* -1: budget_default_mb(link) */
	char user[64];               /* user to run as after opening sockets (as root) */
	char probe_worker[512];      /* pantau-probe-worker; "": found by probeworker_locate */
	struct broker_cfg broker;
	struct agent_enrol enrol;    /* [enrol] (agent/enrol/enrolkeys.h) */
	struct probe_def probes[AGENT_MAX_PROBES];
	size_t nprobes;
};

/*
 * Load and validate path. Every error is printed to errs as
 * "file:line: [section] key: what is wrong; what to do"; then
 * PANTAU_ERR_CONFIG. PANTAU_ERR_IO when the file cannot be read.
 * Release with agent_config_clear() whatever the result.
 */
pantau_err agent_config_load(const char *path, struct agent_config *c, FILE *errs);
void agent_config_clear(struct agent_config *c);

/* Every N-th cycle a probe runs in (1 = every cycle). */
int agent_config_probe_every(const struct agent_config *c, const struct probe_def *p);

/* The daily data budget in bytes (the key, or the link's default). */
int64_t agent_config_budget_bytes(const struct agent_config *c);

/*
 * Where pantau-probe-worker is, when a probe needs it (http, throughput,
 * upload_task): PANTAU_OK with path, or with path "" when no probe needs
 * it; PANTAU_ERR_NOT_FOUND with why naming the path and what to do.
 */
pantau_err agent_config_worker(const struct agent_config *c, char *path, size_t len,
    char *why, size_t wlen);

/* A reload (SIGHUP) takes only the [probe.*] sections: log each key of
 * [agent] and [broker] that differs in next as taking a restart. Returns
 * how many did. */
size_t agent_config_restart_changes(const struct agent_config *running,
    const struct agent_config *next);

/* Print the reference of every section and probe kind (Markdown). */
void agent_config_reference(FILE *to);

#endif
