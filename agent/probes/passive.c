/*
 * passive: what the site's own traffic sees, from its headers (docs/
 * probes.md, "passive"). A run captures on one interface (the target) for
 * `window` seconds with libpcap on the agent's loop: the capture is
 * non-blocking, its selectable descriptor a uv_poll, each wake-up reads at
 * most `dispatch` packets (a 500 ms tick reads what is left and expires
 * flows). No thread. Packets go through the header decoder
 * (passive_decode.h) and the flow table (passive_flows.h); at the end of
 * the window the run hands over one result per destination group
 * (passive_groups.h) and one for "other": sums and medians only, no
 * address and no payload. libpcap is loaded for the run (pcaplib.h).
 *
 * Both parts of the kind are here: the exec part (on the probe-run
 * lifecycle, lifecycle.h) and, below it, the spec part (keys, checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/lifecycle.h"
#include "agent/probes/passive_decode.h"
#include "agent/probes/passive_flows.h"
#include "agent/probes/passive_groups.h"
#include "agent/probes/pcaplib.h"
#include "agent/probes/probe.h"
#include "clock.h"
#include "log.h"
#include "stats.h"

/* Link, VLAN tags, IPv6 with extension headers or IPv4 with options,
 * TCP with options: the decoder reads nothing past these. */
#define PASSIVE_SNAPLEN 192
#define PASSIVE_TICK_MS 500
#define PASSIVE_BUFFER (2 << 20)
#define PASSIVE_DEFAULT_TIMEOUT_MS 1000
#define PASSIVE_CHECK_S 5

struct passive_params {
	char groups[256];
	char local[200];
	bool other;
	bool promisc;
	int window_s;
	int max_flows;
	int dispatch;
};

/* ---- the exec part ---- */

struct passive_run {
	struct probe_life life; /* first: the run's lifecycle */
	const struct passive_params *p;
	struct pg_config g;
	struct pcaplib lib;     /* libpcap, loaded for the run */
	pcap_t *pc;
	int link;
	struct life_poll poll;
	struct life_timer tick;
	struct pf_table *t;
	uint64_t packets, bad;
	int64_t t0;
};

static void
passive_free(struct probe_life *l)
{
	struct passive_run *s = (struct passive_run *)l;
	if (s->pc != NULL)
		s->lib.close(s->pc);
	pcaplib_close(&s->lib);
	pf_free(s->t);
	free(s);
}

static void
passive_stop(struct probe_life *l)
{
	struct passive_run *s = (struct passive_run *)l;
	life_unwatch(&s->poll);
	life_timer_close(&s->tick);
	if (s->pc != NULL)
		s->lib.close(s->pc); /* after the poll stopped watching its descriptor */
	s->pc = NULL;
}

static void
on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct passive_run *s = (struct passive_run *)arg;
	struct pd_packet p;
	bool from_site = false;
	s->packets++;
	enum pd_result r = pd_decode(s->link, bytes, h->caplen, &p);
	if (r == PD_BAD)
		s->bad++;
	if (r != PD_OK)
		return;
	int g = pg_classify(&s->g, &p, &from_site);
	int64_t now = (int64_t)h->ts.tv_sec * 1000000000LL + (int64_t)h->ts.tv_usec * 1000;
	pf_add(s->t, &p, now, from_site, g);
}

static void
drain(struct passive_run *s)
{
	if (s->pc != NULL && s->life.phase != LIFE_OVER)
		(void)s->lib.dispatch(s->pc, s->p->dispatch, on_packet, (u_char *)s);
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	drain(h->data);
}

static void
on_tick(uv_timer_t *t)
{
	struct passive_run *s = t->data;
	drain(s);
	if (s->life.phase != LIFE_OVER)
		pf_expire(s->t, clock_real_ns());
}

static void
set_quantiles(json_t *r, const char *key, const struct pf_samples *v)
{
	double scratch[PF_SAMPLES];
	struct rtt_stats st;
	if (v->n == 0 || !stats_rtt(v->v, v->n, scratch, &st))
		return;
	json_object_set_new(r, key, probe_quantiles_json(&st));
}

static void
set_count(json_t *r, const char *key, uint64_t v)
{
	json_object_set_new(r, key, json_integer(v > (uint64_t)WIRE_INT_MAX ?
	    (json_int_t)WIRE_INT_MAX : (json_int_t)v));
}

static void
set_pct(json_t *r, const char *key, uint64_t part, uint64_t whole)
{
	if (whole > 0)
		wire_set_num(r, key, part >= whole ? 100.0 : (double)part * 100.0 / (double)whole);
}

/* The figures of the whole capture, in every group's result. */
static void
capture_fields(struct passive_run *s, json_t *r, double window_s)
{
	struct pcap_stat ps;
	json_object_set_new(r, "interface", json_string(s->life.def->target));
	wire_set_num(r, "window_s", window_s);
	set_count(r, "packets", s->packets);
	set_count(r, "bad", s->bad);
	if (s->lib.stats(s->pc, &ps) == 0)
		set_count(r, "dropped", ps.ps_drop);
	set_count(r, "evictions", pf_evictions(s->t));
}

static json_t *
group_result(struct passive_run *s, int i, double window_s)
{
	const struct pf_group *g = pf_group(s->t, i);
	json_t *r = wire_result_new("passive", i < s->g.ngroups ? s->g.group[i].name : "other");
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "ok", json_true());
	capture_fields(s, r, window_s);
	set_count(r, "flows", g->flows);
	set_count(r, "bytes", g->bytes);
	set_count(r, "segments", g->segments);
	set_count(r, "retrans", g->retrans);
	set_pct(r, "retrans_pct", g->retrans, g->segments);
	set_count(r, "resets", g->resets);
	set_count(r, "syn_unanswered", g->syn_unanswered);
	set_count(r, "handshakes", g->handshake_ms.seen);
	set_quantiles(r, "handshake_ms", &g->handshake_ms);
	set_quantiles(r, "ts_rtt_ms", &g->ts_rtt_ms);
	set_count(r, "dns_queries", g->dns_queries);
	set_count(r, "dns_fail", g->dns_fail);
	set_pct(r, "dns_fail_pct", g->dns_fail, g->dns_queries);
	set_quantiles(r, "dns_ms", &g->dns_ms);
	return r;
}

/* The window is over: one result a group, "other" last (when kept). */
static void
passive_timeout(struct probe_life *l)
{
	struct passive_run *s = (struct passive_run *)l;
	drain(s);
	pf_expire(s->t, clock_real_ns());
	double window_s = (double)(clock_mono_ns() - s->t0) / 1e9;
	json_t *all = json_array();
	int n = s->g.ngroups + (s->p->other ? 1 : 0);
	for (int i = 0; all != NULL && i < n; i++)
		if (json_array_append_new(all, group_result(s, i, window_s)) != 0) {
			json_decref(all);
			all = NULL;
		}
	life_finish(l, all);
}

static const struct life_ops passive_life = {
	.timeout = passive_timeout, .stop = passive_stop, .free = passive_free,
};

/* Why pcap_activate failed, as a sentence with what to do. */
static void
activate_why(struct passive_run *s, int rc, char *why, size_t len)
{
	const char *ifname = s->life.def->target;
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
		snprintf(why, len, "no interface %.16s on this box (ip link lists them)", ifname);
	else if (rc == PCAP_ERROR_PERM_DENIED)
		snprintf(why, len, "no permission to capture on %.16s: the agent needs CAP_NET_RAW "
		    "(the systemd unit gives it)", ifname);
	else if (rc == PCAP_ERROR_IFACE_NOT_UP)
		snprintf(why, len, "interface %.16s is down", ifname);
	else
		snprintf(why, len, "cannot capture on %.16s: %s", ifname, s->lib.geterr(s->pc));
}

/* The interface's own addresses as local, when the config names none. */
static void
local_from_interface(struct passive_run *s)
{
	pcap_if_t *all = NULL;
	char err[PCAP_ERRBUF_SIZE];
	const char *ifname = s->life.def->target;
	if (s->g.nlocal > 0 || s->lib.findalldevs(&all, err) != 0)
		return;
	for (pcap_if_t *d = all; d != NULL; d = d->next) {
		if (strcmp(ifname, "any") != 0 && strcmp(d->name, ifname) != 0)
			continue;
		for (pcap_addr_t *a = d->addresses; a != NULL; a = a->next) {
			if (a->addr == NULL)
				continue;
			if (a->addr->sa_family == AF_INET)
				pg_add_local(&s->g, 4,
				    (const uint8_t *)&((struct sockaddr_in *)a->addr)->sin_addr);
			else if (a->addr->sa_family == AF_INET6)
				pg_add_local(&s->g, 6,
				    (const uint8_t *)&((struct sockaddr_in6 *)a->addr)->sin6_addr);
		}
	}
	s->lib.freealldevs(all);
}

static int
decoder_link(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return PD_LINK_ETHERNET;
	case DLT_RAW:
		return PD_LINK_RAW;
	case DLT_LINUX_SLL:
		return PD_LINK_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return PD_LINK_SLL2;
#endif
	default:
		return -1;
	}
}

static bool
set_filter(struct passive_run *s, char *why, size_t len)
{
	char text[PG_FILTER_MAX * 2 + 32];
	struct bpf_program prog = { 0 };
	if (!pg_filter(&s->g, s->p->other, s->link == PD_LINK_ETHERNET, text, sizeof(text))) {
		snprintf(why, len, "the capture filter of these groups is too long");
		return false;
	}
	if (s->lib.compile(s->pc, &prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    s->lib.setfilter(s->pc, &prog) != 0) {
		snprintf(why, len, "cannot set the capture filter \"%.80s\": %s", text,
		    s->lib.geterr(s->pc));
		if (prog.bf_insns != NULL)
			s->lib.freecode(&prog);
		return false;
	}
	s->lib.freecode(&prog);
	return true;
}

static bool
open_capture(struct passive_run *s, char *why, size_t len)
{
	char err[PCAP_ERRBUF_SIZE];
	const char *ifname = s->life.def->target;
	s->pc = s->lib.create(ifname, err);
	if (s->pc == NULL)
		return (snprintf(why, len, "cannot capture on %.16s: %s", ifname, err), false);
	s->lib.set_snaplen(s->pc, PASSIVE_SNAPLEN);
	s->lib.set_promisc(s->pc, s->p->promisc ? 1 : 0);
	s->lib.set_timeout(s->pc, 100);
	s->lib.set_buffer_size(s->pc, PASSIVE_BUFFER);
	int rc = s->lib.activate(s->pc);
	if (rc < 0)
		return (activate_why(s, rc, why, len), false);
	s->link = decoder_link(s->lib.datalink(s->pc));
	if (s->link < 0)
		return (snprintf(why, len, "interface %.16s has link type %s, which the passive probe "
		    "does not decode", ifname, s->lib.datalink_val_to_name(s->lib.datalink(s->pc))),
		    false);
	if (s->lib.setnonblock(s->pc, 1, err) != 0)
		return (snprintf(why, len, "cannot capture on %.16s: %s", ifname, err), false);
	return set_filter(s, why, len);
}

static bool
watch_capture(struct passive_run *s, char *why, size_t len)
{
	struct probe_life *l = &s->life;
	int fd = s->lib.get_selectable_fd(s->pc);
	if (fd < 0 || life_watch(l, &s->poll, fd, UV_READABLE, on_readable) != 0)
		return (snprintf(why, len, "cannot watch the capture on %.16s", l->def->target), false);
	return true;
}

static pantau_err
passive_start(struct probe_run *run)
{
	const struct passive_params *p = run->def->params;
	char why[WIRE_TEXT_MAX];
	if (p == NULL)
		return PANTAU_ERR_INVAL;
	struct passive_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	struct probe_life *l = &s->life;
	s->p = p;
	life_start(l, run, &passive_life, PASSIVE_DEFAULT_TIMEOUT_MS);
	life_timer_open(l, &s->tick);
	if (!pg_parse_groups(p->groups, &s->g, why, sizeof(why)) ||
	    !pg_parse_local(p->local, &s->g, why, sizeof(why))) {
		life_fail_later(l, "%s", why);
		return PANTAU_OK;
	}
	if (!pcaplib_open(&s->lib, why, sizeof(why))) {
		life_fail_later(l, "%s", why);
		return PANTAU_OK;
	}
	s->t = pf_new((size_t)p->max_flows, s->g.ngroups + 1);
	if (s->t == NULL) {
		life_fail_later(l, "out of memory for a flow table of %d flows", p->max_flows);
		return PANTAU_OK;
	}
	local_from_interface(s);
	if (!open_capture(s, why, sizeof(why)) || !watch_capture(s, why, sizeof(why))) {
		log_warnx("probe %s: %s", run->def->name, why); /* each run: the agent goes on */
		life_fail_later(l, "%s", why);
		return PANTAU_OK;
	}
	s->t0 = clock_mono_ns();
	uv_timer_start(&s->tick.h, on_tick, PASSIVE_TICK_MS, PASSIVE_TICK_MS);
	life_wait(l, p->window_s * 1000);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

/* One row per key (common/cfg.h): key tables look alike by design. */
#define O(f) offsetof(struct passive_params, f)
#define SZ(f) sizeof(((struct passive_params *)0)->f)
static const struct cfg_key passive_keys[] = {
	{ "groups", CFG_STRING, O(groups), SZ(groups), 0, 0, "", NULL, pg_groups_check, 0,
	    "destination groups reported apart: NAME PREFIX[:PORT] ..., apart by commas; e.g. "
	    "groups = tally 198.18.5.0/24:443, portal 203.0.113.7; the rest is \"other\"" },
	{ "local", CFG_STRING, O(local), SZ(local), 0, 0, "", NULL, pg_local_check, 0,
	    "the site's own prefixes (which end of a packet is the site); empty: the "
	    "interface's addresses; set it on a mirror port" },
	{ "other", CFG_BOOL, O(other), 0, 0, 0, "true", NULL, NULL, 0,
	    "capture and report the traffic outside the groups as \"other\"; false: the "
	    "capture filter takes only the groups' destinations" },
	{ "promisc", CFG_BOOL, O(promisc), 0, 0, 0, "false", NULL, NULL, 0,
	    "promiscuous mode (a mirror port); false on the site's own uplink" },
	{ "window", CFG_INT, O(window_s), 0, 1, 3600, "50", NULL, NULL, 0,
	    "seconds each run captures; must fit [agent] interval" },
	{ "max_flows", CFG_INT, O(max_flows), 0, 64, 1048576, "16384", NULL, NULL, 0,
	    "flows the table holds; beyond, the least recently seen goes (counted as "
	    "evictions)" },
	{ "dispatch", CFG_INT, O(dispatch), 0, 1, 100000, "256", NULL, NULL, 0,
	    "packets read at most each time the capture is readable" },
};
#undef SZ
#undef O

static bool
passive_check(const struct probe_def *def, char *why, size_t len)
{
	const char *n = def->target;
	size_t l = strlen(n);
	bool ok = l > 0 && l < 16 && strchr(n, '/') == NULL && strchr(n, ' ') == NULL &&
	    strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
	if (!ok)
		snprintf(why, len, "\"%.64s\" is not an interface name (1-15 characters, no '/' "
		    "or space), e.g. target = eth0, or any", n);
	return ok;
}

static int
passive_max_duration_ms(const struct probe_def *def)
{
	const struct passive_params *p = def->params;
	return (p != NULL ? p->window_s : 50) * 1000 + PASSIVE_TICK_MS;
}

/* pantau-agent check captures for a few seconds. */
static void
passive_for_check(void *params)
{
	struct passive_params *p = params;
	p->window_s = p->window_s < PASSIVE_CHECK_S ? p->window_s : PASSIVE_CHECK_S;
}

const struct probe_spec probe_passive_spec = {
	.kind = "passive", PROBE_KEYS(passive_keys, struct passive_params),
	.default_timeout_ms = PASSIVE_DEFAULT_TIMEOUT_MS, .check = passive_check,
	.max_duration_ms = passive_max_duration_ms, .for_check = passive_for_check,
};

const struct probe_exec probe_passive_exec = { .start = passive_start, .cancel = life_cancel };
