/*
 * Virtual agents of the load generator: identity (id, regency, boot), the
 * seq counter, and the messages of wire contract v1 each one publishes
 * (result batches and the retained birth status).
 *
 * Ids are PREFIX-RRRR-NNNN: RRRR the regency code without its dot, NNNN the
 * agent's number inside that regency. Regencies are dealt round-robin over
 * a shuffled catalog, so even a few agents cover the whole country.
 */
#ifndef PANTAU_LOADGEN_VAGENT_H
#define PANTAU_LOADGEN_VAGENT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "profile.h"
#include "rng.h"
#include "wire.h"

/* In --demo, batches 1, 1 + N, 1 + 2N, ... carry a throughput result, as an
 * agent that tests its link now and then (they cost data). */
#define VAGENT_THROUGHPUT_EVERY 10

/* Longest prefix that still leaves room for -RRRR-NNNNNNN in an agent id. */
#define VAGENT_PREFIX_MAX 48

/* What a simulated site's link is doing (--demo). */
enum vcond {
	VC_NORMAL = 0,
	VC_DEGRADED,        /* one packet in twenty lost, RTT up by a third */
	VC_CRITICAL,        /* a quarter of the packets lost */
	VC_OFFLINE,         /* its last will was sent; it publishes no batch */
};

struct vagent {
	char id[WIRE_AGENT_MAX + 1];
	char regency[6];                          /* "32.73" */
	char topic[WIRE_TOPIC_MAX + 1];           /* its result topic */
	const struct catalog_regency *reg;        /* points into the catalog */
	const struct link_profile *link;
	double base_rtt_ms;
	int64_t boot;
	int64_t seq;                              /* last seq published; 0 at start */
	enum vcond cond;
	double lat, lon;                          /* simulated position in its province */
	bool throughput;                          /* a throughput test every
	                                           * VAGENT_THROUGHPUT_EVERY batches (--demo) */
};

/* Identity of a fleet: same seed, same agents. */
struct vfleet_spec {
	size_t n;
	const char *prefix;
	uint64_t seed;
	bool seeded;        /* false: boot = the current epoch second for all */
	int64_t boot_now;   /* used when !seeded */
	bool demo;          /* a national picture: 95.01 (3T) at risk, some sites degraded
	                     * or offline */
};

/* True when prefix is 1..VAGENT_PREFIX_MAX characters of [A-Za-z0-9_]. */
bool vagent_prefix_valid(const char *prefix);

/*
 * Create n agents over the regencies of cat (which must outlive them).
 * On failure why says why. Free with free().
 */
pantau_err vfleet_new(const struct catalog *cat, const struct vfleet_spec *spec,
    struct vagent **out, char *why, size_t whylen);

/*
 * Encode the agent's next batch (seq + 1, measured at ts_ms) with fresh
 * results. Returns a malloc'd JSON text, or NULL with *rc set. The seq is
 * used up only by vagent_commit(), after the batch was handed to MQTT.
 */
char *vagent_batch(const struct vagent *a, struct rng *rng, int64_t ts_ms, size_t *len,
    pantau_err *rc);
void vagent_commit(struct vagent *a);
/* Encode the batch of an already used seq again (a replay), with fresh
 * results measured at ts_ms: virtual agents keep no outbox. */
char *vagent_batch_seq(const struct vagent *a, int64_t seq, struct rng *rng, int64_t ts_ms,
    size_t *len, pantau_err *rc);

/* Encode the retained birth status (for an offline agent its last will,
 * with the same site details); topic receives its status topic. Births say
 * "simulated": true and carry the agent's simulated position. */
char *vagent_birth(const struct vagent *a, int interval_s, int64_t ts_ms, char *topic,
    size_t topic_len, size_t *len);

#endif
