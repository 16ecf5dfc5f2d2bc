#include "agent/probes/dnsreply.h"

#include <stdio.h>

static uint16_t
be16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

bool
dnsreply_parse(const unsigned char *buf, size_t len, struct dnsreply *out)
{
	if (buf == NULL || len < DNSREPLY_HEADER_LEN)
		return false;
	if ((buf[2] & 0x80) == 0)
		return false; /* QR clear: a query, not a reply */
	out->id = be16(buf);
	out->truncated = (buf[2] & 0x02) != 0;
	out->authentic = (buf[3] & 0x20) != 0;
	out->rcode = buf[3] & 0x0f;
	out->answers = be16(buf + 6);
	return true;
}

const char *
dnsreply_rcode_name(int rcode, char *buf, size_t len)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		snprintf(buf, len, "%s", names[rcode]);
	else
		snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

void
dnsreply_query_want_ad(unsigned char *query, size_t len)
{
	if (query != NULL && len >= DNSREPLY_HEADER_LEN)
		query[3] |= 0x20;
}
