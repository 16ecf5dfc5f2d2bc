/*
 * Enrolment's parsers of outside input (docs/deployment.md, "Enrolment"):
 * what a box sends the collector (a PEM certificate request checked by
 * csr_check, a certificate to renew checked against a real client CA made
 * in a temporary folder) and what a collector, or something posing as one,
 * sends the agent (the HTTP reply httpsc_parse_reply reads, the PEM
 * certificate and key it saves, the collector URL it is given). The first
 * byte picks the parser, the rest is its input.
 *
 * Each must refuse what it cannot take with a reason and no leak; what it
 * takes must be what it says (a request's key is returned, a certificate
 * that verifies names an agent).
 */
#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/enrol/httpsc.h"
#include "clock.h"
#include "collector/enrol/ca.h"
#include "collector/enrol/csr.h"
#include "fuzz.h"
#include "pkey.h"

struct harness {
	char dir[64];
	struct ca *ca;
};

static struct harness h;

static void
cleanup(void)
{
	static const char *const files[] = { CA_KEY_FILE, CA_CERT_FILE, CA_CRL_FILE, "" };
	char path[128];
	ca_free(h.ca);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", h.dir, files[i]);
		if (unlink(path) != 0)
			(void)rmdir(path);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[256];
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_mkdtemp(h.dir, sizeof(h.dir), "enrol");
	if (ca_init(h.dir, clock_real_ms(), why, sizeof(why)) != PANTAU_OK ||
	    ca_open(h.dir, &h.ca, why, sizeof(why)) != PANTAU_OK)
		fuzz_fail("client CA", why);
	atexit(cleanup);
	return 0;
}

static void
check_csr(const char *text, size_t n)
{
	char why[256] = "";
	EVP_PKEY *pub = (EVP_PKEY *)1;
	pantau_err rc = csr_check(text, n, "ag-3273-0001", &pub, why, sizeof(why));
	if (rc == PANTAU_OK ? pub == NULL : (pub != NULL || why[0] == '\0'))
		abort();
	EVP_PKEY_free(pub);
}

static void
check_renewal_cert(const char *text, size_t n)
{
	char serial[CA_SERIAL_MAX + 1], cn[64];
	X509 *x = NULL;
	if (ca_verify(h.ca, text, n, clock_real_ms(), &x) != PANTAU_OK) {
		if (x != NULL)
			abort();
		return;
	}
	/* Only this CA's own certificates verify, and a fuzzer cannot sign. */
	if (x == NULL || !ca_serial_hex(x, serial) ||
	    !pkey_common_name(X509_get_subject_name(x), cn, sizeof(cn)))
		abort();
	X509_free(x);
}

static void
check_pem(const char *text, size_t n)
{
	char cn[64];
	X509 *x = pkey_cert_parse(text, n);
	if (x != NULL)
		(void)pkey_common_name(X509_get_subject_name(x), cn, sizeof(cn));
	(void)pkey_time(x != NULL ? X509_get0_notAfter(x) : NULL);
	X509_free(x);
	EVP_PKEY_free(pkey_private_parse(text, n));
}

static void
check_reply(const char *text, size_t n)
{
	char why[256] = "";
	struct httpsc_reply r;
	char *buf = malloc(n + 1);
	if (buf == NULL)
		return;
	memcpy(buf, text, n);
	memset(&r, 0, sizeof(r));
	if (httpsc_parse_reply(buf, n, &r, why, sizeof(why)) != PANTAU_OK) {
		if (r.body != NULL || why[0] == '\0')
			abort();
		return;
	}
	if (r.status < 100 || r.status > 999 || r.body == NULL || r.len > n ||
	    r.body[r.len] != '\0')
		abort();
	httpsc_reply_free(&r);
}

static void
check_url(const char *text)
{
	struct httpsc_url u;
	if (httpsc_parse_url(text, &u) &&
	    (u.host[0] == '\0' || u.port[0] == '\0' ||
	        strspn(u.port, "0123456789") != strlen(u.port) ||
	        (!u.tls && strcmp(u.host, "127.0.0.1") != 0 && strcmp(u.host, "::1") != 0 &&
	            strcmp(u.host, "localhost") != 0)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > CSR_PEM_MAX * 2)
		return 0;
	char *text = fuzz_cstr(data + 1, size - 1);
	if (text == NULL)
		return 0;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0: check_csr(text, n); break;
	case 1: check_renewal_cert(text, n); break;
	case 2: check_pem(text, n); break;
	case 3: check_reply(text, n); break;
	default: check_url(text); break;
	}
	free(text);
	return 0;
}
