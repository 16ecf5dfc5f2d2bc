/*
 * throughput: download and upload rate against a pantau-reflector's HTTP
 * endpoint with libcurl's multi interface (docs/probes.md).
 *
 * Each direction opens `connections` fresh connections at once (GET
 * /download?bytes=N, POST /upload of N bytes) and runs for duration_s;
 * every TPUT_SAMPLE_MS the bytes so far (download: received; upload:
 * acknowledged by the peer, TCP_INFO tcpi_bytes_acked) and each
 * connection's TCP_INFO are sampled (its socket comes from
 * CURLOPT_SOCKOPTFUNCTION). The rate leaves out the warm-up
 * (tput_rate.c). Idle RTT: the fastest TCP handshake; loaded RTT: the
 * kernel's RTT estimate of the connections after the warm-up (upload:
 * tcpi_rtt of our sending side; download: tcpi_rcv_rtt, the receiver's
 * estimate). N is bounded by the daily data budget (budget.c, the agent's
 * allowance handed to the worker); with too little left the test is skipped
 * and the result says so. The exec part, run in pantau-probe-worker; its
 * spec part (keys, checks) is throughput_spec.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/probes/budget.h"
#include "curlglue.h"
#include "agent/probes/probe.h"
#include "agent/probes/curlkinds.h"
#include "agent/probes/curlrun.h"
#include "agent/probes/tput_rate.h"
#include "agent/probes/tcpinfo.h"
#include "clock.h"
#include "log.h"
#include "stats.h"

/* Less budget left than this: skip. */
#define TPUT_MIN_BYTES 1000000LL
#define TPUT_UPLOAD_CHUNK (64 * 1024)

struct conn {
	struct tput_run *s;
	CURL *easy;
	bool running;
	CURLcode rc;
	int64_t bytes;          /* download: read by libcurl; upload: handed to it */
	int64_t acked;          /* at the TCP level: upload acknowledged by the peer,
	                         * download received (read by us or not) */
	double connect_ms;      /* handshake, < 0 until known */
	curl_socket_t fd;       /* the connection's socket, from CURLOPT_SOCKOPTFUNCTION */
	struct tcpinfo ti;      /* last sample */
	char err[CURL_ERROR_SIZE];
	bool have_ti;
};

struct tput_run {
	struct probe_run *run;
	const struct probe_def *def;
	struct tput_params p;
	uv_timer_t timer;
	bool over;
	bool upload;            /* the direction running */
	int phase;              /* 0: first direction, 1: second */
	int64_t per_conn;       /* bytes asked per connection */
	int64_t t0;
	struct conn c[TPUT_MAX_CONNS];
	struct curl_slist *headers;
	size_t n, cap;          /* samples */
	int64_t *cum, *t_ns;
	double *rtt;            /* loaded RTT per sample, ms (STATS_LOST: none) */
	double idle_ms;         /* idle RTT from the first direction's handshakes, < 0 */
	json_t *result;
	uint8_t chunk[TPUT_UPLOAD_CHUNK];
};

static void on_tick(uv_timer_t *t);
static void phase_begin(struct tput_run *s);

static size_t
on_download(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct conn *c = arg;
	(void)ptr;
	c->bytes += (int64_t)(size * nmemb);
	return size * nmemb;
}

static size_t
on_upload(char *buf, size_t size, size_t nitems, void *arg)
{
	struct conn *c = arg;
	size_t n = size * nitems;
	int64_t left = c->s->per_conn - c->bytes;
	if ((int64_t)n > left)
		n = (size_t)left;
	if (n > sizeof(c->s->chunk))
		n = sizeof(c->s->chunk);
	memcpy(buf, c->s->chunk, n);
	c->bytes += (int64_t)n;
	return n;
}

/* The TCP handshake of this connection: its idle RTT. */
static void
read_connect(struct conn *c)
{
	struct curlglue_phases p;
	if (c->connect_ms >= 0)
		return;
	curlglue_phases(c->easy, &p);
	c->connect_ms = p.connect_ms;
}

/* libcurl made the connection's socket: keep it for TCP_INFO samples
 * (CURLINFO_ACTIVESOCKET gives it only once the transfer is over). */
static int
on_socket(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct conn *c = arg;
	if (purpose == CURLSOCKTYPE_IPCXN)
		c->fd = fd;
	return CURL_SOCKOPT_OK;
}

/* Sampled only while the transfer runs, so the socket is still libcurl's. */
static void
sample_tcp(struct conn *c)
{
	read_connect(c);
	if (c->fd == CURL_SOCKET_BAD)
		return;
	if (tcpinfo_read(c->fd, &c->ti)) {
		c->have_ti = true;
		int64_t tcp = (int64_t)(c->s->upload ? c->ti.bytes_acked : c->ti.bytes_received);
		if (tcp > c->acked)
			c->acked = tcp;
	}
}

static pantau_err
grow(struct tput_run *s)
{
	if (s->n < s->cap)
		return PANTAU_OK;
	size_t cap = s->cap ? s->cap * 2 : 64;
	int64_t *cum = realloc(s->cum, cap * sizeof(*cum));
	if (cum != NULL)
		s->cum = cum;
	int64_t *t = realloc(s->t_ns, cap * sizeof(*t));
	if (t != NULL)
		s->t_ns = t;
	double *r = realloc(s->rtt, cap * sizeof(*r));
	if (r != NULL)
		s->rtt = r;
	if (cum == NULL || t == NULL || r == NULL)
		return PANTAU_ERR_NOMEM;
	s->cap = cap;
	return PANTAU_OK;
}

/* One sample: bytes so far in this direction and the loaded RTT. */
static void
take_sample(struct tput_run *s)
{
	double rtts[TPUT_MAX_CONNS];
	size_t nr = 0;
	int64_t cum = 0;
	if (grow(s) != PANTAU_OK)
		return;
	for (int i = 0; i < s->p.connections; i++) {
		struct conn *c = &s->c[i];
		if (c->running)
			sample_tcp(c);
		/* TCP's count, so a busy loop reading late does not shift bytes
		 * from one sample to the next (upload: what arrived, not what
		 * was handed over); a finished transfer has it all. */
		if (s->upload || c->acked > c->bytes)
			cum += c->acked;
		else
			cum += c->bytes;
		uint32_t us = s->upload ? c->ti.rtt_us : c->ti.rcv_rtt_us;
		if (c->running && c->have_ti && us > 0)
			rtts[nr++] = us / 1000.0;
	}
	stats_sort(rtts, nr);
	s->cum[s->n] = s->n == 0 ? 0 : cum;
	s->t_ns[s->n] = clock_mono_ns();
	s->rtt[s->n] = nr > 0 ? stats_percentile_sorted(rtts, nr, 0.5) : STATS_LOST;
	s->n++;
}

static double
loaded_rtt(const struct tput_run *s, size_t from)
{
	double v[1024];
	size_t n = 0;
	for (size_t i = from; i < s->n && n < sizeof(v) / sizeof(v[0]); i++)
		if (s->rtt[i] >= 0)
			v[n++] = s->rtt[i];
	if (n == 0)
		return -1;
	stats_sort(v, n);
	return stats_percentile_sorted(v, n, 0.5);
}

/* Retransmissions and RFC 6349 TCP efficiency of our sending side. */
static void
set_retrans(json_t *o, const struct tput_run *s)
{
	uint64_t retrans = 0, sent = 0, resent = 0;
	for (int i = 0; i < s->p.connections; i++) {
		retrans += s->c[i].ti.total_retrans;
		sent += s->c[i].ti.bytes_sent;
		resent += s->c[i].ti.bytes_retrans;
	}
	json_object_set_new(o, "retrans", json_integer((json_int_t)retrans));
	if (sent > 0)
		wire_set_num(o, "tcp_efficiency_pct",
		    (double)(sent - (resent < sent ? resent : sent)) * 100.0 / (double)sent);
}

/* Idle RTT: the fastest handshake of the first direction, taken before
 * any load (the second direction's handshakes can queue behind what the
 * first left in the bottleneck's buffer). */
static void
set_rtts(json_t *o, struct tput_run *s, size_t warmup)
{
	for (int i = 0; s->phase == 0 && i < s->p.connections; i++)
		if (s->c[i].connect_ms >= 0 && (s->idle_ms < 0 || s->c[i].connect_ms < s->idle_ms))
			s->idle_ms = s->c[i].connect_ms;
	double idle = s->idle_ms;
	double loaded = loaded_rtt(s, warmup + 1);
	if (idle >= 0)
		wire_set_num(o, "rtt_idle_ms", idle);
	if (loaded >= 0)
		wire_set_num(o, "rtt_loaded_ms", loaded);
	if (idle >= 0 && loaded >= 0)
		wire_set_num(o, "bufferbloat_ms", loaded > idle ? loaded - idle : 0);
}

/* The first connection's failure, when no byte moved at all. */
static const char *
phase_failure(const struct tput_run *s, int64_t total)
{
	if (total > 0)
		return NULL;
	for (int i = 0; i < s->p.connections; i++)
		if (s->c[i].rc != CURLE_OK)
			return s->c[i].err[0] != '\0' ? s->c[i].err : curl_easy_strerror(s->c[i].rc);
	return "no data moved";
}

static json_t *
phase_result(struct tput_run *s)
{
	struct tput_window w;
	json_t *o = json_object();
	int64_t total = s->n > 0 ? s->cum[s->n - 1] : 0;
	const char *err = phase_failure(s, total);
	if (err != NULL) {
		json_object_set_new(o, "error", json_string(err));
		return o;
	}
	tput_rate(s->cum, s->t_ns, s->n, &w);
	wire_set_num(o, "mbps", w.mbps);
	json_object_set_new(o, "bytes", json_integer((json_int_t)w.bytes));
	wire_set_num(o, "duration_ms", w.secs * 1e3);
	wire_set_num(o, "warmup_ms", (double)(s->t_ns[w.warmup] - s->t_ns[0]) / 1e6);
	json_object_set_new(o, "stable", json_boolean(w.stable));
	json_object_set_new(o, "connections", json_integer(s->p.connections));
	set_rtts(o, s, w.warmup);
	if (s->upload)
		set_retrans(o, s);
	return o;
}

static void
on_timer_closed(uv_handle_t *h)
{
	struct tput_run *s = h->data;
	curl_slist_free_all(s->headers);
	json_decref(s->result);
	free(s->cum);
	free(s->t_ns);
	free(s->rtt);
	free(s);
}

/* Take every transfer back from the multi. */
static void
drop_conns(struct tput_run *s)
{
	for (int i = 0; i < s->p.connections; i++) {
		struct conn *c = &s->c[i];
		if (c->easy == NULL)
			continue;
		if (c->running)
			curlglue_remove(s->run->env->curl, c->easy);
		curl_easy_cleanup(c->easy);
		c->easy = NULL;
		c->running = false;
	}
}

static void
stop(struct tput_run *s)
{
	if (s->over)
		return;
	s->over = true;
	drop_conns(s);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

static void
finish(struct tput_run *s)
{
	struct probe_run *run = s->run;
	json_t *r = s->result;
	s->result = NULL;
	bool ok = json_object_get(r, "skipped") == NULL;
	for (int i = 0; i < 2 && ok; i++) {
		const char *dir = i == 0 ? "download" : "upload";
		const char *err = json_string_value(json_object_get(json_object_get(r, dir), "error"));
		if (err != NULL) {
			char why[WIRE_TEXT_MAX];
			snprintf(why, sizeof(why), "%s: %s", dir, err);
			json_object_set_new(r, "error", json_string(why));
			ok = false;
		}
	}
	if (json_object_get(r, "skipped") == NULL)
		json_object_set_new(r, "ok", json_boolean(ok));
	json_object_set_new(r, "budget", json_pack("{s:I,s:I}", "limit_bytes",
	    (json_int_t)budget_limit(run->env->budget), "used_bytes",
	    (json_int_t)budget_used(run->env->budget, clock_real_ms())));
	stop(s);
	run->state = NULL;
	run->done(run, r);
}

static void
phase_end(struct tput_run *s)
{
	take_sample(s);
	int64_t spent = 0;
	for (int i = 0; i < s->p.connections; i++)  /* what crossed the link, at most */
		spent += s->c[i].bytes > s->c[i].acked ? s->c[i].bytes : s->c[i].acked;
	drop_conns(s);
	json_object_set_new(s->result, s->upload ? "upload" : "download", phase_result(s));
	if (budget_spend(s->run->env->budget, spent, clock_real_ms()) != PANTAU_OK)
		log_warnx("throughput: cannot store the data budget in the state folder");
	uv_timer_stop(&s->timer);
	s->phase++;
	if (s->phase == 1 && s->p.direction == SEL_BOTH) {
		s->upload = true;
		phase_begin(s);
		return;
	}
	finish(s);
}

static bool
all_finished(const struct tput_run *s)
{
	for (int i = 0; i < s->p.connections; i++)
		if (s->c[i].running)
			return false;
	return true;
}

static void
on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct conn *c = arg;
	(void)easy;
	c->running = false;
	c->rc = rc;
	read_connect(c);
	if (rc == CURLE_OK && c->s->upload)
		c->acked = c->bytes; /* the reflector answered: everything arrived */
	if (all_finished(c->s))
		phase_end(c->s);
}

static void
on_tick(uv_timer_t *t)
{
	struct tput_run *s = t->data;
	take_sample(s);
	if (all_finished(s) ||
	    clock_mono_ns() - s->t0 >= (int64_t)s->p.duration_s * 1000000000LL)
		phase_end(s);
}

static CURL *
make_easy(struct tput_run *s, struct conn *c)
{
	char url[WIRE_TARGET_MAX + 64];
	size_t base = strlen(s->def->target);
	while (base > 0 && s->def->target[base - 1] == '/')
		base--;
	CURL *e = curl_easy_init();
	if (e == NULL)
		return NULL;
	if (s->upload)
		snprintf(url, sizeof(url), "%.*s/upload", (int)base, s->def->target);
	else
		snprintf(url, sizeof(url), "%.*s/download?bytes=%lld", (int)base, s->def->target,
		    (long long)s->per_conn);
	curlrun_fresh(e, url, c->err);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_socket);
	curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->def->timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)s->p.duration_s * 1000L + (long)s->def->timeout_ms + 5000L);
	if (s->upload) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->per_conn);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(e, CURLOPT_READDATA, c);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curlrun_discard);
	} else {
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_download);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	}
	return e;
}

static void
phase_begin(struct tput_run *s)
{
	s->n = 0;
	for (int i = 0; i < s->p.connections; i++) {
		struct conn *c = &s->c[i];
		memset(c, 0, sizeof(*c));
		c->s = s;
		c->fd = CURL_SOCKET_BAD;
		c->connect_ms = -1;
		c->easy = make_easy(s, c);
		if (c->easy == NULL) {
			c->rc = CURLE_OUT_OF_MEMORY;
			continue;
		}
		c->running = curlglue_add(s->run->env->curl, c->easy, on_done, c) == PANTAU_OK;
		if (!c->running)
			c->rc = CURLE_FAILED_INIT;
	}
	s->t0 = clock_mono_ns();
	take_sample(s);
	uv_timer_start(&s->timer, on_tick, TPUT_SAMPLE_MS, TPUT_SAMPLE_MS);
	if (all_finished(s))
		uv_timer_start(&s->timer, on_tick, 0, 0); /* report from the loop */
}

static void
on_skip(uv_timer_t *t)
{
	finish(t->data);
}

static bool
skip_for_budget(struct tput_run *s, int64_t left)
{
	struct budget *b = s->run->env->budget;
	char note[200];
	if (left >= TPUT_MIN_BYTES)
		return false;
	curlrun_budget_note(b, "test", note, sizeof(note));
	json_object_set_new(s->result, "skipped", json_string("budget"));
	json_object_set_new(s->result, "note", json_string(note));
	uv_timer_start(&s->timer, on_skip, 0, 0);
	return true;
}

static pantau_err
tput_start(struct probe_run *run)
{
	struct tput_run *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PANTAU_ERR_NOMEM;
	s->run = run;
	s->def = run->def;
	s->p = *(const struct tput_params *)run->def->params;
	s->result = wire_result_new("throughput", run->def->target);
	s->idle_ms = -1;
	s->headers = curl_slist_append(NULL, "Expect:");
	if (s->headers != NULL)
		s->headers = curl_slist_append(s->headers, "Content-Type: application/octet-stream");
	uv_timer_init(run->env->loop, &s->timer);
	s->timer.data = s;
	run->state = s;
	if (s->result == NULL || s->headers == NULL) {
		stop(s);
		run->state = NULL;
		return PANTAU_ERR_NOMEM;
	}
	for (size_t i = 0; i < sizeof(s->chunk); i++)
		s->chunk[i] = (uint8_t)(rng_next(run->env->rng) >> 56);
	int64_t left = budget_left(run->env->budget, clock_real_ms());
	if (skip_for_budget(s, left))
		return PANTAU_OK;
	int dirs = s->p.direction == SEL_BOTH ? 2 : 1;
	s->per_conn = left / (dirs * s->p.connections);
	if (s->per_conn > s->p.max_bytes)
		s->per_conn = s->p.max_bytes;
	s->upload = s->p.direction == SEL_UPLOAD;
	phase_begin(s);
	return PANTAU_OK;
}

static void
tput_cancel(struct probe_run *run, void *state)
{
	(void)run;
	stop(state);
}

const struct probe_exec probe_throughput_exec = { .start = tput_start, .cancel = tput_cancel };
