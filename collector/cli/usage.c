#include "usage.h"

#include <stdarg.h>

#include "cmdopts.h"

int
cli_usage_error(const char *who, void (*usage)(FILE *to), const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}

int
cli_opts_parse(int argc, char **argv, const struct cmd_opt *opts, size_t n,
    const bool *want_help, const char *who, void (*usage)(FILE *to), int *status)
{
	struct cmd_opts_error err;
	int op = cmd_opts_parse(argc, argv, opts, n, &err);
	if (op < 0)
		*status = cli_usage_error(who, usage, err.missing_value ? "%s needs a value" :
		    "unknown option \"%s\"", err.arg);
	else if (*want_help) {
		usage(stdout);
		*status = 0;
		op = -1;
	}
	return op;
}
