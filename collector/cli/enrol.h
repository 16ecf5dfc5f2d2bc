/*
 * `pantau enrol new|bulk|revoke` and `pantau ca init` (docs/deployment.md,
 * "Coordinator" and "Operator"): one-time enrolment tokens made in the
 * collector's database itself (collector/enrol/enrolstore.h), as
 * `pantau token` does, and revocations written to the database and to the
 * client CA's CRL (collector/enrol/ca.h), which the broker reads on a
 * reload.
 */
#ifndef PANTAU_CLI_ENROL_H
#define PANTAU_CLI_ENROL_H

#include <stdio.h>

/* The CA's folder when neither --ca-dir nor $PANTAU_CA_DIR names one:
 * the collector's default [enrol] ca_dir. */
#define ENROL_DEFAULT_CA_DIR "/var/lib/pantau/ca"

void enrol_usage(FILE *to);

/* "pantau enrol ARGS" (argv[0] is "enrol"): 0 done, 1 refused, 2 usage. */
int enrol_main(int argc, char **argv);

/* "pantau ca init --dir D" (argv[0] is "ca"). */
int enrol_ca_main(int argc, char **argv);

#endif
