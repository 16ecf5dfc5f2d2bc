/*
 * The agent's answer to a replay command (docs/protocol.md, "Replay
 * command" and "Gone reply"): the requested batches still in the outbox
 * are sent again as backlog, those no longer held are named in "gone"
 * replies on the agent's reply topic, and one info line says what was done.
 */
#ifndef PANTAU_REPLAYCMD_H
#define PANTAU_REPLAYCMD_H

#include "mqttc.h"
#include "outbox.h"
#include "wire.h"

struct replaycmd_ctx {
	struct outbox *outbox;
	struct mqttc *mqtt;
	const char *agent;        /* the agent's id */
	const char *reply_topic;  /* pantau/v1/PP/RRRR/AGENT/reply */
};

/* Handle r; the caller then pumps the outbox. */
void replaycmd_handle(const struct replaycmd_ctx *c, const struct wire_replay *r);

#endif
