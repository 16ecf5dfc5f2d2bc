#include "daemonargs.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "log.h"

enum { OPT_EXTRA = 256 };   /* getopt value of extra option i: OPT_EXTRA + i */

static const struct option base_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "config-reference", no_argument, NULL, 'R' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
};

#define NBASE (sizeof(base_opts) / sizeof(base_opts[0]))

/* base_opts, then the daemon's own, then the terminator. */
static void
build_opts(const struct daemon_cli *cli, struct option *out)
{
	size_t n = 0;
	for (; n < NBASE; n++)
		out[n] = base_opts[n];
	for (size_t i = 0; cli->extra != NULL && cli->extra[i].name != NULL &&
	     i < DAEMON_EXTRA_MAX; i++)
		out[n++] = (struct option){ cli->extra[i].name,
			cli->extra[i].has_arg ? required_argument : no_argument, NULL,
			OPT_EXTRA + (int)i };
	out[n] = (struct option){ NULL, 0, NULL, 0 };
}

static int
usage_error(const struct daemon_cli *cli, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s%s\n", cli->name, what, arg != NULL ? " \"" : "",
	    arg != NULL ? arg : "", arg != NULL ? "\"" : "");
	daemon_usage(cli, stderr);
	return DAEMON_EXIT_USAGE;
}

static bool
is_command(const struct daemon_cli *cli, const char *word)
{
	for (size_t i = 0; cli->commands[i] != NULL; i++)
		if (strcmp(cli->commands[i], word) == 0)
			return true;
	return false;
}

/* The operands after the options: a subcommand where the daemon has them. */
static int
operands(int argc, char **argv, const struct daemon_cli *cli, struct daemon_args *a)
{
	if (cli->commands != NULL) {
		a->command = optind < argc ? argv[optind++] : cli->commands[0];
		if (!is_command(cli, a->command))
			return usage_error(cli, "unexpected argument", a->command);
	}
	if (optind < argc)
		return usage_error(cli, "unexpected argument", argv[optind]);
	if (cli->config_required && a->config == NULL)
		return usage_error(cli, "--config FILE is required", NULL);
	return -1;
}

int
daemon_args_parse(int argc, char **argv, const struct daemon_cli *cli, struct daemon_args *a)
{
	struct option opts[NBASE + DAEMON_EXTRA_MAX + 1];
	int ch;
	build_opts(cli, opts);
	while ((ch = getopt_long(argc, argv, "c:nl:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->config = optarg; break;
		case 'n': a->check = true; break;
		case 'l': a->log_level = optarg; break;
		case 'R': cli->reference(stdout); return 0;
		case 'V': printf("%s %s\n", cli->name, PANTAU_VERSION); return 0;
		case 'h': daemon_usage(cli, stdout); return 0;
		default:
			if (ch < OPT_EXTRA || ch >= OPT_EXTRA + DAEMON_EXTRA_MAX) {
				daemon_usage(cli, stderr);
				return DAEMON_EXIT_USAGE;
			}
			a->given[ch - OPT_EXTRA] = true;
			a->extra[ch - OPT_EXTRA] = optarg;
		}
	}
	return operands(argc, argv, cli, a);
}

void
daemon_usage(const struct daemon_cli *cli, FILE *to)
{
	if (cli->synopsis != NULL)
		fputs(cli->synopsis, to);
	else
		fprintf(to, "usage: %s %s [--check] [--log-level LEVEL]\n", cli->name,
		    cli->config_required ? "--config FILE" : "[--config FILE]");
	fprintf(to, "       %s --config-reference | --version | --help\n\n%s", cli->name,
	    cli->help != NULL ? cli->help : "");
	fputs("  --log-level LEVEL   error, warn, info or debug (overrides the file)\n"
	      "  --config-reference  print every configuration key with its default\n", to);
}

int
daemon_log_level(const struct daemon_cli *cli, const struct daemon_args *a, int file_level)
{
	int level = a->log_level != NULL ? log_level_parse(a->log_level) : file_level;
	if (level < 0)
		fprintf(stderr, "%s: --log-level must be error, warn, info or debug\n", cli->name);
	return level;
}

int
daemon_init(int argc, char **argv, const struct daemon_cli *cli, struct daemon_args *a,
    void *cfg, const int *file_level)
{
	int rc = daemon_args_parse(argc, argv, cli, a);
	if (rc >= 0)
		return rc;
	if (cli->load(a->config, cfg, stderr) != 0)
		return DAEMON_EXIT_CONFIG;
	int level = daemon_log_level(cli, a, *file_level);
	if (level < 0)
		return DAEMON_EXIT_USAGE;
	log_init(cli->name, (enum log_level)level, false);
	signal(SIGPIPE, SIG_IGN);
	return -1;
}
