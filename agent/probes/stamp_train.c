#include "agent/probes/stamp_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/probes/probe.h"
#include "block.h"
#include "stats.h"
#include "wire.h"

enum pkt_state {
	PKT_UNSENT = 0,
	PKT_PENDING,
	PKT_OK,
	PKT_LATE,
	PKT_SEND_FAILED,
};

struct stamp_train {
	int count;
	int64_t timeout_ns;
	struct stamp_errest local;
	bool remote_synced;        /* every counted reply said synchronised */
	double remote_err_s;       /* largest error estimate of the reflector */
	int sent, pending, recv, dup, late, reordered, send_failed, send_errno;
	bool refused;              /* ICMP port unreachable seen */
	int max_seq;               /* highest sequence number received, -1 */
	int ttl;                   /* sender TTL the reflector saw last, -1 */
	int64_t *t1;
	uint64_t *ntp;
	uint8_t *st;
	double *rtt, *fwd, *back, *scratch;
};

struct stamp_train *
stamp_train_new(int count, int timeout_ms, const struct stamp_errest *local)
{
	if (count < 1)
		return NULL;
	size_t n = (size_t)count;
	struct block b;
	struct stamp_train *t = block_alloc(sizeof(*t), n * (sizeof(*t->t1) + sizeof(*t->ntp) +
	    4 * sizeof(double) + sizeof(*t->st)), &b);
	if (t == NULL)
		return NULL;
	t->t1 = block_take(&b, n, sizeof(*t->t1));
	t->ntp = block_take(&b, n, sizeof(*t->ntp));
	t->rtt = block_take(&b, n, sizeof(double));
	t->fwd = block_take(&b, n, sizeof(double));
	t->back = block_take(&b, n, sizeof(double));
	t->scratch = block_take(&b, n, sizeof(double));
	t->st = block_take(&b, n, sizeof(*t->st));
	for (size_t i = 0; i < n; i++)
		t->rtt[i] = STATS_LOST;
	t->count = count;
	t->timeout_ns = (int64_t)timeout_ms * 1000000LL;
	t->local = *local;
	t->remote_synced = true;
	t->max_seq = -1;
	t->ttl = -1;
	return t;
}

void
stamp_train_free(struct stamp_train *t)
{
	free(t);
}

void
stamp_train_sent(struct stamp_train *t, int seq, int64_t t1_ns, uint64_t ntp_ts)
{
	if (seq < 0 || seq >= t->count || t->st[seq] != PKT_UNSENT)
		return;
	t->st[seq] = PKT_PENDING;
	t->t1[seq] = t1_ns;
	t->ntp[seq] = ntp_ts;
	t->sent++;
	t->pending++;
}

void
stamp_train_send_failed(struct stamp_train *t, int seq, int err)
{
	if (seq < 0 || seq >= t->count || t->st[seq] != PKT_UNSENT)
		return;
	t->st[seq] = PKT_SEND_FAILED;
	t->sent++;
	t->send_failed++;
	t->send_errno = err;
}

void
stamp_train_refused(struct stamp_train *t)
{
	t->refused = true;
}

static double
ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* Record a reply within the timeout. */
static void
accept_reply(struct stamp_train *t, int seq, const struct stamp_reflector_pkt *p,
    int64_t t4_ns)
{
	struct stamp_errest remote;
	int64_t t2 = stamp_ntp_to_unix_ns(p->rx_ts), t3 = stamp_ntp_to_unix_ns(p->ts);
	int64_t whole = t4_ns - t->t1[seq], inside = t3 - t2;
	/* A reflector whose own times make no sense gets none subtracted. */
	if (inside < 0 || inside > whole)
		inside = 0;
	t->st[seq] = PKT_OK;
	t->recv++;
	t->rtt[seq] = ms(whole - inside);
	t->fwd[seq] = ms(t2 - t->t1[seq]);
	t->back[seq] = ms(t4_ns - t3);
	stamp_errest_decode(p->errest, &remote);
	t->remote_synced = t->remote_synced && remote.synced;
	if (remote.error_s > t->remote_err_s)
		t->remote_err_s = remote.error_s;
	t->ttl = p->sender_ttl;
	if (seq < t->max_seq)
		t->reordered++;
	else
		t->max_seq = seq;
}

enum stamp_reply
stamp_train_reply(struct stamp_train *t, const struct stamp_reflector_pkt *p, int64_t t4_ns)
{
	uint32_t seq = p->sender_seq;
	if (seq >= (uint32_t)t->count || p->sender_ts != t->ntp[seq])
		return STAMP_REPLY_STRAY;
	switch (t->st[seq]) {
	case PKT_PENDING:
		t->pending--;
		if (t4_ns - t->t1[seq] > t->timeout_ns) {
			t->st[seq] = PKT_LATE;
			t->late++;
			return STAMP_REPLY_LATE;
		}
		accept_reply(t, (int)seq, p, t4_ns);
		return STAMP_REPLY_OK;
	case PKT_OK:
	case PKT_LATE:
		t->dup++;
		return STAMP_REPLY_DUP;
	default:
		return STAMP_REPLY_STRAY;
	}
}

int
stamp_train_pending(const struct stamp_train *t)
{
	return t->pending;
}

/* min, p50, avg, max of one direction over the answered packets; a
 * one-way delay below 0 (within the clocks' error) counts as 0. */
static json_t *
oneway_object(const struct stamp_train *t, const double *v)
{
	size_t n = 0;
	double sum = 0;
	for (int i = 0; i < t->count; i++) {
		if (t->st[i] != PKT_OK)
			continue;
		t->scratch[n] = v[i] > 0 ? v[i] : 0;
		sum += t->scratch[n++];
	}
	stats_sort(t->scratch, n);
	json_t *o = json_object();
	wire_set_num(o, "min", t->scratch[0]);
	wire_set_num(o, "p50", stats_percentile_sorted(t->scratch, n, 0.5));
	wire_set_num(o, "avg", sum / (double)n);
	wire_set_num(o, "max", t->scratch[n - 1]);
	return o;
}

static void
set_counts(json_t *r, const struct stamp_train *t)
{
	if (t->dup > 0)
		json_object_set_new(r, "dup", json_integer(t->dup));
	if (t->late > 0)
		json_object_set_new(r, "late", json_integer(t->late));
	if (t->reordered > 0)
		json_object_set_new(r, "reordered", json_integer(t->reordered));
	if (t->ttl >= 0)
		json_object_set_new(r, "ttl", json_integer(t->ttl));
	probe_train_send_failures(r, t->send_failed, t->count, t->send_errno, "test packets");
}

/* Both clocks may say they are synchronised and still disagree (a
 * reflector whose time source is wrong). The two one-way delays add up to
 * the round trip less the reflector's time inside when its times make
 * sense; they are plausible when they do, and neither is below minus the
 * clocks' error (then neither is above the round trip plus it); and only
 * when that error is at most ONEWAY_ERR_MAX_MS (a figure good to ± seconds
 * says nothing about a path). */
#define ONEWAY_ERR_MAX_MS 1000.0

static bool
oneway_plausible(const struct stamp_train *t)
{
	double err_ms = (t->local.error_s + t->remote_err_s) * 1e3;
	if (!(err_ms <= ONEWAY_ERR_MAX_MS))
		return false;
	for (int i = 0; i < t->count; i++) {
		if (t->st[i] != PKT_OK)
			continue;
		if (!(t->fwd[i] >= -err_ms && t->back[i] >= -err_ms &&
		      fabs(t->fwd[i] + t->back[i] - t->rtt[i]) <= 2 * err_ms + 1e-3))
			return false;
	}
	return true;
}

/* One-way delays only when both clocks are synchronised and agree, with
 * the sum of their error estimates. */
static void
set_oneway(json_t *r, const struct stamp_train *t)
{
	bool synced = t->local.synced && t->remote_synced && t->recv > 0 && oneway_plausible(t);
	json_object_set_new(r, "synced", json_boolean(synced));
	if (!synced)
		return;
	json_object_set_new(r, "owd_fwd_ms", oneway_object(t, t->fwd));
	json_object_set_new(r, "owd_back_ms", oneway_object(t, t->back));
	wire_set_num(r, "owd_err_ms", (t->local.error_s + t->remote_err_s) * 1e3);
}

json_t *
stamp_train_result(const struct stamp_train *t, const char *target, const char *addr, int port)
{
	struct rtt_stats st;
	json_t *r = wire_result_new("stamp", target);
	if (r == NULL)
		return NULL;
	stats_rtt(t->rtt, (size_t)t->count, t->scratch, &st);
	json_object_set_new(r, "ok", json_boolean(st.recv > 0));
	json_object_set_new(r, "addr", json_string(addr));
	json_object_set_new(r, "port", json_integer(port));
	probe_train_stats(r, &st);
	set_counts(r, t);
	set_oneway(r, t);
	if (st.recv == 0 && json_object_get(r, "error") == NULL)
		json_object_set_new(r, "error", json_string(t->refused ? "port unreachable: no "
		    "STAMP reflector listens there" : "no test packet came back within the "
		    "timeout"));
	return r;
}
