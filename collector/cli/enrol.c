#include "enrol.h"

#include <errno.h>
#include <openssl/crypto.h>
#include "collector/store/db.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "collector/enrol/ca.h"
#include "collector/enrol/enrolstore.h"
#include "collector/enrol/revoke.h"
#include "collector/store/tokens.h"
#include "enrolsheet.h"
#include "qr.h"
#include "token.h"
#include "cmdopts.h"
#include "usage.h"

#define EXIT_FAIL 1
#define PROG "pantau enrol"
#define CSV_LINE_MAX 512

struct args {
	const char *db, *ca_dir, *region, *site, *expires, *crl, *sheet, *collector;
	bool no_qr;
	int64_t life_ms;
};

void
enrol_usage(FILE *to)
{
	fputs("       pantau enrol new --region 32.73 --site NAME [--expires 72h] [--no-qr] "
	      "[--db FILE]\n"
	      "       pantau enrol bulk SITES.csv [--sheet FILE.html] [--collector URL] "
	      "[--expires 72h] [--db FILE]\n"
	      "       pantau enrol revoke AGENT [--db FILE] [--ca-dir DIR] [--crl FILE]\n"
	      "       pantau enrol list [--db FILE]\n"
	      "       pantau ca init [--dir DIR]\n", to);
}

static void
help(FILE *to)
{
	fputs("usage:\n", to);
	enrol_usage(to);
	fputs("\n"
	      "  new          a one-time token for one site, printed and as a QR code;\n"
	      "               the technician runs pantau-agent enrol TOKEN at the site\n"
	      "  bulk FILE    a token per line of FILE (CSV: region,site; a first line\n"
	      "               \"region,site\" is skipped); prints CSV region,site,agent,\n"
	      "               token,expires\n"
	      "  --sheet F    (bulk) also write a page to print: a card per site with its QR\n"
	      "               code, token and the command to run, in English and Indonesian\n"
	      "  --collector U (bulk) the collector's URL that command names\n"
	      "  revoke AGENT its certificates go on the CRL (and an unused token is void);\n"
	      "               then reload the broker (systemctl reload mosquitto)\n"
	      "  list         every site's token and certificate: agent, region, site, token\n"
	      "               state (waiting, used, expired), certificate expiry or revoked\n"
	      "  --expires D  a token's life: 72h (default), 7d, 30m\n"
	      "  --db FILE    the collector's database (default: $PANTAU_DB, else "
	      TOKEN_DEFAULT_DB ")\n"
	      "  --ca-dir D   the client CA (default: $PANTAU_CA_DIR, else "
	      ENROL_DEFAULT_CA_DIR ")\n"
	      "  --crl FILE   also write the CRL there: the broker's crlfile when it cannot\n"
	      "               read the CA's folder (default: $PANTAU_CRL, else none)\n", to);
}

#define usage_error(...) cli_usage_error(PROG, help, __VA_ARGS__)

/* Options after the verb; *first the index of the first operand. */
static int
parse(int argc, char **argv, struct args *a, int *first)
{
	bool want_help = false;
	const struct cmd_opt opts[] = {
		{ "region", 'r', &a->region, NULL },
		{ "site", 's', &a->site, NULL },
		{ "expires", 'e', &a->expires, NULL },
		{ "db", 'd', &a->db, NULL },
		{ "ca-dir", 'c', &a->ca_dir, NULL },
		{ "dir", 'c', &a->ca_dir, NULL },
		{ "crl", 'x', &a->crl, NULL },
		{ "no-qr", 'q', NULL, &a->no_qr },
		{ "sheet", 'S', &a->sheet, NULL },
		{ "collector", 'C', &a->collector, NULL },
		{ "help", 'h', NULL, &want_help },
	};
	int status, op = cli_opts_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]),
	    &want_help, PROG, help, &status);
	if (op < 0)
		return status;
	a->life_ms = ENROL_TOKEN_LIFE_MS;
	if (a->expires != NULL && !token_duration_parse(a->expires, &a->life_ms))
		return usage_error("--expires takes a number and a unit: 72h, 7d, 30m; got \"%s\"",
		    a->expires);
	*first = op;
	return -1;
}

static void
say_token(const char *text, const struct enrol_site *s, bool qr)
{
	char iso[CLOCK_ISO_LEN];
	clock_format_iso(s->expires_ms, iso);
	printf("%s\n", text);
	if (qr && !qr_print(stdout, text))
		fprintf(stderr, PROG ": the QR code could not be made; the token above works\n");
	fprintf(stderr, PROG ": agent %s, region %s, site \"%s\"; single use, expires %s.\n"
	    "  At the site: sudo pantau-agent enrol TOKEN --collector https://COLLECTOR:8443\n",
	    s->agent, s->region, s->site, iso);
}

static int
do_new(struct db *db, const struct args *a)
{
	char text[ENROL_TOKEN_MAX + 1];
	struct enrol_site s;
	int64_t now = clock_real_ms();
	if (a->region == NULL || a->site == NULL)
		return usage_error("\"enrol new\" needs --region (e.g. 32.73) and --site");
	pantau_err rc = enrol_token_create(db, a->region, a->site, now, now + a->life_ms, text, &s);
	if (rc == PANTAU_ERR_INVAL)
		return usage_error("--region is a regency code such as 32.73, and --site a name of at "
		    "most %d characters without control characters", ENROL_SITE_MAX);
	if (rc != PANTAU_OK) {
		fprintf(stderr, PROG ": the token could not be made: %s\n", db_errmsg(db));
		return EXIT_FAIL;
	}
	say_token(text, &s, !a->no_qr);
	OPENSSL_cleanse(text, sizeof(text));
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* Split "region,site" (site may be quoted, "" inside quotes is one "). */
static bool
split_csv(char *line, char **region, char **site)
{
	line[strcspn(line, "\r\n")] = '\0';
	char *comma = strchr(line, ',');
	if (comma == NULL)
		return false;
	*comma = '\0';
	*region = line;
	char *v = comma + 1;
	if (*v == '"') {
		char *w = v, *r = v + 1;
		for (; *r != '\0'; r++) {
			if (*r == '"' && r[1] == '"')
				*w++ = *r++;
			else if (*r == '"')
				break;
			else
				*w++ = *r;
		}
		if (*r != '"' || r[1] != '\0')
			return false;
		*w = '\0';
	}
	*site = v;
	return true;
}

/* The line of a made token in the CSV out, and on the sheet. */
static bool
put_made(const struct enrol_site *s, const char *text, const char *iso,
    struct enrol_sheet *sheet)
{
	printf("%s,\"", s->region);
	for (const char *c = s->site; *c != '\0'; c++) {   /* " doubled, as CSV has it */
		if (*c == '"')
			putchar('"');
		putchar(*c);
	}
	printf("\",%s,%s,%s\n", s->agent, text, iso);
	return sheet == NULL || enrol_sheet_add(sheet, s->region, s->site, s->agent, text, iso);
}

/* Written before the commit, removed when the commit fails: a sheet never
 * holds a token the database does not. */
static int
finish_bulk(struct db *db, const struct args *a, struct enrol_sheet *sheet, int rc)
{
	if (sheet != NULL && !enrol_sheet_finish(sheet, rc == 0 ? a->sheet : NULL) && rc == 0) {
		fprintf(stderr, PROG ": the sheet %s could not be written (%s); no token was "
		    "made\n", a->sheet, strerror(errno));
		rc = EXIT_FAIL;
	}
	if (db_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK") != DB_OK &&
	    rc == 0) {
		fprintf(stderr, PROG ": the tokens could not be stored: %s\n", db_errmsg(db));
		if (a->sheet != NULL)
			(void)unlink(a->sheet);
		rc = EXIT_FAIL;
	}
	return rc;
}

/* One transaction: a bad line makes no token at all (and no sheet). */
static int
do_bulk(struct db *db, const struct args *a, const char *path)
{
	char line[CSV_LINE_MAX], text[ENROL_TOKEN_MAX + 1], iso[CLOCK_ISO_LEN];
	struct enrol_site s;
	int64_t now = clock_real_ms();
	int rc = 0, lineno = 0, made = 0;
	FILE *in = fopen(path, "re");
	if (in == NULL) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", path, strerror(errno));
		return EXIT_FAIL;
	}
	struct enrol_sheet *sheet = a->sheet != NULL ? enrol_sheet_new(a->collector) : NULL;
	if (a->sheet != NULL && sheet == NULL) {
		fprintf(stderr, PROG ": out of memory for the sheet\n");
		fclose(in);
		return EXIT_FAIL;
	}
	if (db_exec(db, "BEGIN IMMEDIATE") != DB_OK) {
		fprintf(stderr, PROG ": %s\n", db_errmsg(db));
		fclose(in);
		if (sheet != NULL)
			(void)enrol_sheet_finish(sheet, NULL);
		return EXIT_FAIL;
	}
	printf("region,site,agent,token,expires\n");
	while (rc == 0 && fgets(line, sizeof(line), in) != NULL) {
		char *region, *site;
		lineno++;
		if (line[0] == '\n' || line[0] == '\r' || line[0] == '#')
			continue;
		if (!split_csv(line, &region, &site)) {
			fprintf(stderr, PROG ": %s:%d: not \"region,site\" (e.g. 32.73,SMPN 2 Bandung); "
			    "no token was made\n", path, lineno);
			rc = EXIT_FAIL;
		} else if (lineno == 1 && strcmp(region, "region") == 0) {
			continue;
		} else if (enrol_token_create(db, region, site, now, now + a->life_ms, text, &s) !=
		    PANTAU_OK) {
			fprintf(stderr, PROG ": %s:%d: region \"%s\" or site \"%s\" refused (a region "
			    "is like 32.73, a site at most %d characters); no token was made\n", path,
			    lineno, region, site, ENROL_SITE_MAX);
			rc = EXIT_FAIL;
		} else {
			clock_format_iso(s.expires_ms, iso);
			if (!put_made(&s, text, iso, sheet)) {
				fprintf(stderr, PROG ": %s:%d: the sheet's card could not be made; no "
				    "token was made\n", path, lineno);
				rc = EXIT_FAIL;
			}
			made++;
		}
	}
	fclose(in);
	OPENSSL_cleanse(text, sizeof(text));
	rc = finish_bulk(db, a, sheet, rc);
	if (rc == 0)
		fprintf(stderr, PROG ": %d tokens, single use, each expires %s%s%s\n", made,
		    made > 0 ? iso : "-", a->sheet != NULL ? "; the sheet to print is " : "",
		    a->sheet != NULL ? a->sheet : "");
	return rc == 0 && fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
do_revoke(struct db *db, const struct args *a, const char *agent)
{
	char why[700];
	struct enrol_revoked n;
	if (enrol_revoke(db, a->ca_dir, a->crl, agent, clock_real_ms(), &n, why, sizeof(why)) !=
	    PANTAU_OK) {
		fprintf(stderr, PROG ": %s\n", why);
		return EXIT_FAIL;
	}
	fprintf(stderr, PROG ": %d certificate(s) of %s revoked%s; %s/%s%s%s is rewritten: reload "
	    "the broker (systemctl reload mosquitto, or kill -HUP its pid) and it refuses them\n",
	    n.certs, agent, n.tokens > 0 ? ", its unused token void" : "", a->ca_dir, CA_CRL_FILE,
	    a->crl != NULL ? " and " : "", a->crl != NULL ? a->crl : "");
	return 0;
}

/* Times in ms (or NULL) as ISO text, "-" when none. */
static const char *
iso_or(struct db_stmt *st, int col, char buf[CLOCK_ISO_LEN])
{
	if (db_column_type(st, col) == DB_NULL)
		return "-";
	clock_format_iso(db_column_int64(st, col), buf);
	return buf;
}

static int
do_list(struct db *db)
{
	char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];
	struct db_stmt *st = NULL;
	int64_t now = clock_real_ms();
	if (db_prepare(db, "SELECT t.agent, t.region, t.site, t.expires_ms, t.used_ms,"
	        " (SELECT max(not_after_ms) FROM certs c WHERE c.agent = t.agent AND"
	        " c.revoked_ms IS NULL), (SELECT max(revoked_ms) FROM certs c WHERE"
	        " c.agent = t.agent) FROM enrol_tokens t ORDER BY t.agent", &st) !=
	    DB_OK) {
		fprintf(stderr, PROG ": %s\n", db_errmsg(db));
		return EXIT_FAIL;
	}
	printf("%-14s %-6s %-32s %-8s %-24s %s\n", "AGENT", "REGION", "SITE", "TOKEN",
	    "CERTIFICATE UNTIL", "REVOKED");
	while (db_step(st) == DB_ROW) {
		const char *state = db_column_type(st, 4) != DB_NULL ? "used" :
		    db_column_int64(st, 3) <= now ? "expired" : "waiting";
		printf("%-14s %-6s %-32.32s %-8s %-24s %s\n", db_column_text(st, 0),
		    db_column_text(st, 1), db_column_text(st, 2), state,
		    iso_or(st, 5, a), iso_or(st, 6, b));
	}
	db_finalize(st);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static const char *
env_or(const char *given, const char *env, const char *def)
{
	const char *v = given != NULL ? given : getenv(env);
	return v != NULL && v[0] != '\0' ? v : def;
}

int
enrol_main(int argc, char **argv)
{
	struct args a = { 0 };
	int first = 0;
	if (argc < 2)
		return usage_error("which? new, bulk, list or revoke");
	const char *verb = argv[1];
	if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0) {
		help(stdout);
		return 0;
	}
	bool is_new = strcmp(verb, "new") == 0, bulk = strcmp(verb, "bulk") == 0;
	bool list = strcmp(verb, "list") == 0;
	if (!is_new && !bulk && !list && strcmp(verb, "revoke") != 0)
		return usage_error("unknown \"%s\"; use new, bulk, list or revoke", verb);
	int rc = parse(argc - 1, argv + 1, &a, &first);
	if (rc >= 0)
		return rc;
	int operands = argc - 1 - first;
	if (operands != (is_new || list ? 0 : 1))
		return usage_error(is_new || list ? "this command takes no operand" : bulk ?
		    "\"enrol bulk\" takes one CSV file" : "\"enrol revoke\" takes one agent id");
	a.db = env_or(a.db, "PANTAU_DB", TOKEN_DEFAULT_DB);
	a.ca_dir = env_or(a.ca_dir, "PANTAU_CA_DIR", ENROL_DEFAULT_CA_DIR);
	a.crl = env_or(a.crl, "PANTAU_CRL", NULL);
	struct db *db = token_open_db(a.db, PROG, "enrol_tokens");
	if (db == NULL)
		return EXIT_FAIL;
	const char *operand = argv[1 + first];
	rc = is_new ? do_new(db, &a) : bulk ? do_bulk(db, &a, operand) : list ? do_list(db) :
	    do_revoke(db, &a, operand);
	db_close(db);
	return rc;
}

int
enrol_ca_main(int argc, char **argv)
{
	struct args a = { 0 };
	char why[700];
	int first = 0;
	if (argc < 2 || strcmp(argv[1], "init") != 0)
		return usage_error("\"pantau ca\" knows one command: init [--dir DIR]");
	int rc = parse(argc - 1, argv + 1, &a, &first);
	if (rc >= 0)
		return rc;
	a.ca_dir = env_or(a.ca_dir, "PANTAU_CA_DIR", ENROL_DEFAULT_CA_DIR);
	if (ca_init(a.ca_dir, clock_real_ms(), why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau ca: %s\n", why);
		return EXIT_FAIL;
	}
	fprintf(stderr, "pantau ca: the client CA is in %s (%s: keep a copy offline, %s: the "
	    "broker's cafile, %s: its crlfile)\n", a.ca_dir, CA_KEY_FILE, CA_CERT_FILE, CA_CRL_FILE);
	return 0;
}
