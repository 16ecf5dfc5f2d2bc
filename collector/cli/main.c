/* pantau: the engineers' command line for the collector's API (docs/cli.md). */
#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "format.h"
#include "log.h"
#include "wire.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define DEFAULT_URL "http://127.0.0.1:8080"
/* Bytes of an API path with its query string. */
#define PATH_MAX_LEN 256

struct cli {
	const char *cmd;
	const char *url;
	const char *province;   /* summary */
	const char *agent;      /* site */
	bool json;
};

static void
usage(FILE *to)
{
	fprintf(to,
	    "usage: pantau summary [--province PP] [--json] [--url URL]\n"
	    "       pantau site AGENT [--json] [--url URL]\n"
	    "       pantau help | --help | --version\n"
	    "\n"
	    "  summary          regencies worst first: status, sites reporting, RTT, loss, reason\n"
	    "  site AGENT       one site: status and reason, the latest results in words\n"
	    "  --province PP    only the regencies of province PP (2 digits, e.g. 32)\n"
	    "  --json           print the API's JSON reply unchanged\n"
	    "  --url URL        the collector's API (default: $PANTAU_URL, else %s)\n"
	    "\n"
	    "Exit status: 0 done, 1 the collector could not be reached or refused, 2 usage.\n"
	    "Colour only on a terminal and when NO_COLOR is not set. See docs/cli.md.\n",
	    DEFAULT_URL);
}

static int usage_error(const char *fmt, ...) PANTAU_PRINTF(1, 2);

/* Say what was wrong, then the usage; returns EXIT_USAGE. */
static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("pantau: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}

static bool
two_digits(const char *s)
{
	return strlen(s) == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9';
}

/* Options and operands after the command name; -1 when all is well. */
static int
parse_command(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		{ "province", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool summary = strcmp(c->cmd, "summary") == 0;
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":p:ju:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (!summary)
				return usage_error("--province belongs to \"pantau summary\"");
			c->province = optarg;
			break;
		case 'j': c->json = true; break;
		case 'u': c->url = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':': return usage_error("%s needs a value", argv[optind - 1]);
		default: return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	int want = summary ? 0 : 1;
	if (argc - optind != want)
		return usage_error("%s", summary ? "\"pantau summary\" takes no operand" :
		                                   "\"pantau site\" takes one agent id");
	if (!summary)
		c->agent = argv[optind];
	if (c->province != NULL && !two_digits(c->province))
		return usage_error("--province takes a 2-digit province code such as 32; got \"%s\"",
		    c->province);
	if (c->agent != NULL && !wire_agent_id_valid(c->agent))
		return usage_error("\"%s\" is not an agent id (1-64 characters of A-Z a-z 0-9 - _)",
		    c->agent);
	if (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0)
		return usage_error("the collector's URL must start with http:// or https://; got "
		                   "\"%s\"", c->url);
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

/* GET path; on failure say why on stderr. Returns 0 with r filled. */
static int
fetch(const struct cli *c, const char *path, struct client_reply *r)
{
	char why[CURL_ERROR_SIZE + 128];
	pantau_err rc = client_get(c->url, path, r, why, sizeof(why));
	if (rc == PANTAU_ERR_NET) {
		fprintf(stderr, "pantau: cannot reach the collector at %s: %s. Is pantau-collector "
		    "running? Set --url or PANTAU_URL.\n", c->url, why);
		return EXIT_FAIL;
	}
	if (rc != PANTAU_OK) {
		fprintf(stderr, "pantau: %s answered, but %s; is that a pantau collector? Set --url "
		    "or PANTAU_URL.\n", c->url, why);
		return EXIT_FAIL;
	}
	if (r->status != 200) {
		const char *msg = json_string_value(json_object_get(r->json, "error"));
		if (msg != NULL)
			fprintf(stderr, "pantau: %s\n", msg);
		else
			fprintf(stderr, "pantau: the collector at %s answered HTTP %ld\n", c->url,
			    r->status);
		client_reply_clear(r);
		return EXIT_FAIL;
	}
	return 0;
}

static int
run(const struct cli *c)
{
	char path[PATH_MAX_LEN];
	struct client_reply r;
	struct fmt_opts o;
	bool summary = c->agent == NULL;
	if (summary)
		snprintf(path, sizeof(path), "/api/v1/regions%s%s",
		    c->province != NULL ? "?province=" : "", c->province != NULL ? c->province : "");
	else
		snprintf(path, sizeof(path), "/api/v1/sites/%s", c->agent);
	int rc = fetch(c, path, &r);
	if (rc != 0)
		return rc;
	if (c->json) {
		fwrite(r.body, 1, r.len, stdout);
		if (r.len == 0 || r.body[r.len - 1] != '\n')
			fputc('\n', stdout);
	} else {
		terminal(&o);
		if ((summary ? fmt_summary(stdout, r.json, &o) : fmt_site(stdout, r.json, &o)) !=
		    PANTAU_OK) {
			fprintf(stderr, "pantau: the reply of %s%s is not what pantau expects; is that "
			    "a pantau collector of this version?\n", c->url, path);
			rc = EXIT_FAIL;
		}
	}
	client_reply_clear(&r);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EXIT_FAIL;
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli c = { .url = getenv("PANTAU_URL") };
	if (c.url == NULL || c.url[0] == '\0')
		c.url = DEFAULT_URL;
	if (argc < 2)
		return usage_error("which command? summary or site");
	c.cmd = argv[1];
	if (strcmp(c.cmd, "help") == 0 || strcmp(c.cmd, "--help") == 0 ||
	    strcmp(c.cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(c.cmd, "--version") == 0 || strcmp(c.cmd, "-V") == 0) {
		printf("pantau %s\n", PANTAU_VERSION);
		return 0;
	}
	if (strcmp(c.cmd, "summary") != 0 && strcmp(c.cmd, "site") != 0)
		return usage_error("unknown command \"%s\"; use summary or site", c.cmd);
	int rc = parse_command(argc - 1, argv + 1, &c);
	if (rc >= 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = run(&c);
	curl_global_cleanup();
	return rc;
}
