/* Small non-cryptographic PRNG (xorshift64*) for jitter and splay. Each
 * owner keeps its own state; seeded from the kernel's random source. */
#ifndef PANTAU_RNG_H
#define PANTAU_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

void rng_seed(struct rng *r);
void rng_seed_with(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) for n > 0; 0 when n == 0. */
uint64_t rng_below(struct rng *r, uint64_t n);

#endif
