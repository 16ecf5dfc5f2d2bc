/*
 * The passive probe's packet decoder: headers only, strict bounds. It reads
 * a captured frame (Ethernet, Linux cooked SLL or SLL2, raw IP; up to four
 * VLAN tags), its IPv4 or IPv6 header (IPv6 extension headers walked), and
 * a TCP header with its options (timestamps) or the first four bytes of a
 * DNS message over UDP port 53. Nothing past those headers is read; no
 * payload is kept. A frame whose headers do not fit in what was captured
 * or contradict each other is PD_BAD (counted and skipped by the caller);
 * one that is well formed but of no interest (ARP, ICMP, a later IPv4
 * fragment) is PD_SKIP.
 */
#ifndef PANTAU_PASSIVE_DECODE_H
#define PANTAU_PASSIVE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types, as libpcap's DLT_ values (the numbers are fixed by tcpdump.org). */
enum {
	PD_LINK_ETHERNET = 1,
	PD_LINK_RAW = 101,
	PD_LINK_SLL = 113,
	PD_LINK_SLL2 = 276,
};

enum pd_result { PD_OK, PD_SKIP, PD_BAD };

enum {
	PD_TCP_FIN = 0x01,
	PD_TCP_SYN = 0x02,
	PD_TCP_RST = 0x04,
	PD_TCP_PSH = 0x08,
	PD_TCP_ACK = 0x10,
};

struct pd_packet {
	uint8_t family;        /* 4 or 6 */
	uint8_t proto;         /* 6 (TCP) or 17 (UDP) */
	uint8_t src[16];       /* IPv4 addresses in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport, dport;
	uint32_t ip_bytes;     /* the IP packet's length as its header says */
	/* TCP */
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t payload;      /* TCP payload bytes (from the IP length) */
	bool has_ts;
	uint32_t tsval, tsecr;
	/* DNS (UDP with port 53 at either end) */
	bool dns;
	uint16_t dns_id;
	bool dns_response;
	uint8_t dns_rcode;
};

/* Decodes caplen captured bytes of a frame of link type link. */
enum pd_result pd_decode(int link, const uint8_t *p, size_t caplen, struct pd_packet *out);

#endif
