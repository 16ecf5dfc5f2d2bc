/*
 * What the status engine's unit tests share: an icmp train as the wire
 * decoder would give it (common/wire.h), figures set by their field paths
 * in the result kinds' table, and a batch of one result. Included after
 * cmocka.h.
 */
#ifndef PANTAU_TEST_RESULT_HARNESS_H
#define PANTAU_TEST_RESULT_HARNESS_H

#include "wire.h"

/* A train of sent packets to 198.18.0.1, lost of them lost. */
static inline void
icmp_train(struct wire_result *r, int sent, int lost, double p95, double jitter)
{
	wire_result_init(r, rk_find("icmp"), "icmp", "198.18.0.1");
	wire_result_set(r, "sent", sent);
	wire_result_set(r, "recv", sent - lost);
	wire_result_set(r, "rtt_ms.p95", p95);
	wire_result_set(r, "jitter_ms", jitter);
}

/* A batch of agent (boot 1, seq) measured at ts_ms with r its one result
 * and no outbox figures. */
static inline struct wire_batch
one_result_batch(const char *agent, int64_t seq, int64_t ts_ms, struct wire_result *r)
{
	return (struct wire_batch){ .agent = agent, .boot = 1, .seq = seq, .ts_ms = ts_ms,
		.nresults = 1, .results = r, .outbox_pending = -1, .outbox_dropped = -1 };
}

#endif
