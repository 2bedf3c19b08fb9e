/*
 * util.h: small helpers the stress engines and urcu-tlb-stress share.
 */
#ifndef URCU_TLB_STRESS_UTIL_H
#define URCU_TLB_STRESS_UTIL_H

#include <stdint.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <urcu/arch.h>
#include <urcu/compiler.h>
#include <urcu/system.h>

/* The index of name in names[0..n), case-insensitively, or -1. */
static inline int name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcasecmp(name, names[i]))
			return i;
	return -1;
}

/* names[i], or "?" out of range. */
static inline const char *name_at(const char *const *names, int n, int i)
{
	return i >= 0 && i < n && names[i] ? names[i] : "?";
}

/* CLOCK_MONOTONIC in seconds. */
static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t) t.tv_sec * 1000000000ULL + t.tv_nsec;
}

/* Busy for ns nanoseconds (a reader inside its section, say). */
static inline void spin_ns(uint64_t ns)
{
	uint64_t start = now_ns();

	while (now_ns() - start < ns)
		caa_cpu_relax();
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

/*
 * Cold stores.  A store to a line in no cache waits for memory before it
 * can leave the store buffer, and stores leave it in order: a few of them
 * just before a thread's own stores keep those buffered long enough for
 * the other side to miss them unless something forces them out, which is
 * what the heavy fence is for.  The region is larger than any cache and
 * walked a page and 7 lines at a time, so that no prefetcher guesses the
 * next line.
 */
#define COLD_BYTES	(64UL << 20)
#define COLD_STRIDE	(4096 + 7 * 64)

/* The region (populated), or NULL with errno. */
static inline char *cold_map(void)
{
	void *p = mmap(NULL, COLD_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : (char *) p;
}

static inline void cold_unmap(char *cold)
{
	if (cold)
		munmap(cold, COLD_BYTES);
}

/* n stores of v to the next lines after *pos. */
static inline void cold_stores(char *cold, unsigned long *pos, unsigned int n,
			       unsigned long v)
{
	while (n--) {
		*pos = (*pos + COLD_STRIDE) % COLD_BYTES;
		CMM_STORE_SHARED(*(unsigned long *) (cold + *pos), v);
	}
}

#endif /* URCU_TLB_STRESS_UTIL_H */
