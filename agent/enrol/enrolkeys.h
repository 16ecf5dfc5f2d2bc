/* The agent's [enrol] section (docs/configuration.md), written by
 * `pantau-agent enrol` and read by `pantau-agent renew`. */
#ifndef PANTAU_ENROLKEYS_H
#define PANTAU_ENROLKEYS_H

#include <stddef.h>
#include <stdio.h>

#include "cfg.h"

struct agent_enrol {
	char collector[256];   /* https://HOST:PORT of the collector's API */
	char cacert[512];      /* its CA; "": the system's */
	int renew_days;        /* renew when the certificate has less left */
};

void enrolkeys_apply(struct cfg_file *f, struct agent_enrol *e);
void enrolkeys_reference(FILE *to);

#endif
