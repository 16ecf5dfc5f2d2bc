#include "ca.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "pkey.h"

#define CA_PEM_MAX (64 * 1024)
#define DAY_S (86400L)
/* Issued certificates start this long before now: a box clock somewhat
 * slow still accepts its certificate. */
#define BACKDATE_S 3600L

struct ca {
	EVP_PKEY *key;
	X509 *cert;
	char *cert_pem;
	char dir[512];
};

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->cert_pem);
	free(ca);
}

const char *
ca_cert_pem(const struct ca *ca)
{
	return ca->cert_pem;
}

static bool
set_random_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	bool ok = bn != NULL && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static bool
add_ext(X509 *issuer, X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	bool ok = e != NULL && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate's common part: version 3, serial, validity, subject, key. */
static X509 *
cert_base(EVP_PKEY *pub, const char *cn, int64_t from_s, int64_t until_s)
{
	X509 *x = X509_new();
	X509_NAME *name = x != NULL ? X509_get_subject_name(x) : NULL;
	if (x == NULL || X509_set_version(x, 2) != 1 || !set_random_serial(x) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from_s) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)until_s) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	        -1, 0) != 1 || X509_set_pubkey(x, pub) != 1) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static pantau_err
write_file(const char *dir, const char *name, const char *text, mode_t mode, char *why,
    size_t len)
{
	if (durable_write_mode(dir, name, text, strlen(text), mode) == PANTAU_OK)
		return PANTAU_OK;
	snprintf(why, len, "cannot write %s/%s: %s", dir, name, strerror(errno));
	return PANTAU_ERR_IO;
}

static bool
exists(const char *dir, const char *name)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

pantau_err
ca_init(const char *dir, int64_t now_ms, char *why, size_t len)
{
	pantau_err rc = PANTAU_ERR_NOMEM;
	char *key_pem = NULL, *cert_pem = NULL;
	int64_t now_s = now_ms / 1000;
	if (exists(dir, CA_KEY_FILE) || exists(dir, CA_CERT_FILE)) {
		snprintf(why, len, "%s already holds a CA (%s, %s); a second one would orphan every "
		    "agent's certificate", dir, CA_KEY_FILE, CA_CERT_FILE);
		return PANTAU_ERR_DUPLICATE;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, len, "cannot make %s: %s", dir, strerror(errno));
		return PANTAU_ERR_IO;
	}
	snprintf(why, len, "out of memory or no randomness for the CA's key");
	EVP_PKEY *key = pkey_new();
	X509 *x = key != NULL ? cert_base(key, "pantau client CA", now_s - BACKDATE_S,
	    now_s + CA_YEARS * 365 * DAY_S) : NULL;
	if (x == NULL || X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    !add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    X509_sign(x, key, EVP_sha256()) <= 0 ||
	    (key_pem = pkey_private_pem(key, NULL)) == NULL || (cert_pem = pkey_cert_pem(x)) == NULL)
		goto out;
	struct ca ca = { .key = key, .cert = x };
	snprintf(ca.dir, sizeof(ca.dir), "%s", dir);
	if ((rc = write_file(dir, CA_KEY_FILE, key_pem, 0600, why, len)) != PANTAU_OK ||
	    (rc = write_file(dir, CA_CERT_FILE, cert_pem, 0644, why, len)) != PANTAU_OK)
		goto out;
	rc = ca_write_crl(&ca, NULL, 0, now_ms, NULL, why, len);
out:
	if (key_pem != NULL)
		OPENSSL_cleanse(key_pem, strlen(key_pem));
	free(key_pem);
	free(cert_pem);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

pantau_err
ca_open(const char *dir, struct ca **out, char *why, size_t len)
{
	char path[600];
	size_t n = 0;
	struct ca *ca = calloc(1, sizeof(*ca));
	*out = NULL;
	if (ca == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	snprintf(ca->dir, sizeof(ca->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, CA_KEY_FILE);
	char *key = pkey_read_file(path, CA_PEM_MAX, &n);
	if (key == NULL) {
		pantau_err rc = errno == ENOENT ? PANTAU_ERR_NOT_FOUND : PANTAU_ERR_IO;
		snprintf(why, len, "cannot read the CA's key %s: %s%s", path, strerror(errno),
		    rc == PANTAU_ERR_NOT_FOUND ? "; make the CA with pantau ca init --dir DIR" :
		    "; run as the user who owns it");
		ca_free(ca);
		return rc;
	}
	ca->key = pkey_private_parse(key, n);
	OPENSSL_cleanse(key, n);
	free(key);
	snprintf(path, sizeof(path), "%s/%s", dir, CA_CERT_FILE);
	ca->cert_pem = pkey_read_file(path, CA_PEM_MAX, &n);
	ca->cert = ca->cert_pem != NULL ? pkey_cert_parse(ca->cert_pem, n) : NULL;
	if (ca->key == NULL || ca->cert == NULL || X509_check_private_key(ca->cert, ca->key) != 1) {
		snprintf(why, len, "%s: %s and %s are not a CA's key and its certificate; restore "
		    "them from the backup", dir, CA_KEY_FILE, CA_CERT_FILE);
		ca_free(ca);
		return PANTAU_ERR_PARSE;
	}
	*out = ca;
	return PANTAU_OK;
}

pantau_err
ca_issue(const struct ca *ca, EVP_PKEY *pub, const char *agent, int64_t now_ms, int days,
    char **pem, char serial[CA_SERIAL_MAX + 1], int64_t *not_before, int64_t *not_after)
{
	int64_t now_s = now_ms / 1000;
	*not_before = now_s - BACKDATE_S;
	*not_after = now_s + (int64_t)days * DAY_S;
	*pem = NULL;
	X509 *x = cert_base(pub, agent, *not_before, *not_after);
	if (x == NULL || X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
	    !add_ext(ca->cert, x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(ca->cert, x, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(ca->cert, x, NID_ext_key_usage, "clientAuth") ||
	    !add_ext(ca->cert, x, NID_authority_key_identifier, "keyid") ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0 || !ca_serial_hex(x, serial) ||
	    (*pem = pkey_cert_pem(x)) == NULL) {
		X509_free(x);
		return PANTAU_ERR_NOMEM;
	}
	X509_free(x);
	return PANTAU_OK;
}

bool
ca_serial_hex(const X509 *cert, char out[CA_SERIAL_MAX + 1])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	bool ok = hex != NULL && strlen(hex) <= CA_SERIAL_MAX;
	if (ok) {
		size_t i;
		for (i = 0; hex[i] != '\0'; i++)
			out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
		out[i] = '\0';
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return ok;
}

pantau_err
ca_verify(const struct ca *ca, const char *pem, size_t len, int64_t now_ms, X509 **out)
{
	*out = NULL;
	X509 *x = pkey_cert_parse(pem, len);
	if (x == NULL)
		return PANTAU_ERR_PARSE;
	EVP_PKEY *pub = X509_get0_pubkey(ca->cert);
	if (X509_check_issued(ca->cert, x) != X509_V_OK || X509_verify(x, pub) != 1) {
		X509_free(x);
		return PANTAU_ERR_INVAL;
	}
	time_t now = (time_t)(now_ms / 1000);
	if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0 ||
	    X509_cmp_time(X509_get0_notBefore(x), &now) >= 0) {
		X509_free(x);
		return PANTAU_ERR_TIMEOUT;
	}
	*out = x;
	return PANTAU_OK;
}

static bool
crl_add(X509_CRL *crl, const char *hex, const ASN1_TIME *when)
{
	BIGNUM *bn = NULL;
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = NULL;
	bool ok = r != NULL && BN_hex2bn(&bn, hex) > 0 && (sn = BN_to_ASN1_INTEGER(bn, NULL)) !=
	    NULL && X509_REVOKED_set_serialNumber(r, sn) == 1 &&
	    X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when) == 1 &&
	    X509_CRL_add0_revoked(crl, r) == 1;
	if (!ok)
		X509_REVOKED_free(r);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return ok;
}

/* Write path (a file's full path) atomically. */
static bool
write_path(const char *path, const char *data, size_t n)
{
	char dir[600], name[600];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	snprintf(name, sizeof(name), "%s", slash != NULL ? slash + 1 : path);
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return durable_write_mode(dir, name, data, n, 0644) == PANTAU_OK;
}

pantau_err
ca_write_crl(const struct ca *ca, const char *const *serials, size_t n, int64_t now_ms,
    const char *copy, char *why, size_t len)
{
	int64_t now_s = now_ms / 1000;
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)now_s);
	ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)(now_s + CA_YEARS * 365 * DAY_S));
	BIO *b = BIO_new(BIO_s_mem());
	pantau_err rc = PANTAU_ERR_NOMEM;
	bool ok = crl != NULL && last != NULL && next != NULL && b != NULL &&
	    X509_CRL_set_version(crl, 1) == 1 &&
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) == 1 &&
	    X509_CRL_set1_lastUpdate(crl, last) == 1 && X509_CRL_set1_nextUpdate(crl, next) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = crl_add(crl, serials[i], last);
	snprintf(why, len, "the CRL could not be made (out of memory or a bad serial)");
	if (ok && X509_CRL_sort(crl) == 1 && X509_CRL_sign(crl, ca->key, EVP_sha256()) > 0 &&
	    PEM_write_bio_X509_CRL(b, crl) == 1) {
		char *data = NULL;
		long dn = BIO_get_mem_data(b, &data);
		rc = PANTAU_ERR_IO;
		if (durable_write_mode(ca->dir, CA_CRL_FILE, data, (size_t)dn, 0644) != PANTAU_OK)
			snprintf(why, len, "cannot write %s/%s: %s", ca->dir, CA_CRL_FILE,
			    strerror(errno));
		else if (copy != NULL && copy[0] != '\0' && !write_path(copy, data, (size_t)dn))
			snprintf(why, len, "cannot write %s: %s", copy, strerror(errno));
		else
			rc = PANTAU_OK;
	}
	BIO_free(b);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	return rc;
}
