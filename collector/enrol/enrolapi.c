#include "enrolapi.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "clock.h"
#include "collector/api/auth.h"
#include "collector/api/reply.h"
#include "csr.h"
#include "enrolstore.h"
#include "jsontime.h"
#include "log.h"
#include "pkey.h"
#include "revoke.h"
#include "wire.h"

#define ROUTE_ENROL "/api/v1/enrol"
#define ROUTE_RENEW "/api/v1/enrol/renew"
#define ROUTE_TOKENS "/api/v1/enrol/tokens"
#define ROUTE_REVOKE "/api/v1/enrol/revoke"
#define TOKEN_HOURS_MAX (24 * 90)
#define BROKER_CA_MAX (64 * 1024)

struct enrolapi {
	struct ca *ca;
	struct store *store;
	int cert_days;
	char broker_host[256];
	int broker_port;
	char *broker_ca;          /* PEM, or NULL */
	bool auth;                /* the coordinator's routes ask for an admin token */
	char ca_dir[512];
	char broker_crl[512];
	char broker_pidfile[512];
};

struct body {
	size_t len;
	bool too_big;
	char data[ENROLAPI_BODY_MAX + 1];
};

void
enrolapi_free(struct enrolapi *e)
{
	if (e == NULL)
		return;
	ca_free(e->ca);
	free(e->broker_ca);
	free(e);
}

pantau_err
enrolapi_new(const struct enrol_cfg *cfg, struct store *store, bool auth,
    struct enrolapi **out, char *why, size_t len)
{
	*out = NULL;
	if (cfg->ca_dir[0] == '\0')
		return PANTAU_OK;
	struct enrolapi *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(why, len, "out of memory");
		return PANTAU_ERR_NOMEM;
	}
	e->store = store;
	e->auth = auth;
	e->cert_days = cfg->cert_days;
	snprintf(e->ca_dir, sizeof(e->ca_dir), "%s", cfg->ca_dir);
	snprintf(e->broker_crl, sizeof(e->broker_crl), "%s", cfg->broker_crl);
	snprintf(e->broker_pidfile, sizeof(e->broker_pidfile), "%s", cfg->broker_pidfile);
	e->broker_port = cfg->broker_port;
	snprintf(e->broker_host, sizeof(e->broker_host), "%s", cfg->broker_host);
	pantau_err rc = ca_open(cfg->ca_dir, &e->ca, why, len);
	if (rc == PANTAU_ERR_NOT_FOUND) {
		log_info("enrol: making the client CA in %s (back up %s/%s)", cfg->ca_dir,
		    cfg->ca_dir, CA_KEY_FILE);
		if ((rc = ca_init(cfg->ca_dir, clock_real_ms(), why, len)) == PANTAU_OK)
			rc = ca_open(cfg->ca_dir, &e->ca, why, len);
	}
	if (rc == PANTAU_OK && cfg->broker_cafile[0] != '\0' &&
	    (e->broker_ca = pkey_read_file(cfg->broker_cafile, BROKER_CA_MAX, NULL)) == NULL) {
		snprintf(why, len, "[enrol] broker_cafile %s: %s", cfg->broker_cafile,
		    strerror(errno));
		rc = PANTAU_ERR_CONFIG;
	}
	if (rc != PANTAU_OK) {
		enrolapi_free(e);
		return rc;
	}
	log_info("enrol: client CA %s, certificates for %d days", cfg->ca_dir, cfg->cert_days);
	*out = e;
	return PANTAU_OK;
}

bool
enrolapi_route(const char *path)
{
	return strcmp(path, ROUTE_ENROL) == 0 || strcmp(path, ROUTE_RENEW) == 0 ||
	    strcmp(path, ROUTE_TOKENS) == 0 || strcmp(path, ROUTE_REVOKE) == 0;
}

/* The coordinator's routes, behind an admin token. */
static bool
admin_route(const char *path)
{
	return strcmp(path, ROUTE_TOKENS) == 0 || strcmp(path, ROUTE_REVOKE) == 0;
}

void
enrolapi_free_conn(void *con_cls)
{
	free(con_cls);
}

static void
refuse(struct reply *r, unsigned status, const char *reason, const char *sentence)
{
	reply_error(r, status, "%s", sentence);
	if (r->body != NULL)
		json_object_set_new(r->body, "reason", json_string(reason));
}

static const char *
field(json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

/* The store's open transaction committed: what ingest holds is written and
 * what the CLI wrote since (a new token) is seen. Only for a request that
 * got this far, so refused ones cannot force commits. */
static void
commit_store(struct enrolapi *e)
{
	if (store_commit(e->store) != PANTAU_OK)
		log_warnx("enrol: the store's pending rows could not be committed; see above");
}

/* Run op in a transaction of its own, the store's committed first. */
static bool
in_transaction(struct enrolapi *e, bool (*op)(struct db *db, void *arg), void *arg)
{
	struct db *db = store_db(e->store);
	commit_store(e);
	if (db_exec(db, "BEGIN IMMEDIATE") != DB_OK)
		return false;
	bool ok = op(db, arg);
	return db_exec(db, ok ? "COMMIT" : "ROLLBACK") == DB_OK && ok;
}

/* What issue() writes: the token used up (token_id > 0) and the certificate. */
struct grant {
	int64_t token_id, now, nb, na;
	const char *serial, *agent;
	pantau_err used;
};

static bool
record_grant(struct db *db, void *arg)
{
	struct grant *g = arg;
	g->used = g->token_id > 0 ? enrol_token_use(db, g->token_id, g->now) : PANTAU_OK;
	return g->used == PANTAU_OK &&
	    enrol_cert_add(db, g->serial, g->agent, g->nb, g->na, g->now) == PANTAU_OK;
}

/* Issue for pub and agent, remember it with mark (a token to use up, or
 * 0), and reply with the certificate. */
static void
issue(struct enrolapi *e, EVP_PKEY *pub, const struct enrol_site *s, int64_t token_id,
    const char *host, struct reply *r)
{
	char serial[CA_SERIAL_MAX + 1], *pem = NULL;
	struct grant g = { .token_id = token_id, .now = clock_real_ms(), .serial = serial,
		.agent = s->agent, .used = PANTAU_OK };
	if (ca_issue(e->ca, pub, s->agent, g.now, e->cert_days, &pem, serial, &g.nb, &g.na) !=
	    PANTAU_OK) {
		refuse(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "the certificate could not be "
		    "made (out of memory); try again");
		return;
	}
	bool ok = in_transaction(e, record_grant, &g);
	if (g.used == PANTAU_ERR_STATE)
		refuse(r, MHD_HTTP_CONFLICT, "token_used", "this enrolment token was used already");
	else if (!ok)
		refuse(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "the collector's database "
		    "refused the enrolment; try again, and tell the operator if it persists");
	else {
		json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:i,s:s?}}", "agent",
		    s->agent, "region", s->region, "site", s->site, "serial", serial, "cert", pem,
		    "ca", ca_cert_pem(e->ca), "broker", "host", e->broker_host[0] != '\0' ?
		    e->broker_host : host, "port", e->broker_port, "cafile", e->broker_ca);
		if (doc != NULL)
			json_set_time(doc, "not_after", g.na * 1000);
		reply_ok(r, doc);
		log_info("enrol: %s %s (serial %s, until %lld)", token_id > 0 ? "enrolled" :
		    "renewed", s->agent, serial, (long long)g.na);
	}
	free(pem);
}

/* The reply to a token that is not valid. */
static void
refuse_token(struct reply *r, enum enrol_verdict v)
{
	static const struct {
		unsigned http;
		const char *code, *text;
	} why[] = {
		[ENROL_MALFORMED] = { MHD_HTTP_UNAUTHORIZED, "token_malformed",
			"this is not an enrolment token (pe_…); check it for typing errors" },
		[ENROL_UNKNOWN] = { MHD_HTTP_UNAUTHORIZED, "token_unknown",
			"no such enrolment token; check it, or ask the coordinator for a new one" },
		[ENROL_USED] = { MHD_HTTP_CONFLICT, "token_used",
			"this enrolment token was used already; ask the coordinator for a new one" },
		[ENROL_EXPIRED] = { MHD_HTTP_GONE, "token_expired",
			"this enrolment token has expired; ask the coordinator for a new one" },
		[ENROL_DB_ERROR] = { MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			"the collector's database could not be read; try again" },
	};
	refuse(r, why[v].http, why[v].code, why[v].text);
}

static void
do_enrol(struct enrolapi *e, json_t *doc, const char *host, struct reply *r)
{
	char why[256];
	struct enrol_site s;
	const char *token = field(doc, "token"), *csr = field(doc, "csr");
	EVP_PKEY *pub = NULL;
	if (token == NULL || csr == NULL) {
		refuse(r, MHD_HTTP_BAD_REQUEST, "bad_request", "the body is {\"token\":\"pe_…\","
		    "\"csr\":\"PEM\"}");
		return;
	}
	enum enrol_verdict v = enrol_token_check(store_db(e->store), token, clock_real_ms(), &s);
	if (v == ENROL_UNKNOWN) {   /* made by the CLI since the store's transaction began? */
		commit_store(e);
		v = enrol_token_check(store_db(e->store), token, clock_real_ms(), &s);
	}
	if (v != ENROL_VALID) {
		refuse_token(r, v);
		return;
	}
	pantau_err rc = csr_check(csr, strlen(csr), s.agent, &pub, why, sizeof(why));
	if (rc != PANTAU_OK)
		refuse(r, rc == PANTAU_ERR_STATE ? MHD_HTTP_FORBIDDEN : MHD_HTTP_BAD_REQUEST,
		    rc == PANTAU_ERR_STATE ? "csr_other_agent" : "csr_invalid", why);
	else
		issue(e, pub, &s, s.id, host, r);
	EVP_PKEY_free(pub);
}

static void
do_renew(struct enrolapi *e, json_t *doc, const char *host, struct reply *r)
{
	char why[256], serial[CA_SERIAL_MAX + 1];
	struct enrol_site s = { 0 };
	const char *cert = field(doc, "cert"), *csr = field(doc, "csr");
	EVP_PKEY *pub = NULL;
	X509 *x = NULL;
	if (cert == NULL || csr == NULL) {
		refuse(r, MHD_HTTP_BAD_REQUEST, "bad_request", "the body is {\"cert\":\"PEM\","
		    "\"csr\":\"PEM\"}");
		return;
	}
	pantau_err rc = ca_verify(e->ca, cert, strlen(cert), clock_real_ms(), &x);
	if (rc != PANTAU_OK) {
		refuse(r, MHD_HTTP_UNAUTHORIZED, rc == PANTAU_ERR_TIMEOUT ? "cert_expired" :
		    "cert_unknown", rc == PANTAU_ERR_TIMEOUT ? "the certificate has expired: enrol "
		    "again with a new token" : "the certificate is not one of this collector's");
		return;
	}
	if (!ca_serial_hex(x, serial) || enrol_cert_refused(store_db(e->store), serial) ||
	    !pkey_common_name(X509_get_subject_name(x), s.agent, sizeof(s.agent)))
		refuse(r, MHD_HTTP_UNAUTHORIZED, "cert_revoked", "the certificate was revoked: ask "
		    "the coordinator for a new enrolment token");
	else if ((rc = csr_check(csr, strlen(csr), s.agent, &pub, why, sizeof(why))) != PANTAU_OK)
		refuse(r, rc == PANTAU_ERR_STATE ? MHD_HTTP_FORBIDDEN : MHD_HTTP_BAD_REQUEST,
		    rc == PANTAU_ERR_STATE ? "csr_other_agent" : "csr_invalid", why);
	else if (EVP_PKEY_eq(pub, X509_get0_pubkey(x)) != 1)
		refuse(r, MHD_HTTP_FORBIDDEN, "csr_key_mismatch", "a renewal keeps the key: the "
		    "request's key is not the certificate's");
	else
		issue(e, pub, &s, 0, host, r);
	EVP_PKEY_free(pub);
	X509_free(x);
}

struct new_token {
	const char *region, *site;
	int64_t now, expires;
	char text[ENROL_TOKEN_MAX + 1];
	struct enrol_site s;
	pantau_err rc;
};

static bool
make_token(struct db *db, void *arg)
{
	struct new_token *t = arg;
	t->rc = enrol_token_create(db, t->region, t->site, t->now, t->expires, t->text, &t->s);
	return t->rc == PANTAU_OK;
}

/* POST /api/v1/enrol/tokens {"region","site"[,"hours"]}: as pantau enrol new. */
static void
do_new_token(struct enrolapi *e, json_t *doc, struct reply *r)
{
	json_t *h = json_object_get(doc, "hours");
	struct new_token t = { .region = field(doc, "region"), .site = field(doc, "site"),
		.now = clock_real_ms() };
	json_int_t hours = h == NULL ? ENROL_TOKEN_LIFE_MS / 3600000 : json_is_integer(h) ?
	    json_integer_value(h) : 0;
	if (t.region == NULL || t.site == NULL || hours < 1 || hours > TOKEN_HOURS_MAX) {
		char say[160];
		snprintf(say, sizeof(say), "the body is {\"region\":\"32.73\",\"site\":\"SMPN 2 "
		    "Bandung\"} with, if wanted, \"hours\": 1 to %d (%lld)", TOKEN_HOURS_MAX,
		    (long long)(ENROL_TOKEN_LIFE_MS / 3600000));
		refuse(r, MHD_HTTP_BAD_REQUEST, "bad_request", say);
		return;
	}
	t.expires = t.now + (int64_t)hours * 3600000;
	if (!in_transaction(e, make_token, &t)) {
		char say[160];
		snprintf(say, sizeof(say), "region is a regency code such as 32.73, and site a name "
		    "of at most %d characters without control characters", ENROL_SITE_MAX);
		if (t.rc == PANTAU_ERR_INVAL)
			refuse(r, MHD_HTTP_BAD_REQUEST, "bad_request", say);
		else
			refuse(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "the token could not be "
			    "stored; try again");
		return;
	}
	json_t *out = json_pack("{s:s,s:s,s:s,s:s}", "token", t.text, "agent", t.s.agent,
	    "region", t.s.region, "site", t.s.site);
	if (out != NULL)
		json_set_time(out, "expires", t.expires);
	reply_ok(r, out);
	r->status = MHD_HTTP_CREATED;
	OPENSSL_cleanse(t.text, sizeof(t.text));
	log_info("enrol: token made for %s (%s, %s) through the API", t.s.agent, t.s.region,
	    t.s.site);
}

/* POST /api/v1/enrol/revoke {"agent"}: as pantau enrol revoke, then the
 * broker reloads when its pid file is known. */
static void
do_revoke(struct enrolapi *e, json_t *doc, struct reply *r)
{
	char why[700] = "", told[600] = "";
	struct enrol_revoked n;
	const char *agent = field(doc, "agent");
	if (agent == NULL || !wire_agent_id_valid(agent)) {
		refuse(r, MHD_HTTP_BAD_REQUEST, "bad_request", "the body is {\"agent\":"
		    "\"ag-3273-0001\"}");
		return;
	}
	commit_store(e);
	pantau_err rc = enrol_revoke(store_db(e->store), e->ca_dir, e->broker_crl, agent,
	    clock_real_ms(), &n, why, sizeof(why));
	if (rc != PANTAU_OK) {
		refuse(r, rc == PANTAU_ERR_NOT_FOUND ? MHD_HTTP_NOT_FOUND :
		    MHD_HTTP_INTERNAL_SERVER_ERROR, rc == PANTAU_ERR_NOT_FOUND ? "not_found" :
		    "internal", why[0] != '\0' ? why : "the database could not be written");
		return;
	}
	bool reloaded = e->broker_pidfile[0] != '\0' &&
	    enrol_reload_broker(e->broker_pidfile, told, sizeof(told)) == PANTAU_OK;
	if (e->broker_pidfile[0] != '\0' && !reloaded)
		log_warnx("enrol: %s; reload the broker by hand so it refuses %s", told, agent);
	reply_ok(r, json_pack("{s:s,s:i,s:i,s:b,s:s}", "agent", agent, "certificates",
	    n.certs, "tokens", n.tokens, "broker_reloaded", reloaded, "note", reloaded ?
	    "the broker refuses the agent's certificates from now on" : "the CRL is rewritten: "
	    "reload the broker (systemctl reload mosquitto) and it refuses them"));
	log_info("enrol: %s revoked through the API (%d certificate(s))", agent, n.certs);
}

/* The host name the agent used, without the port: the broker's default. */
static void
host_of(struct MHD_Connection *c, char *out, size_t len)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	snprintf(out, len, "%s", h != NULL ? h : "");
	char *colon = out[0] == '[' ? strchr(out, ']') : strrchr(out, ':');
	if (out[0] == '[' && colon != NULL) {
		*colon = '\0';
		memmove(out, out + 1, strlen(out));
	} else if (colon != NULL && strchr(out, ':') == colon)
		*colon = '\0';
}

static void
answer(struct enrolapi *e, struct MHD_Connection *c, const char *path, struct body *b,
    struct reply *r)
{
	char host[256];
	json_error_t err;
	if (b->too_big) {
		refuse(r, MHD_HTTP_CONTENT_TOO_LARGE, "bad_request", "the body is larger than the "
		    "32 KiB an enrolment takes");
		return;
	}
	b->data[b->len] = '\0';
	json_t *doc = json_loadb(b->data, b->len, 0, &err);
	if (!json_is_object(doc)) {
		refuse(r, MHD_HTTP_BAD_REQUEST, "bad_request", "the body is not a JSON object");
		json_decref(doc);
		return;
	}
	host_of(c, host, sizeof(host));
	if (strcmp(path, ROUTE_RENEW) == 0)
		do_renew(e, doc, host, r);
	else if (strcmp(path, ROUTE_TOKENS) == 0)
		do_new_token(e, doc, r);
	else if (strcmp(path, ROUTE_REVOKE) == 0)
		do_revoke(e, doc, r);
	else
		do_enrol(e, doc, host, r);
	json_decref(doc);
}

enum MHD_Result
enrolapi_request(struct enrolapi *e, struct MHD_Connection *c, const char *path,
    const char *method, const char *upload, size_t *upload_size, void **con_cls)
{
	struct reply r = { .status = MHD_HTTP_INTERNAL_SERVER_ERROR, .file = { .fd = -1 },
		.age_ms = -1 };
	struct body *b = *con_cls;
	if (b == NULL) {
		if (e == NULL) {
			reply_error(&r, MHD_HTTP_NOT_FOUND, "enrolment is off on this collector: the "
			    "operator sets [enrol] ca_dir");
			return reply_send(c, &r);
		}
		if (admin_route(path) && e->auth &&
		    !auth_allow(store_db(e->store), c, AUTH_ADMIN, clock_real_ms(), &r))
			return reply_send(c, &r);
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
			reply_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "enrolment takes POST with a JSON "
			    "body (docs/api.md)");
			return reply_send(c, &r);
		}
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (b->len + *upload_size > ENROLAPI_BODY_MAX)
			b->too_big = true;
		else {
			memcpy(b->data + b->len, upload, *upload_size);
			b->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	answer(e, c, path, b, &r);
	return reply_send(c, &r);
}
