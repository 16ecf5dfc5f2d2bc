#include "csr.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "pkey.h"
#include "wire.h"

static bool
key_ok(EVP_PKEY *k)
{
	char group[32];
	size_t n = 0;
	if (EVP_PKEY_is_a(k, "EC"))
		return EVP_PKEY_get_group_name(k, group, sizeof(group), &n) == 1 &&
		    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
		        strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0);
	if (EVP_PKEY_is_a(k, "RSA"))
		return EVP_PKEY_get_bits(k) >= 2048;
	return false;
}

pantau_err
csr_check(const char *pem, size_t len, const char *agent, EVP_PKEY **pub, char *why,
    size_t wlen)
{
	char cn[WIRE_AGENT_MAX + 2];
	pantau_err rc = PANTAU_ERR_PARSE;
	*pub = NULL;
	if (len > CSR_PEM_MAX) {
		snprintf(why, wlen, "the certificate request is longer than %d bytes", CSR_PEM_MAX);
		return rc;
	}
	X509_REQ *req = pkey_req_parse(pem, len);
	if (req == NULL) {
		snprintf(why, wlen, "csr is not a PEM certificate request (PKCS#10); "
		    "pantau-agent enrol makes one");
		return rc;
	}
	EVP_PKEY *k = X509_REQ_get_pubkey(req);
	rc = PANTAU_ERR_INVAL;
	if (k == NULL || X509_REQ_verify(req, k) != 1)
		snprintf(why, wlen, "the certificate request's signature does not match its key");
	else if (!key_ok(k))
		snprintf(why, wlen, "the request's key is too weak: use ECDSA P-256 (what "
		    "pantau-agent enrol makes) or RSA of 2048 bits or more");
	else if (!pkey_common_name(X509_REQ_get_subject_name(req), cn, sizeof(cn)) ||
	    (cn[0] != '\0' && strcmp(cn, agent) != 0)) {
		rc = PANTAU_ERR_STATE;
		snprintf(why, wlen, "the certificate request names another agent than %s, the one "
		    "this token was made for", agent);
	} else
		rc = PANTAU_OK;
	X509_REQ_free(req);
	if (rc == PANTAU_OK)
		*pub = k;
	else
		EVP_PKEY_free(k);
	return rc;
}
