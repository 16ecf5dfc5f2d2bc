/*
 * Captured frames as the passive probe decodes them
 * (agent/probes/passive_decode.c, pd_decode): byte 0 picks the link type
 * (Ethernet, raw IP, Linux cooked SLL, SLL2), the rest is the frame as
 * libpcap hands it over, cut at any snaplen. A decoded packet must keep
 * its lengths consistent.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/probes/passive_decode.h"
#include "fuzz.h"

static const int links[4] = { PD_LINK_ETHERNET, PD_LINK_RAW, PD_LINK_SLL, PD_LINK_SLL2 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_packet p;
	if (size < 1)
		return 0;
	size_t n = size - 1;
	/* a copy of exactly n bytes, so that ASan sees any read past the frame */
	uint8_t *f = malloc(n > 0 ? n : 1);
	if (f == NULL)
		return 0;
	memcpy(f, data + 1, n);
	if (pd_decode(links[data[0] & 3], f, n, &p) == PD_OK) {
		if ((p.family != 4 && p.family != 6) || (p.proto != 6 && p.proto != 17))
			abort();
		if (p.proto == 6 && p.payload + 20 > p.ip_bytes)
			abort();
		if (p.dns && p.sport != 53 && p.dport != 53)
			abort();
	}
	free(f);
	return 0;
}
