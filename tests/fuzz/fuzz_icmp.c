/*
 * ICMP echo replies as the agent's shared socket reads them
 * (agent/probes/icmpsock.c, icmpsock_parse_reply): whatever arrives on a raw or
 * ping socket, IPv4 or IPv6. Byte 0 picks the socket (bit 0: IPv6, bit 1:
 * raw) and bit 2 asks the harness to put a right ICMPv4 checksum in, so
 * the fuzzer gets past it; bytes 1-2 are the socket's identifier; the rest
 * is the packet.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/icmpsock.h"
#include "agent/probes/pathtrace.h"
#include "fuzz.h"

/* Set the checksum of the ICMP message at p (n bytes), the agent's own
 * Internet checksum (agent/probes/pathtrace.h). */
static void
fix_checksum(uint8_t *p, size_t n)
{
	if (n < 4)
		return;
	p[2] = p[3] = 0;
	uint16_t sum = pt_checksum(p, n);
	p[2] = (uint8_t)(sum >> 8);
	p[3] = (uint8_t)sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t cookie;
	uint16_t seq;
	if (size < 3)
		return 0;
	int family = data[0] & 1 ? AF_INET6 : AF_INET;
	bool raw = data[0] & 2;
	uint16_t ident = (uint16_t)(data[1] << 8 | data[2]);
	size_t n = size - 3;
	/* a copy of exactly n bytes, so that ASan sees any read past the packet */
	uint8_t *p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data + 3, n);
	if (data[0] & 4 && family == AF_INET) {
		size_t ihl = raw && n > 0 ? (size_t)(p[0] & 0x0f) * 4 : 0;
		if (ihl <= n)
			fix_checksum(p + ihl, n - ihl);
	}
	if (icmpsock_parse_reply(family, raw, ident, p, n, &cookie, &seq)) {
		size_t icmp = raw && family == AF_INET ? (size_t)(p[0] & 0x0f) * 4 : 0;
		if (n < icmp + 8 + ICMPSOCK_MIN_PAYLOAD || seq != (uint16_t)(p[icmp + 6] << 8 | p[icmp + 7]))
			abort();
	}
	free(p);
	return 0;
}
