/*
 * Link profiles of simulated sites and the probe results they produce.
 *
 * Each profile gives the typical round trip of a kind of site link (fiber
 * about 10 ms, cellular about 40 ms with more jitter, GEO VSAT about
 * 600 ms), how often a probe train loses packets, and how often the HTTP
 * and TCP probes fail. Results are computed from simulated RTT samples with
 * common/stats.c, so they are consistent by construction:
 * loss_pct = (sent - recv) * 100 / sent, min <= p50 <= p95 <= max,
 * min <= avg <= max.
 */
#ifndef PANTAU_LOADGEN_PROFILE_H
#define PANTAU_LOADGEN_PROFILE_H

#include <jansson.h>

#include "rng.h"

struct link_profile {
	const char *link;       /* a name from wire_link_names */
	unsigned weight;        /* share of sites with this link, in percent */
	double rtt_ms;          /* typical base round trip */
	double site_spread;     /* a site's base is rtt_ms * (1 +- spread) */
	double jitter_ms;       /* mean of the exponential queueing delay */
	double p_loss;          /* probability that a train loses some packets */
	double p_fail;          /* probability that an HTTP or TCP probe fails */
	double down_mbps;       /* typical download rate of a throughput test */
	double up_mbps;         /* typical upload rate */
};

/* Pick a profile by weight. Never NULL. */
const struct link_profile *profile_pick(struct rng *rng);

/* A site's own base round trip for profile p. */
double profile_site_rtt(const struct link_profile *p, struct rng *rng);

/* Uniform in [0, 1). */
double profile_uniform(struct rng *rng);

/*
 * A new JSON array with one icmp, one http and one tcp result of a site
 * with base round trip base_rtt_ms. cond 1 (degraded) loses one packet in
 * twenty and adds a third to the RTT; 2 (critical) loses a quarter. NULL
 * when out of memory. The caller owns the reference.
 */
json_t *profile_results(const struct link_profile *p, double base_rtt_ms, int cond,
    struct rng *rng);

/*
 * A new throughput result (docs/protocol.md) of a site on profile p: its
 * download and upload rates within 30 % of the profile's. NULL when out of
 * memory. The caller owns the reference.
 */
json_t *profile_throughput(const struct link_profile *p, struct rng *rng);

#endif
