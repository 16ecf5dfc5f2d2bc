/*
 * Shutting an agent out (docs/deployment.md, "Revoke"): every certificate
 * of the agent on the CRL, its unused token void, the CRL rewritten in the
 * CA's folder and in the broker's copy, and the broker told to reload it.
 * One path for `pantau enrol revoke` and POST /api/v1/enrol/revoke.
 */
#ifndef PANTAU_ENROL_REVOKE_H
#define PANTAU_ENROL_REVOKE_H

#include "collector/store/db.h"
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct enrol_revoked {
	int certs;     /* certificates revoked now */
	int tokens;    /* unused tokens made void */
};

/*
 * Revoke agent in db at now_ms, in a transaction of its own (so none may
 * be open on db), then write the CRL of ca_dir's CA to ca_dir/crl.pem and
 * to copy (NULL or "": none). PANTAU_ERR_NOT_FOUND: nothing left to
 * revoke; otherwise why says what failed.
 */
pantau_err enrol_revoke(struct db *db, const char *ca_dir, const char *copy, const char *agent,
    int64_t now_ms, struct enrol_revoked *out, char *why, size_t len);

/*
 * Send SIGHUP to the broker whose pid is in pidfile (mosquitto's
 * pid_file), so it reads the new CRL without a restart. PANTAU_OK when
 * sent; why says why not (no such file, not a pid, not allowed).
 */
pantau_err enrol_reload_broker(const char *pidfile, char *why, size_t len);

#endif
