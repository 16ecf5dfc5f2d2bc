/*
 * What SIGHUP reloads in the agent (docs/configuration.md, "Reloading"): its
 * probes, the [probe.*] sections, which run from the next cycle on. Its
 * identity ([agent]) and its broker ([broker]) take a restart: a change
 * there is logged and the running values stay. The file is read and checked
 * as at a start (agent_config_load, agent_config_worker), so a mistake is
 * said in the same words, and then nothing changes.
 */
#ifndef PANTAU_AGENT_RELOAD_H
#define PANTAU_AGENT_RELOAD_H

#include "agent.h"

void agent_reload(struct agent *a, const char *path);

#endif
