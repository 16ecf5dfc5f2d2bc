/*
 * The passive probe's flow table and what it counts (docs/probes.md,
 * "passive"). Decoded packets (passive_decode.h) go in with their capture
 * time, whether the site sent them, and the destination group of the far
 * end; per group it counts, for one interval:
 *
 * - handshake RTT: SYN -> SYN/ACK for connections the site opens,
 *   SYN/ACK -> ACK for those it answers (both: capture point to far end);
 * - timestamp RTT: a TSval the site sends, first seen, to the first far-end
 *   packet echoing it in TSecr (as pping matches them); entries expire
 *   after 10 s;
 * - segments and retransmitted segments (a segment with data, SYN or FIN
 *   that ends at or before the highest sequence already seen that way),
 *   resets, SYNs the far end never answered (neither SYN/ACK nor RST within
 *   10 s or before the flow goes), flows started, IP bytes;
 * - DNS over UDP: a query the site sends to its answer (same flow and id),
 *   failures = timeouts (5 s), SERVFAIL and REFUSED.
 *
 * Bounded: the table holds at most max_flows flows (set-associative,
 * 8 ways; a full set evicts its least recently seen flow, counted); a
 * flow idle for 300 s goes. Each figure keeps at most PF_SAMPLES samples
 * an interval (the median is of those). No address leaves: only per-group
 * sums and medians.
 */
#ifndef PANTAU_PASSIVE_FLOWS_H
#define PANTAU_PASSIVE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/probes/passive_decode.h"

#define PF_SAMPLES 512
#define PF_TS_EXPIRE_NS (10LL * 1000000000)
#define PF_IDLE_NS (300LL * 1000000000)
#define PF_DNS_TIMEOUT_NS (5LL * 1000000000)

struct pf_samples {
	uint32_t n;       /* kept (at most PF_SAMPLES) */
	uint64_t seen;    /* all of them */
	double v[PF_SAMPLES];
};

struct pf_group {
	struct pf_samples handshake_ms, ts_rtt_ms, dns_ms;
	uint64_t segments, retrans, resets, syn_unanswered, flows, bytes;
	uint64_t dns_queries, dns_answers, dns_fail;
};

struct pf_table;

/* A table for at most max_flows flows (rounded up to 8) and ngroups groups. */
struct pf_table *pf_new(size_t max_flows, int ngroups);
void pf_free(struct pf_table *t);

/* One packet at time now_ns; from_site: the site sent it; group: the far
 * end's destination group (0 .. ngroups-1). */
void pf_add(struct pf_table *t, const struct pd_packet *p, int64_t now_ns, bool from_site,
    int group);

/* Expire idle flows, timestamps and DNS queries at now_ns (counting
 * unanswered SYNs and DNS timeouts). Call at least every few seconds. */
void pf_expire(struct pf_table *t, int64_t now_ns);

/* The interval's figures of a group; pf_reset starts the next interval. */
const struct pf_group *pf_group(const struct pf_table *t, int group);
void pf_reset(struct pf_table *t);

size_t pf_flows(const struct pf_table *t);
uint64_t pf_evictions(const struct pf_table *t);

/* The median of the kept samples; -1 when there are none. */
double pf_median(const struct pf_samples *s);

#endif
