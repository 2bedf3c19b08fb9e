/*
 * util.h: small helpers the stress engines and urcu-tlb-stress share.
 */
#ifndef URCU_TLB_STRESS_UTIL_H
#define URCU_TLB_STRESS_UTIL_H

#include <stdint.h>
#include <time.h>
#include <urcu/compiler.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* xorshift64: cheap, and good enough to spread delays and slots. */
static inline uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline unsigned int random_below(uint64_t *rng, unsigned int n)
{
	return xorshift(rng) % n;
}

/* About a cycle per iteration: a finer delay than a pause instruction. */
static inline void delay_loop(unsigned int n)
{
	while (n--)
		cmm_barrier();
}

#endif /* URCU_TLB_STRESS_UTIL_H */
