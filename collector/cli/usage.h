/*
 * A usage error of the CLI, said the same way by every command: what was
 * wrong, a blank line, then the command's usage, and exit status 2.
 */
#ifndef PANTAU_CLI_USAGE_H
#define PANTAU_CLI_USAGE_H

#include <stdio.h>

#include "log.h"

#define EXIT_USAGE 2

/* Print "WHO: " and the message to stderr, then usage(stderr); returns
 * EXIT_USAGE. */
int cli_usage_error(const char *who, void (*usage)(FILE *to), const char *fmt, ...)
    PANTAU_PRINTF(3, 4);

struct cmd_opts_error;

/* The usage error of an option cmd_opts_parse refused: "--x needs a value"
 * or "unknown option \"--y\"". */
int cli_opts_error(const char *who, void (*usage)(FILE *to), const struct cmd_opts_error *err);

#endif
