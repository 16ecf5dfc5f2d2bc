/*
 * The checks of an agent's certificate request (POST /api/v1/enrol,
 * docs/api.md): a PEM PKCS#10 request, signed by the key it carries (the
 * box holds that key), the key ECDSA P-256/P-384 or RSA of 2048 bits or
 * more, and its subject naming no agent but the one the token was made
 * for (an empty subject is fine: the collector assigns the id).
 */
#ifndef PANTAU_ENROL_CSR_H
#define PANTAU_ENROL_CSR_H

#include <openssl/evp.h>
#include <stddef.h>

#include "err.h"

/* Longest request taken. */
#define CSR_PEM_MAX 8192

/*
 * Check the request in pem (len bytes) for agent. PANTAU_OK with *pub,
 * the request's key (the caller frees it). PANTAU_ERR_PARSE: not a
 * request; PANTAU_ERR_INVAL: its signature does not verify or its key is
 * too weak; PANTAU_ERR_STATE: it names another agent. why says which and
 * what to do, for the agent's technician.
 */
pantau_err csr_check(const char *pem, size_t len, const char *agent, EVP_PKEY **pub,
    char *why, size_t wlen);

#endif
