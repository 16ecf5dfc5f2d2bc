/* Enrolment: one-time tokens on a real database made by the store's schema
 * (collector/enrol/enrolstore.c), the checks of a certificate request
 * (csr.c), the client CA's certificates and CRL (ca.c), and the agent's
 * side: its configuration rewritten (agent/enrol/agentini.c), the
 * collector's URL (httpsc.c) and a certificate's validity against the box
 * clock (enrol.c). End to end with the broker: tests/e2e/test_enrol.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/enrol/agentini.h"
#include "agent/enrol/enrol.h"
#include "agent/enrol/httpsc.h"
#include "collector/enrol/ca.h"
#include "collector/enrol/csr.h"
#include "collector/enrol/enrolstore.h"
#include "collector/store/schema.h"
#include "pkey.h"

#define NOW 1707890400000LL
#define DAY_MS (86400LL * 1000)

static struct db *
new_db(void)
{
	struct db *db = NULL;
	assert_int_equal(db_sqlite_open(":memory:", DB_SQLITE_CREATE, &db), DB_OK);
	assert_int_equal(schema_apply(db, 0), PANTAU_OK);
	return db;
}

static void
test_token_life(void **state)
{
	(void)state;
	struct db *db = new_db();
	char text[ENROL_TOKEN_MAX + 1], other[ENROL_TOKEN_MAX + 1];
	struct enrol_site s, got;
	assert_int_equal(enrol_token_create(db, "32.73", "SMPN 2 Bandung", NOW, NOW + DAY_MS,
	    text, &s), PANTAU_OK);
	assert_string_equal(s.agent, "ag-3273-0001");
	assert_int_equal(strncmp(text, "pe_", 3), 0);
	assert_int_equal(enrol_token_check(db, text, NOW + 1, &got), ENROL_VALID);
	assert_string_equal(got.agent, "ag-3273-0001");
	assert_string_equal(got.region, "32.73");
	assert_string_equal(got.site, "SMPN 2 Bandung");
	/* the next site of the regency gets the next number, another regency its own */
	assert_int_equal(enrol_token_create(db, "32.73", "SMA 1", NOW, NOW + DAY_MS, other, &s),
	    PANTAU_OK);
	assert_string_equal(s.agent, "ag-3273-0002");
	assert_int_equal(enrol_token_create(db, "11.01", "SD 1", NOW, NOW + DAY_MS, other, &s),
	    PANTAU_OK);
	assert_string_equal(s.agent, "ag-1101-0001");
	/* single use */
	assert_int_equal(enrol_token_use(db, got.id, NOW + 2), PANTAU_OK);
	assert_int_equal(enrol_token_check(db, text, NOW + 3, &got), ENROL_USED);
	assert_int_equal(enrol_token_use(db, got.id, NOW + 4), PANTAU_ERR_STATE);
	/* expiry: at the instant it is gone */
	assert_int_equal(enrol_token_check(db, other, NOW + DAY_MS - 1, &got), ENROL_VALID);
	assert_int_equal(enrol_token_check(db, other, NOW + DAY_MS, &got), ENROL_EXPIRED);
	db_close(db);
}

static void
test_token_wrong(void **state)
{
	(void)state;
	struct db *db = new_db();
	char text[ENROL_TOKEN_MAX + 1], t[ENROL_TOKEN_MAX + 8];
	struct enrol_site s;
	assert_int_equal(enrol_token_create(db, "32.73", "X", NOW, NOW + DAY_MS, text, &s),
	    PANTAU_OK);
	/* one hex digit changed: unknown, the secret does not match */
	snprintf(t, sizeof(t), "%s", text);
	t[strlen(t) - 1] = t[strlen(t) - 1] == '0' ? '1' : '0';
	assert_int_equal(enrol_token_check(db, t, NOW, &s), ENROL_UNKNOWN);
	/* another row's id with this secret */
	snprintf(t, sizeof(t), "pe_7%s", text + 4);
	assert_int_equal(enrol_token_check(db, t, NOW, &s), ENROL_UNKNOWN);
	static const char *const bad[] = { "", "pe_", "pt_1_00000000000000000000000000000000",
		"pe_1_0000", "pe_01_00000000000000000000000000000000",
		"pe_1_0000000000000000000000000000000G", "pe_1_000000000000000000000000000000000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (enrol_token_check(db, bad[i], NOW, &s) != ENROL_MALFORMED)
			fail_msg("took \"%s\"", bad[i]);
	/* what a token is made for */
	static const char *const regions[] = { "3273", "32.7", "32.733", "a2.73", "" };
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		assert_int_equal(enrol_token_create(db, regions[i], "X", NOW, NOW + 1, text, &s),
		    PANTAU_ERR_INVAL);
	assert_int_equal(enrol_token_create(db, "32.73", "", NOW, NOW + 1, text, &s),
	    PANTAU_ERR_INVAL);
	assert_int_equal(enrol_token_create(db, "32.73", "a\nb", NOW, NOW + 1, text, &s),
	    PANTAU_ERR_INVAL);
	db_close(db);
}

/* A PEM request for the public key of key, signed by signer, subject CN cn
 * (NULL: none). */
static char *
make_req(EVP_PKEY *key, EVP_PKEY *signer, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	assert_non_null(req);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
		    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_true(X509_REQ_sign(req, signer, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	long n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	return out;
}

static pantau_err
check(const char *pem, const char *agent)
{
	char why[256];
	EVP_PKEY *pub = NULL;
	pantau_err rc = csr_check(pem, strlen(pem), agent, &pub, why, sizeof(why));
	assert_true((rc == PANTAU_OK) == (pub != NULL));
	assert_true(rc == PANTAU_OK || why[0] != '\0');
	EVP_PKEY_free(pub);
	return rc;
}

static void
test_csr_checks(void **state)
{
	(void)state;
	EVP_PKEY *key = pkey_new(), *other = pkey_new();
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(key);
	assert_non_null(weak);
	char *none = make_req(key, key, NULL), *own = make_req(key, key, "ag-3273-0001");
	char *named = make_req(key, key, "ag-3273-0002"), *forged = make_req(key, other, NULL);
	char *small = make_req(weak, weak, NULL);
	assert_int_equal(check(none, "ag-3273-0001"), PANTAU_OK);
	assert_int_equal(check(own, "ag-3273-0001"), PANTAU_OK);
	assert_int_equal(check(named, "ag-3273-0001"), PANTAU_ERR_STATE);
	assert_int_equal(check(forged, "ag-3273-0001"), PANTAU_ERR_INVAL);
	assert_int_equal(check(small, "ag-3273-0001"), PANTAU_ERR_INVAL);
	assert_int_equal(check("-----BEGIN CERTIFICATE REQUEST-----\nxx\n", "a"),
	    PANTAU_ERR_PARSE);
	char *big = calloc(1, CSR_PEM_MAX + 2);
	memset(big, 'A', CSR_PEM_MAX + 1);
	assert_int_equal(check(big, "a"), PANTAU_ERR_PARSE);
	free(big);
	free(none);
	free(own);
	free(named);
	free(forged);
	free(small);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(weak);
}

static void
test_ca(void **state)
{
	(void)state;
	char dir[] = "/tmp/pantau-ca-XXXXXX", why[512], path[600], serial[CA_SERIAL_MAX + 1];
	char *pem = NULL, *again = NULL;
	struct ca *ca = NULL, *foreign = NULL;
	struct stat st;
	int64_t nb, na;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ca_init(dir, NOW, why, sizeof(why)), PANTAU_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, CA_KEY_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ca_init(dir, NOW, why, sizeof(why)), PANTAU_ERR_DUPLICATE);
	assert_int_equal(ca_open(dir, &ca, why, sizeof(why)), PANTAU_OK);
	EVP_PKEY *key = pkey_new();
	assert_int_equal(ca_issue(ca, key, "ag-3273-0001", NOW, 365, &pem, serial, &nb, &na),
	    PANTAU_OK);
	assert_int_equal(nb, NOW / 1000 - 3600);
	assert_int_equal(na, NOW / 1000 + 365 * 86400);
	X509 *x = NULL;
	assert_int_equal(ca_verify(ca, pem, strlen(pem), NOW, &x), PANTAU_OK);
	char cn[80];
	assert_true(pkey_common_name(X509_get_subject_name(x), cn, sizeof(cn)));
	assert_string_equal(cn, "ag-3273-0001");
	assert_int_equal(enrol_cert_when(x, NOW / 1000), 0);
	assert_int_equal(enrol_cert_when(x, NOW / 1000 - 2 * 3600), -1);   /* clock behind */
	assert_int_equal(enrol_cert_when(x, na + 1), 1);
	X509_free(x);
	assert_int_equal(ca_verify(ca, pem, strlen(pem), (na + 1) * 1000, &x), PANTAU_ERR_TIMEOUT);
	/* another CA's certificate */
	char dir2[] = "/tmp/pantau-ca-XXXXXX";
	assert_non_null(mkdtemp(dir2));
	assert_int_equal(ca_init(dir2, NOW, why, sizeof(why)), PANTAU_OK);
	assert_int_equal(ca_open(dir2, &foreign, why, sizeof(why)), PANTAU_OK);
	assert_int_equal(ca_issue(foreign, key, "ag-3273-0001", NOW, 1, &again, serial, &nb, &na),
	    PANTAU_OK);
	assert_int_equal(ca_verify(ca, again, strlen(again), NOW, &x), PANTAU_ERR_INVAL);
	/* the CRL lists what it is given, signed by the CA */
	const char *revoked[] = { serial };
	assert_int_equal(ca_write_crl(ca, revoked, 1, NOW, NULL, why, sizeof(why)), PANTAU_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, CA_CRL_FILE);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	X509_CRL *crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(crl);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	X509 *fx = pkey_cert_parse(again, strlen(again));
	X509_REVOKED *hit = NULL;
	assert_int_equal(X509_CRL_get0_by_serial(crl, &hit, X509_get_serialNumber(fx)), 1);
	X509_free(fx);
	X509_CRL_free(crl);
	free(pem);
	free(again);
	EVP_PKEY_free(key);
	ca_free(ca);
	ca_free(foreign);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, dir2);
	assert_int_equal(system(cmd), 0);
}

static void
test_certs_table(void **state)
{
	(void)state;
	struct db *db = new_db();
	char **list = NULL;
	size_t n = 0;
	int changed = 0;
	assert_int_equal(enrol_cert_add(db, "0a", "ag-1", 1, 2, NOW), PANTAU_OK);
	assert_int_equal(enrol_cert_add(db, "0b", "ag-1", 1, 2, NOW), PANTAU_OK);
	assert_int_equal(enrol_cert_add(db, "0c", "ag-2", 1, 2, NOW), PANTAU_OK);
	assert_false(enrol_cert_refused(db, "0a"));
	assert_true(enrol_cert_refused(db, "ff"));      /* never issued here */
	assert_int_equal(enrol_cert_revoke_agent(db, "ag-1", NOW, &changed), PANTAU_OK);
	assert_int_equal(changed, 2);
	assert_true(enrol_cert_refused(db, "0a"));
	assert_false(enrol_cert_refused(db, "0c"));
	assert_int_equal(enrol_cert_revoked(db, &list, &n), PANTAU_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "0a");
	assert_string_equal(list[1], "0b");
	enrol_serials_free(list, n);
	assert_int_equal(enrol_cert_revoke_agent(db, "ag-1", NOW, &changed), PANTAU_OK);
	assert_int_equal(changed, 0);
	db_close(db);
}

static void
test_agentini(void **state)
{
	(void)state;
	static const char old[] =
	    "; pantau-agent configuration\n"
	    "[agent]\n"
	    "id = ag-3273-0001            ; given by your coordinator\n"
	    "link = fiber\n"
	    "state_dir = /var/lib/pantau-agent   ; boot counter\n"
	    "[broker]\n"
	    "host = mqtt.pantau.example\n"
	    "password = change-me\n"
	    "keepalive = 20\n"
	    "[probe.gw]\n"
	    "type = icmp\n"
	    "host = 203.0.113.1\n";
	const struct agentini_set s = { .id = "ag-3204-0007", .region = "32.04", .site = "SD 1",
		.host = "broker.example", .port = "8883", .cafile = "/x/ca.crt",
		.certfile = "/x/a.crt", .keyfile = "/x/a.key", .collector = "https://c:8443" };
	char *text = agentini_rewrite(old, &s), v[64];
	assert_non_null(text);
	assert_non_null(strstr(text, "; pantau-agent configuration\n[agent]\nid = ag-3204-0007\n"
	    "region = 32.04\nsite = SD 1\nlink = fiber\n"));
	assert_null(strstr(text, "ag-3273-0001"));
	assert_null(strstr(text, "password"));
	assert_non_null(strstr(text, "keepalive = 20\n"));
	assert_non_null(strstr(text, "[broker]\nhost = broker.example\nport = 8883\ntls = true\n"));
	/* a probe's own "host" key is not the broker's */
	assert_non_null(strstr(text, "[probe.gw]\ntype = icmp\nhost = 203.0.113.1\n"));
	assert_non_null(strstr(text, "\n[enrol]\ncollector = https://c:8443\n"));
	assert_true(agentini_get(text, "agent", "state_dir", v, sizeof(v)));
	assert_string_equal(v, "/var/lib/pantau-agent");
	assert_true(agentini_get(text, "broker", "host", v, sizeof(v)));
	assert_string_equal(v, "broker.example");
	assert_false(agentini_get(text, "agent", "user", v, sizeof(v)));
	free(text);
	/* no file before: the three sections */
	text = agentini_rewrite(NULL, &s);
	assert_non_null(strstr(text, "[agent]\nid = ag-3204-0007\n"));
	assert_non_null(strstr(text, "[broker]\n"));
	free(text);
}

static void
test_url(void **state)
{
	(void)state;
	struct httpsc_url u;
	assert_true(httpsc_parse_url("https://pantau.example:8443", &u));
	assert_string_equal(u.host, "pantau.example");
	assert_string_equal(u.port, "8443");
	assert_true(u.tls);
	assert_true(httpsc_parse_url("https://[::1]:9/", &u));
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "9");
	assert_true(httpsc_parse_url("https://c.example", &u));
	assert_string_equal(u.port, "443");
	assert_true(httpsc_parse_url("http://127.0.0.1:8080", &u));
	assert_false(u.tls);
	static const char *const bad[] = { "http://pantau.example:8080", "ftp://x", "https://",
		"https://x:", "https://x:80x", "pantau.example:8443", "https://[::1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (httpsc_parse_url(bad[i], &u))
			fail_msg("took \"%s\"", bad[i]);
}

#include "unit_main.h"
