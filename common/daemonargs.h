/*
 * The command line of the daemons: --config FILE, --check, --log-level LEVEL,
 * --config-reference, --version, --help, plus a daemon's own options and
 * subcommands (pantau-agent's --lang, --json, --catalog and "run | check").
 */
#ifndef PANTAU_DAEMONARGS_H
#define PANTAU_DAEMONARGS_H

#include <stdbool.h>
#include <stdio.h>

/* Exit status of a usage error. */
#define DAEMON_EXIT_USAGE 2

/* One option of a daemon's own: the value (NULL when given without one, or
 * not given) lands in daemon_args.extra[index]. */
struct daemon_opt {
	const char *name;                 /* "lang" for --lang */
	bool has_arg;
};

#define DAEMON_EXTRA_MAX 4

/* Loads a daemon's configuration file into cfg, reporting problems on errs;
 * 0 when it loaded. */
typedef int (*daemon_load_fn)(const char *path, void *cfg, FILE *errs);

struct daemon_cli {
	const char *name;                 /* "pantau-collector" */
	/* The usage lines before "NAME --config-reference | --version | --help";
	 * NULL: "usage: NAME --config FILE [--check] [--log-level LEVEL]" (with
	 * [--config FILE] when it is optional). */
	const char *synopsis;
	const char *help;                 /* its own lines of --help, before the shared ones */
	void (*reference)(FILE *to);      /* --config-reference */
	bool config_required;             /* --config FILE must be given */
	const char *const *commands;      /* NULL-terminated, the first the default; or NULL */
	const struct daemon_opt *extra;   /* up to DAEMON_EXTRA_MAX, { NULL } ended; or NULL */
	daemon_load_fn load;              /* for daemon_init */
};

struct daemon_args {
	const char *config;
	const char *log_level;
	const char *command;              /* one of cli->commands, or NULL */
	bool check;
	bool given[DAEMON_EXTRA_MAX];     /* extra option i was given */
	const char *extra[DAEMON_EXTRA_MAX];
};

/* The whole of --help: the synopsis, the daemon's lines, then those every
 * daemon has (--log-level, --config-reference). */
void daemon_usage(const struct daemon_cli *cli, FILE *to);

/* Parse argv into a. Returns -1 to go on, or the exit status after --help,
 * --version, --config-reference or a usage error (said on stderr). */
int daemon_args_parse(int argc, char **argv, const struct daemon_cli *cli,
    struct daemon_args *a);

/* The log level: --log-level when given, else file_level. -1 after saying
 * on stderr which levels there are. */
int daemon_log_level(const struct daemon_cli *cli, const struct daemon_args *a,
    int file_level);

/* Exit status of a configuration that does not load. */
#define DAEMON_EXIT_CONFIG 2

/* The start every daemon shares: parse argv, load the configuration
 * (cli->load into cfg), start the log at --log-level or the file's level
 * (*file_level, a field of cfg), ignore SIGPIPE (a peer gone is an error
 * return, not a signal). Returns -1 to go on, or the exit status. */
int daemon_init(int argc, char **argv, const struct daemon_cli *cli, struct daemon_args *a,
    void *cfg, const int *file_level);

#endif
