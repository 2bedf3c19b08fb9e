/*
 * mechanism.c: choosing how the heavy fence is forced, and falling back.
 *
 * The mechanisms live in mech-*.c behind struct tlb_mechanism; this file
 * only orders them, remembers which are valid here and why not, reads
 * URCU_TLB_MECHANISM, and retires a mechanism whose system call fails at
 * run time.  A fence that fails is issued again with the next valid
 * mechanism before tlb_heavy_fence() returns, so the grace period that
 * asked for it keeps its guarantee.  Nothing is ever replaced by a
 * mechanism that does not order the readers: when none is left, the
 * process aborts with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-tlb/testing.h>
#include "internal.h"

#define NR_MECH	(URCU_TLB_MECHANISM_SIGNAL + 1)

/* In the order the automatic choice tries them. */
static const struct tlb_mechanism *const mechanisms[NR_MECH] = {
	[URCU_TLB_MECHANISM_MEMBARRIER] = &tlb_mech_membarrier,
	[URCU_TLB_MECHANISM_MPROTECT] = &tlb_mech_mprotect,
	[URCU_TLB_MECHANISM_SIGNAL] = &tlb_mech_signal,
};

static const char *const names[NR_MECH] = {
	[URCU_TLB_MECHANISM_AUTO] = "auto",
	[URCU_TLB_MECHANISM_MEMBARRIER] = "membarrier",
	[URCU_TLB_MECHANISM_MPROTECT] = "mprotect",
	[URCU_TLB_MECHANISM_SIGNAL] = "signal",
};

/* What is known of each mechanism; under mech_mutex. */
static struct {
	bool probed, valid, set_up, retired;
	char why[320];		/* why not valid, when !valid or retired */
} known[NR_MECH];

static pthread_mutex_t mech_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* The mechanism in use; read without the lock by every heavy fence. */
static const struct tlb_mechanism *current;
/* The user asked for the current mechanism by name: say it if it fails. */
static bool forced;
/* Control runs only (urcu-tlb/testing.h): no forced barrier at all. */
static int skip_heavy;


/*
 * Make m the mechanism in use (mech_mutex held).  The library's own
 * threads block every signal but the signal mechanism's, which they can
 * only unblock themselves: wake the call_rcu worker so that it does so at
 * once (the defer thread looks every 100 ms).  The full barrier orders
 * the new signal before its look (pairs with wait_for_work()).
 */
static void use_locked(const struct tlb_mechanism *m)
{
	CMM_STORE_SHARED(current, m);
	if (m == &tlb_mech_signal) {
		cmm_smp_mb();
		tlb_call_rcu_wake();
	}
}

/* Probe once; the answer is cached. */
static bool valid_locked(enum urcu_tlb_mechanism m)
{
	if (!known[m].probed) {
		known[m].probed = true;
		known[m].valid = mechanisms[m]->probe(known[m].why,
						      sizeof(known[m].why)) == 0;
	}
	return known[m].valid && !known[m].retired;
}

/* Probe and, if valid, prepare it for use. */
static bool usable_locked(enum urcu_tlb_mechanism m)
{
	if (!valid_locked(m))
		return false;
	if (!known[m].set_up) {
		if (mechanisms[m]->setup(known[m].why, sizeof(known[m].why))) {
			known[m].valid = false;
			return false;
		}
		known[m].set_up = true;
	}
	return true;
}

static const struct tlb_mechanism *first_usable_locked(void)
{
	int m;

	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m < NR_MECH; m++)
		if (usable_locked(m))
			return mechanisms[m];
	tlb_say("no mechanism can force a memory barrier on the other threads here (membarrier: %s; mprotect: %s; signal: %s)",
		known[URCU_TLB_MECHANISM_MEMBARRIER].why,
		known[URCU_TLB_MECHANISM_MPROTECT].why,
		known[URCU_TLB_MECHANISM_SIGNAL].why);
	abort();
}

static int parse_name(const char *s)
{
	int m;

	for (m = 0; m < NR_MECH; m++)
		if (!strcmp(s, names[m]))
			return m;
	return -1;
}

static void choose_from_environment(void)
{
	const char *env = getenv("URCU_TLB_MECHANISM");
	int m = env && *env ? parse_name(env) : URCU_TLB_MECHANISM_AUTO;

	pthread_mutex_lock(&mech_mutex);
	if (m > URCU_TLB_MECHANISM_AUTO && usable_locked(m)) {
		use_locked(mechanisms[m]);
		forced = true;
	} else {
		use_locked(first_usable_locked());
		if (m < 0)
			tlb_say("URCU_TLB_MECHANISM=%s is not one of auto, membarrier, mprotect, signal; using %s",
				env, current->name);
		else if (m > URCU_TLB_MECHANISM_AUTO)
			tlb_say("URCU_TLB_MECHANISM=%s is not usable here (%s); using %s",
				env, known[m].why, current->name);
	}
	pthread_mutex_unlock(&mech_mutex);
}

void tlb_init(void)
{
	int cancel = tlb_nocancel();	/* the probes read /proc under mech_mutex */

	pthread_once(&init_once, choose_from_environment);
	tlb_cancel_restore(cancel);
}

/* Also starts the call_rcu worker, so that later call_rcu() calls, from
 * signal handlers too, never have to create a thread. */
void urcu_tlb_init(void)
{
	tlb_init();
	tlb_call_rcu_kick();
}

unsigned int tlb_mechanisms_retired(void)
{
	unsigned int bits = 0;
	int m;

	pthread_mutex_lock(&mech_mutex);
	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m < NR_MECH; m++)
		if (known[m].retired)
			bits |= 1U << m;
	pthread_mutex_unlock(&mech_mutex);
	return bits;
}

/* Fork: no mechanism is being switched, and no fence is half done. */
void tlb_mech_before_fork(void)
{
	int m;

	pthread_mutex_lock(&mech_mutex);
	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m < NR_MECH; m++)
		if (known[m].set_up && mechanisms[m]->before_fork)
			mechanisms[m]->before_fork();
}

void tlb_mech_after_fork(bool child)
{
	int m;

	for (m = NR_MECH - 1; m >= URCU_TLB_MECHANISM_MEMBARRIER; m--)
		if (known[m].set_up && mechanisms[m]->after_fork)
			mechanisms[m]->after_fork(child);
	pthread_mutex_unlock(&mech_mutex);
}

/* The fence of m failed with err: retire m and switch to the next.
 * Cancellation is off: tlb_heavy_fence()'s callers disable it. */
static void retire(const struct tlb_mechanism *m, int err)
{
	pthread_mutex_lock(&mech_mutex);
	if (!known[m->id].retired) {
		known[m->id].retired = true;
		snprintf(known[m->id].why, sizeof(known[m->id].why),
			 "retired: its heavy fence failed at run time (%s)",
			 strerror(err));
		uatomic_inc(&tlb_counters.mechanism_fallbacks);
	}
	if (current == m) {
		const struct tlb_mechanism *next = first_usable_locked();

		if (forced)
			tlb_say("mechanism %s failed at run time (%s); using %s",
				m->name, strerror(err), next->name);
		forced = false;
		use_locked(next);
	}
	pthread_mutex_unlock(&mech_mutex);
}

void tlb_heavy_fence(void)
{
	const struct tlb_mechanism *m;

	/* The caller's own accesses: before the fence are before it. */
	cmm_smp_mb();
	if (caa_unlikely(CMM_LOAD_SHARED(skip_heavy)))
		return;
	for (;;) {
		m = CMM_LOAD_SHARED(current);
		if (m->fence() == 0)
			break;
		retire(m, errno);
	}
	uatomic_inc(&tlb_counters.heavy_fences);
	/* ... and after it are after it. */
	cmm_smp_mb();
}

bool tlb_heavy_fences_skipped(void)
{
	return CMM_LOAD_SHARED(skip_heavy);
}

void urcu_tlb_testing_skip_heavy_fence(int skip)
{
	if (skip && !uatomic_xchg(&skip_heavy, 1))
		tlb_say("heavy fences disabled for a control run: grace periods no longer order readers");
	if (!skip)
		uatomic_set(&skip_heavy, 0);
}

void urcu_tlb_fence_heavy(void)
{
	int cancel = tlb_nocancel();

	tlb_init();
	tlb_heavy_fence();
	tlb_cancel_restore(cancel);
}

#undef urcu_tlb_fence_light
void urcu_tlb_fence_light(void)
{
	cmm_barrier();
}

enum urcu_tlb_mechanism urcu_tlb_mechanism(void)
{
	tlb_init();
	return CMM_LOAD_SHARED(current)->id;
}

const char *urcu_tlb_mechanism_name(void)
{
	tlb_init();
	return CMM_LOAD_SHARED(current)->name;
}

const char *urcu_tlb_mechanism_string(enum urcu_tlb_mechanism m)
{
	if ((int) m < 0 || m >= NR_MECH)
		return NULL;
	return names[m];
}

int urcu_tlb_mechanism_usable(enum urcu_tlb_mechanism m, const char **why)
{
	bool ok;
	int cancel;

	if ((int) m <= URCU_TLB_MECHANISM_AUTO || m >= NR_MECH) {
		if (why)
			*why = "not a mechanism";
		return 0;
	}
	tlb_init();
	cancel = tlb_nocancel();	/* a probe reads /proc */
	pthread_mutex_lock(&mech_mutex);
	ok = valid_locked(m);
	if (!ok && why)
		*why = known[m].why;
	pthread_mutex_unlock(&mech_mutex);
	tlb_cancel_restore(cancel);
	return ok;
}

int urcu_tlb_set_mechanism(enum urcu_tlb_mechanism m)
{
	int cancel;

	if ((int) m < 0 || m >= NR_MECH) {
		errno = EINVAL;
		return -1;
	}
	tlb_init();
	cancel = tlb_nocancel();	/* a probe reads /proc */
	pthread_mutex_lock(&mech_mutex);
	if (m == URCU_TLB_MECHANISM_AUTO) {
		use_locked(first_usable_locked());
		forced = false;
	} else if (usable_locked(m)) {
		use_locked(mechanisms[m]);
		forced = true;
	} else {
		pthread_mutex_unlock(&mech_mutex);
		tlb_cancel_restore(cancel);
		errno = ENOTSUP;
		return -1;
	}
	pthread_mutex_unlock(&mech_mutex);
	tlb_cancel_restore(cancel);
	return 0;
}
