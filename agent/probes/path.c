/*
 * path: the hops towards a target, Paris-traceroute style (docs/probes.md).
 *
 * One connected, non-blocking UDP socket to the target's port (33434) from
 * one source port, so every probe has the same five-tuple (ECMP keeps it on
 * one path); probes differ only in their TTL (IP_TTL before each send) and
 * in the two payload bytes that number them. Answers come back on the
 * socket's error queue (IP_RECVERR): time exceeded from a router, port
 * unreachable from the target, each with its offender address and the
 * quoted probe (pathtrace.c reads them). The socket is watched with a
 * uv_poll_t (SO_SELECT_ERR_QUEUE), no thread, no raw socket. IPv4 only.
 * mode = icmp: echo requests (pathtrace.c keeps identifier and checksum
 * the same) on a ping socket, or a raw one without ping_group_range; the
 * routers' answers on the error queue, the target's echo replies as data.
 *
 * The train (lifecycle.h) sends `probes` probes to every TTL from 1 to
 * `max_hops` (keys of the section), spaced SPACING_MS apart, then waits the timeout; it ends early
 * once every probe up to the target's TTL is answered. Hops past the first
 * that answered from the target are left out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/probes/lifecycle.h"
#include "agent/probes/pathtrace.h"
#include "agent/probes/probe.h"
#include "clock.h"

#define PATH_SPACING_MS 10
#define PATH_DEFAULT_TIMEOUT_MS 3000
#define PATH_DEFAULT_INTERVAL_S 600
#define PATH_NPROBES (PATHTRACE_MAX_HOPS * PATHTRACE_PROBES_MAX)
#define PATH_PAYLOAD 32

struct path_params {
	int mode;                /* enum pt_proto: udp, icmp */
	int max_hops;
	int probes;
	int port;
	double trigger_loss_pct; /* another result's loss above it runs a trace at once; 0 off */
	int trigger_rtt_ms;      /* another result's RTT p95 above it, the same; 0 off */
	int trigger_gap_s;       /* at most one run in this many seconds for a trigger */
};

struct path_run {
	struct probe_life life;  /* first: the run's lifecycle */
	struct path_params p;
	struct life_poll poll;
	int fd;
	bool raw;                /* icmp on a raw socket (no ping socket allowed) */
	uint16_t id;             /* icmp on a raw socket: our identifier */
	struct in_addr dest;
	int64_t sent_ns[PATH_NPROBES];
	bool answered[PATH_NPROBES];
	struct pt_hop hops[PATHTRACE_MAX_HOPS];
	int dest_ttl;            /* TTL the target answered at, 0 none yet */
};

static void
path_free(struct probe_life *l)
{
	free(l);
}

static void
path_stop(struct probe_life *l)
{
	struct path_run *s = (struct path_run *)l;
	life_unwatch(&s->poll);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void
path_send(struct probe_life *l, int i)
{
	struct path_run *s = (struct path_run *)l;
	uint8_t buf[PATH_PAYLOAD];
	int ttl = i / s->p.probes + 1;
	if (s->dest_ttl > 0 && ttl > s->dest_ttl)
		return;  /* the target answered below: no need */
	setsockopt(s->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	size_t len = s->p.mode == PT_ICMP ? PATHTRACE_ICMP_LEN : sizeof(buf);
	pt_probe_payload((enum pt_proto)s->p.mode, s->id, (uint16_t)i, buf, len);
	s->sent_ns[i] = clock_mono_ns();
	/* a send reports an ICMP error queued before it (sk_err) and sends
	 * nothing: once more then */
	if (send(s->fd, buf, len, 0) >= 0 || send(s->fd, buf, len, 0) >= 0)
		s->hops[ttl - 1].sent++;
	else
		s->sent_ns[i] = 0;
}

static int
path_pending(const struct probe_life *l)
{
	const struct path_run *s = (const struct path_run *)l;
	int last = s->dest_ttl > 0 ? s->dest_ttl : s->p.max_hops, n = 0;
	for (int i = 0; i < last * s->p.probes; i++)
		n += s->sent_ns[i] != 0 && !s->answered[i];
	return s->dest_ttl > 0 ? n : 1;
}

static void
take(struct path_run *s, const struct pt_answer *a, int64_t now)
{
	if (a->seq < 0 || a->seq >= s->p.max_hops * s->p.probes || s->sent_ns[a->seq] == 0 ||
	    s->answered[a->seq])
		return;
	s->answered[a->seq] = true;
	struct pt_hop *h = &s->hops[a->seq / s->p.probes];
	if (h->recv == 0)
		h->addr = a->from;
	if (h->recv < PATHTRACE_PROBES_MAX)
		h->rtt_ms[h->recv] = target_ms_between(s->sent_ns[a->seq], now);
	h->recv++;
	if (a->from.s_addr == s->dest.s_addr &&
	    (s->dest_ttl == 0 || h->ttl < s->dest_ttl))
		s->dest_ttl = h->ttl;
}

/* icmp: the target's echo replies, which come as data, not errors (a
 * raw socket gives the IP header too and every reply for the host). */
static void
read_replies(struct path_run *s)
{
	uint8_t d[PATH_PAYLOAD + 128];
	ssize_t n;
	while (s->life.phase != LIFE_OVER && (n = recv(s->fd, d, sizeof(d), MSG_DONTWAIT)) > 0) {
		size_t off = s->raw ? (size_t)(d[0] & 0x0f) * 4 : 0;
		if ((size_t)n < off + 8 || d[off] != ICMP_ECHOREPLY ||
		    (s->raw && ((d[off + 4] << 8) | d[off + 5]) != s->id) || !life_receiving(&s->life))
			continue;
		struct pt_answer a = { .kind = PT_UNREACHABLE, .from = s->dest,
			.seq = (d[off + 6] << 8) | d[off + 7] };
		take(s, &a, clock_mono_ns());
		life_replied(&s->life);
	}
}

static void
on_readable(uv_poll_t *p, int status, int events)
{
	struct path_run *s = p->data;
	(void)status;
	(void)events;
	if (s->p.mode == PT_ICMP)
		read_replies(s);
	if (s->life.phase == LIFE_OVER)
		return;
	for (;;) {
		union { struct cmsghdr align; uint8_t b[512]; } ctl;
		uint8_t data[PATH_PAYLOAD + 64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			.msg_controllen = sizeof(ctl.b) };
		ssize_t n = recvmsg(s->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			break;  /* EAGAIN: drained */
		struct pt_answer a;
		if (life_receiving(&s->life) &&
		    pt_parse_errqueue(ctl.b, m.msg_controllen, data, (size_t)n,
		        (enum pt_proto)s->p.mode, &a)) {
			take(s, &a, clock_mono_ns());
			life_replied(&s->life);
			if (s->life.phase == LIFE_OVER)
				return;
		}
	}
}

static json_t *
path_result(struct probe_life *l)
{
	struct path_run *s = (struct path_run *)l;
	size_t n = s->dest_ttl > 0 ? (size_t)s->dest_ttl : (size_t)s->p.max_hops;
	while (s->dest_ttl == 0 && n > 1 && s->hops[n - 1].recv == 0 && s->hops[n - 2].recv == 0)
		n--;  /* silent tail of an unreached target: one silent hop says it */
	pt_finish(s->hops, n);
	return pt_result_json(l->def->target, (enum pt_proto)s->p.mode, s->dest, s->hops, n,
	    target_ms_between(l->t0, clock_mono_ns()));
}

static void
path_timeout(struct probe_life *l)
{
	life_finish(l, path_result(l));
}

/* udp; icmp on a ping socket (net.ipv4.ping_group_range), else a raw one
 * (CAP_NET_RAW), whose identifier is ours to choose and keep. */
static int
path_socket(struct path_run *s)
{
	int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
	if (s->p.mode == PT_UDP)
		return socket(AF_INET, SOCK_DGRAM | flags, IPPROTO_UDP);
	int fd = socket(AF_INET, SOCK_DGRAM | flags, IPPROTO_ICMP);
	if (fd >= 0)
		return fd;
	s->raw = true;
	s->id = (uint16_t)(getpid() ^ (uintptr_t)s);
	return socket(AF_INET, SOCK_RAW | flags, IPPROTO_ICMP);
}

static pantau_err
path_open(struct path_run *s, const struct sockaddr *sa)
{
	int one = 1;
	struct sockaddr_in to;
	memcpy(&to, sa, sizeof(to));
	to.sin_port = htons(s->p.mode == PT_UDP ? (uint16_t)s->p.port : 0);
	s->dest = to.sin_addr;
	s->fd = path_socket(s);
	if (s->fd < 0)
		return PANTAU_ERR_IO;
	if (setsockopt(s->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) != 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one)) != 0 ||
	    connect(s->fd, (struct sockaddr *)&to, sizeof(to)) != 0)
		return PANTAU_ERR_IO;
	/* the error queue polls as POLLERR | POLLPRI (SO_SELECT_ERR_QUEUE):
	 * libuv passes it on only when priority events are asked for */
	int r = life_watch(&s->life, &s->poll, s->fd, UV_READABLE | UV_PRIORITIZED, on_readable);
	return r == 0 ? PANTAU_OK : PANTAU_ERR_IO;
}

static void
path_resolved(struct probe_life *l, const struct addrinfo *ai)
{
	struct path_run *s = (struct path_run *)l;
	target_addr_text(ai->ai_addr, l->addr, sizeof(l->addr));
	if (path_open(s, ai->ai_addr) != PANTAU_OK) {
		char why[WIRE_TEXT_MAX];
		snprintf(why, sizeof(why), "cannot open the %s socket: %s%s",
		    s->p.mode == PT_UDP ? "UDP" : "ICMP", strerror(errno), s->p.mode == PT_UDP ? "" :
		    " (mode = icmp needs net.ipv4.ping_group_range to cover the agent's group, or "
		    "CAP_NET_RAW)");
		life_fail(l, why);
		return;
	}
	for (int i = 0; i < s->p.max_hops; i++)
		s->hops[i].ttl = i + 1;
	life_train(l, s->p.max_hops * s->p.probes, PATH_SPACING_MS);
}

static const struct life_ops path_life = {
	.resolved = path_resolved, .send = path_send, .pending = path_pending,
	.result = path_result, .timeout = path_timeout, .stop = path_stop, .free = path_free,
};

static pantau_err
path_start(struct probe_run *run)
{
	struct path_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	s->fd = -1;
	s->p = *(const struct path_params *)run->def->params;
	struct probe_life *l = &s->life;
	life_start(l, run, &path_life, PATH_DEFAULT_TIMEOUT_MS);
	snprintf(l->host, sizeof(l->host), "%.*s", (int)sizeof(l->host) - 1, run->def->target);
	life_resolve(l, NULL, AF_INET, SOCK_DGRAM, l->timeout_ms, false);
	return PANTAU_OK;
}

/* ---- the spec part ---- */

#define O(f) offsetof(struct path_params, f)
static const char *const path_modes[] = { "udp", "icmp", NULL };
/* One row per key (common/cfg.h): key tables look alike by design. */
static const struct cfg_key path_keys[] = {
	{ "mode", CFG_ENUM, O(mode), 0, 0, 0, "udp", path_modes, NULL, 0,
	    "udp (to port) or icmp (echo requests, the same identifier and checksum throughout)" },
	{ "max_hops", CFG_INT, O(max_hops), 0, 1, PATHTRACE_MAX_HOPS, "30", NULL, NULL, 0,
	    "highest TTL traced" },
	{ "probes", CFG_INT, O(probes), 0, 1, PATHTRACE_PROBES_MAX, "3", NULL, NULL, 0,
	    "probes sent with each TTL" },
	{ "port", CFG_INT, O(port), 0, 1, 65535, "33434", NULL, NULL, 0,
	    "UDP destination port of every probe of a run (one flow: ECMP keeps it on one path)" },
	{ "trigger_loss_pct", CFG_DOUBLE, O(trigger_loss_pct), 0, 0, 100, "2", NULL, NULL, 0,
	    "trace at once when another probe's result has loss above this %; 0 = never" },
	{ "trigger_rtt_ms", CFG_INT, O(trigger_rtt_ms), 0, 0, 600000, "0", NULL, NULL, 0,
	    "trace at once when another probe's RTT p95 is above this; 0 = never; e.g. 150" },
	{ "trigger_gap_s", CFG_INT, O(trigger_gap_s), 0, 0, 86400, "300", NULL, NULL, 0,
	    "a trigger runs the trace only if its last run is this many seconds ago" },
};
#undef O

/* Why another probe's result calls for a trace now, into why; false: it
 * does not. Judged by the fields, whatever the kind: loss_pct and
 * rtt_ms.p95 at the top of the result. */
static bool
path_result_bad(const struct path_params *p, const json_t *r, char *why, size_t len)
{
	const char *kind = json_string_value(json_object_get(r, "probe"));
	const char *target = json_string_value(json_object_get(r, "target"));
	const json_t *loss = json_object_get(r, "loss_pct");
	const json_t *p95 = json_object_get(json_object_get(r, "rtt_ms"), "p95");
	if (p->trigger_loss_pct > 0 && json_is_number(loss) &&
	    json_number_value(loss) > p->trigger_loss_pct)
		snprintf(why, len, "%s to %s lost %g %% (trigger_loss_pct %g)", kind ? kind : "?",
		    target ? target : "?", json_number_value(loss), p->trigger_loss_pct);
	else if (p->trigger_rtt_ms > 0 && json_is_number(p95) &&
	    json_number_value(p95) > p->trigger_rtt_ms)
		snprintf(why, len, "%s to %s RTT p95 %.0f ms (trigger_rtt_ms %d)", kind ? kind : "?",
		    target ? target : "?", json_number_value(p95), p->trigger_rtt_ms);
	else
		return false;
	return true;
}

static bool
path_out_of_turn(const struct probe_def *def, const json_t *results, int *gap_s, char *why,
    size_t len)
{
	const struct path_params *p = def->params;
	size_t i;
	const json_t *r;
	*gap_s = p->trigger_gap_s;
	json_array_foreach(results, i, r) {
		const char *kind = json_string_value(json_object_get(r, "probe"));
		if ((kind == NULL || strcmp(kind, def->spec->kind) != 0) &&
		    path_result_bad(p, r, why, len))
			return true;
	}
	return false;
}

static bool
path_check(const struct probe_def *def, char *why, size_t len)
{
	if (def->target[0] == '\0' || strchr(def->target, ':') != NULL) {
		snprintf(why, len, "a host name or IPv4 address (path traces IPv4)");
		return false;
	}
	return true;
}

static int
path_max_duration_ms(const struct probe_def *def)
{
	const struct path_params *p = def->params;
	int t = def->timeout_ms > 0 ? def->timeout_ms : PATH_DEFAULT_TIMEOUT_MS;
	int n = p != NULL ? p->max_hops * p->probes : PATHTRACE_MAX_HOPS * 3;
	return 2 * t + n * PATH_SPACING_MS;
}

const struct probe_spec probe_path_spec = {
	.kind = "path", PROBE_KEYS(path_keys, struct path_params),
	.default_timeout_ms = PATH_DEFAULT_TIMEOUT_MS, .default_interval_s = PATH_DEFAULT_INTERVAL_S,
	.check = path_check, .max_duration_ms = path_max_duration_ms,
	.out_of_turn = path_out_of_turn,
};

const struct probe_exec probe_path_exec = { .start = path_start, .cancel = life_cancel };
