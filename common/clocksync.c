#include "clocksync.h"

#include <string.h>
#include <sys/timex.h>

void
clocksync_local(struct stamp_errest *out)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx)); /* modes 0: read only */
	int state = adjtimex(&tx);
	out->synced = state >= 0 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
	/* esterror and maxerror are microseconds; 1 s when neither is known. */
	long us = tx.esterror > 0 ? tx.esterror : tx.maxerror > 0 ? tx.maxerror : 1000000;
	out->error_s = state < 0 ? 1.0 : (double)us / 1e6;
}
