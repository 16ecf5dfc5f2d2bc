/*
 * The probe kinds, once: the table the agent and `pantau-agent check` read
 * a [probe.NAME] section's type with. Each entry pairs a kind's spec part
 * with the exec part the agent runs it with: its own, or for the libcurl
 * kinds (spec->in_worker) probeworker_exec, which spawns
 * pantau-probe-worker (that one has its own table, agent/worker/runner.h).
 * docs/architecture.md, "Adding a probe kind".
 */
#ifndef PANTAU_PROBES_KINDS_H
#define PANTAU_PROBES_KINDS_H

#include <stddef.h>

#include "agent/probes/probe.h"

/* Ends with an entry whose spec is NULL. */
extern const struct probe_kind probe_kinds[];

/* The kind called name, or NULL. */
const struct probe_kind *probe_kind_find(const char *name);

/* "icmp, tcp, http, stamp, throughput, upload_task or dns", for messages. */
void probe_kind_list(char *buf, size_t len);

#endif
