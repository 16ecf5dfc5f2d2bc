/*
 * pantau's client CA (docs/deployment.md, "The client CA"): the key and
 * the self-signed certificate that sign each agent's certificate, and the
 * CRL the broker reads (mosquitto's crlfile). One folder, made by the
 * collector at its first start with [enrol] ca_dir set, or by
 * `pantau ca init --dir D`:
 *
 *   ca.key   the CA's private key (P-256, PEM), mode 0600: back it up
 *   ca.crt   the CA's certificate (10 years): the broker's cafile
 *   crl.pem  the revoked agents' certificates: the broker's crlfile
 *
 * Everything with OpenSSL's libcrypto (X509, X509_CRL, EVP), never the
 * openssl program.
 */
#ifndef PANTAU_ENROL_CA_H
#define PANTAU_ENROL_CA_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CA_KEY_FILE "ca.key"
#define CA_CERT_FILE "ca.crt"
#define CA_CRL_FILE "crl.pem"
/* A serial as lower-case hex: 16 random bytes. */
#define CA_SERIAL_MAX 40
/* How long the CA's certificate and each CRL are valid. */
#define CA_YEARS 10

struct ca;

/*
 * Make the CA in dir (created 0700 if missing) at now_ms, with an empty
 * CRL. PANTAU_ERR_DUPLICATE when dir holds a CA already (nothing is
 * touched); PANTAU_ERR_IO with why naming the file.
 */
pantau_err ca_init(const char *dir, int64_t now_ms, char *why, size_t len);

/* Load the CA of dir. PANTAU_ERR_NOT_FOUND when there is none;
 * PANTAU_ERR_IO, PANTAU_ERR_PARSE with why. */
pantau_err ca_open(const char *dir, struct ca **out, char *why, size_t len);
void ca_free(struct ca *ca);

/* The CA's certificate as PEM (borrowed). */
const char *ca_cert_pem(const struct ca *ca);

/*
 * A certificate for pub with subject CN=agent, valid from an hour before
 * now_ms (a box clock a little slow still takes it) for days days, for
 * TLS client authentication only. *pem (malloc'd), serial and the validity
 * in seconds since the epoch.
 */
pantau_err ca_issue(const struct ca *ca, EVP_PKEY *pub, const char *agent, int64_t now_ms,
    int days, char **pem, char serial[CA_SERIAL_MAX + 1], int64_t *not_before,
    int64_t *not_after);

/*
 * The certificate of pem was signed by this CA and is valid at now_ms:
 * PANTAU_OK with *out (the caller frees it). PANTAU_ERR_PARSE: not a
 * certificate; PANTAU_ERR_INVAL: not this CA's; PANTAU_ERR_TIMEOUT:
 * expired or not yet valid.
 */
pantau_err ca_verify(const struct ca *ca, const char *pem, size_t len, int64_t now_ms,
    X509 **out);

/* The serial of a certificate as lower-case hex. */
bool ca_serial_hex(const X509 *cert, char out[CA_SERIAL_MAX + 1]);

/* Write dir/crl.pem listing the n serials (hex), signed at now_ms, valid
 * CA_YEARS; atomically (the broker never reads half of it). copy (NULL:
 * none) is a second file written the same: the broker's crlfile where it
 * cannot read dir. */
pantau_err ca_write_crl(const struct ca *ca, const char *const *serials, size_t n,
    int64_t now_ms, const char *copy, char *why, size_t len);

#endif
