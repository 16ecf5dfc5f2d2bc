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
cli_opts_error(const char *who, void (*usage)(FILE *to), const struct cmd_opts_error *err)
{
	if (err->missing_value)
		return cli_usage_error(who, usage, "%s needs a value", err->arg);
	return cli_usage_error(who, usage, "unknown option \"%s\"", err->arg);
}
