/* Commands on pantau/v1/cmd/AGENT (common/wire_cmd.c), as the agent reads
 * them. A replay that decodes is encoded again and must decode the same. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_replay r, again;
	struct wire_error err;
	size_t len;
	if (wire_cmd_decode(data, size, &r, &err) != WIRE_ACCEPT) {
		if (err.reason == WIRE_ACCEPT || strlen(err.detail) == 0)
			abort();
		return 0;
	}
	if (r.boot < 0 || r.from_seq < 1 || r.to_seq < r.from_seq ||
	    r.to_seq - r.from_seq >= WIRE_REPLAY_MAX)
		abort();
	char *text = wire_replay_encode(&r, &len);
	if (text == NULL)
		abort();
	if (wire_cmd_decode(text, len, &again, &err) != WIRE_ACCEPT || again.boot != r.boot ||
	    again.from_seq != r.from_seq || again.to_seq != r.to_seq)
		abort();
	free(text);
	return 0;
}
