/*
 * The options of a command that only stores them: a table binds each long
 * (and short) option to where its value or its flag goes, so that a
 * command checks what it got afterwards instead of writing a getopt switch.
 * The daemons' shared options are common/daemonargs.c's.
 */
#ifndef PANTAU_CMDOPTS_H
#define PANTAU_CMDOPTS_H

#include <stdbool.h>
#include <stddef.h>

/* --name VALUE (or -c VALUE) into *value, or --name alone setting *flag:
 * exactly one of value and flag is set. */
struct cmd_opt {
	const char *name;
	char c;
	const char **value;
	bool *flag;
};

/* Most options one command has. */
#define CMD_OPTS_MAX 24

/* What was wrong: the argument, and whether it is a known option missing
 * its value (else an unknown option). */
struct cmd_opts_error {
	const char *arg;
	bool missing_value;
};

/* Parses argv[1..] by the n opts. Returns the index in argv of the first
 * operand, or -1 with err filled in. */
int cmd_opts_parse(int argc, char **argv, const struct cmd_opt *opts, size_t n,
    struct cmd_opts_error *err);

#endif
