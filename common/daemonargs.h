/*
 * The command line of the daemons without subcommands (pantau-collector,
 * pantau-reflector): --config FILE, --check, --log-level LEVEL,
 * --config-reference, --version, --help.
 */
#ifndef PANTAU_DAEMONARGS_H
#define PANTAU_DAEMONARGS_H

#include <stdbool.h>
#include <stdio.h>

/* Exit status of a usage error. */
#define DAEMON_EXIT_USAGE 2

struct daemon_cli {
	const char *name;                 /* "pantau-collector" */
	void (*usage)(FILE *to);
	void (*reference)(FILE *to);      /* --config-reference */
};

struct daemon_args {
	const char *config;
	const char *log_level;
	bool check;
};

/* Parse argv into a. Returns -1 to go on, or the exit status after --help,
 * --version, --config-reference or a usage error (said on stderr). */
int daemon_args_parse(int argc, char **argv, const struct daemon_cli *cli,
    struct daemon_args *a);

/* The log level: --log-level when given, else file_level. -1 after saying
 * on stderr which levels there are. */
int daemon_log_level(const struct daemon_cli *cli, const struct daemon_args *a,
    int file_level);

#endif
