/*
 * dns: count lookups of one name and record type at the configured
 * resolvers (or the system's), with c-ares on the agent's loop
 * (docs/probes.md).
 *
 * c-ares tells which of its sockets to watch (ARES_OPT_SOCK_STATE_CB): one
 * uv_poll a socket, ares_process_fd on readiness, and a uv_timer set from
 * ares_timeout() for its retransmissions. No thread. Queries go one after
 * another; each is timed from ares_send to its reply and bounded by
 * timeout_ms, all tries and resolvers included. The reply's header is read
 * here (dnsreply.c): c-ares passes every reply as it came
 * (ARES_FLAG_NOCHECKRESP), and a truncated one is kept (ARES_FLAG_IGNTC):
 * the probe reports truncation rather than retrying over TCP.
 *
 * Both parts of the kind are here: the exec part (on the probe-run
 * lifecycle, lifecycle.h) and, below it, the spec part (keys, checks).
 */
#include <ares.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/dnsreply.h"
#include "agent/probes/dnsservers.h"
#include "agent/probes/lifecycle.h"
#include "agent/probes/probe.h"
#include "clock.h"
#include "stats.h"

#define DNS_DEFAULT_TIMEOUT_MS 2000
#define DNS_CLASS_IN 1
#define DNS_NAME_MAX 253

struct dns_params {
	int record;             /* index into dns_records */
	char resolvers[200];
	char resolv_conf[128];
	int count;
	int tries;
	bool recursion;
	int edns;               /* UDP payload size advertised; 0: no EDNS */
};

static const char *const dns_records[] = { "A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME",
	"PTR", "SRV", "CAA", NULL };
static const int dns_types[] = { 1, 28, 15, 16, 2, 6, 5, 12, 33, 257 };

/* ---- the exec part ---- */

struct dns_poll {
	uv_poll_t h;            /* first */
	int fd;
	struct dns_run *s;
	struct dns_poll *next;
};

struct dns_run {
	struct probe_life life; /* first: the run's lifecycle */
	const struct dns_params *p;
	struct dnsservers servers;
	ares_channel ch;
	bool lib;               /* ares_library_init done */
	struct life_timer tick; /* ares_timeout(); first: the first query */
	bool began;
	struct dns_poll *polls;
	int next;               /* queries sent */
	bool answered;          /* the current query's callback ran */
	bool timed_out;
	int status;
	struct dnsreply rep, last;
	bool have_rep, truncated;
	int64_t t_send, t_reply;
	int recv;
	double *ms, *scratch;
	char err[WIRE_TEXT_MAX];
};

static void on_tick(uv_timer_t *t);

static void
dns_free(struct probe_life *l)
{
	struct dns_run *s = (struct dns_run *)l;
	free(s->ms);
	free(s->scratch);
	free(s);
}

static void
poll_closed(uv_handle_t *h)
{
	struct dns_poll *p = (struct dns_poll *)h;
	h->data = &p->s->life;
	life_closed(h);
	free(p);
}

static void
poll_drop(struct dns_run *s, struct dns_poll *p)
{
	for (struct dns_poll **pp = &s->polls; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	uv_poll_stop(&p->h);
	uv_close((uv_handle_t *)&p->h, poll_closed);
}

static void
dns_stop(struct probe_life *l)
{
	struct dns_run *s = (struct dns_run *)l;
	if (s->ch != NULL)
		ares_destroy(s->ch); /* closes its sockets: sock_state_cb drops the polls */
	s->ch = NULL;
	while (s->polls != NULL)
		poll_drop(s, s->polls);
	if (s->lib)
		ares_library_cleanup();
	s->lib = false;
	life_timer_close(&s->tick);
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_run *s = arg;
	(void)timeouts;
	if (s->life.phase == LIFE_OVER)
		return; /* ares_destroy */
	s->answered = true;
	s->status = status;
	s->t_reply = clock_mono_ns();
	s->have_rep = status == ARES_SUCCESS && alen > 0 &&
	    dnsreply_parse(abuf, (size_t)alen, &s->rep);
	if (status == ARES_SUCCESS && !s->have_rep)
		s->status = ARES_EBADRESP;
}

static void
note_loss(struct dns_run *s)
{
	struct probe_life *l = &s->life;
	if (s->timed_out || s->status == ARES_ETIMEOUT || s->status == ARES_ECANCELLED)
		snprintf(s->err, sizeof(s->err), "no reply from %s within %d ms",
		    s->servers.text[0], l->timeout_ms);
	else if (s->status == ARES_ECONNREFUSED)
		snprintf(s->err, sizeof(s->err), "%s refused the connection (no DNS server "
		    "there)", s->servers.text[0]);
	else
		snprintf(s->err, sizeof(s->err), "query for %.253s failed: %s", l->def->target,
		    ares_strerror(s->status));
}

static void
record_answer(struct dns_run *s)
{
	int i = s->next - 1;
	if (s->have_rep) {
		s->ms[i] = (double)(s->t_reply - s->t_send) / 1e6;
		s->recv++;
		s->last = s->rep;
		s->truncated = s->truncated || s->rep.truncated;
	} else {
		note_loss(s);
	}
	s->have_rep = s->timed_out = false;
}

static void
set_rcode_error(struct dns_run *s, json_t *r, const char *rcode)
{
	char why[WIRE_TEXT_MAX];
	const char *name = s->life.def->target;
	if (s->last.rcode == 3)
		snprintf(why, sizeof(why), "NXDOMAIN: %.253s does not exist", name);
	else if (s->last.rcode == 5)
		snprintf(why, sizeof(why), "REFUSED: the resolver will not answer for %.253s", name);
	else
		snprintf(why, sizeof(why), "%s: the resolver could not answer for %.253s", rcode, name);
	json_object_set_new(r, "error", json_string(why));
}

static json_t *
dns_result(struct dns_run *s)
{
	struct probe_life *l = &s->life;
	struct rtt_stats st;
	char rcode[16];
	json_t *r = wire_result_new("dns", l->def->target);
	if (r == NULL)
		return NULL;
	stats_rtt(s->ms, (size_t)l->count, s->scratch, &st);
	bool ok = s->recv > 0 && s->last.rcode == 0;
	json_object_set_new(r, "ok", json_boolean(ok));
	json_object_set_new(r, "record", json_string(dns_records[s->p->record]));
	json_object_set_new(r, "resolver", json_string(s->servers.text[0]));
	json_object_set_new(r, "sent", json_integer(l->count));
	json_object_set_new(r, "recv", json_integer(s->recv));
	wire_set_num(r, "loss_pct", st.loss_pct);
	if (s->recv > 0) {
		json_object_set_new(r, "time_ms", probe_quantiles_json(&st));
		dnsreply_rcode_name(s->last.rcode, rcode, sizeof(rcode));
		json_object_set_new(r, "rcode", json_string(rcode));
		json_object_set_new(r, "answers", json_integer(s->last.answers));
		json_object_set_new(r, "truncated", json_boolean(s->truncated));
		json_object_set_new(r, "ad", json_boolean(s->last.authentic));
		if (!ok)
			set_rcode_error(s, r, rcode);
	} else {
		json_object_set_new(r, "error", json_string(s->err));
	}
	return r;
}

/* Send query s->next; false when it cannot be built. */
static bool
send_next(struct dns_run *s)
{
	struct probe_life *l = &s->life;
	unsigned char *q = NULL;
	int qlen = 0;
	if (ares_create_query(l->def->target, DNS_CLASS_IN, dns_types[s->p->record], 0,
	        s->p->recursion ? 1 : 0, &q, &qlen, s->p->edns) != ARES_SUCCESS) {
		snprintf(l->why, sizeof(l->why), "cannot build a query for %.253s", l->def->target);
		return false;
	}
	dnsreply_query_want_ad(q, (size_t)qlen);
	s->next++;
	life_wait(l, l->timeout_ms);
	s->t_send = clock_mono_ns();
	ares_send(s->ch, q, qlen, on_answer, s);
	ares_free_string(q);
	return true;
}

static void
arm_tick(struct dns_run *s)
{
	struct timeval tv;
	if (s->ch == NULL || !s->tick.open)
		return;
	if (ares_timeout(s->ch, NULL, &tv) == NULL) {
		uv_timer_stop(&s->tick.h);
		return;
	}
	uint64_t ms = (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;
	uv_timer_start(&s->tick.h, on_tick, ms, 0);
}

/* After c-ares returned: take the answer, go on or finish. */
static void
drive(struct dns_run *s)
{
	struct probe_life *l = &s->life;
	while (s->answered && l->phase != LIFE_OVER) {
		s->answered = false;
		record_answer(s);
		if (s->next >= l->count) {
			life_finish(l, dns_result(s));
			return;
		}
		if (!send_next(s)) {
			life_fail(l, l->why);
			return;
		}
	}
	arm_tick(s);
}

static void
on_tick(uv_timer_t *t)
{
	struct dns_run *s = t->data;
	if (s->life.phase == LIFE_OVER)
		return;
	if (!s->began) {
		s->began = true;
		if (!send_next(s)) {
			life_fail(&s->life, s->life.why);
			return;
		}
	} else {
		ares_process_fd(s->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	drive(s);
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct dns_poll *p = (struct dns_poll *)h;
	struct dns_run *s = p->s;
	int fd = p->fd;
	if (s->life.phase == LIFE_OVER || s->ch == NULL)
		return;
	bool rd = status < 0 || (events & UV_READABLE) != 0;
	bool wr = status < 0 || (events & UV_WRITABLE) != 0;
	ares_process_fd(s->ch, rd ? fd : ARES_SOCKET_BAD, wr ? fd : ARES_SOCKET_BAD);
	drive(s);
}

static void
on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_run *s = data;
	struct dns_poll *p = s->polls;
	while (p != NULL && p->fd != fd)
		p = p->next;
	if (!readable && !writable) {
		if (p != NULL)
			poll_drop(s, p);
		return;
	}
	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL || uv_poll_init_socket(s->life.timer.loop, &p->h, fd) != 0) {
			free(p);
			return; /* the query times out */
		}
		p->fd = fd;
		p->s = s;
		p->next = s->polls;
		s->polls = p;
		life_hold(&s->life);
	}
	uv_poll_start(&p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0),
	    on_poll);
}

static void
dns_timeout(struct probe_life *l)
{
	struct dns_run *s = (struct dns_run *)l;
	s->timed_out = true;
	ares_cancel(s->ch); /* on_answer with ARES_ECANCELLED */
	drive(s);
}

static const struct life_ops dns_life = {
	.timeout = dns_timeout, .stop = dns_stop, .free = dns_free,
};

/* One try's wait: timeout_ms shared by every try at every resolver, as
 * c-ares doubles it in each round (tries rounds of n resolvers). */
static int
try_ms(int timeout_ms, int tries, size_t n)
{
	int parts = (int)n * ((1 << tries) - 1);
	int ms = timeout_ms / (parts > 0 ? parts : 1);
	return ms > 10 ? ms : 10;
}

static bool
open_channel(struct dns_run *s)
{
	struct ares_options o;
	struct in_addr none = { 0 };
	memset(&o, 0, sizeof(o));
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return false;
	s->lib = true;
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_IGNTC | ARES_FLAG_NOSEARCH;
	o.timeout = try_ms(s->life.timeout_ms, s->p->tries, s->servers.n);
	o.tries = s->p->tries;
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = s;
	o.servers = &none; /* replaced below: keeps c-ares from reading resolv.conf */
	o.nservers = 1;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_SERVERS | ARES_OPT_NOROTATE;
	if (ares_init_options(&s->ch, &o, mask) != ARES_SUCCESS) {
		s->ch = NULL;
		return false;
	}
	return ares_set_servers_ports(s->ch, &s->servers.node[0]) == ARES_SUCCESS;
}

static struct dns_run *
run_new(int count)
{
	struct dns_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->ms = calloc((size_t)count, sizeof(*s->ms));
	s->scratch = calloc((size_t)count, sizeof(*s->scratch));
	if (s->ms == NULL || s->scratch == NULL) {
		dns_free(&s->life);
		return NULL;
	}
	for (int i = 0; i < count; i++)
		s->ms[i] = STATS_LOST;
	return s;
}

static pantau_err
dns_start(struct probe_run *run)
{
	const struct dns_params *p = run->def->params;
	char why[WIRE_TEXT_MAX];
	if (p == NULL || p->count < 1 || p->count > 100)
		return PANTAU_ERR_INVAL;
	struct dns_run *s = run_new(p->count);
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	struct probe_life *l = &s->life;
	s->p = p;
	life_start(l, run, &dns_life, DNS_DEFAULT_TIMEOUT_MS);
	l->count = p->count;
	life_timer_open(l, &s->tick);
	bool have = p->resolvers[0] != '\0' ?
	    dnsservers_parse(p->resolvers, &s->servers, why, sizeof(why)) :
	    dnsservers_read_conf(p->resolv_conf, &s->servers, why, sizeof(why));
	if (!have) {
		life_fail_later(l, "%s", why);
		return PANTAU_OK;
	}
	if (!open_channel(s)) {
		life_fail_later(l, "cannot set up the resolver library (c-ares)");
		return PANTAU_OK;
	}
	uv_timer_start(&s->tick.h, on_tick, 0, 0); /* the first query, from the loop */
	return PANTAU_OK;
}

/* ---- the spec part ---- */

static bool
edns_check(const char *v, char *why, size_t len)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (end != v && *end == '\0' && (n == 0 || (n >= 512 && n <= 4096)))
		return true;
	snprintf(why, len, "\"%s\": use 0 (no EDNS) or a UDP payload size of 512-4096, "
	    "e.g. edns = 1232", v);
	return false;
}

#define O(f) offsetof(struct dns_params, f)
static const struct cfg_key dns_keys[] = {
	CFG_KEY_ENUM("record", O(record), "A", dns_records,
	    "record type asked: A, AAAA, MX, TXT, NS, SOA, CNAME, PTR, SRV or CAA"),
	CFG_KEY_STR("resolvers", O(resolvers), sizeof(((struct dns_params *)0)->resolvers), "",
	    "resolvers asked, in order (at most 3); e.g. resolvers = 198.18.0.1:53, "
	    "[2001:db8::53]; empty: those of resolv_conf", .check = dnsservers_check),
	CFG_KEY_STR("resolv_conf", O(resolv_conf), sizeof(((struct dns_params *)0)->resolv_conf),
	    "/etc/resolv.conf",
	    "file whose nameserver lines are used when resolvers is empty"),
	CFG_KEY_INT("count", O(count), 1, 100, "3", "queries per run, one after another"),
	CFG_KEY_INT("tries", O(tries), 1, 4, "2",
	    "rounds of tries over the resolvers before a query is lost"),
	CFG_KEY_BOOL("recursion", O(recursion), "true",
	    "ask for recursion (the RD flag); false for an authoritative server"),
	CFG_KEY_INT("edns", O(edns), 0, 4096, "1232",
	    "EDNS UDP payload size advertised; 0 = no EDNS (replies over 512 bytes truncate)",
	    .check = edns_check),
};
#undef O

static bool
dns_check(const struct probe_def *def, char *why, size_t len)
{
	const char *n = def->target;
	size_t total = strlen(n), label = 0;
	if (total == 0 || total > DNS_NAME_MAX) {
		snprintf(why, len, "\"%.253s...\" is not a DNS name (1-%d characters), e.g. "
		    "tally.example.go.id", n, DNS_NAME_MAX);
		return false;
	}
	for (const char *p = n; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 && !(p == n && p[1] == '\0'))
				goto bad;
			label = 0;
		} else if ((!isalnum((unsigned char)*p) && *p != '-' && *p != '_') || ++label > 63) {
			goto bad;
		}
	}
	return true;
bad:
	snprintf(why, len, "\"%.253s\" is not a DNS name: labels of 1-63 letters, digits, '-' "
	    "or '_' between dots, e.g. tally.example.go.id", n);
	return false;
}

static int
dns_max_duration_ms(const struct probe_def *def)
{
	const struct dns_params *p = def->params;
	int timeout = def->timeout_ms > 0 ? def->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	return (p != NULL ? p->count : 1) * timeout;
}

static void
dns_failure_fields(json_t *r)
{
	json_object_set_new(r, "ok", json_false());
	probe_train_failure_fields(r);
}

const struct probe_spec probe_dns_spec = {
	.kind = "dns", PROBE_KEYS(dns_keys, struct dns_params),
	.default_timeout_ms = DNS_DEFAULT_TIMEOUT_MS, .check = dns_check,
	.max_duration_ms = dns_max_duration_ms, .failure_fields = dns_failure_fields,
};

const struct probe_exec probe_dns_exec = { .start = dns_start, .cancel = life_cancel };
