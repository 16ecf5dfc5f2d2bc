/*
 * The rate of a throughput test from its samples, excluding the warm-up
 * (TCP slow start, connections still opening) as regulator speed tests do.
 *
 * Samples are taken every TPUT_SAMPLE_MS: cum[i] bytes in all at t_ns[i],
 * cum[0] = 0 at the start. With W samples to a second, the warm-up ends at
 * the first sample k - W (k >= 2W) where the rate over (k - W, k] is no more
 * than TPUT_STABLE_GROWTH above the rate over (k - 2W, k - W]: the rate
 * stopped climbing. At most half the test is warm-up; a test that never
 * settles says so (stable = false) and is measured over its second half.
 */
#ifndef PANTAU_PROBES_TPUT_RATE_H
#define PANTAU_PROBES_TPUT_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPUT_SAMPLE_MS 250
#define TPUT_STABLE_GROWTH 0.10

struct tput_window {
	size_t warmup;        /* index of the first sample of the measured part */
	int64_t bytes;        /* bytes in the measured part */
	double secs;          /* its length */
	double mbps;          /* bytes * 8 / secs / 1e6; 0 when secs is 0 */
	bool stable;
};

/* n >= 1 samples; false when there is nothing to measure (n < 2). */
bool tput_rate(const int64_t *cum, const int64_t *t_ns, size_t n, struct tput_window *out);

#endif
