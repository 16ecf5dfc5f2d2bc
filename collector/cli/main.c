/* pantau: the engineers' command line for the collector's API (docs/cli.md). */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "cmdopts.h"
#include "format.h"
#include "log.h"
#include "resultkind.h"
#include "enrol.h"
#include "token.h"
#include "usage.h"
#include "watch.h"
#include "wire.h"

#define EXIT_FAIL 1
#define DEFAULT_URL "http://127.0.0.1:8080"
/* Bytes of an API path with its query string. */
#define PATH_MAX_LEN 256
#define WHY_MAX 1024
#define WATCH_DEFAULT_INTERVAL_S 5

enum command { CMD_SUMMARY, CMD_REGIONS, CMD_SITE, CMD_ALERTS, CMD_INCIDENTS, CMD_WATCH,
	CMD_KINDS };

static const char *const command_names[] = { "summary", "regions", "site", "alerts",
	"incidents", "watch", "kinds" };
#define NCOMMANDS (sizeof(command_names) / sizeof(command_names[0]))

struct cli {
	enum command cmd;
	struct client_target target;  /* --url, --token, --cacert */
	const char *province;   /* summary, regions */
	const char *agent;      /* site */
	bool at_risk;           /* regions */
	bool json;
	struct watch_opts watch;
};

static void
usage(FILE *to)
{
	fprintf(to,
	    "usage: pantau summary [--province PP] [--json] [--url URL]\n"
	    "       pantau regions [--at-risk] [--province PP] [--json] [--url URL]\n"
	    "       pantau site AGENT [--json] [--url URL]\n"
	    "       pantau alerts [--json] [--url URL]\n"
	    "       pantau incidents [--json] [--url URL]\n"
	    "       pantau watch [--interval S] [--count N] [--json] [--url URL]\n"
	    "       pantau kinds [--json]\n");
	token_usage(to);
	enrol_usage(to);
	fprintf(to,
	    "       pantau help | --help | --version\n"
	    "\n"
	    "  summary          regencies worst first: status, sites reporting, RTT, loss, reason\n"
	    "  regions          the same; with --at-risk only the regencies AT RISK, with since\n"
	    "  site AGENT       one site: status and reason, the last hour's RTT as a sparkline,\n"
	    "                   the latest results in words\n"
	    "  alerts           alerts firing, then the recently resolved ones\n"
	    "  incidents        bad sites grouped behind a shared hop: open ones, then recent\n"
	    "  watch            a national summary redrawn every S seconds (default %d)\n"
	    "  kinds            the probe result kinds this pantau knows: fields, types, bounds,\n"
	    "                   series and what the status engine judges (no collector needed)\n"
	    "  --province PP    only the regencies of province PP (2 digits, e.g. 32)\n"
	    "  --at-risk        regions: only the regencies AT RISK\n"
	    "  --interval S     watch: seconds between refreshes (1 to 3600)\n"
	    "  --count N        watch: stop after N refreshes\n"
	    "  --json           print the API's JSON reply (watch: one JSON line per refresh)\n"
	    "  --url URL        the collector's API (default: $PANTAU_URL, else %s)\n"
	    "  --token T        the API token (default: $PANTAU_TOKEN; prefer it: a command\n"
	    "                   line is seen by every user of the machine)\n"
	    "  --cacert FILE    the CA of an https:// collector (default: $PANTAU_CACERT, else\n"
	    "                   the system's CAs)\n"
	    "  token ...        the API's tokens in the collector's database (pantau token help)\n"
	    "  enrol ...        one-time enrolment tokens, revocations (pantau enrol help)\n"
	    "  ca init          make the client CA (pantau enrol help)\n"
	    "\n"
	    "Exit status: 0 done, 1 the collector could not be reached or refused, 2 usage.\n"
	    "Colour only on a terminal and when NO_COLOR is not set. See docs/cli.md.\n",
	    WATCH_DEFAULT_INTERVAL_S, DEFAULT_URL);
}

/* Say what was wrong, then the usage; returns EXIT_USAGE. */
#define usage_error(...) cli_usage_error("pantau", usage, __VA_ARGS__)

static bool
two_digits(const char *s)
{
	return strlen(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9';
}

/* An option that only some commands take; -1 when c->cmd takes it. */
static int
only_for(const struct cli *c, const char *opt, unsigned commands)
{
	if (commands & (1u << c->cmd))
		return -1;
	return usage_error("%s does not belong to \"pantau %s\"; see the usage", opt,
	    command_names[c->cmd]);
}
#define FOR(cmd) (1u << (cmd))

static int
number_arg(const char *opt, const char *v, long min, long max, long *out)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < min || n > max)
		return usage_error("%s takes a whole number from %ld to %ld; got \"%s\"", opt, min,
		    max, v);
	*out = n;
	return -1;
}

/* A number option of watch: --interval, --count. */
static int
watch_number(const struct cli *c, const char *opt, const char *v, long min, long max, long *out)
{
	int rc = only_for(c, opt, FOR(CMD_WATCH));
	return rc >= 0 ? rc : number_arg(opt, v, min, max, out);
}

/* The options some commands take, checked once all are read. */
static int
check_options(struct cli *c, const char *interval, const char *count)
{
	long n;
	int rc = -1;
	if (c->province != NULL &&
	    (rc = only_for(c, "--province", FOR(CMD_SUMMARY) | FOR(CMD_REGIONS))) >= 0)
		return rc;
	if (c->at_risk && (rc = only_for(c, "--at-risk", FOR(CMD_REGIONS))) >= 0)
		return rc;
	if (interval != NULL) {
		if ((rc = watch_number(c, "--interval", interval, WATCH_INTERVAL_MIN_S,
		         WATCH_INTERVAL_MAX_S, &n)) >= 0)
			return rc;
		c->watch.interval_s = (int)n;
	}
	if (count != NULL) {
		if ((rc = watch_number(c, "--count", count, 1, 1000000, &n)) >= 0)
			return rc;
		c->watch.count = n;
	}
	return -1;
}

/* Options and operands after the command name; -1 when all is well. */
static int
parse_command(int argc, char **argv, struct cli *c)
{
	const char *interval = NULL, *count = NULL;
	bool want_help = false;
	const struct cmd_opt opts[] = {
		{ "province", 'p', &c->province, NULL },
		{ "at-risk", 'r', NULL, &c->at_risk },
		{ "interval", 'i', &interval, NULL },
		{ "count", 'n', &count, NULL },
		{ "json", 'j', NULL, &c->json },
		{ "url", 'u', &c->target.url, NULL },
		{ "token", 't', &c->target.token, NULL },
		{ "cacert", 'c', &c->target.cacert, NULL },
		{ "help", 'h', NULL, &want_help },
	};
	int rc, op = cli_opts_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), &want_help,
	    "pantau", usage, &rc);
	if (op < 0)
		return rc;
	if ((rc = check_options(c, interval, count)) >= 0)
		return rc;
	int want = c->cmd == CMD_SITE ? 1 : 0;
	if (argc - op != want)
		return usage_error("\"pantau %s\" %s", command_names[c->cmd],
		    want ? "takes one agent id" : "takes no operand");
	if (want)
		c->agent = argv[op];
	if (c->province != NULL && !two_digits(c->province))
		return usage_error("--province takes a 2-digit province code such as 32; got \"%s\"",
		    c->province);
	if (c->agent != NULL && !wire_agent_id_valid(c->agent))
		return usage_error("\"%s\" is not an agent id (1-64 characters of A-Z a-z 0-9 - _)",
		    c->agent);
	const char *url = c->target.url;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return usage_error("the collector's URL must start with http:// or https://; got "
		                   "\"%s\"", url);
	return -1;
}

static void
terminal(struct fmt_opts *o)
{
	struct winsize ws;
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	o->now_ms = clock_real_ms();
	o->width = 0;
	o->color = false;
	if (!isatty(STDOUT_FILENO))
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		o->width = ws.ws_col;
	o->color = (no_color == NULL || no_color[0] == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
}

static void
api_path(const struct cli *c, char *path, size_t len)
{
	switch (c->cmd) {
	case CMD_SITE: snprintf(path, len, "/api/v1/sites/%s", c->agent); break;
	case CMD_ALERTS: snprintf(path, len, "/api/v1/alerts"); break;
	case CMD_INCIDENTS: snprintf(path, len, "/api/v1/incidents"); break;
	default:
		snprintf(path, len, "/api/v1/regions%s%s", c->province != NULL ? "?province=" : "",
		    c->province != NULL ? c->province : "");
		break;
	}
}

/* The reply as JSON text; --at-risk keeps only the regencies at risk. */
static void
print_json(const struct cli *c, const struct client_reply *r)
{
	if (c->at_risk) {
		json_t *doc = fmt_at_risk_json(r->json);
		char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
		printf("%s\n", text != NULL ? text : "{}");
		free(text);
		json_decref(doc);
		return;
	}
	fwrite(r->body, 1, r->len, stdout);
	if (r->len == 0 || r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

static pantau_err
print_text(const struct cli *c, const json_t *doc)
{
	struct fmt_opts o;
	terminal(&o);
	switch (c->cmd) {
	case CMD_SITE: return fmt_site(stdout, doc, &o);
	case CMD_ALERTS: return fmt_alerts(stdout, doc, &o);
	case CMD_INCIDENTS: return fmt_incidents(stdout, doc, &o);
	case CMD_REGIONS:
		if (c->at_risk)
			return fmt_at_risk(stdout, doc, &o);
		return fmt_summary(stdout, doc, &o);
	default: return fmt_summary(stdout, doc, &o);
	}
}

static int
run(const struct cli *c)
{
	char path[PATH_MAX_LEN], why[WHY_MAX];
	struct client_reply r;
	api_path(c, path, sizeof(path));
	if (client_fetch(&c->target, path, &r, why, sizeof(why)) != PANTAU_OK) {
		fprintf(stderr, "pantau: %s\n", why);
		return EXIT_FAIL;
	}
	int rc = 0;
	if (c->json) {
		print_json(c, &r);
	} else if (print_text(c, r.json) != PANTAU_OK) {
		fprintf(stderr, "pantau: the reply of %s%s is not what pantau expects; is that "
		    "a pantau collector of this version?\n", c->target.url, path);
		rc = EXIT_FAIL;
	}
	client_reply_clear(&r);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EXIT_FAIL;
	return rc;
}

/* The result kinds' table, read from this program (common/resultkind.h). */
static int
kinds(const struct cli *c)
{
	json_t *doc = rk_describe();
	int rc = EXIT_FAIL;
	if (doc == NULL) {
		fprintf(stderr, "pantau: out of memory\n");
		return rc;
	}
	if (c->json) {
		char *text = json_dumps(doc, JSON_INDENT(1) | JSON_ENSURE_ASCII);
		if (text != NULL) {
			printf("%s\n", text);
			rc = 0;
		}
		free(text);
	} else if (fmt_kinds(stdout, doc) == PANTAU_OK) {
		rc = 0;
	}
	json_decref(doc);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EXIT_FAIL;
	return rc;
}

static bool
command_of(const char *name, enum command *out)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, command_names[i]) == 0) {
			*out = (enum command)i;
			return true;
		}
	return false;
}

int
main(int argc, char **argv)
{
	struct cli c = { .target = { getenv("PANTAU_URL"), getenv("PANTAU_TOKEN"),
		getenv("PANTAU_CACERT") }, .watch = { .interval_s = WATCH_DEFAULT_INTERVAL_S } };
	if (c.target.url == NULL || c.target.url[0] == '\0')
		c.target.url = DEFAULT_URL;
	if (argc < 2)
		return usage_error("which command? summary, regions, site, alerts, incidents, watch, "
		                   "kinds or token");
	if (strcmp(argv[1], "token") == 0)
		return token_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "enrol") == 0)
		return enrol_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "ca") == 0)
		return enrol_ca_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("pantau %s\n", PANTAU_VERSION);
		return 0;
	}
	if (!command_of(argv[1], &c.cmd))
		return usage_error("unknown command \"%s\"; use summary, regions, site, alerts, "
		                   "incidents, watch, kinds or token", argv[1]);
	int rc = parse_command(argc - 1, argv + 1, &c);
	if (rc >= 0)
		return rc;
	if (c.cmd == CMD_KINDS)
		return kinds(&c);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (c.cmd == CMD_WATCH) {
		c.watch.target = c.target;
		c.watch.json = c.json;
		rc = watch_run(&c.watch);
	} else {
		rc = run(&c);
	}
	curl_global_cleanup();
	return rc;
}
