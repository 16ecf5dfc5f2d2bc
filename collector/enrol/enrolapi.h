/*
 * The enrolment routes of the collector's API (docs/api.md, "Enrolment"),
 * authenticated by what they carry, not by an API token:
 *
 *   POST /api/v1/enrol        {"token":"pe_…","csr":"PEM"}: the one-time
 *                             token's site gets its agent id and a
 *                             certificate for the request's key
 *   POST /api/v1/enrol/renew  {"cert":"PEM","csr":"PEM"}: a valid, not
 *                             revoked certificate of this CA gets a new one
 *                             for the same key and agent
 *
 * and the coordinator's, behind an admin token when the API asks for tokens:
 *
 *   POST /api/v1/enrol/tokens {"region":"32.73","site":"…"[,"hours":72]}:
 *                             a one-time token, as pantau enrol new
 *   POST /api/v1/enrol/revoke {"agent":"ag-3273-0001"}: its certificates on
 *                             the CRL (and the broker's copy), the broker
 *                             signalled to reload when its pid file is set
 *
 * A refusal is {"error":"sentence","reason":"word"}; the agent shows its
 * own sentence for the reason in English and Bahasa Indonesia.
 */
#ifndef PANTAU_ENROLAPI_H
#define PANTAU_ENROLAPI_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "collector/store/store.h"
#include "enrolcfg.h"
#include "err.h"

/* Longest request body taken (a CSR and a certificate fit easily). */
#define ENROLAPI_BODY_MAX (32 * 1024)

struct enrolapi;

/*
 * The routes with the CA of cfg->ca_dir, made there when it holds none.
 * cfg->ca_dir "": *out is NULL and PANTAU_OK (enrolment off: the routes
 * answer 404 saying so). store is borrowed. auth: the coordinator's routes
 * ask for an admin token (collector/api/auth.h).
 */
pantau_err enrolapi_new(const struct enrol_cfg *cfg, struct store *store, bool auth,
    struct enrolapi **out, char *why, size_t len);
void enrolapi_free(struct enrolapi *e);

/* path (no trailing slash) is one of the routes. */
bool enrolapi_route(const char *path);

/* MHD's access handler for those routes (e may be NULL: off); reads the
 * body into *con_cls, answers once it is complete. */
enum MHD_Result enrolapi_request(struct enrolapi *e, struct MHD_Connection *c,
    const char *path, const char *method, const char *upload, size_t *upload_size,
    void **con_cls);

/* Release a connection's body buffer (httpd_opts.free_conn). */
void enrolapi_free_conn(void *con_cls);

#endif
