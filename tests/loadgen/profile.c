#include "profile.h"

#include <math.h>

#include "stats.h"
#include "wire.h"

/* Echo requests in one icmp train, as the agent's default. */
#define ICMP_COUNT 20
/* Documentation addresses and names (RFC 5737, RFC 2606). */
#define ICMP_TARGET "203.0.113.10"
#define TCP_TARGET "203.0.113.10:443"
#define HTTP_TARGET "https://tally.example/api/ping"
/* What a timed-out HTTP probe reports as its total time. */
#define HTTP_TIMEOUT_MS 10000.0
/* Probability that one echo reply is delayed by a burst of queueing. */
#define P_SPIKE 0.03

#define THROUGHPUT_TARGET "203.0.113.10:8080"
/* Length of the measured part of a simulated throughput test. */
#define THROUGHPUT_MS 5000.0

static const struct link_profile profiles[] = {
	{ "fiber", 35, 10.0, 0.5, 1.0, 0.02, 0.002, 50.0, 20.0 },
	{ "microwave", 10, 18.0, 0.4, 2.5, 0.04, 0.005, 30.0, 15.0 },
	{ "cellular", 35, 40.0, 0.4, 8.0, 0.08, 0.010, 15.0, 4.0 },
	{ "vsat-geo", 12, 600.0, 0.08, 25.0, 0.12, 0.020, 6.0, 2.0 },
	{ "vsat-leo", 8, 45.0, 0.3, 10.0, 0.06, 0.010, 80.0, 12.0 },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

double
profile_uniform(struct rng *rng)
{
	return (double)(rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Exponentially distributed with the given mean. */
static double
expo(struct rng *rng, double mean)
{
	return -mean * log(1.0 - profile_uniform(rng));
}

const struct link_profile *
profile_pick(struct rng *rng)
{
	unsigned total = 0;
	for (size_t i = 0; i < NPROFILES; i++)
		total += profiles[i].weight;
	uint64_t x = rng_below(rng, total);
	for (size_t i = 0; i < NPROFILES; i++) {
		if (x < profiles[i].weight)
			return &profiles[i];
		x -= profiles[i].weight;
	}
	return &profiles[0];
}

double
profile_site_rtt(const struct link_profile *p, struct rng *rng)
{
	return p->rtt_ms * (1.0 + p->site_spread * (2.0 * profile_uniform(rng) - 1.0));
}

/* How many of the train's packets are lost: mostly none, sometimes one or
 * two, rarely a heavy loss, very rarely all of them. */
static size_t
icmp_lost(const struct link_profile *p, struct rng *rng)
{
	double u = profile_uniform(rng);
	if (u < p->p_loss / 50.0)
		return ICMP_COUNT;
	if (u < p->p_loss / 8.0)
		return 4 + (size_t)rng_below(rng, 7);
	if (u < p->p_loss)
		return 1 + (size_t)rng_below(rng, 2);
	return 0;
}

static void
icmp_samples(const struct link_profile *p, double base, int cond, struct rng *rng,
    double *rtt)
{
	for (size_t i = 0; i < ICMP_COUNT; i++) {
		rtt[i] = base + expo(rng, p->jitter_ms);
		if (profile_uniform(rng) < P_SPIKE)
			rtt[i] += 5.0 * p->jitter_ms * profile_uniform(rng);
	}
	size_t lost = cond == 2 ? ICMP_COUNT / 4 : cond == 1 ? 1 : icmp_lost(p, rng);
	for (size_t done = 0; done < lost;) {
		size_t i = (size_t)rng_below(rng, ICMP_COUNT);
		if (rtt[i] >= 0) {
			rtt[i] = STATS_LOST;
			done++;
		}
	}
}

static json_t *
icmp_result(const struct link_profile *p, double base, int cond, struct rng *rng)
{
	double rtt[ICMP_COUNT], scratch[ICMP_COUNT];
	struct rtt_stats st;
	icmp_samples(p, cond == 1 ? base * 4.0 / 3.0 : base, cond, rng, rtt);
	stats_rtt(rtt, ICMP_COUNT, scratch, &st);
	json_t *r = wire_result_new("icmp", ICMP_TARGET);
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "sent", json_integer((json_int_t)st.sent));
	json_object_set_new(r, "recv", json_integer((json_int_t)st.recv));
	wire_set_num(r, "loss_pct", st.loss_pct);
	if (st.recv > 0) {
		json_t *o = json_object();
		wire_set_num(o, "min", st.min);
		wire_set_num(o, "p50", st.p50);
		wire_set_num(o, "avg", fmin(fmax(st.avg, st.min), st.max));
		wire_set_num(o, "p95", st.p95);
		wire_set_num(o, "max", st.max);
		json_object_set_new(r, "rtt_ms", o);
		wire_set_num(r, "pdv_ms", st.pdv_p99);
	}
	if (st.ipdv_pairs > 0)
		wire_set_num(r, "jitter_ms", st.jitter);
	return r;
}

/* Cumulative timings as curl reports them: each includes the ones before. */
static void
http_timings(json_t *r, double rtt, struct rng *rng)
{
	double dns = 0.3 + expo(rng, 3.0);
	double connect = dns + rtt;
	double tls = connect + rtt + 1.0 + expo(rng, 2.0);
	double ttfb = tls + rtt + 5.0 + expo(rng, 15.0);
	wire_set_num(r, "dns_ms", dns);
	wire_set_num(r, "connect_ms", connect);
	wire_set_num(r, "tls_ms", tls);
	wire_set_num(r, "ttfb_ms", ttfb);
	wire_set_num(r, "total_ms", ttfb + 0.2 + expo(rng, 1.0));
}

static json_t *
http_result(const struct link_profile *p, double base, struct rng *rng)
{
	json_t *r = wire_result_new("http", HTTP_TARGET);
	if (r == NULL)
		return NULL;
	double rtt = base + expo(rng, p->jitter_ms);
	if (profile_uniform(rng) >= p->p_fail) {
		json_object_set_new(r, "ok", json_true());
		json_object_set_new(r, "status", json_integer(200));
		http_timings(r, rtt, rng);
	} else if (profile_uniform(rng) < 0.7) {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "status", json_integer(0));
		json_object_set_new(r, "error", json_string("Timeout was reached"));
		wire_set_num(r, "total_ms", HTTP_TIMEOUT_MS);
	} else {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "status", json_integer(503));
		json_object_set_new(r, "error", json_string("HTTP 503 Service Unavailable"));
		http_timings(r, rtt, rng);
	}
	return r;
}

static json_t *
tcp_result(const struct link_profile *p, double base, struct rng *rng)
{
	json_t *r = wire_result_new("tcp", TCP_TARGET);
	if (r == NULL)
		return NULL;
	if (profile_uniform(rng) >= p->p_fail) {
		json_object_set_new(r, "ok", json_true());
		wire_set_num(r, "connect_ms", base + expo(rng, p->jitter_ms));
	} else {
		json_object_set_new(r, "ok", json_false());
		json_object_set_new(r, "error", json_string("connect: Connection timed out"));
	}
	return r;
}

json_t *
profile_results(const struct link_profile *p, double base_rtt_ms, int cond, struct rng *rng)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	if (json_array_append_new(a, icmp_result(p, base_rtt_ms, cond, rng)) != 0 ||
	    json_array_append_new(a, http_result(p, base_rtt_ms, rng)) != 0 ||
	    json_array_append_new(a, tcp_result(p, base_rtt_ms, rng)) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *
direction(double typical_mbps, struct rng *rng)
{
	double mbps = typical_mbps * (0.7 + 0.6 * profile_uniform(rng));
	json_t *d = json_object();
	if (d == NULL)
		return NULL;
	wire_set_num(d, "mbps", mbps);
	json_object_set_new(d, "bytes", json_integer((json_int_t)(mbps * 1e6 / 8.0 *
	    THROUGHPUT_MS / 1000.0)));
	wire_set_num(d, "duration_ms", THROUGHPUT_MS);
	json_object_set_new(d, "stable", json_true());
	return d;
}

json_t *
profile_throughput(const struct link_profile *p, struct rng *rng)
{
	json_t *r = wire_result_new("throughput", THROUGHPUT_TARGET);
	json_t *down = direction(p->down_mbps, rng), *up = direction(p->up_mbps, rng);
	if (r == NULL || down == NULL || up == NULL) {
		json_decref(r);
		json_decref(down);
		json_decref(up);
		return NULL;
	}
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "download", down);
	json_object_set_new(r, "upload", up);
	return r;
}
