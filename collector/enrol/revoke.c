#include "revoke.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "ca.h"
#include "enrolstore.h"
#include "strnum.h"

/* Void the tokens of agent not used yet: *n how many. */
static pantau_err
void_tokens(struct db *db, const char *agent, int64_t now_ms, int *n)
{
	struct db_stmt *st = NULL;
	*n = 0;
	if (db_prepare(db, "UPDATE enrol_tokens SET used_ms = ? WHERE agent = ? AND "
	        "used_ms IS NULL", &st) != DB_OK)
		return PANTAU_ERR_IO;
	db_bind_int64(st, 1, now_ms);
	db_bind_text(st, 2, agent, -1);
	int rc = db_step(st);
	db_finalize(st);
	if (rc != DB_DONE)
		return PANTAU_ERR_IO;
	*n = (int)db_changes(db);
	return PANTAU_OK;
}

/* The CRL of every revoked serial in db. */
static pantau_err
write_crl(struct db *db, const char *ca_dir, const char *copy, int64_t now_ms, char *why,
    size_t len)
{
	struct ca *ca = NULL;
	char **serials = NULL;
	size_t n = 0;
	pantau_err rc = ca_open(ca_dir, &ca, why, len);
	if (rc != PANTAU_OK)
		return rc;
	if ((rc = enrol_cert_revoked(db, &serials, &n)) != PANTAU_OK)
		snprintf(why, len, "the revoked certificates could not be read: %s",
		    db_errmsg(db));
	else
		rc = ca_write_crl(ca, (const char *const *)serials, n, now_ms,
		    copy != NULL && copy[0] != '\0' ? copy : NULL, why, len);
	enrol_serials_free(serials, n);
	ca_free(ca);
	return rc;
}

/* The database's part: certificates on the list, unused tokens void. */
static pantau_err
mark_revoked(struct db *db, const char *agent, int64_t now_ms, struct enrol_revoked *out,
    char *why, size_t len)
{
	if (enrol_cert_revoke_agent(db, agent, now_ms, &out->certs) != PANTAU_OK ||
	    void_tokens(db, agent, now_ms, &out->tokens) != PANTAU_OK) {
		snprintf(why, len, "the database could not be written: %s", db_errmsg(db));
		return PANTAU_ERR_IO;
	}
	if (out->certs == 0 && out->tokens == 0) {
		snprintf(why, len, "agent %s has no certificate to revoke (none issued, or all "
		    "revoked already)", agent);
		return PANTAU_ERR_NOT_FOUND;
	}
	return PANTAU_OK;
}

/* The CRL is written only after the commit: a CRL never lists a serial the
 * database does not, which the next rewrite would silently drop. */
pantau_err
enrol_revoke(struct db *db, const char *ca_dir, const char *copy, const char *agent,
    int64_t now_ms, struct enrol_revoked *out, char *why, size_t len)
{
	*out = (struct enrol_revoked){ 0 };
	if (db_exec(db, "BEGIN IMMEDIATE") != DB_OK) {
		snprintf(why, len, "the database is busy or read-only: %s", db_errmsg(db));
		return PANTAU_ERR_IO;
	}
	pantau_err rc = mark_revoked(db, agent, now_ms, out, why, len);
	if (db_exec(db, rc == PANTAU_OK ? "COMMIT" : "ROLLBACK") !=
	    DB_OK && rc == PANTAU_OK) {
		snprintf(why, len, "the revocation could not be committed: %s", db_errmsg(db));
		return PANTAU_ERR_IO;
	}
	return rc != PANTAU_OK ? rc : write_crl(db, ca_dir, copy, now_ms, why, len);
}

pantau_err
enrol_reload_broker(const char *pidfile, char *why, size_t len)
{
	char text[32] = "";
	long long pid = 0;
	FILE *f = fopen(pidfile, "r");
	if (f == NULL) {
		snprintf(why, len, "%s: %s", pidfile, strerror(errno));
		return PANTAU_ERR_IO;
	}
	bool got = fgets(text, sizeof(text), f) != NULL;
	fclose(f);
	text[strcspn(text, "\r\n")] = '\0';
	if (!got || strnum_int(text, 2, INT32_MAX, &pid) != PANTAU_OK) {
		snprintf(why, len, "%s does not hold a process id", pidfile);
		return PANTAU_ERR_PARSE;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		snprintf(why, len, "the broker (pid %lld from %s) could not be signalled: %s", pid,
		    pidfile, strerror(errno));
		return PANTAU_ERR_IO;
	}
	return PANTAU_OK;
}
