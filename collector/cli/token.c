#include "token.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include "collector/store/db.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collector/store/store_url.h"
#include "collector/store/tokens.h"
#include "log.h"
#include "cmdopts.h"
#include "usage.h"

#define EXIT_FAIL 1
/* Longest wait for the collector's write transaction (ms). */
#define TOKEN_BUSY_MS 10000

enum verb { V_NEW, V_LIST, V_REVOKE };

struct args {
	enum verb verb;
	const char *db;
	const char *name;
	const char *role;
	const char *expires;
	int64_t id;
	bool json;
};

void
token_usage(FILE *to)
{
	fputs("       pantau token new --role read|admin [--name N] [--expires 30d] [--db FILE]\n"
	      "       pantau token list [--json] [--db FILE]\n"
	      "       pantau token revoke ID [--db FILE]\n", to);
}

static void
token_help(FILE *to)
{
	fputs("usage: pantau token new --role read|admin [--name N] [--expires 30d] [--db FILE]\n"
	      "       pantau token list [--json] [--db FILE]\n"
	      "       pantau token revoke ID [--db FILE]\n"
	      "\n"
	      "  new              make a token and print it once (only its hash is kept)\n"
	      "  list             every token: id, role, name, made, expiry, revoked\n"
	      "  revoke ID        refuse token ID from now on\n"
	      "  --role R         read: the dashboard, Grafana, Prometheus, engineers;\n"
	      "                   admin: also the routes that change something\n"
	      "  --name N         who or what holds it (at most 64 characters)\n"
	      "  --expires D      it expires after D: 30d, 12h, 45m, 90s (default: never)\n"
	      "  --db FILE        the collector's [collector] database (default: $PANTAU_DB,\n"
	      "                   else " TOKEN_DEFAULT_DB ")\n"
	      "\n"
	      "Run it on the collector's machine as a user who may write the database.\n", to);
}

#define token_usage_error(...) cli_usage_error("pantau token", token_help, __VA_ARGS__)

static int
parse(int argc, char **argv, struct args *a)
{
	if (argc < 2)
		return token_usage_error("which? new, list or revoke");
	if (strcmp(argv[1], "new") == 0)
		a->verb = V_NEW;
	else if (strcmp(argv[1], "list") == 0)
		a->verb = V_LIST;
	else if (strcmp(argv[1], "revoke") == 0)
		a->verb = V_REVOKE;
	else if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		token_help(stdout);
		return 0;
	} else
		return token_usage_error("unknown \"%s\"; use new, list or revoke", argv[1]);
	bool want_help = false;
	const struct cmd_opt opts[] = {
		{ "role", 'r', &a->role, NULL },
		{ "name", 'n', &a->name, NULL },
		{ "expires", 'e', &a->expires, NULL },
		{ "db", 'd', &a->db, NULL },
		{ "json", 'j', NULL, &a->json },
		{ "help", 'h', NULL, &want_help },
	};
	int status, op = cli_opts_parse(argc - 1, argv + 1, opts, sizeof(opts) / sizeof(opts[0]),
	    &want_help, "pantau token", token_help, &status);
	if (op < 0)
		return status;
	int operands = argc - 1 - op;
	if ((a->role != NULL || a->name != NULL || a->expires != NULL) && a->verb != V_NEW)
		return token_usage_error("--role, --name and --expires belong to \"token new\"");
	if (a->json && a->verb != V_LIST)
		return token_usage_error("--json belongs to \"token list\"");
	if (a->verb == V_NEW && a->role == NULL)
		return token_usage_error("\"token new\" needs --role read or --role admin");
	if (operands != (a->verb == V_REVOKE ? 1 : 0))
		return token_usage_error(a->verb == V_REVOKE ? "\"token revoke\" takes one token id "
		    "(pantau token list shows them)" : "this command takes no operand");
	if (a->verb == V_REVOKE) {
		char *end = NULL;
		const char *v = argv[1 + op];
		a->id = strtoll(v, &end, 10);
		if (end == v || *end != '\0' || a->id <= 0)
			return token_usage_error("a token id is a whole number such as 3; got \"%s\"", v);
	}
	return -1;
}

struct db *
token_open_db(const char *path, const char *prog, const char *table)
{
	char sql[96];
	struct db *db = NULL;
	struct db_stmt *st = NULL;
	if (store_url_open(path, false, &db) != DB_OK) {
		fprintf(stderr, "%s: cannot open %s: %s; name the collector's [collector] "
		    "database with --db or PANTAU_DB, as a user who may write it\n", prog, path,
		    db != NULL ? db_errmsg(db) : "out of memory");
		db_close(db);
		return NULL;
	}
	db_busy_timeout(db, TOKEN_BUSY_MS);
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 0", table);
	if (db_prepare(db, sql, &st) != DB_OK) {
		fprintf(stderr, "%s: %s has no %s table (%s): is it a pantau collector's "
		    "database? A collector of this release adds the table when it starts on it\n",
		    prog, path, table, db_errmsg(db));
		db_close(db);
		return NULL;
	}
	db_finalize(st);
	return db;
}

static int
do_new(struct db *db, const struct args *a)
{
	char text[TOKEN_TEXT_MAX + 1], iso[CLOCK_ISO_LEN];
	int64_t id, life = 0;
	struct token_new t = { .name = a->name, .now_ms = clock_real_ms() };
	if (!token_role_parse(a->role, &t.role))
		return token_usage_error("--role is read or admin; got \"%s\"", a->role);
	if (a->expires != NULL && !token_duration_parse(a->expires, &life))
		return token_usage_error("--expires takes a number and a unit: 30d, 12h, 45m or 90s; "
		    "got \"%s\"", a->expires);
	t.expires_ms = life > 0 ? t.now_ms + life : 0;
	pantau_err rc = tokens_create(db, &t, text, &id);
	if (rc == PANTAU_ERR_INVAL)
		return token_usage_error("--name is at most %d characters with no control "
		    "characters", TOKEN_NAME_MAX);
	if (rc != PANTAU_OK) {
		fprintf(stderr, "pantau token: the token could not be made: %s\n",
		    db_errmsg(db));
		return EXIT_FAIL;
	}
	printf("%s\n", text);
	OPENSSL_cleanse(text, sizeof(text));
	if (t.expires_ms > 0)
		clock_format_iso(t.expires_ms, iso);
	fprintf(stderr, "pantau token: token %lld (%s%s%s), %s%s. It is shown only now: give it "
	    "to its holder, who sends it as \"Authorization: Bearer TOKEN\" (pantau --token, "
	    "PANTAU_TOKEN, the dashboard's login)\n", (long long)id, token_role_name(t.role),
	    a->name != NULL && a->name[0] != '\0' ? ", " : "", a->name != NULL ? a->name : "",
	    t.expires_ms > 0 ? "expires " : "never expires", t.expires_ms > 0 ? iso : "");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static const char *
text_or(const json_t *v, const char *none)
{
	const char *s = json_string_value(v);
	return s != NULL ? s : none;
}

static int
do_list(struct db *db, const struct args *a)
{
	json_t *doc, *t;
	size_t i;
	if (tokens_list(db, &doc) != PANTAU_OK) {
		fprintf(stderr, "pantau token: the tokens could not be read: %s\n", db_errmsg(db));
		return EXIT_FAIL;
	}
	if (a->json) {
		json_dumpf(doc, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		printf("%-5s %-6s %-24s %-24s %-24s %s\n", "ID", "ROLE", "NAME", "CREATED", "EXPIRES",
		    "REVOKED");
		json_array_foreach(json_object_get(doc, "tokens"), i, t)
			printf("%-5lld %-6s %-24s %-24s %-24s %s\n",
			    (long long)json_integer_value(json_object_get(t, "id")),
			    text_or(json_object_get(t, "role"), "?"),
			    text_or(json_object_get(t, "name"), ""),
			    text_or(json_object_get(t, "created"), "-"),
			    text_or(json_object_get(t, "expires"), "never"),
			    text_or(json_object_get(t, "revoked"), "-"));
	}
	json_decref(doc);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
do_revoke(struct db *db, const struct args *a)
{
	pantau_err rc = tokens_revoke(db, a->id, clock_real_ms());
	if (rc == PANTAU_OK) {
		fprintf(stderr, "pantau token: token %lld is revoked; the collector refuses it from "
		    "its next request\n", (long long)a->id);
		return 0;
	}
	if (rc == PANTAU_ERR_NOT_FOUND)
		fprintf(stderr, "pantau token: there is no token %lld; pantau token list shows them\n",
		    (long long)a->id);
	else if (rc == PANTAU_ERR_STATE)
		fprintf(stderr, "pantau token: token %lld was revoked already\n", (long long)a->id);
	else
		fprintf(stderr, "pantau token: token %lld could not be revoked: %s\n",
		    (long long)a->id, db_errmsg(db));
	return EXIT_FAIL;
}

int
token_main(int argc, char **argv)
{
	struct args a = { .db = getenv("PANTAU_DB") };
	int rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.db == NULL || a.db[0] == '\0')
		a.db = TOKEN_DEFAULT_DB;
	struct db *db = token_open_db(a.db, "pantau token", "tokens");
	if (db == NULL)
		return EXIT_FAIL;
	switch (a.verb) {
	case V_NEW: rc = do_new(db, &a); break;
	case V_LIST: rc = do_list(db, &a); break;
	case V_REVOKE: rc = do_revoke(db, &a); break;
	}
	db_close(db);
	return rc;
}
