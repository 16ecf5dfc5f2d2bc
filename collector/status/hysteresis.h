/*
 * Hysteresis between OK, DEGRADED and CRITICAL (docs/status.md): the shown
 * status turns worse only after `enter` consecutive windows worse than it
 * (to the mildest of them), and better only after `leave` consecutive
 * windows better than it (to the worst of them), so a link that flaps
 * every window pages nobody. Pure: the caller feeds one verdict per window.
 */
#ifndef PANTAU_HYSTERESIS_H
#define PANTAU_HYSTERESIS_H

#include <stdbool.h>

#include "sitestate.h"

struct hyst_rules {
	int enter;                /* default 2 */
	int leave;                /* default 3 */
};

struct hyst {
	enum site_status shown;   /* OK, DEGRADED or CRITICAL */
	int run;                  /* consecutive windows away from shown */
	int run_dir;              /* +1 worse, -1 better, 0 none */
	enum site_status run_to;  /* where the run would take shown */
};

/* A fresh state showing s (no run under way). */
void hyst_reset(struct hyst *h, enum site_status s);

/* Feed one window's verdict; true when the shown status changed. */
bool hyst_feed(struct hyst *h, enum site_status verdict, const struct hyst_rules *r);

#endif
