/*
 * DNS replies as the dns probe reads them (agent/probes/dnsreply.c,
 * dnsreply_parse): whatever a resolver, or anyone spoofing one, sends back.
 * The input is the reply; its rcode is also named, and a query buffer of
 * the same bytes gets its AD bit set.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/probes/dnsreply.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsreply r;
	char name[16];
	/* a copy of exactly size bytes, so that ASan sees any read past the reply */
	unsigned char *p = malloc(size > 0 ? size : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	if (dnsreply_parse(p, size, &r)) {
		if (r.rcode < 0 || r.rcode > 15 || r.answers < 0 || r.answers > 65535)
			abort();
		dnsreply_rcode_name(r.rcode, name, sizeof(name));
	}
	dnsreply_query_want_ad(p, size);
	free(p);
	return 0;
}
