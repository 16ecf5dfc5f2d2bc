#include "daemonargs.h"

#include <getopt.h>

#include "log.h"

int
daemon_args_parse(int argc, char **argv, const struct daemon_cli *cli, struct daemon_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "config-reference", no_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "c:nl:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->config = optarg; break;
		case 'n': a->check = true; break;
		case 'l': a->log_level = optarg; break;
		case 'R': cli->reference(stdout); return 0;
		case 'V': printf("%s %s\n", cli->name, PANTAU_VERSION); return 0;
		case 'h': cli->usage(stdout); return 0;
		default: cli->usage(stderr); return DAEMON_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", cli->name, argv[optind]);
		cli->usage(stderr);
		return DAEMON_EXIT_USAGE;
	}
	return -1;
}

int
daemon_log_level(const struct daemon_cli *cli, const struct daemon_args *a, int file_level)
{
	int level = a->log_level != NULL ? log_level_parse(a->log_level) : file_level;
	if (level < 0)
		fprintf(stderr, "%s: --log-level must be error, warn, info or debug\n", cli->name);
	return level;
}
