/*
 * litmus.c: the litmus test harness; see litmus.h.
 *
 * P1 leads: it resets the shared variables, waits until P0 has finished
 * the previous round, opens the round by storing its number in `go`, and
 * runs its part; P0 spins on `go` and runs its own.  Each side first spins
 * a random handful of pause instructions so that the two parts slide over
 * each other from round to round: the forbidden outcome needs them to
 * overlap within a store buffer's drain time.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-tlb.h>
#include "litmus.h"

#define LINE __attribute__((aligned(128)))
#define STOP_ROUND	(~0UL)
#define MAX_SKEW	32	/* pause instructions */

struct shared {
	unsigned long x LINE;
	unsigned long y LINE;
	unsigned long go LINE;		/* round opened by P1 */
	unsigned long done LINE;	/* round finished by P0 */
	unsigned long r1;		/* P0's result for round `done` */
	const struct litmus_config *cfg;
};

static const char *const names[LITMUS_NR] = {
	[LITMUS_SB] = "SB",
	[LITMUS_MP] = "MP",
};

static const char *const forbidden[LITMUS_NR] = {
	[LITMUS_SB] = "r1 == 0 && r2 == 0",
	[LITMUS_MP] = "r1 == 1 && r2 == 0",
};

const char *litmus_name(enum litmus_test t)
{
	return (unsigned) t < LITMUS_NR ? names[t] : "?";
}

const char *litmus_forbidden(enum litmus_test t)
{
	return (unsigned) t < LITMUS_NR ? forbidden[t] : "?";
}

static bool is_forbidden(enum litmus_test t, unsigned long r1, unsigned long r2)
{
	switch (t) {
	case LITMUS_SB:
		return r1 == 0 && r2 == 0;
	case LITMUS_MP:
		return r1 == 1 && r2 == 0;
	default:
		return false;
	}
}

static void skew(uint64_t *rng)
{
	unsigned int n;

	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	for (n = *rng % MAX_SKEW; n; n--)
		caa_cpu_relax();
}

/* The fence of P1: the heavy one, or the control's compiler barrier. */
static inline void p1_fence(const struct litmus_config *cfg)
{
	if (cfg->protected)
		urcu_tlb_fence_heavy();
	else
		urcu_tlb_fence_light();
}

static void *p0_thread(void *arg)
{
	struct shared *s = arg;
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	unsigned long round = 0, r1 = 0;

	urcu_tlb_register_thread();
	for (;;) {
		unsigned long go;

		while ((go = CMM_LOAD_SHARED(s->go)) == round)
			caa_cpu_relax();
		if (go == STOP_ROUND)
			break;
		round = go;
		skew(&rng);
		switch (s->cfg->test) {
		case LITMUS_SB:
			CMM_STORE_SHARED(s->x, 1);
			urcu_tlb_fence_light();
			r1 = CMM_LOAD_SHARED(s->y);
			break;
		case LITMUS_MP:
			r1 = CMM_LOAD_SHARED(s->y);
			urcu_tlb_fence_light();
			r1 = r1 * 2 + CMM_LOAD_SHARED(s->x);	/* packs r2 */
			break;
		default:
			break;
		}
		CMM_STORE_SHARED(s->r1, r1);
		cmm_smp_mb();	/* result before the round is reported done */
		CMM_STORE_SHARED(s->done, round);
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static unsigned long p1_part(struct shared *s)
{
	switch (s->cfg->test) {
	case LITMUS_SB:
		CMM_STORE_SHARED(s->y, 1);
		p1_fence(s->cfg);
		return CMM_LOAD_SHARED(s->x);
	case LITMUS_MP:
		CMM_STORE_SHARED(s->x, 1);
		p1_fence(s->cfg);
		CMM_STORE_SHARED(s->y, 1);
		return 0;
	default:
		return 0;
	}
}

static void lead(struct shared *s, struct litmus_result *res)
{
	const struct litmus_config *cfg = s->cfg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	struct timespec t0;
	unsigned long round, r1, r2;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (round = 1; round <= cfg->rounds; round++) {
		CMM_STORE_SHARED(s->x, 0);
		CMM_STORE_SHARED(s->y, 0);
		cmm_smp_mb();	/* the reset before the round opens */
		CMM_STORE_SHARED(s->go, round);
		skew(&rng);
		r2 = p1_part(s);
		while (CMM_LOAD_SHARED(s->done) != round)
			caa_cpu_relax();
		cmm_smp_mb();	/* pairs with P0's barrier before `done` */
		r1 = CMM_LOAD_SHARED(s->r1);
		if (cfg->test == LITMUS_MP) {	/* P0 did both loads */
			r2 = r1 & 1;
			r1 >>= 1;
		}
		res->outcomes[r1 * 2 + r2]++;
		if (is_forbidden(cfg->test, r1, r2))
			res->forbidden++;
		res->rounds++;
		if (cfg->max_seconds > 0 && !(round & 255) &&
		    since(&t0) >= cfg->max_seconds)
			break;
	}
	res->elapsed = since(&t0);
	CMM_STORE_SHARED(s->go, STOP_ROUND);
}

int litmus_run(const struct litmus_config *cfg, struct litmus_result *res)
{
	struct shared *s;
	pthread_t p0;
	int err;

	memset(res, 0, sizeof(*res));
	if ((unsigned) cfg->test >= LITMUS_NR) {
		errno = EINVAL;
		return -1;
	}
	s = aligned_alloc(128, sizeof(*s));
	if (!s)
		return -1;
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	err = pthread_create(&p0, NULL, p0_thread, s);
	if (err) {
		free(s);
		errno = err;
		return -1;
	}
	lead(s, res);
	pthread_join(p0, NULL);
	free(s);
	return 0;
}

void litmus_print(FILE *out, const struct litmus_config *cfg,
		  const struct litmus_result *res)
{
	fprintf(out, "litmus %s %s: %lu rounds in %.2f s, forbidden (%s): %lu; outcomes 00:%lu 01:%lu 10:%lu 11:%lu\n",
		litmus_name(cfg->test),
		cfg->protected ? "with fence_heavy" : "control, no heavy fence",
		res->rounds, res->elapsed, litmus_forbidden(cfg->test),
		res->forbidden, res->outcomes[0], res->outcomes[1],
		res->outcomes[2], res->outcomes[3]);
}
