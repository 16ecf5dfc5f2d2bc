/*
 * The path probe's reading of its sockets' error queues
 * (agent/probes/pathtrace.c, pt_parse_errqueue): whatever control messages
 * and quoted data recvmsg(MSG_ERRQUEUE) could give. Byte 0 picks the
 * protocol (bit 0: ICMP, else UDP), byte 1 is the length of the control
 * part that follows (copied into a buffer aligned as recvmsg's is); the
 * rest is the quoted data. The answer it gives is then checked for sense.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/probes/pathtrace.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union { struct cmsghdr align; uint8_t b[256]; } ctl;
	struct pt_answer a;
	if (size < 2)
		return 0;
	enum pt_proto proto = data[0] & 1 ? PT_ICMP : PT_UDP;
	size_t clen = data[1];
	if (clen > size - 2)
		clen = size - 2;
	memcpy(ctl.b, data + 2, clen);
	size_t n = size - 2 - clen;
	/* a copy of exactly n bytes, so that ASan sees any read past the data */
	uint8_t *q = malloc(n > 0 ? n : 1);
	if (q == NULL)
		return 0;
	memcpy(q, data + 2 + clen, n);
	if (pt_parse_errqueue(ctl.b, clen, q, n, proto, &a)) {
		if (a.kind != PT_TIME_EXCEEDED && a.kind != PT_UNREACHABLE)
			abort();
		if (a.seq < -1 || a.seq > 65535)
			abort();
	}
	free(q);
	return 0;
}
