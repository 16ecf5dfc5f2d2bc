/*
 * `pantau-agent enrol TOKEN --collector https://HOST:PORT [--cacert F]`
 * and `pantau-agent renew` (docs/deployment.md, "Technician"): the key
 * pair is made on this box and never leaves it (mode 0600); a certificate
 * request goes to the collector (POST /api/v1/enrol with the one-time
 * token, /api/v1/enrol/renew with the current certificate) and the
 * certificate that comes back, signed by pantau's client CA with the agent
 * id as its subject, is written into the state folder, and the configuration is then
 * rewritten atomically (temporary file and rename): a failed enrolment
 * leaves the configuration as it was and no new file behind.
 */
#ifndef PANTAU_AGENT_ENROL_H
#define PANTAU_AGENT_ENROL_H

#include <openssl/x509.h>
#include <stdint.h>

/* The configuration when --config names none. */
#define ENROL_DEFAULT_CONFIG "/etc/pantau/agent.ini"
/* The key and the certificates go into [agent] state_dir (this when the
 * configuration names none), which the agent gives to the user it runs
 * as (agent/privdrop.h): the key stays 0600 and readable by the agent. */
#define ENROL_DEFAULT_STATE_DIR "/var/lib/pantau-agent"

/* "pantau-agent enrol ARGS" (argv[0] "enrol"): 0 enrolled, 1 failed
 * (the sentence says what to do), 2 usage. */
int enrol_main(int argc, char **argv);

/* "pantau-agent renew ARGS" (argv[0] "renew"). */
int renew_main(int argc, char **argv);

/* The certificate is valid at now_s (seconds since the epoch): 0 yes,
 * -1 not yet (the box's clock is behind), 1 no more. */
int enrol_cert_when(const X509 *cert, int64_t now_s);

#endif
