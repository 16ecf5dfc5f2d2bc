/*
 * Whether this host's clock is synchronised to UTC, and how well (Linux
 * adjtimex(2): the kernel's STA_UNSYNC flag and esterror, which ntpd,
 * chrony and systemd-timesyncd keep up to date). Used to fill the STAMP
 * error estimate and to decide whether one-way delays mean anything.
 */
#ifndef PANTAU_CLOCKSYNC_H
#define PANTAU_CLOCKSYNC_H

#include "stamp.h"

/* The local clock's state; error_s is the kernel's estimated error
 * (esterror, else maxerror), or 1 s when unknown. Never fails: an unreadable state is
 * "not synchronised". */
void clocksync_local(struct stamp_errest *out);

#endif
