/*
 * The header of a DNS reply (RFC 1035 4.1.1, RFC 4035 3.2.3), read by the
 * dns probe itself: c-ares hands over the raw reply (ARES_FLAG_NOCHECKRESP),
 * and the probe reports its rcode, answer count and the TC and AD flags.
 * The reply is outside input: every read is bounds-checked
 * (tests/fuzz/fuzz_dns.c).
 */
#ifndef PANTAU_PROBES_DNSREPLY_H
#define PANTAU_PROBES_DNSREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSREPLY_HEADER_LEN 12

struct dnsreply {
	uint16_t id;
	int rcode;        /* 0-15, the header's RCODE */
	int answers;      /* ANCOUNT */
	bool truncated;   /* TC */
	bool authentic;   /* AD: the resolver validated it with DNSSEC */
};

/* Read len bytes at buf as a reply; false when it is shorter than a
 * header or is not a response (QR clear). */
bool dnsreply_parse(const unsigned char *buf, size_t len, struct dnsreply *out);

/* "NOERROR", "NXDOMAIN", ..., or "RCODE12" into buf. */
const char *dnsreply_rcode_name(int rcode, char *buf, size_t len);

/* Set the AD bit of a query (RFC 6840 5.7: ask for the AD flag). */
void dnsreply_query_want_ad(unsigned char *query, size_t len);

#endif
