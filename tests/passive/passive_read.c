/*
 * pantau-passive-read: the passive probe's decoder and flow table over a
 * pcap file, for tests (tests/e2e/test_passive_tshark.py compares it with
 * tshark). Built by `make unit`, never installed.
 *
 *   pantau-passive-read FILE.pcap SITE_ADDR
 *
 * SITE_ADDR (IPv4 or IPv6) is the site's address: packets from it are the
 * site's. Prints one JSON object: packets read, decoded, skipped and bad,
 * and the figures of the one group, including every handshake RTT sample.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "agent/probes/passive_decode.h"
#include "agent/probes/passive_flows.h"

struct run {
	int link;
	int family;
	uint8_t site[16];
	struct pf_table *t;
	unsigned long packets, ok, skipped, bad;
	int64_t last_ns;
};

static void
on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct run *r = (struct run *)arg;
	struct pd_packet p;
	r->packets++;
	int64_t now = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec * 1000;
	r->last_ns = now;
	switch (pd_decode(r->link, bytes, h->caplen, &p)) {
	case PD_BAD:
		r->bad++;
		return;
	case PD_SKIP:
		r->skipped++;
		return;
	case PD_OK:
		break;
	}
	r->ok++;
	size_t alen = p.family == 4 ? 4 : 16;
	bool from_site = p.family == r->family && memcmp(p.src, r->site, alen) == 0;
	pf_add(r->t, &p, now, from_site, 0);
}

static void
print_samples(const char *name, const struct pf_samples *s)
{
	printf("\"%s\":{\"n\":%llu,\"median\":%.6f,\"v\":[", name, (unsigned long long)s->seen,
	    pf_median(s));
	for (uint32_t i = 0; i < s->n; i++)
		printf("%s%.6f", i ? "," : "", s->v[i]);
	printf("]},");
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct run r = { 0 };
	if (argc != 3) {
		fprintf(stderr, "usage: pantau-passive-read FILE.pcap SITE_ADDR\n");
		return 2;
	}
	r.family = strchr(argv[2], ':') ? 6 : 4;
	if (inet_pton(r.family == 4 ? AF_INET : AF_INET6, argv[2], r.site) != 1) {
		fprintf(stderr, "pantau-passive-read: %s is not an IP address\n", argv[2]);
		return 2;
	}
	pcap_t *pc = pcap_open_offline(argv[1], err);
	if (pc == NULL) {
		fprintf(stderr, "pantau-passive-read: %s\n", err);
		return 1;
	}
	r.link = pcap_datalink(pc);
	r.t = pf_new(4096, 1);
	if (r.t == NULL || pcap_loop(pc, -1, on_packet, (u_char *)&r) == PCAP_ERROR) {
		fprintf(stderr, "pantau-passive-read: %s\n", r.t ? pcap_geterr(pc) : "out of memory");
		return 1;
	}
	pf_expire(r.t, r.last_ns + PF_IDLE_NS + 1);
	const struct pf_group *g = pf_group(r.t, 0);
	printf("{\"packets\":%lu,\"decoded\":%lu,\"skipped\":%lu,\"bad\":%lu,", r.packets, r.ok,
	    r.skipped, r.bad);
	print_samples("handshake_ms", &g->handshake_ms);
	print_samples("ts_rtt_ms", &g->ts_rtt_ms);
	print_samples("dns_ms", &g->dns_ms);
	printf("\"segments\":%llu,\"retrans\":%llu,\"resets\":%llu,\"syn_unanswered\":%llu,"
	       "\"flows\":%llu,\"bytes\":%llu,\"dns_queries\":%llu,\"dns_answers\":%llu,"
	       "\"dns_fail\":%llu,\"evictions\":%llu}\n",
	    (unsigned long long)g->segments, (unsigned long long)g->retrans,
	    (unsigned long long)g->resets, (unsigned long long)g->syn_unanswered,
	    (unsigned long long)g->flows, (unsigned long long)g->bytes,
	    (unsigned long long)g->dns_queries, (unsigned long long)g->dns_answers,
	    (unsigned long long)g->dns_fail, (unsigned long long)pf_evictions(r.t));
	pf_free(r.t);
	pcap_close(pc);
	return 0;
}
