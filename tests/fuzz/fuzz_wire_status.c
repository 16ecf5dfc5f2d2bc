/* Status messages, birth and last will (common/wire_status.c): the payload
 * of any message on pantau/v1/PP/RRRR/AGENT/status. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_topic t;
	struct wire_error err;
	struct wire_status s;
	if (!wire_topic_parse("pantau/v1/32/3273/ag-3273-0001/status", &t, &err))
		abort();
	enum wire_reason r = wire_status_decode(&t, data, size, &s, &err);
	if (r != WIRE_ACCEPT) {
		if (r != err.reason || s.root != NULL || strlen(err.detail) == 0)
			abort();
		return 0;
	}
	if (s.agent != NULL && strcmp(s.agent, t.agent) != 0)
		abort();
	if (isnan(s.lat) != isnan(s.lon) || (s.link != NULL && !wire_link_valid(s.link)))
		abort();
	wire_status_clear(&s);
	return 0;
}
