/*
 * What the status engine's unit tests share: an icmp train as the wire
 * decoder would give it (common/wire.h), figures set by their field paths
 * in the result kinds' table. Included after cmocka.h.
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

#endif
