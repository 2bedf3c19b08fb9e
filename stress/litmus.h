/*
 * litmus.h: litmus tests of liburcu-tlb's asymmetric fence and of its
 * grace periods, shared by the unit tests (tests/) and urcu-tlb-stress
 * (stress/).
 *
 * Each test runs two threads for many rounds, starting each round
 * together, and counts the outcomes of their loads.  A test runs either
 * "protected" or as its own control, so that a report can show the
 * forbidden outcome is reachable on this machine without the protection:
 * for the fence tests the control puts a compiler barrier where the heavy
 * fence was; for the grace-period tests it keeps synchronize_rcu() but
 * turns every heavy fence into a full barrier on the caller only
 * (urcu_tlb_testing_skip_heavy_fence), so grace periods still wait for the
 * readers they can see but no longer force the readers' stores out.
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
	/*
	 * The RCU guarantee, store-buffering form: a critical section cannot
	 * span a whole grace period.
	 *   P0 (reader)  { rcu_read_lock; y = 1; r1 = x; rcu_read_unlock }
	 *   P1 (updater) { x = 1; synchronize_rcu; r2 = y }
	 * Forbidden: r1 == 0 && r2 == 0 (the section started before the grace
	 * period, since it missed x, yet its store is not visible after it).
	 * Observable without heavy fences on x86 too, but rarely: the
	 * reader's stores must still sit in its store buffer when the updater
	 * has gone all the way through synchronize_rcu.
	 */
	LITMUS_RCU_SB,
	/*
	 * The RCU guarantee, message-passing form: a reader that sees a write
	 * made after synchronize_rcu returned sees every write made before it
	 * began.
	 *   P0 (reader)  { rcu_read_lock; r1 = y; r2 = x; rcu_read_unlock }
	 *   P1 (updater) { x = 1; synchronize_rcu; y = 1 }
	 * Forbidden: r1 == 1 && r2 == 0.  Like MP, the control cannot fail on
	 * TSO machines.
	 */
	LITMUS_RCU_MP,
	LITMUS_NR
};

struct litmus_result;

struct litmus_config {
	enum litmus_test test;
	bool protected;		/* false: the control (see above) */
	unsigned long rounds;	/* stop after this many rounds */
	double max_seconds;	/* or after this long (0: no limit) */
	unsigned long stop_after;	/* or at this many forbidden outcomes (0: never) */
	double seconds_once_seen;	/* or after this long if one was seen (0: never) */
	/*
	 * Cache lines P0 writes just before its part of each round
	 * (0..LITMUS_MAX_STUFF), each in no cache (a 64 MiB region walked
	 * line by line).  Stores leave the store buffer in order and each of
	 * these waits for memory, so P0's own stores stay buffered longer:
	 * the window the forbidden outcomes need, which a grace period's
	 * length otherwise closes.  Done in protected runs and controls
	 * alike.
	 */
	unsigned int stuff;
	/* Called about once a second from the leading thread, if set. */
	void (*progress)(double elapsed, const struct litmus_result *so_far,
			 void *arg);
	void *progress_arg;
};

#define LITMUS_MAX_STUFF	32

struct litmus_result {
	unsigned long rounds;
	unsigned long outcomes[4];	/* indexed by r1 * 2 + r2 */
	unsigned long forbidden;
	unsigned long first_forbidden;	/* round of the first, 1-based; 0: none */
	/*
	 * RCU tests: times P0, waiting outside its section for the next
	 * round, found the updater asleep on a wake-up that should have come
	 * and woke it (1 ms in a control, where lost wake-ups are expected;
	 * 1 s in a protected run, where one is a bug and sets lost_wakeup).
	 */
	unsigned long stalls;
	bool lost_wakeup;
	int cpus[2];		/* P1's and P0's CPUs; -1: not pinned */
	double elapsed;
};

const char *litmus_name(enum litmus_test t);
/* "r1 == 0 && r2 == 0" and the like. */
const char *litmus_forbidden(enum litmus_test t);
/* What P1 runs between its two accesses: "fence_heavy", "synchronize_rcu". */
const char *litmus_heavy_side(enum litmus_test t);
/* Parse a name as litmus_name() spells it (case-insensitive); -1 if none. */
int litmus_parse(const char *name);

/*
 * Whether this CPU can show the forbidden outcome without the protection.
 * False for the message-passing forms on TSO machines (x86), where the
 * hardware keeps loads in order and stores in order: a control run there
 * proves nothing, and a report says so instead.
 */
bool litmus_control_can_fail(enum litmus_test t);

/*
 * Rounds in which the two parts overlapped, as the outcome tells: both
 * loads saw the other side's store, or neither did (SB forms), or P0's
 * two loads fell between P1's two stores (MP forms).  The forbidden
 * outcome needs an overlap, so the controls' forbidden outcomes per
 * overlapping round say what a protected run's overlapping rounds would
 * have shown without the protection.
 */
unsigned long litmus_overlaps(enum litmus_test t, const struct litmus_result *res);

/* Returns 0, or -1 with errno if the threads could not be started. */
int litmus_run(const struct litmus_config *cfg, struct litmus_result *res);

void litmus_print(FILE *out, const struct litmus_config *cfg,
		  const struct litmus_result *res);

#endif /* URCU_TLB_LITMUS_H */
