/*
 * A usage error of the CLI, said the same way by every command: what was
 * wrong, a blank line, then the command's usage, and exit status 2.
 */
#ifndef PANTAU_CLI_USAGE_H
#define PANTAU_CLI_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

#define EXIT_USAGE 2

/* Print "WHO: " and the message to stderr, then usage(stderr); returns
 * EXIT_USAGE. */
int cli_usage_error(const char *who, void (*usage)(FILE *to), const char *fmt, ...)
    PANTAU_PRINTF(3, 4);

struct cmd_opt;

/* cmd_opts_parse of argv by the n opts, one of which sets *want_help
 * (--help): the index in argv of the first operand; or -1 with *status
 * the command's exit status: EXIT_USAGE after the usage error of an option
 * it refused ("--x needs a value", "unknown option \"--y\""), 0 after
 * usage(stdout) for --help. */
int cli_opts_parse(int argc, char **argv, const struct cmd_opt *opts, size_t n,
    const bool *want_help, const char *who, void (*usage)(FILE *to), int *status);

#endif
