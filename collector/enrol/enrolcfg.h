/* The collector's [enrol] section (docs/configuration.md): the client CA
 * and what an enrolled agent is told about the broker. */
#ifndef PANTAU_ENROLCFG_H
#define PANTAU_ENROLCFG_H

#include <stdio.h>

#include "cfg.h"

struct enrol_cfg {
	char ca_dir[512];        /* "": enrolment off */
	int cert_days;           /* life of an agent's certificate */
	char broker_host[256];   /* what agents connect to */
	int broker_port;
	char broker_cafile[512]; /* CA of the broker's server certificate; "": system CAs */
	char broker_crl[512];    /* the broker's copy of the CRL; "": none */
	char broker_pidfile[512]; /* the broker's pid_file, signalled after a revocation */
};

void enrolcfg_apply(struct cfg_file *f, struct enrol_cfg *e);
void enrolcfg_reference(FILE *to);
/* Keys whose change takes a restart, logged; how many differ. */
size_t enrolcfg_restart_changes(struct enrol_cfg *running, const struct enrol_cfg *next);

#endif
