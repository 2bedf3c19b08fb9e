/*
 * litmus.h: litmus tests of liburcu-tlb's asymmetric fence, shared by the
 * unit tests (tests/) and urcu-tlb-stress (stress/).
 *
 * Each test runs two threads for many rounds, starting each round
 * together, and counts the outcomes of their loads.  A test runs either
 * "protected" (the heavy side issues urcu_tlb_fence_heavy()) or as its own
 * control (a compiler barrier in its place), so that a report can show the
 * forbidden outcome is reachable on this machine without the protection.
 */
#ifndef URCU_TLB_LITMUS_H
#define URCU_TLB_LITMUS_H

#include <stdbool.h>
#include <stdio.h>

enum litmus_test {
	/*
	 * Store buffering: P0 { x = 1; fence_light; r1 = y }
	 *                  P1 { y = 1; fence_heavy; r2 = x }
	 * Forbidden: r1 == 0 && r2 == 0.  Observable without the heavy fence
	 * on every multiprocessor, x86 included.
	 */
	LITMUS_SB,
	/*
	 * Message passing: P0 { r1 = y; fence_light; r2 = x }
	 *                  P1 { x = 1; fence_heavy; y = 1 }
	 * Forbidden: r1 == 1 && r2 == 0.  On TSO machines (x86) the hardware
	 * forbids it anyway, so the control cannot fail there.
	 */
	LITMUS_MP,
	LITMUS_NR
};

struct litmus_config {
	enum litmus_test test;
	bool protected;		/* false: the control, no heavy fence */
	unsigned long rounds;	/* stop after this many rounds */
	double max_seconds;	/* or after this long (0: no limit) */
};

struct litmus_result {
	unsigned long rounds;
	unsigned long outcomes[4];	/* indexed by r1 * 2 + r2 */
	unsigned long forbidden;
	double elapsed;
};

const char *litmus_name(enum litmus_test t);
/* "r1 == 0 && r2 == 0" and the like. */
const char *litmus_forbidden(enum litmus_test t);

/* Returns 0, or -1 with errno if the threads could not be started. */
int litmus_run(const struct litmus_config *cfg, struct litmus_result *res);

void litmus_print(FILE *out, const struct litmus_config *cfg,
		  const struct litmus_result *res);

#endif /* URCU_TLB_LITMUS_H */
