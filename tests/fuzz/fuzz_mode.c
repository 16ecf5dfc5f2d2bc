/* The collector's mode message on pantau/v1/mode (agent/mode.c), as an
 * agent reads it, for an agent in each of the three time zones. */
#include <stdlib.h>

#include "agent/mode.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const regions[] = { "32.73", "51.71", "94.71", "9" };
	char why[256];
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		struct agent_mode m;
		why[0] = '\0';
		pantau_err rc = agent_mode_parse(data, size, regions[i], &m, why, sizeof(why));
		if (rc != PANTAU_OK && (rc != PANTAU_ERR_PARSE || why[0] == '\0'))
			abort();
		if (!m.counting && m.until_ms != -1)
			abort();
	}
	return 0;
}
