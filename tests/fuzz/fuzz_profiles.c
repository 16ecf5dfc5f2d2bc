/* The status profiles file (collector/status/profiles.c): [link.TYPE] and
 * [site.AGENT] overrides. Loaded profiles are looked up for every link
 * type and a few agents, and what they give must pass thresholds_check. */
#include <stdlib.h>

#include "collector/status/profiles.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const agents[] = { "ag-1", "ag-3273-0001", "a", "", NULL };
	struct profiles *p = NULL;
	char why[160];
	pantau_err rc = profiles_load(fuzz_file(data, size), &p, fuzz_devnull());
	if (rc != PANTAU_OK) {
		if (rc != PANTAU_ERR_CONFIG || p != NULL)
			abort();
		return 0;
	}
	for (size_t a = 0; agents[a] != NULL; a++) {
		for (size_t l = 0; wire_link_names[l] != NULL; l++) {
			struct thresholds t;
			double lat, lon;
			profiles_thresholds(p, agents[a], wire_link_names[l], &t);
			if (thresholds_check(&t, why, sizeof(why))[0] != '\0')
				abort();
			const char *link = profiles_site_link(p, agents[a]);
			if (link != NULL && !wire_link_valid(link))
				abort();
			if (profiles_site_coords(p, agents[a], &lat, &lon) &&
			    (lat < -90 || lat > 90 || lon < -180 || lon > 180))
				abort();
		}
	}
	profiles_free(p);
	return 0;
}
