#include "rejectlog.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* "not_json 40000, bad_topic 12": the reasons with unlogged rejections. */
static void
format_reasons(const struct rejectlog *rl, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int r = 0; r < WIRE_REASON_COUNT && at < len; r++) {
		if (rl->unlogged_by[r] == 0)
			continue;
		int n = snprintf(buf + at, len - at, "%s%s %llu", at > 0 ? ", " : "",
		    wire_reason_name((enum wire_reason)r), (unsigned long long)rl->unlogged_by[r]);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

void
rejectlog_flush(struct rejectlog *rl, int64_t now_ms)
{
	if (now_ms - rl->window_start < REJECTLOG_WINDOW_MS)
		return;
	if (rl->unlogged > 0) {
		char reasons[1024];
		format_reasons(rl, reasons, sizeof(reasons));
		log_warnx("ingest: %llu more rejected messages in the last %d s, not logged one by "
		    "one: %s (all counted in /api/v1/stats)", (unsigned long long)rl->unlogged,
		    REJECTLOG_WINDOW_MS / 1000, reasons);
	}
	rl->window_start = now_ms;
	rl->logged = 0;
	rl->unlogged = 0;
	memset(rl->unlogged_by, 0, sizeof(rl->unlogged_by));
}

bool
rejectlog_allow(struct rejectlog *rl, enum wire_reason reason, int64_t now_ms)
{
	rejectlog_flush(rl, now_ms);
	if (rl->logged < REJECTLOG_BURST) {
		rl->logged++;
		return true;
	}
	rl->unlogged++;
	if ((int)reason >= 0 && reason < WIRE_REASON_COUNT)
		rl->unlogged_by[reason]++;
	return false;
}
