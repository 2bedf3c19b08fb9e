/*
 * litmus.c: the litmus test harness; see litmus.h.
 *
 * P1 leads: it resets the shared variables, opens the round by storing
 * its number in `go`, runs its part and waits until P0 has finished its
 * own; P0 spins on `go`.  The forbidden outcomes need the two parts to
 * overlap within a store buffer's drain time, which three things arrange:
 *
 * - each side first waits a random few cycles, plus an offset that a servo
 *   moves after every round towards the side that ran early (servo());
 * - P0 stores to cold cache lines just before its part, so that its own
 *   stores stay buffered long enough for P1's side, a whole
 *   synchronize_rcu() in the RCU tests, to miss them (cold_stores());
 * - the two threads run on two different CPUs (pin()).
 *
 * All three act on protected runs and controls alike.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <urcu-tlb.h>
#include <urcu-tlb/testing.h>
#include "litmus.h"
#include "util.h"

#define LINE __attribute__((aligned(128)))
#define STOP_ROUND	(~0UL)
#define JITTER		64	/* delay_loop() iterations, each side, at random */
#define MAX_OFFSET	65536	/* and the servo's offset, either side */
#define SERVO_STEP	4	/* plus 1/32 of the offset */
#define YIELD_AFTER	4096	/* spins */
/* An updater asleep this long while P0 waits outside its section. */
#define STALL_CONTROL_S	0.001
#define LOST_WAKEUP_S	1.0

struct shared {
	unsigned long x LINE;
	unsigned long y LINE;
	unsigned long go LINE;		/* round opened by P1 */
	unsigned long done LINE;	/* round finished by P0 */
	unsigned long r1;		/* P0's result for round `done` */
	long offset;			/* this round: > 0 P1 waits, < 0 P0 waits */
	const struct litmus_config *cfg;
	char *cold;			/* COLD_BYTES that only P0 writes */
	unsigned long stalls;		/* updater sleeps P0 had to end */
	bool lost_wakeup;		/* one lasted LOST_WAKEUP_S (protected) */
};

#if defined(__x86_64__) || defined(__i386__)
#define TSO 1
#else
#define TSO 0
#endif

static const struct {
	const char *name, *forbidden, *heavy;
	bool message_passing;
} tests[LITMUS_NR] = {
	[LITMUS_SB] = { "SB", "r1 == 0 && r2 == 0", "fence_heavy", false },
	[LITMUS_MP] = { "MP", "r1 == 1 && r2 == 0", "fence_heavy", true },
	[LITMUS_RCU_SB] = { "RCU-SB", "r1 == 0 && r2 == 0", "synchronize_rcu", false },
	[LITMUS_RCU_MP] = { "RCU-MP", "r1 == 1 && r2 == 0", "synchronize_rcu", true },
};

const char *litmus_name(enum litmus_test t)
{
	return (unsigned) t < LITMUS_NR ? tests[t].name : "?";
}

const char *litmus_forbidden(enum litmus_test t)
{
	return (unsigned) t < LITMUS_NR ? tests[t].forbidden : "?";
}

const char *litmus_heavy_side(enum litmus_test t)
{
	return (unsigned) t < LITMUS_NR ? tests[t].heavy : "?";
}

int litmus_parse(const char *name)
{
	int t;

	for (t = 0; t < LITMUS_NR; t++)
		if (!strcasecmp(name, tests[t].name))
			return t;
	return -1;
}

bool litmus_control_can_fail(enum litmus_test t)
{
	return (unsigned) t < LITMUS_NR && !(TSO && tests[t].message_passing);
}

unsigned long litmus_overlaps(enum litmus_test t, const struct litmus_result *res)
{
	if ((unsigned) t >= LITMUS_NR)
		return 0;
	if (tests[t].message_passing)
		return res->outcomes[1] + res->outcomes[2];	/* 01, 10 */
	return res->outcomes[0] + res->outcomes[3];		/* 00, 11 */
}

static bool is_rcu(enum litmus_test t)
{
	return t == LITMUS_RCU_SB || t == LITMUS_RCU_MP;
}

static bool is_forbidden(enum litmus_test t, unsigned long r1, unsigned long r2)
{
	if (tests[t].message_passing)
		return r1 == 1 && r2 == 0;
	return r1 == 0 && r2 == 0;
}

/*
 * Waiting for the other side: spin, but yield now and then, so that a
 * machine with fewer free CPUs than our two threads still makes progress.
 */
static void relax(unsigned long spins)
{
	if (spins % YIELD_AFTER == YIELD_AFTER - 1)
		sched_yield();
	else
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

/* P0's part; returns r1, or r1 * 2 + r2 when P0 does both loads. */
static unsigned long p0_part(struct shared *s)
{
	unsigned long r1 = 0;

	switch (s->cfg->test) {
	case LITMUS_SB:
		CMM_STORE_SHARED(s->x, 1);
		urcu_tlb_fence_light();
		r1 = CMM_LOAD_SHARED(s->y);
		break;
	case LITMUS_MP:
		r1 = CMM_LOAD_SHARED(s->y);
		urcu_tlb_fence_light();
		r1 = r1 * 2 + CMM_LOAD_SHARED(s->x);
		break;
	case LITMUS_RCU_SB:
		urcu_tlb_read_lock();
		CMM_STORE_SHARED(s->y, 1);
		r1 = CMM_LOAD_SHARED(s->x);
		urcu_tlb_read_unlock();
		break;
	case LITMUS_RCU_MP:
		urcu_tlb_read_lock();
		r1 = CMM_LOAD_SHARED(s->y);
		r1 = r1 * 2 + CMM_LOAD_SHARED(s->x);
		urcu_tlb_read_unlock();
		break;
	default:
		break;
	}
	return r1;
}

/* P1's part; returns r2 (0 when P1 only stores). */
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
	case LITMUS_RCU_SB:
		CMM_STORE_SHARED(s->x, 1);
		urcu_tlb_synchronize_rcu();
		return CMM_LOAD_SHARED(s->y);
	case LITMUS_RCU_MP:
		CMM_STORE_SHARED(s->x, 1);
		urcu_tlb_synchronize_rcu();
		CMM_STORE_SHARED(s->y, 1);
		return 0;
	default:
		return 0;
	}
}

/*
 * P0 waits for the next round outside any critical section, so an updater
 * asleep in synchronize_rcu() (gp.futex == -1) should have been woken by
 * P0's last read_unlock.  In a control run it may not have been: without
 * the heavy fence Fw, P0 can read the futex word before the updater's -1
 * reaches it while the updater's last look misses P0's unlock (Claim 4 of
 * docs/design.md).  P0 then wakes the updater itself so that the run ends,
 * and counts it.  In a protected run the same would be a lost wake-up, a
 * bug: it is reported once the updater has slept LOST_WAKEUP_S, a margin
 * no scheduling delay explains.
 */
static void watch_updater(struct shared *s, double *since_s)
{
	double limit = s->cfg->protected ? LOST_WAKEUP_S : STALL_CONTROL_S;
	double t;

	if (CMM_LOAD_SHARED(urcu_tlb_gp.futex) != -1) {
		*since_s = 0;
		return;
	}
	t = now_s();
	if (!*since_s) {
		*since_s = t;
	} else if (t - *since_s >= limit) {
		s->stalls++;
		if (s->cfg->protected)
			CMM_STORE_SHARED(s->lost_wakeup, true);
		/* As a section of sequence 0 ending, which no running grace
		 * period has: the wake-up is never skipped. */
		urcu_tlb_wake_updater_if_held(0);
		*since_s = 0;
	}
}

static void *p0_thread(void *arg)
{
	struct shared *s = arg;
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	unsigned long round = 0, r1, spins, pos = 0;
	double stalled = 0;

	urcu_tlb_register_thread();
	for (;;) {
		unsigned long go;

		for (spins = 0; (go = CMM_LOAD_SHARED(s->go)) == round; spins++) {
			relax(spins);
			if (is_rcu(s->cfg->test) &&
			    spins % YIELD_AFTER == YIELD_AFTER - 1)
				watch_updater(s, &stalled);
		}
		if (go == STOP_ROUND)
			break;
		round = go;
		stalled = 0;
		delay_loop(random_below(&rng, JITTER) +
			   (s->offset < 0 ? -s->offset : 0));
		cold_stores(s->cold, &pos, s->cfg->stuff, round);
		r1 = p0_part(s);
		CMM_STORE_SHARED(s->r1, r1);
		cmm_smp_mb();	/* result before the round is reported done */
		CMM_STORE_SHARED(s->done, round);
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/*
 * Keep the two parts overlapping.  P0 learns that a round opened a
 * cache-line transfer after P1, and P1's part may be long (a grace
 * period), so equal random delays would leave one side always first.
 * Each round's outcome says which side ran late, if either did; the
 * offset moves a step to delay the other side next time, and settles
 * where both orders happen, which is where the forbidden outcome lives.
 */
static void servo(struct shared *s, unsigned long r1, unsigned long r2)
{
	int late;	/* +1: P0 ran late, -1: P1 did, 0: they overlapped */

	if (tests[s->cfg->test].message_passing)	/* 11: P0 late, 00: early */
		late = r1 == r2 ? (r1 ? 1 : -1) : 0;
	else					/* 10: P0 late, 01: P1 late */
		late = r1 != r2 ? (r1 ? 1 : -1) : 0;
	s->offset += late * (SERVO_STEP + labs(s->offset) / 32);
	if (s->offset > MAX_OFFSET)
		s->offset = MAX_OFFSET;
	if (s->offset < -MAX_OFFSET)
		s->offset = -MAX_OFFSET;
}

static void lead(struct shared *s, struct litmus_result *res)
{
	const struct litmus_config *cfg = s->cfg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	double t0 = now_s(), next_report = 1, elapsed;
	unsigned long round, r1, r2, spins;

	for (round = 1; round <= cfg->rounds; round++) {
		CMM_STORE_SHARED(s->x, 0);
		CMM_STORE_SHARED(s->y, 0);
		cmm_smp_mb();	/* the reset before the round opens */
		CMM_STORE_SHARED(s->go, round);
		delay_loop(random_below(&rng, JITTER) +
			   (s->offset > 0 ? s->offset : 0));
		r2 = p1_part(s);
		for (spins = 0; CMM_LOAD_SHARED(s->done) != round; spins++)
			relax(spins);
		cmm_smp_mb();	/* pairs with P0's barrier before `done` */
		r1 = CMM_LOAD_SHARED(s->r1);
		if (tests[cfg->test].message_passing) {	/* P0 did both loads */
			r2 = r1 & 1;
			r1 >>= 1;
		}
		res->outcomes[r1 * 2 + r2]++;
		servo(s, r1, r2);
		if (is_forbidden(cfg->test, r1, r2) && !res->forbidden++)
			res->first_forbidden = round;
		res->rounds++;
		res->stalls = CMM_LOAD_SHARED(s->stalls);
		res->lost_wakeup = CMM_LOAD_SHARED(s->lost_wakeup);
		if (cfg->stop_after && res->forbidden >= cfg->stop_after)
			break;
		if (round & 3)
			continue;
		elapsed = now_s() - t0;
		if (cfg->max_seconds > 0 && elapsed >= cfg->max_seconds)
			break;
		if (cfg->seconds_once_seen > 0 && res->forbidden &&
		    elapsed >= cfg->seconds_once_seen)
			break;
		if (cfg->progress && elapsed >= next_report) {
			res->elapsed = elapsed;
			cfg->progress(elapsed, res, cfg->progress_arg);
			next_report += 1;
		}
	}
	res->elapsed = now_s() - t0;
	CMM_STORE_SHARED(s->go, STOP_ROUND);
}

static void release(struct shared *s)
{
	cold_unmap(s->cold);
	free(s);
}

/*
 * Put the two threads on two different CPUs when the process may use two:
 * on a busy machine the scheduler would otherwise often run them on one,
 * in turns, and no round could overlap.  Returns whether it did; *saved is
 * the caller's affinity, to restore.
 */
static bool pin(pthread_attr_t *p0_attr, cpu_set_t *saved, int cpus[2])
{
	cpu_set_t one;
	int c, n = 0;

	if (sched_getaffinity(0, sizeof(*saved), saved) || CPU_COUNT(saved) < 2)
		return false;
	cpus[0] = sched_getcpu();	/* P1 stays where it is */
	if (cpus[0] < 0 || !CPU_ISSET(cpus[0], saved))
		return false;
	for (c = 0; c < CPU_SETSIZE && !n; c++)
		if (c != cpus[0] && CPU_ISSET(c, saved))
			cpus[1] = c, n++;
	CPU_ZERO(&one);
	CPU_SET(cpus[1], &one);
	if (pthread_attr_setaffinity_np(p0_attr, sizeof(one), &one))
		return false;
	CPU_ZERO(&one);
	CPU_SET(cpus[0], &one);
	return !pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

int litmus_run(const struct litmus_config *cfg, struct litmus_result *res)
{
	pthread_attr_t attr;
	cpu_set_t saved;
	struct shared *s;
	pthread_t p0;
	bool pinned;
	int err;

	memset(res, 0, sizeof(*res));
	if ((unsigned) cfg->test >= LITMUS_NR || cfg->stuff > LITMUS_MAX_STUFF) {
		errno = EINVAL;
		return -1;
	}
	s = aligned_alloc(128, sizeof(*s));
	if (!s)
		return -1;
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	if (cfg->stuff) {
		s->cold = cold_map();
		if (!s->cold) {
			free(s);
			return -1;
		}
	}
	pthread_attr_init(&attr);
	pinned = pin(&attr, &saved, res->cpus);
	err = pthread_create(&p0, &attr, p0_thread, s);
	pthread_attr_destroy(&attr);
	if (err) {
		if (pinned)
			sched_setaffinity(0, sizeof(saved), &saved);
		release(s);
		errno = err;
		return -1;
	}
	if (is_rcu(cfg->test) && !cfg->protected)
		urcu_tlb_testing_skip_heavy_fence(1);
	lead(s, res);
	if (is_rcu(cfg->test) && !cfg->protected)
		urcu_tlb_testing_skip_heavy_fence(0);
	pthread_join(p0, NULL);
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	else
		res->cpus[0] = res->cpus[1] = -1;
	release(s);
	return 0;
}

void litmus_print(FILE *out, const struct litmus_config *cfg,
		  const struct litmus_result *res)
{
	fprintf(out, "litmus %s %s: %lu rounds in %.2f s, forbidden (%s): %lu; outcomes 00:%lu 01:%lu 10:%lu 11:%lu\n",
		litmus_name(cfg->test),
		cfg->protected ? (is_rcu(cfg->test) ? "with synchronize_rcu"
						    : "with fence_heavy")
			       : (is_rcu(cfg->test) ? "control, grace periods without heavy fences"
						    : "control, no heavy fence"),
		res->rounds, res->elapsed, litmus_forbidden(cfg->test),
		res->forbidden, res->outcomes[0], res->outcomes[1],
		res->outcomes[2], res->outcomes[3]);
}
