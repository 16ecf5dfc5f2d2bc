/*
 * What the collector's API reads from request headers and parameters
 * besides the route (collector/api/): Accept-Encoding (gzip_accepted), the
 * dashboard file name after /ui/ (webfiles_name_ok, webfiles_type), the
 * range=, since= and limit= values. Each gets the whole input as one
 * header value (as MHD hands it over: a C string).
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "collector/api/gzip.h"
#include "collector/api/query.h"
#include "collector/api/webfiles.h"
#include "fuzz.h"

/* A name webfiles_name_ok lets through must not leave the folder. */
static void
check_name(const char *name)
{
	if (!webfiles_name_ok(name))
		return;
	size_t n = strlen(name);
	if (n == 0 || n > WEBFILES_NAME_MAX || name[0] == '/' || name[0] == '.' ||
	    strstr(name, "/.") != NULL || strstr(name, "//") != NULL || name[n - 1] == '/')
		abort();
	if (webfiles_type(name) == NULL)
		abort();
}

static void
check_time(const char *s)
{
	int64_t ms, again;
	char iso[CLOCK_ISO_LEN];
	if (clock_parse_iso(s, &ms) != PANTAU_OK)
		return;
	/* what parses formats back to a time that parses to the same ms */
	clock_format_iso(ms, iso);
	if (ms < 0 || clock_parse_iso(iso, &again) != PANTAU_OK || again != ms)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum query_range range;
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	gzip_accepted(s);
	check_name(s);
	if (query_range_parse(s, &range) && strcmp(s, "1h") != 0 && strcmp(s, "24h") != 0 &&
	    strcmp(s, "7d") != 0)
		abort();
	check_time(s);
	free(s);
	return 0;
}
