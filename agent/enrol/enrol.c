#include "enrol.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_config.h"
#include "agent/check.h"
#include "agentini.h"
#include "clock.h"
#include "cmdopts.h"
#include "durable.h"
#include "enrol_text.h"
#include "httpsc.h"
#include "pkey.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define PEM_MAX (64 * 1024)
/* Bytes written and removed before anything is sent: a full disk is found
 * while the token is still good. */
#define PREFLIGHT_BYTES 16384

struct opts {
	const char *token, *collector, *cacert, *config, *lang;
	bool if_due;
	enum check_lang l;
	char dir[PATH_MAX], base[NAME_MAX + 1], cacert_abs[PATH_MAX];
	char keydir[PATH_MAX];       /* the key and certificates: the state folder */
};

static void
usage(FILE *to)
{
	fputs("usage: pantau-agent enrol TOKEN --collector https://HOST:PORT [--cacert FILE]\n"
	      "                          [--config FILE] [--lang en|id]\n"
	      "       pantau-agent renew [--if-due] [--config FILE] [--lang en|id]\n"
	      "\n"
	      "  enrol TOKEN      make this box's key, send its certificate request with the\n"
	      "                   one-time TOKEN from your coordinator, and write the\n"
	      "                   certificate and the configuration (default "
	      ENROL_DEFAULT_CONFIG ")\n"
	      "  --collector URL  the collector's API, e.g. https://pantau.example:8443\n"
	      "  --cacert FILE    the CA of the collector's certificate (default: the system's)\n"
	      "  renew            a new certificate for the same key, before this one expires\n"
	      "  --if-due         renew only when fewer than [enrol] renew_days are left\n"
	      "  --lang en|id     language of the messages (default from LANG)\n", to);
}

static void say(const struct opts *o, enum enrol_msg m, ...);

static void
say(const struct opts *o, enum enrol_msg m, ...)
{
	va_list ap;
	va_start(ap, m);
	vfprintf(stderr, enrol_text(m, o->l), ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
parse(int argc, char **argv, struct opts *o, bool renew)
{
	bool want_help = false;
	const struct cmd_opt opts[] = {
		{ "collector", 'c', &o->collector, NULL },
		{ "cacert", 'a', &o->cacert, NULL },
		{ "config", 'f', &o->config, NULL },
		{ "lang", 'l', &o->lang, NULL },
		{ "if-due", 'd', NULL, &o->if_due },
		{ "help", 'h', NULL, &want_help },
	};
	struct cmd_opts_error err;
	o->config = ENROL_DEFAULT_CONFIG;
	int op = cmd_opts_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), &err);
	if (op < 0) {
		fprintf(stderr, "pantau-agent %s: %s \"%s\"\n\n", argv[0], err.missing_value ?
		    "a value is missing after" : "unknown option", err.arg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (want_help) {
		usage(stdout);
		return 0;
	}
	int lang = check_lang_parse(o->lang);
	int want = renew ? 0 : 1;
	if (lang < 0 || argc - op != want || (!renew && o->collector == NULL) ||
	    (!renew && o->if_due)) {
		fprintf(stderr, "pantau-agent %s: %s\n\n", argv[0], lang < 0 ?
		    "--lang must be en or id" : renew ? "renew takes no operand" :
		    "enrol takes the TOKEN and --collector https://HOST:PORT");
		usage(stderr);
		return EXIT_USAGE;
	}
	o->l = (enum check_lang)lang;
	if (o->cacert != NULL && realpath(o->cacert, o->cacert_abs) != NULL)
		o->cacert = o->cacert_abs;
	o->token = renew ? NULL : argv[op];
	char copy[PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", o->config);
	/* absolute paths in the configuration: the service's folder is not ours */
	if (realpath(dirname(copy), o->dir) == NULL)
		snprintf(o->dir, sizeof(o->dir), "%s", dirname(copy));
	snprintf(copy, sizeof(copy), "%s", o->config);
	snprintf(o->base, sizeof(o->base), "%s", basename(copy));
	return -1;
}

int
enrol_cert_when(const X509 *cert, int64_t now_s)
{
	time_t now = (time_t)now_s;
	if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0)
		return -1;
	return X509_cmp_time(X509_get0_notAfter(cert), &now) > 0 ? 0 : 1;
}

/* A PEM certificate request for key with an empty subject: the collector
 * names the agent. */
static char *
make_csr(EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *data = NULL;
	if (req != NULL && b != NULL && X509_REQ_set_version(req, 0) == 1 &&
	    X509_REQ_set_pubkey(req, key) == 1 && X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
	    PEM_write_bio_X509_REQ(b, req) == 1) {
		long n = BIO_get_mem_data(b, &data);
		if (n > 0 && (out = malloc((size_t)n + 1)) != NULL) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	X509_REQ_free(req);
	return out;
}

static const char *
jstr(const json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));
	return v != NULL ? v : "";
}

/* POST doc to path; the 200 reply's JSON, or NULL after saying why. */
static json_t *
post(const struct opts *o, const char *url, const char *cacert, const char *path,
    json_t *doc)
{
	char why[256];
	struct httpsc_url u;
	struct httpsc_reply r;
	json_t *reply = NULL;
	if (!httpsc_parse_url(url, &u)) {
		fprintf(stderr, "pantau-agent: the collector is https://HOST:PORT (http:// only on "
		    "this machine); got \"%s\"\n", url);
		return NULL;
	}
	char *body = json_dumps(doc, JSON_COMPACT);
	pantau_err rc = body != NULL ? httpsc_post(&u, cacert, path, body, &r, why, sizeof(why)) :
	    PANTAU_ERR_NOMEM;
	free(body);
	if (rc == PANTAU_ERR_NOT_FOUND)
		say(o, E_RESOLVE, url, why);
	else if (rc == PANTAU_ERR_UNSUPPORTED)
		say(o, E_TLS, url, why);
	else if (rc != PANTAU_OK)
		say(o, E_CONNECT, url, rc == PANTAU_ERR_NOMEM ? "out of memory" : why);
	if (rc != PANTAU_OK)
		return NULL;
	reply = json_loadb(r.body, r.len, 0, NULL);
	const char *reason = jstr(reply, "reason"), *error = jstr(reply, "error");
	static const struct { const char *reason; enum enrol_msg m; } map[] = {
		{ "token_malformed", E_TOKEN_MALFORMED }, { "token_unknown", E_TOKEN_UNKNOWN },
		{ "token_used", E_TOKEN_USED }, { "token_expired", E_TOKEN_EXPIRED },
		{ "cert_revoked", E_CERT_REVOKED }, { "cert_expired", E_CERT_EXPIRED },
	};
	if (r.status != 200 || !json_is_object(reply)) {
		size_t i = 0;
		while (i < sizeof(map) / sizeof(map[0]) && strcmp(map[i].reason, reason) != 0)
			i++;
		if (i < sizeof(map) / sizeof(map[0]))
			say(o, map[i].m);
		else if (r.status == 404)
			say(o, E_OFF, error[0] != '\0' ? error : "404");
		else
			say(o, E_REFUSED, error[0] != '\0' ? error : r.body);
		json_decref(reply);
		reply = NULL;
	}
	httpsc_reply_free(&r);
	return reply;
}

/* Write dir/name; on failure say so (after the token was used). */
static bool
put_file(const struct opts *o, const char *dir, const char *name, const char *text,
    mode_t mode)
{
	struct stat st;
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (durable_write_mode(dir, name, text, strlen(text), mode) == PANTAU_OK) {
		/* the state folder's owner is the user the agent runs as (privdrop.h) */
		if (dir == o->keydir && stat(dir, &st) == 0 && chown(path, st.st_uid, st.st_gid) != 0)
			fprintf(stderr, "pantau-agent: %s stays with its maker (%s); the agent may not "
			    "read it: chown it to the owner of %s\n", path, strerror(errno), dir);
		return true;
	}
	say(o, E_WRITE, path, strerror(errno));
	return false;
}

static void
drop(const char *dir, const char *name)
{
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	(void)unlink(path);
}

/* Before anything is sent: both folders take files (full disk, rights). */
static bool
preflight(const struct opts *o)
{
	static const char name[] = ".pantau-enrol-check";
	const char *dirs[] = { o->keydir, o->dir };
	char *zeros = calloc(1, PREFLIGHT_BYTES);
	bool ok = zeros != NULL;
	int err = ENOMEM;
	size_t i;
	if (mkdir(o->keydir, 0700) != 0 && errno != EEXIST)
		ok = false;
	for (i = 0; ok && i < 2; i++) {
		ok = durable_write_mode(dirs[i], name, zeros, PREFLIGHT_BYTES, 0600) == PANTAU_OK;
		err = errno;
		drop(dirs[i], name);
	}
	free(zeros);
	if (!ok)
		say(o, err == ENOSPC || err == EDQUOT ? E_DISK_FULL : E_NOWRITE,
		    dirs[i > 0 ? i - 1 : 0], strerror(err));
	return ok;
}

static const char *
time_text(const ASN1_TIME *t, char iso[CLOCK_ISO_LEN])
{
	clock_format_iso(pkey_time(t) * 1000, iso);
	return iso;
}

/* Save what the collector answered; the configuration last. */
static int
save(const struct opts *o, EVP_PKEY *key, json_t *reply, const char *old)
{
	char keyname[NAME_MAX], crtname[NAME_MAX], caname[NAME_MAX], port[8], cn[80];
	char kpath[PATH_MAX + NAME_MAX + 2], cpath[sizeof(kpath)], capath[sizeof(kpath)];
	char iso[CLOCK_ISO_LEN], now_iso[CLOCK_ISO_LEN];
	const char *agent = jstr(reply, "agent"), *cert = jstr(reply, "cert");
	json_t *broker = json_object_get(reply, "broker");
	const char *broker_ca = json_string_value(json_object_get(broker, "cafile"));
	X509 *x = pkey_cert_parse(cert, strlen(cert));
	if (x == NULL || !pkey_common_name(X509_get_subject_name(x), cn, sizeof(cn)) ||
	    strcmp(cn, agent) != 0 || X509_check_private_key(x, key) != 1 ||
	    strspn(agent, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(agent)) {
		say(o, E_REFUSED, "the collector's certificate is not for this box's key");
		X509_free(x);
		return EXIT_FAIL;
	}
	size_t klen = 0;
	char *kpem = pkey_private_pem(key, &klen);
	snprintf(keyname, sizeof(keyname), "%s.key", agent);
	snprintf(crtname, sizeof(crtname), "%s.crt", agent);
	snprintf(caname, sizeof(caname), "%s-broker-ca.crt", agent);
	snprintf(kpath, sizeof(kpath), "%s/%s", o->keydir, keyname);
	snprintf(cpath, sizeof(cpath), "%s/%s", o->keydir, crtname);
	snprintf(capath, sizeof(capath), "%s/%s", o->keydir, caname);
	snprintf(port, sizeof(port), "%lld",
	    (long long)json_integer_value(json_object_get(broker, "port")));
	struct agentini_set s = { .id = agent, .region = jstr(reply, "region"),
		.site = jstr(reply, "site"), .host = jstr(broker, "host"), .port = port,
		.cafile = broker_ca != NULL ? capath : "", .certfile = cpath, .keyfile = kpath,
		.collector = o->collector, .cacert = o->cacert };
	char *text = agentini_rewrite(old, &s);
	bool ok = kpem != NULL && text != NULL && put_file(o, o->keydir, keyname, kpem, 0600) &&
	    put_file(o, o->keydir, crtname, cert, 0644) &&
	    (broker_ca == NULL || put_file(o, o->keydir, caname, broker_ca, 0644)) &&
	    put_file(o, o->dir, o->base, text, 0644);
	if (kpem != NULL)
		OPENSSL_cleanse(kpem, klen);
	free(kpem);
	free(text);
	int rc = EXIT_FAIL;
	if (!ok) {
		drop(o->keydir, keyname);
		drop(o->keydir, crtname);
		drop(o->keydir, caname);
	} else if (enrol_cert_when(x, clock_real_ms() / 1000) < 0) {
		clock_format_iso(clock_real_ms(), now_iso);
		say(o, E_CLOCK, now_iso, time_text(X509_get0_notBefore(x), iso));
	} else {
		say(o, E_ENROLLED, agent, s.site, s.region, time_text(X509_get0_notAfter(x), iso));
		say(o, E_NEXT, o->config);
		rc = 0;
	}
	X509_free(x);
	return rc;
}

static bool
token_shape(const char *t)
{
	size_t d = strncmp(t, "pe_", 3) == 0 ? strspn(t + 3, "0123456789") : 0;
	return d > 0 && t[3 + d] == '_' && strlen(t + 4 + d) == 32 &&
	    strspn(t + 4 + d, "0123456789abcdef") == 32;
}

int
enrol_main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc = parse(argc, argv, &o, false);
	if (rc >= 0)
		return rc;
	if (!token_shape(o.token)) {
		say(&o, E_TOKEN_MALFORMED);
		return EXIT_FAIL;
	}
	char *old = pkey_read_file(o.config, PEM_MAX, NULL);
	if (old == NULL && errno != ENOENT) {
		say(&o, E_READ, o.config, strerror(errno));
		return EXIT_FAIL;
	}
	if (!agentini_get(old, "agent", "state_dir", o.keydir, sizeof(o.keydir)) ||
	    o.keydir[0] == '\0')
		snprintf(o.keydir, sizeof(o.keydir), "%s", ENROL_DEFAULT_STATE_DIR);
	rc = EXIT_FAIL;
	EVP_PKEY *key = NULL;
	char *csr = NULL;
	json_t *doc = NULL, *reply = NULL;
	if (!preflight(&o))
		goto out;
	if ((key = pkey_new()) == NULL || (csr = make_csr(key)) == NULL) {
		say(&o, E_KEY);
		goto out;
	}
	doc = json_pack("{s:s,s:s}", "token", o.token, "csr", csr);
	if (doc != NULL && (reply = post(&o, o.collector, o.cacert, "/api/v1/enrol", doc)) != NULL)
		rc = save(&o, key, reply, old);
out:
	json_decref(doc);
	json_decref(reply);
	free(csr);
	free(old);
	EVP_PKEY_free(key);
	return rc;
}

/* Read a PEM file of the configuration's. */
static char *
read_pem(const struct opts *o, const char *path, size_t *len)
{
	char *t = pkey_read_file(path, PEM_MAX, len);
	if (t == NULL)
		say(o, E_READ, path, strerror(errno));
	return t;
}

int
renew_main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct agent_config cfg;
	char iso[CLOCK_ISO_LEN], cdir[PATH_MAX], cbase[NAME_MAX + 1];
	size_t klen = 0, clen = 0;
	int rc = parse(argc, argv, &o, true);
	if (rc >= 0)
		return rc;
	if (agent_config_load(o.config, &cfg, stderr) != PANTAU_OK) {
		agent_config_clear(&cfg);
		return EXIT_USAGE;
	}
	rc = EXIT_FAIL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	char *kpem = NULL, *cpem = NULL, *csr = NULL;
	json_t *doc = NULL, *reply = NULL;
	if (cfg.enrol.collector[0] == '\0' || cfg.broker.certfile[0] == '\0') {
		say(&o, E_NOT_ENROLLED, o.config);
		goto out;
	}
	if ((kpem = read_pem(&o, cfg.broker.keyfile, &klen)) == NULL ||
	    (cpem = read_pem(&o, cfg.broker.certfile, &clen)) == NULL)
		goto out;
	key = pkey_private_parse(kpem, klen);
	x = pkey_cert_parse(cpem, clen);
	if (key == NULL || x == NULL) {
		say(&o, E_READ, cfg.broker.certfile, "not a PEM key and certificate");
		goto out;
	}
	int64_t left = pkey_time(X509_get0_notAfter(x)) - clock_real_ms() / 1000;
	if (o.if_due && left > (int64_t)cfg.enrol.renew_days * 86400) {
		say(&o, E_NOT_DUE, cfg.id, time_text(X509_get0_notAfter(x), iso));
		rc = 0;
		goto out;
	}
	if ((csr = make_csr(key)) == NULL) {
		say(&o, E_KEY);
		goto out;
	}
	o.collector = cfg.enrol.collector;
	doc = json_pack("{s:s,s:s}", "cert", cpem, "csr", csr);
	if (doc == NULL || (reply = post(&o, cfg.enrol.collector, cfg.enrol.cacert,
	    "/api/v1/enrol/renew", doc)) == NULL)
		goto out;
	const char *cert = jstr(reply, "cert");
	X509 *nx = pkey_cert_parse(cert, strlen(cert));
	snprintf(cdir, sizeof(cdir), "%s", cfg.broker.certfile);
	snprintf(o.keydir, sizeof(o.keydir), "%s", dirname(cdir));
	snprintf(cdir, sizeof(cdir), "%s", cfg.broker.certfile);
	snprintf(cbase, sizeof(cbase), "%s", basename(cdir));
	if (nx == NULL || X509_check_private_key(nx, key) != 1)
		say(&o, E_REFUSED, "the collector's certificate is not for this box's key");
	else if (put_file(&o, o.keydir, cbase, cert, 0644)) {
		say(&o, E_RENEWED, cfg.id, time_text(X509_get0_notAfter(nx), iso));
		rc = 0;
	}
	X509_free(nx);
out:
	if (kpem != NULL)
		OPENSSL_cleanse(kpem, klen);
	free(kpem);
	free(cpem);
	free(csr);
	json_decref(doc);
	json_decref(reply);
	X509_free(x);
	EVP_PKEY_free(key);
	agent_config_clear(&cfg);
	return rc;
}
