/*
 * Key pairs and PEM text with OpenSSL's libcrypto, for enrolment
 * (docs/deployment.md, "Enrolment"): the client CA's key on the collector
 * (collector/enrol/ca.c) and each agent's own key, made on its box
 * (agent/enrol/). One kind of key: ECDSA on P-256, small, fast and what
 * every TLS stack in use takes.
 */
#ifndef PANTAU_PKEY_H
#define PANTAU_PKEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh P-256 key pair, or NULL (out of memory, no entropy). */
EVP_PKEY *pkey_new(void);

/* The private key as PEM (PKCS#8, unencrypted), NUL-terminated, malloc'd;
 * *len its length. NULL on failure. */
char *pkey_private_pem(EVP_PKEY *key, size_t *len);

/* The certificate as PEM, malloc'd; NULL on failure. */
char *pkey_cert_pem(X509 *cert);

/* Parse the first certificate, key or request of a PEM text; NULL when
 * there is none or it is malformed. */
X509 *pkey_cert_parse(const char *pem, size_t len);
EVP_PKEY *pkey_private_parse(const char *pem, size_t len);
X509_REQ *pkey_req_parse(const char *pem, size_t len);

/* Read a whole file (a PEM file, at most max bytes) into a malloc'd
 * NUL-terminated text; NULL with errno set. */
char *pkey_read_file(const char *path, size_t max, size_t *len);

/* Seconds since the epoch of an ASN.1 time; 0 when it cannot be read. */
int64_t pkey_time(const ASN1_TIME *t);

/* The subject's common name of a certificate or request into out ("" when
 * none); 0 when it is longer than len - 1 or holds a NUL, else 1. */
int pkey_common_name(const X509_NAME *name, char *out, size_t len);

#endif
