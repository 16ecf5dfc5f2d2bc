#include "agent/probes/passive_flows.h"

#include <stdlib.h>
#include <string.h>

#define WAYS 8
#define TS_SLOTS 4
#define DNS_SLOTS 4
#define NS_PER_MS 1e6

enum { DIR_SITE = 0, DIR_FAR = 1 };

struct pf_key {
	uint8_t family, proto;
	uint16_t site_port, far_port;
	uint8_t site[16], far[16];
};

struct pending {
	uint32_t v;   /* TSval or DNS id */
	int64_t t;    /* 0 = free */
};

struct flow {
	struct pf_key key;
	bool used;
	bool opener_known, opened_by_site;
	bool synack_seen, hs_done, syn_counted;
	bool have_end[2];
	bool have_last_ts;
	int group;
	int64_t last_ns, syn_ns, synack_ns;
	uint32_t max_end[2];
	uint32_t last_tsval;
	struct pending ts[TS_SLOTS];
	struct pending dns[DNS_SLOTS];
};

struct pf_table {
	size_t nsets;
	size_t nflows;
	uint64_t evictions;
	int ngroups;
	struct flow *flows;      /* nsets * WAYS */
	struct pf_group *groups;
};

struct pf_table *
pf_new(size_t max_flows, int ngroups)
{
	struct pf_table *t = calloc(1, sizeof(*t));
	if (t == NULL || ngroups < 1)
		return (free(t), NULL);
	t->nsets = (max_flows + WAYS - 1) / WAYS;
	if (t->nsets == 0)
		t->nsets = 1;
	t->ngroups = ngroups;
	t->flows = calloc(t->nsets * WAYS, sizeof(*t->flows));
	t->groups = calloc((size_t)ngroups, sizeof(*t->groups));
	if (t->flows == NULL || t->groups == NULL)
		return (pf_free(t), NULL);
	return t;
}

void
pf_free(struct pf_table *t)
{
	if (t == NULL)
		return;
	free(t->flows);
	free(t->groups);
	free(t);
}

static void
sample(struct pf_samples *s, double v)
{
	if (s->n < PF_SAMPLES)
		s->v[s->n++] = v;
	s->seen++;
}

static double
ms(int64_t ns)
{
	return (double)ns / NS_PER_MS;
}

static uint64_t
hash_key(const struct pf_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static void
make_key(const struct pd_packet *p, bool from_site, struct pf_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->proto = p->proto;
	size_t alen = p->family == 4 ? 4 : 16;
	memcpy(k->site, from_site ? p->src : p->dst, alen);
	memcpy(k->far, from_site ? p->dst : p->src, alen);
	k->site_port = from_site ? p->sport : p->dport;
	k->far_port = from_site ? p->dport : p->sport;
}

/* What a flow leaves behind when it goes: a SYN never answered. */
static void
retire(struct pf_table *t, struct flow *f)
{
	if (f->syn_ns != 0 && !f->synack_seen && !f->syn_counted)
		t->groups[f->group].syn_unanswered++;
	memset(f, 0, sizeof(*f));
	t->nflows--;
}

static struct flow *
find_or_add(struct pf_table *t, const struct pf_key *k, int64_t now, int group)
{
	struct flow *set = t->flows + (hash_key(k) % t->nsets) * WAYS;
	struct flow *freeslot = NULL, *oldest = NULL;
	for (int i = 0; i < WAYS; i++) {
		struct flow *f = &set[i];
		if (!f->used) {
			if (freeslot == NULL)
				freeslot = f;
			continue;
		}
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
		if (oldest == NULL || f->last_ns < oldest->last_ns)
			oldest = f;
	}
	if (freeslot == NULL) {
		retire(t, oldest);
		t->evictions++;
		freeslot = oldest;
	}
	freeslot->used = true;
	freeslot->key = *k;
	freeslot->group = group;
	freeslot->last_ns = now;
	t->nflows++;
	t->groups[group].flows++;
	return freeslot;
}

static void
handshake(struct pf_group *g, struct flow *f, const struct pd_packet *p, int dir, int64_t now)
{
	bool syn = p->flags & PD_TCP_SYN, ack = p->flags & PD_TCP_ACK;
	if (syn && !ack) {
		if (!f->opener_known) {
			f->opener_known = true;
			f->opened_by_site = dir == DIR_SITE;
			f->syn_ns = now;
		}
		return;
	}
	if (!f->opener_known || f->hs_done)
		return;
	int opener = f->opened_by_site ? DIR_SITE : DIR_FAR;
	if (syn && ack && dir != opener && !f->synack_seen) {
		f->synack_seen = true;
		f->synack_ns = now;
		if (f->opened_by_site) {
			sample(&g->handshake_ms, ms(now - f->syn_ns));
			f->hs_done = true;
		}
	} else if (!syn && ack && dir == opener && f->synack_seen) {
		sample(&g->handshake_ms, ms(now - f->synack_ns));
		f->hs_done = true;
	}
}

/* Segments with data, SYN or FIN; one ending at or before the highest end
 * seen that way is a retransmission, except a keep-alive (one byte or none,
 * one below that end). */
static void
sequence(struct pf_group *g, struct flow *f, const struct pd_packet *p, int dir)
{
	uint32_t len = p->payload + !!(p->flags & PD_TCP_SYN) + !!(p->flags & PD_TCP_FIN);
	if (len == 0)
		return;
	g->segments++;
	uint32_t end = p->seq + len;
	if (f->have_end[dir] && (int32_t)(end - f->max_end[dir]) <= 0) {
		bool keepalive = p->payload <= 1 && p->seq == f->max_end[dir] - 1 &&
		    !(p->flags & (PD_TCP_SYN | PD_TCP_FIN));
		if (!keepalive)
			g->retrans++;
		return;
	}
	f->have_end[dir] = true;
	f->max_end[dir] = end;
}

static void
timestamps(struct pf_group *g, struct flow *f, const struct pd_packet *p, int dir, int64_t now)
{
	if (!p->has_ts)
		return;
	if (dir == DIR_SITE) {
		if (f->have_last_ts && f->last_tsval == p->tsval)
			return; /* first seen only */
		f->have_last_ts = true;
		f->last_tsval = p->tsval;
		for (int i = 0; i < TS_SLOTS; i++)
			if (f->ts[i].t == 0) {
				f->ts[i] = (struct pending){ p->tsval, now };
				return;
			}
		return; /* all taken: this one is not sampled */
	}
	if (p->tsecr == 0)
		return;
	for (int i = 0; i < TS_SLOTS; i++)
		if (f->ts[i].t != 0 && f->ts[i].v == p->tsecr) {
			sample(&g->ts_rtt_ms, ms(now - f->ts[i].t));
			f->ts[i].t = 0;
		}
}

static void
dns(struct pf_group *g, struct flow *f, const struct pd_packet *p, int dir, int64_t now)
{
	if (dir == DIR_SITE && !p->dns_response) {
		g->dns_queries++;
		for (int i = 0; i < DNS_SLOTS; i++)
			if (f->dns[i].t == 0) {
				f->dns[i] = (struct pending){ p->dns_id, now };
				return;
			}
		return;
	}
	if (dir != DIR_FAR || !p->dns_response)
		return;
	for (int i = 0; i < DNS_SLOTS; i++)
		if (f->dns[i].t != 0 && f->dns[i].v == p->dns_id) {
			g->dns_answers++;
			sample(&g->dns_ms, ms(now - f->dns[i].t));
			if (p->dns_rcode == 2 || p->dns_rcode == 5) /* SERVFAIL, REFUSED */
				g->dns_fail++;
			f->dns[i].t = 0;
			return;
		}
}

void
pf_add(struct pf_table *t, const struct pd_packet *p, int64_t now_ns, bool from_site, int group)
{
	struct pf_key k;
	if (group < 0 || group >= t->ngroups)
		group = t->ngroups - 1;
	make_key(p, from_site, &k);
	struct flow *f = find_or_add(t, &k, now_ns, group);
	struct pf_group *g = &t->groups[f->group];
	int dir = from_site ? DIR_SITE : DIR_FAR;
	f->last_ns = now_ns;
	g->bytes += p->ip_bytes;
	if (p->proto == 6) {
		if (p->flags & PD_TCP_RST) {
			g->resets++;
			if (!from_site)
				f->syn_counted = true; /* refused: answered, if not with SYN/ACK */
		}
		handshake(g, f, p, dir, now_ns);
		sequence(g, f, p, dir);
		timestamps(g, f, p, dir, now_ns);
	} else if (p->dns) {
		dns(g, f, p, dir, now_ns);
	}
}

static void
expire_flow(struct pf_table *t, struct flow *f, int64_t now)
{
	struct pf_group *g = &t->groups[f->group];
	for (int i = 0; i < TS_SLOTS; i++)
		if (f->ts[i].t != 0 && now - f->ts[i].t > PF_TS_EXPIRE_NS)
			f->ts[i].t = 0;
	for (int i = 0; i < DNS_SLOTS; i++)
		if (f->dns[i].t != 0 && now - f->dns[i].t > PF_DNS_TIMEOUT_NS) {
			g->dns_fail++;
			f->dns[i].t = 0;
		}
	if (f->syn_ns != 0 && !f->synack_seen && !f->syn_counted &&
	    now - f->syn_ns > PF_TS_EXPIRE_NS) {
		g->syn_unanswered++;
		f->syn_counted = true;
	}
	if (now - f->last_ns > PF_IDLE_NS)
		retire(t, f);
}

void
pf_expire(struct pf_table *t, int64_t now_ns)
{
	for (size_t i = 0; i < t->nsets * WAYS; i++)
		if (t->flows[i].used)
			expire_flow(t, &t->flows[i], now_ns);
}

const struct pf_group *
pf_group(const struct pf_table *t, int group)
{
	return group >= 0 && group < t->ngroups ? &t->groups[group] : NULL;
}

void
pf_reset(struct pf_table *t)
{
	if (t->ngroups > 0)
		memset(t->groups, 0, (size_t)t->ngroups * sizeof(*t->groups));
}

size_t
pf_flows(const struct pf_table *t)
{
	return t->nflows;
}

uint64_t
pf_evictions(const struct pf_table *t)
{
	return t->evictions;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double
pf_median(const struct pf_samples *s)
{
	double v[PF_SAMPLES];
	if (s->n == 0)
		return -1;
	memcpy(v, s->v, s->n * sizeof(v[0]));
	qsort(v, s->n, sizeof(v[0]), cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}
