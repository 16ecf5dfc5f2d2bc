/* The passive probe's header decoder (agent/probes/passive_decode.c): each
 * link type, VLAN tags, IPv4 and IPv6 (extension headers, fragments), TCP
 * options and the DNS header; every truncation of a good frame is PD_BAD
 * or PD_SKIP, never a read past the captured bytes (ASan builds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/passive_decode.h"
#include "byteorder.h"

#define MAXF 256

struct frame {
	uint8_t b[MAXF];
	size_t n;
};

static void
put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= MAXF);
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
eth(struct frame *f, uint16_t type)
{
	uint8_t h[14] = { 0 };
	be_put16(h + 12, type);
	put(f, h, sizeof(h));
}

/* IPv4 header for l4 bytes of protocol proto after it. */
static void
ip4(struct frame *f, uint8_t proto, size_t l4, uint16_t frag)
{
	uint8_t h[20] = { 0x45, 0 };
	be_put16(h + 2, (uint16_t)(20 + l4));
	be_put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	uint8_t s[4] = { 198, 18, 0, 1 }, d[4] = { 198, 19, 0, 2 };
	memcpy(h + 12, s, 4);
	memcpy(h + 16, d, 4);
	put(f, h, sizeof(h));
}

/* TCP header with the timestamp option, then payload zero bytes. */
static void
tcp_ts(struct frame *f, uint8_t flags, uint32_t tsval, uint32_t tsecr, size_t payload)
{
	uint8_t h[32] = { 0 };
	be_put16(h, 40000);
	be_put16(h + 2, 443);
	be_put32(h + 4, 1000);
	be_put32(h + 8, 2000);
	h[12] = 8 << 4;
	h[13] = flags;
	h[20] = 1;
	h[21] = 1;
	h[22] = 8;
	h[23] = 10;
	be_put32(h + 24, tsval);
	be_put32(h + 28, tsecr);
	put(f, h, sizeof(h));
	uint8_t zero[64] = { 0 };
	assert_true(payload <= sizeof(zero));
	put(f, zero, payload);
}

static void
tcp4_frame(struct frame *f, size_t payload)
{
	f->n = 0;
	eth(f, 0x0800);
	ip4(f, 6, 32 + payload, 0);
	tcp_ts(f, PD_TCP_ACK | PD_TCP_PSH, 77, 55, payload);
}

static void
test_ethernet_ipv4_tcp_with_timestamps(void **state)
{
	(void)state;
	struct frame f;
	struct pd_packet p;
	tcp4_frame(&f, 10);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.src[0], 198);
	assert_int_equal(p.dst[1], 19);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.seq, 1000);
	assert_int_equal(p.ack, 2000);
	assert_int_equal(p.flags, PD_TCP_ACK | PD_TCP_PSH);
	assert_int_equal(p.payload, 10);
	assert_int_equal(p.ip_bytes, 20 + 32 + 10);
	assert_true(p.has_ts);
	assert_int_equal(p.tsval, 77);
	assert_int_equal(p.tsecr, 55);
	/* A small snaplen: the payload is not captured, its length still known. */
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, 14 + 20 + 32, &p), PD_OK);
	assert_int_equal(p.payload, 10);
}

static void
test_every_truncation_is_bad_not_a_read_past_the_end(void **state)
{
	(void)state;
	struct frame f;
	struct pd_packet p;
	tcp4_frame(&f, 0);
	for (size_t n = 0; n < f.n; n++) {
		/* A copy of exactly n bytes: ASan sees any read past them. */
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, f.b, n);
		assert_int_equal(pd_decode(PD_LINK_ETHERNET, cut, n, &p), PD_BAD);
		free(cut);
	}
}

static void
test_vlan_sll_sll2_and_raw(void **state)
{
	(void)state;
	struct frame f = { .n = 0 };
	struct pd_packet p;
	uint8_t h[14] = { 0 };
	be_put16(h + 12, 0x88a8);
	put(&f, h, 14);
	uint8_t tag[4] = { 0, 5, 0x81, 0x00 }, tag2[4] = { 0, 6, 0x08, 0x00 };
	put(&f, tag, 4);
	put(&f, tag2, 4);
	ip4(&f, 6, 32, 0);
	tcp_ts(&f, PD_TCP_SYN, 1, 0, 0);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_OK);
	assert_int_equal(p.flags, PD_TCP_SYN);

	f.n = 0;
	uint8_t sll[16] = { 0 };
	be_put16(sll + 14, 0x0800);
	put(&f, sll, 16);
	ip4(&f, 6, 32, 0);
	tcp_ts(&f, PD_TCP_SYN, 1, 0, 0);
	assert_int_equal(pd_decode(PD_LINK_SLL, f.b, f.n, &p), PD_OK);
	assert_int_equal(p.dport, 443);

	f.n = 0;
	uint8_t sll2[20] = { 0 };
	be_put16(sll2, 0x0800);
	put(&f, sll2, 20);
	ip4(&f, 6, 32, 0);
	tcp_ts(&f, PD_TCP_SYN, 1, 0, 0);
	assert_int_equal(pd_decode(PD_LINK_SLL2, f.b, f.n, &p), PD_OK);
	assert_int_equal(pd_decode(PD_LINK_RAW, f.b + 20, f.n - 20, &p), PD_OK);
	assert_int_equal(pd_decode(9999, f.b, f.n, &p), PD_BAD);
}

static void
test_ipv6_with_extension_headers_and_fragments(void **state)
{
	(void)state;
	struct frame f = { .n = 0 };
	struct pd_packet p;
	eth(&f, 0x86dd);
	uint8_t h[40] = { 0x60 };
	be_put16(h + 4, 8 + 32);
	h[6] = 0; /* hop-by-hop first */
	h[7] = 64;
	h[8] = 0x20;
	h[39] = 1;
	put(&f, h, 40);
	uint8_t hbh[8] = { 6, 0, 1, 4, 0, 0, 0, 0 };
	put(&f, hbh, 8);
	tcp_ts(&f, PD_TCP_SYN | PD_TCP_ACK, 9, 8, 0);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.src[0], 0x20);
	assert_int_equal(p.dst[15], 1);
	assert_int_equal(p.ip_bytes, 40 + 8 + 32);
	assert_int_equal(p.tsval, 9);
	/* An extension header longer than the payload length says. */
	f.b[14 + 40 + 1] = 10;
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_BAD);
	/* A later fragment carries no TCP header. */
	f.b[14 + 6] = 44;
	uint8_t frag[8] = { 6, 0, 0x00, 0x10, 0, 0, 0, 1 };
	memcpy(f.b + 14 + 40, frag, 8);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_SKIP);
}

static void
test_ipv4_fragment_non_ip_and_bad_lengths(void **state)
{
	(void)state;
	struct frame f = { .n = 0 };
	struct pd_packet p;
	eth(&f, 0x0800);
	ip4(&f, 6, 32, 100);
	tcp_ts(&f, 0, 0, 0, 0);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_SKIP);
	f.n = 0;
	eth(&f, 0x0806);
	put(&f, (uint8_t[28]){ 0 }, 28);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_SKIP);
	/* IP total length shorter than its header; TCP offset past it. */
	tcp4_frame(&f, 0);
	be_put16(f.b + 14 + 2, 10);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_BAD);
	tcp4_frame(&f, 0);
	f.b[14 + 20 + 12] = 0x30;
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_BAD);
	tcp4_frame(&f, 0);
	f.b[14] = 0x55; /* version 5 */
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_BAD);
}

static void
test_broken_tcp_options_end_the_list(void **state)
{
	(void)state;
	struct frame f;
	struct pd_packet p;
	tcp4_frame(&f, 0);
	f.b[14 + 20 + 22] = 8;
	f.b[14 + 20 + 23] = 40; /* longer than the options */
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_OK);
	assert_false(p.has_ts);
	f.b[14 + 20 + 23] = 0; /* length 0 would loop */
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_OK);
	assert_false(p.has_ts);
}

static void
test_dns_header_over_udp_53(void **state)
{
	(void)state;
	struct frame f = { .n = 0 };
	struct pd_packet p;
	eth(&f, 0x0800);
	ip4(&f, 17, 8 + 12, 0);
	uint8_t u[20] = { 0 };
	be_put16(u, 53);
	be_put16(u + 2, 33000);
	be_put16(u + 4, 20);
	be_put16(u + 8, 0xbeef);
	u[10] = 0x81;
	u[11] = 0x82; /* response, SERVFAIL */
	put(&f, u, 20);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_OK);
	assert_true(p.dns);
	assert_int_equal(p.dns_id, 0xbeef);
	assert_true(p.dns_response);
	assert_int_equal(p.dns_rcode, 2);
	/* UDP length larger than the IP packet. */
	be_put16(f.b + 14 + 20 + 4, 200);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, f.n, &p), PD_BAD);
	/* Not DNS: only the UDP header is read. */
	be_put16(f.b + 14 + 20 + 4, 8);
	be_put16(f.b + 14 + 20, 5000);
	be_put16(f.b + 14 + 20 + 2, 5001);
	assert_int_equal(pd_decode(PD_LINK_ETHERNET, f.b, 14 + 20 + 8, &p), PD_OK);
	assert_false(p.dns);
}

#include "unit_main.h"
