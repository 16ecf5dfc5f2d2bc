/*
 * The log of rejected messages, bounded: the first REJECTLOG_BURST
 * rejections of each minute are logged a line each, with their topic and
 * reason; the rest are counted per reason and summarised in one line when
 * the minute is over, so a flood of bad input leaves the log readable.
 * Every rejection is counted in the ingest statistics regardless.
 */
#ifndef PANTAU_REJECTLOG_H
#define PANTAU_REJECTLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

#define REJECTLOG_BURST 20
#define REJECTLOG_WINDOW_MS 60000

struct rejectlog {
	int64_t window_start;
	int logged;                              /* lines in this window */
	uint64_t unlogged;                       /* total of unlogged_by[] */
	uint64_t unlogged_by[WIRE_REASON_COUNT];
};

/* A rejection for reason at now_ms: true when it gets its own line. Ends
 * the window (rejectlog_flush) first when it is over. */
bool rejectlog_allow(struct rejectlog *rl, enum wire_reason reason, int64_t now_ms);

/* At the end of a window (or later), log the summary of what was not
 * logged in it and start the next one; nothing when the window is not over. */
void rejectlog_flush(struct rejectlog *rl, int64_t now_ms);

#endif
