#include "usage.h"

#include <stdarg.h>

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
