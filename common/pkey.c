#include "pkey.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

EVP_PKEY *
pkey_new(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* What a memory BIO holds, as a malloc'd text. */
static char *
bio_text(BIO *b, size_t *len)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (out != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		if (len != NULL)
			*len = (size_t)n;
	}
	return out;
}

char *
pkey_private_pem(EVP_PKEY *key, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (b != NULL && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1)
		out = bio_text(b, len);
	BIO_free(b);
	return out;
}

char *
pkey_cert_pem(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (b != NULL && PEM_write_bio_X509(b, cert) == 1)
		out = bio_text(b, NULL);
	BIO_free(b);
	return out;
}

/* One PEM object of the type d2i reads (what OpenSSL's PEM_read_bio_X509 and
 * PEM_read_bio_X509_REQ are made of), from text. */
static void *
pem_parse(const char *pem, size_t len, d2i_of_void *d2i, const char *name)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	void *x = b != NULL ? PEM_ASN1_read_bio(d2i, name, b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

X509 *
pkey_cert_parse(const char *pem, size_t len)
{
	return pem_parse(pem, len, (d2i_of_void *)d2i_X509, PEM_STRING_X509);
}

/* Not pem_parse: PEM_read_bio_PrivateKey takes every private key format,
 * which no single d2i does. */
EVP_PKEY *
pkey_private_parse(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

X509_REQ *
pkey_req_parse(const char *pem, size_t len)
{
	return pem_parse(pem, len, (d2i_of_void *)d2i_X509_REQ, PEM_STRING_X509_REQ);
}

char *
pkey_read_file(const char *path, size_t max, size_t *len)
{
	FILE *fp = fopen(path, "re");
	if (fp == NULL)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf != NULL ? fread(buf, 1, max + 1, fp) : 0;
	int bad = buf == NULL || ferror(fp) != 0 || n > max;
	fclose(fp);
	if (bad) {
		free(buf);
		errno = buf == NULL ? ENOMEM : n > max ? EFBIG : EIO;
		return NULL;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int64_t
pkey_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

int
pkey_common_name(const X509_NAME *name, char *out, size_t len)
{
	out[0] = '\0';
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0)
		return 1;
	const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	int n = ASN1_STRING_length(s);
	if (n < 0 || (size_t)n >= len)
		return 0;
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
	out[n] = '\0';
	return strlen(out) == (size_t)n;
}
