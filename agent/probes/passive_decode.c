#include "agent/probes/passive_decode.h"

#include <string.h>

#include "byteorder.h"

#define ETH_HDR 14
#define SLL_HDR 16
#define SLL2_HDR 20
#define VLAN_HDR 4
#define MAX_VLAN 4
#define IP4_MIN 20
#define IP6_HDR 40
#define MAX_IP6_EXT 8
#define TCP_MIN 20
#define UDP_HDR 8
#define DNS_HEAD 4
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_TS 8
#define TCPOPT_TS_LEN 10

enum {
	ETHERTYPE_IP4 = 0x0800,
	ETHERTYPE_IP6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
};

/* A bounded view of the captured bytes. */
struct cur {
	const uint8_t *p;
	size_t n;
};

static bool
skip(struct cur *c, size_t k)
{
	if (c->n < k)
		return false;
	c->p += k;
	c->n -= k;
	return true;
}

/* The 16-bit type at offset at of a header of hdr bytes; the cursor past the
 * header. 0 when too short. */
static uint16_t
next_type(struct cur *c, size_t hdr, size_t at)
{
	if (c->n < hdr)
		return 0;
	uint16_t type = be_get16(c->p + at);
	(void)skip(c, hdr);
	return type;
}

/* The ethertype (or SLL protocol) after the link header; the cursor at the
 * network header. 0 when too short. */
static uint16_t
link_layer(int link, struct cur *c)
{
	uint16_t type;
	switch (link) {
	case PD_LINK_ETHERNET:
		type = next_type(c, ETH_HDR, 12);
		break;
	case PD_LINK_SLL:
		type = next_type(c, SLL_HDR, 14);
		break;
	case PD_LINK_SLL2:
		type = next_type(c, SLL2_HDR, 0);
		break;
	case PD_LINK_RAW:
		if (c->n < 1)
			return 0;
		return (c->p[0] >> 4) == 6 ? ETHERTYPE_IP6 : ETHERTYPE_IP4;
	default:
		return 0;
	}
	for (int i = 0; i < MAX_VLAN && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ); i++)
		type = next_type(c, VLAN_HDR, 2);
	return type;
}

/* IPv4: the cursor at the transport header, *left the bytes the header says
 * follow it. */
static enum pd_result
ipv4(struct cur *c, struct pd_packet *o, size_t *left)
{
	if (c->n < IP4_MIN || (c->p[0] >> 4) != 4)
		return PD_BAD;
	size_t ihl = (size_t)(c->p[0] & 0x0f) * 4;
	size_t total = be_get16(c->p + 2);
	if (ihl < IP4_MIN || c->n < ihl || total < ihl)
		return PD_BAD;
	o->family = 4;
	o->proto = c->p[9];
	o->ip_bytes = (uint32_t)total;
	memcpy(o->src, c->p + 12, 4);
	memcpy(o->dst, c->p + 16, 4);
	if ((be_get16(c->p + 6) & 0x1fff) != 0)
		return PD_SKIP; /* a later fragment: no transport header */
	*left = total - ihl;
	(void)skip(c, ihl);
	return PD_OK;
}

static bool
ip6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 44;
}

static enum pd_result
ipv6(struct cur *c, struct pd_packet *o, size_t *left)
{
	if (c->n < IP6_HDR || (c->p[0] >> 4) != 6)
		return PD_BAD;
	size_t plen = be_get16(c->p + 4);
	uint8_t nh = c->p[6];
	o->family = 6;
	o->ip_bytes = (uint32_t)(plen + IP6_HDR);
	memcpy(o->src, c->p + 8, 16);
	memcpy(o->dst, c->p + 24, 16);
	(void)skip(c, IP6_HDR);
	for (int i = 0; i < MAX_IP6_EXT && ip6_ext(nh); i++) {
		if (c->n < 8)
			return PD_BAD;
		size_t len = nh == 44 ? 8 : ((size_t)c->p[1] + 1) * 8;
		if (nh == 44 && (be_get16(c->p + 2) & 0xfff8) != 0)
			return PD_SKIP; /* a later fragment */
		if (len > plen || !skip(c, len))
			return PD_BAD;
		plen -= len;
		nh = c->p[-(ptrdiff_t)len];
	}
	if (ip6_ext(nh))
		return PD_BAD; /* more extension headers than any real packet has */
	o->proto = nh;
	*left = plen;
	return PD_OK;
}

static void
tcp_options(const uint8_t *p, size_t n, struct pd_packet *o)
{
	size_t i = 0;
	while (i < n) {
		uint8_t kind = p[i];
		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || p[i + 1] < 2 || p[i + 1] > n - i)
			return; /* a broken option ends the list, as in the kernel */
		if (kind == TCPOPT_TS && p[i + 1] == TCPOPT_TS_LEN) {
			o->has_ts = true;
			o->tsval = be_get32(p + i + 2);
			o->tsecr = be_get32(p + i + 6);
		}
		i += p[i + 1];
	}
}

static enum pd_result
tcp(struct cur *c, size_t left, struct pd_packet *o)
{
	if (c->n < TCP_MIN || left < TCP_MIN)
		return PD_BAD;
	size_t doff = (size_t)(c->p[12] >> 4) * 4;
	if (doff < TCP_MIN || doff > left || doff > c->n)
		return PD_BAD;
	o->sport = be_get16(c->p);
	o->dport = be_get16(c->p + 2);
	o->seq = be_get32(c->p + 4);
	o->ack = be_get32(c->p + 8);
	o->flags = c->p[13];
	o->payload = (uint32_t)(left - doff);
	tcp_options(c->p + TCP_MIN, doff - TCP_MIN, o);
	return PD_OK;
}

static enum pd_result
udp(struct cur *c, size_t left, struct pd_packet *o)
{
	if (c->n < UDP_HDR || left < UDP_HDR)
		return PD_BAD;
	o->sport = be_get16(c->p);
	o->dport = be_get16(c->p + 2);
	size_t ulen = be_get16(c->p + 4);
	if (ulen < UDP_HDR || ulen > left)
		return PD_BAD;
	if (o->sport != 53 && o->dport != 53)
		return PD_OK;
	if (ulen < UDP_HDR + DNS_HEAD || c->n < UDP_HDR + DNS_HEAD)
		return PD_BAD;
	const uint8_t *d = c->p + UDP_HDR;
	o->dns = true;
	o->dns_id = be_get16(d);
	o->dns_response = (d[2] & 0x80) != 0;
	o->dns_rcode = d[3] & 0x0f;
	return PD_OK;
}

enum pd_result
pd_decode(int link, const uint8_t *p, size_t caplen, struct pd_packet *out)
{
	struct cur c = { p, caplen };
	size_t left = 0;
	enum pd_result r;
	memset(out, 0, sizeof(*out));
	uint16_t type = link_layer(link, &c);
	if (type == 0)
		return PD_BAD;
	if (type == ETHERTYPE_IP4)
		r = ipv4(&c, out, &left);
	else if (type == ETHERTYPE_IP6)
		r = ipv6(&c, out, &left);
	else
		return PD_SKIP;
	if (r != PD_OK)
		return r;
	if (out->proto == 6)
		return tcp(&c, left, out);
	if (out->proto == 17)
		return udp(&c, left, out);
	return PD_SKIP;
}
