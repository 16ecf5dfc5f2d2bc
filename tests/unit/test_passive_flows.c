/* The passive probe's flow table (agent/probes/passive_flows.c): handshake
 * RTT both ways, retransmissions and keep-alives, first-seen timestamp
 * matching and its expiry, DNS answers, failures and timeouts, unanswered
 * SYNs, the fixed cap (evictions) and idle expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "agent/probes/passive_flows.h"

#define MS 1000000LL
#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

/* A TCP packet between the site (198.18.0.1:port) and 198.19.0.2:443. */
static struct pd_packet
tcp(bool from_site, uint16_t port, uint8_t flags, uint32_t seq, uint32_t payload)
{
	struct pd_packet p;
	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.proto = 6;
	uint8_t site[4] = { 198, 18, 0, 1 }, far[4] = { 198, 19, 0, 2 };
	memcpy(from_site ? p.src : p.dst, site, 4);
	memcpy(from_site ? p.dst : p.src, far, 4);
	p.sport = from_site ? port : 443;
	p.dport = from_site ? 443 : port;
	p.flags = flags;
	p.seq = seq;
	p.payload = payload;
	p.ip_bytes = 40 + payload;
	return p;
}

static void
add(struct pf_table *t, struct pd_packet p, int64_t ms, bool from_site)
{
	pf_add(t, &p, ms * MS, from_site, 0);
}

static void
test_handshake_rtt_both_ways(void **state)
{
	(void)state;
	struct pf_table *t = pf_new(64, 2);
	/* The site opens: SYN at 1000, SYN/ACK at 1040. */
	add(t, tcp(true, 40000, PD_TCP_SYN, 100, 0), 1000, true);
	add(t, tcp(false, 40000, PD_TCP_SYN | PD_TCP_ACK, 900, 0), 1040, false);
	add(t, tcp(true, 40000, PD_TCP_ACK, 101, 0), 1041, true);
	/* The far end opens: SYN/ACK from the site at 2000, its ACK at 2025. */
	add(t, tcp(false, 40001, PD_TCP_SYN, 5, 0), 1999, false);
	add(t, tcp(true, 40001, PD_TCP_SYN | PD_TCP_ACK, 7, 0), 2000, true);
	add(t, tcp(false, 40001, PD_TCP_ACK, 6, 0), 2025, false);
	const struct pf_group *g = pf_group(t, 0);
	assert_int_equal(g->handshake_ms.n, 2);
	NEAR(g->handshake_ms.v[0], 40);
	NEAR(g->handshake_ms.v[1], 25);
	NEAR(pf_median(&g->handshake_ms), 32.5);
	assert_int_equal(g->flows, 2);
	assert_int_equal(pf_flows(t), 2);
	assert_int_equal(g->bytes, 6 * 40);
	assert_int_equal(pf_group(t, 1)->flows, 0);
	assert_null(pf_group(t, 2));
	pf_free(t);
}

static void
test_retransmissions_and_keepalives(void **state)
{
	(void)state;
	struct pf_table *t = pf_new(64, 1);
	add(t, tcp(true, 40000, PD_TCP_SYN, 100, 0), 1, true);
	add(t, tcp(true, 40000, PD_TCP_SYN, 100, 0), 1001, true); /* SYN again */
	add(t, tcp(true, 40000, PD_TCP_ACK, 101, 500), 1100, true);
	add(t, tcp(true, 40000, PD_TCP_ACK, 601, 500), 1101, true);
	add(t, tcp(true, 40000, PD_TCP_ACK, 101, 500), 1300, true);   /* again */
	add(t, tcp(true, 40000, PD_TCP_ACK, 1100, 1), 9000, true);   /* keep-alive */
	add(t, tcp(true, 40000, PD_TCP_ACK, 1101, 0), 9001, true);   /* pure ACK */
	add(t, tcp(false, 40000, PD_TCP_RST, 0, 0), 9002, false);
	const struct pf_group *g = pf_group(t, 0);
	assert_int_equal(g->segments, 6);
	assert_int_equal(g->retrans, 2);
	assert_int_equal(g->resets, 1);
	pf_free(t);
}

static void
test_timestamps_first_seen_and_expiry(void **state)
{
	(void)state;
	struct pf_table *t = pf_new(64, 1);
	struct pd_packet a = tcp(true, 40000, PD_TCP_ACK, 1, 10);
	a.has_ts = true;
	a.tsval = 500;
	add(t, a, 100, true);
	a.seq = 11;
	add(t, a, 150, true); /* the same TSval: not a new first sighting */
	struct pd_packet b = tcp(false, 40000, PD_TCP_ACK, 1, 0);
	b.has_ts = true;
	b.tsval = 9;
	b.tsecr = 500;
	add(t, b, 130, false);
	add(t, b, 170, false); /* echoed again: matched once only */
	const struct pf_group *g = pf_group(t, 0);
	assert_int_equal(g->ts_rtt_ms.n, 1);
	NEAR(g->ts_rtt_ms.v[0], 30);
	/* A TSval older than 10 s is forgotten. */
	a.tsval = 501;
	add(t, a, 1000, true);
	pf_expire(t, 1000 * MS + PF_TS_EXPIRE_NS + 1);
	b.tsecr = 501;
	add(t, b, 12000, false);
	assert_int_equal(g->ts_rtt_ms.n, 1);
	pf_free(t);
}

static struct pd_packet
dnsp(bool from_site, uint16_t id, bool response, uint8_t rcode)
{
	struct pd_packet p = tcp(from_site, 33000, 0, 0, 0);
	p.proto = 17;
	if (from_site)
		p.dport = 53;
	else
		p.sport = 53;
	p.dns = true;
	p.dns_id = id;
	p.dns_response = response;
	p.dns_rcode = rcode;
	return p;
}

static void
test_dns_answers_failures_and_timeouts(void **state)
{
	(void)state;
	struct pf_table *t = pf_new(64, 1);
	add(t, dnsp(true, 1, false, 0), 100, true);
	add(t, dnsp(false, 1, true, 0), 112, false);
	add(t, dnsp(true, 2, false, 0), 200, true);
	add(t, dnsp(false, 2, true, 2), 230, false);      /* SERVFAIL */
	add(t, dnsp(true, 3, false, 0), 300, true);
	add(t, dnsp(false, 3, true, 5), 301, false);      /* REFUSED */
	add(t, dnsp(true, 4, false, 0), 400, true);       /* never answered */
	add(t, dnsp(false, 99, true, 0), 401, false);     /* unasked */
	pf_expire(t, 400 * MS + PF_DNS_TIMEOUT_NS + 1);
	const struct pf_group *g = pf_group(t, 0);
	assert_int_equal(g->dns_queries, 4);
	assert_int_equal(g->dns_answers, 3);
	assert_int_equal(g->dns_fail, 3);
	assert_int_equal(g->dns_ms.n, 3);
	NEAR(pf_median(&g->dns_ms), 12);
	pf_reset(t);
	assert_int_equal(g->dns_queries, 0);
	assert_true(pf_median(&g->dns_ms) < 0);
	pf_free(t);
}

static void
test_unanswered_syn_cap_and_idle_expiry(void **state)
{
	(void)state;
	struct pf_table *t = pf_new(16, 1);
	/* 100 SYNs into a table of 16: evictions, and every SYN unanswered. */
	for (uint16_t i = 0; i < 100; i++)
		add(t, tcp(true, (uint16_t)(30000 + i), PD_TCP_SYN, 1, 0), 10 + i, true);
	assert_true(pf_flows(t) <= 16);
	assert_int_equal(pf_evictions(t), 100 - pf_flows(t));
	const struct pf_group *g = pf_group(t, 0);
	assert_int_equal(g->flows, 100);
	assert_int_equal(g->syn_unanswered, pf_evictions(t));
	pf_expire(t, 200 * MS + PF_TS_EXPIRE_NS);
	assert_int_equal(g->syn_unanswered, 100);
	pf_expire(t, 200 * MS + PF_IDLE_NS);
	assert_int_equal(pf_flows(t), 0);
	assert_int_equal(g->syn_unanswered, 100); /* counted once */
	pf_free(t);
}

#include "unit_main.h"
