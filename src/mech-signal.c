/*
 * mech-signal.c: the heavy fence as a signal to every registered thread.
 *
 * The last resort, valid everywhere: the updater raises need_mb for every
 * other registered thread, sends it a real-time signal, and waits until
 * each handler has run a full barrier and cleared its flag: a short spin,
 * then a futex sleep on the flag that the handler wakes.  The handler
 * interrupts the thread between two instructions, so its barrier splits
 * the thread's program order in two exactly as the heavy fence requires.
 * Only registered threads are reached: for the asymmetric fence this is
 * the documented scope of the signal mechanism.
 *
 * The signal is the highest real-time signal whose disposition is still
 * SIG_DFL when the mechanism is set up (SIGUSR1/SIGUSR2 are never used;
 * urcu_tlb_mechanism_signal() tells which), and the handler is installed
 * only then, never merely because this mechanism was probed.  SA_RESTART
 * keeps most interrupted system calls going; the handler saves and
 * restores errno.  A reader that blocks the signal would hang every grace
 * period: after a second the fence looks at the thread's blocked mask and,
 * if the signal is in it, says so and aborts instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/futex.h>
#include "internal.h"

static int signo;	/* 0 until set up */

int tlb_barrier_signal(void)
{
	return CMM_LOAD_SHARED(signo);
}

int urcu_tlb_mechanism_signal(void)
{
	tlb_init();
	return tlb_barrier_signal();
}

static void on_barrier_signal(int sig, siginfo_t *info, void *uctx)
{
	struct tlb_thread *t = tlb_self();
	int saved_errno = errno;

	(void) sig;
	(void) info;
	(void) uctx;
	/*
	 * Everything this thread did before the interruption is ordered
	 * before the acknowledgement; pairs with the full barrier the
	 * updater issues after seeing need_mb cleared (wait_for_ack).
	 */
	cmm_smp_mb();
	if (uatomic_xchg(&t->need_mb, 0) == 2)	/* the updater sleeps */
		(void) futex_async(&t->need_mb, FUTEX_WAKE, 1, NULL, NULL, 0);
	/*
	 * Everything after the handler is ordered after the updater's
	 * accesses before it raised need_mb; pairs with the full barrier
	 * between raising need_mb and sending the signal (fence).
	 */
	cmm_smp_mb();
	errno = saved_errno;
}

/* The highest real-time signal nobody has claimed, or 0. */
static int free_rt_signal(void)
{
	struct sigaction old;
	int s;

	for (s = SIGRTMAX; s >= SIGRTMIN; s--)
		if (!sigaction(s, NULL, &old) &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			return s;
	return 0;
}

static int probe(char *why, size_t len)
{
	if (!free_rt_signal()) {
		snprintf(why, len,
			 "every real-time signal (SIGRTMIN..SIGRTMAX) already has a handler");
		return -1;
	}
	return 0;
}

static int setup(char *why, size_t len)
{
	struct sigaction sa, old;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_barrier_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	while ((s = free_rt_signal())) {
		if (sigaction(s, &sa, &old)) {
			snprintf(why, len, "sigaction(%d) failed: %s", s,
				 strerror(errno));
			return -1;
		}
		if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
			CMM_STORE_SHARED(signo, s);
			return 0;
		}
		/* Claimed between our look and our install: give it back. */
		sigaction(s, &old, NULL);
	}
	snprintf(why, len,
		 "every real-time signal (SIGRTMIN..SIGRTMAX) already has a handler");
	return -1;
}

static double elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) * 1e-9;
}

/* Whether kernel thread tid has signal s in its blocked mask. */
static bool thread_blocks(pid_t tid, int s)
{
	char path[64], line[256];
	bool blocked = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int) tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		uint64_t mask;

		if (sscanf(line, "SigBlk: %" SCNx64, &mask) == 1) {
			blocked = mask & (UINT64_C(1) << (s - 1));
			break;
		}
	}
	fclose(f);
	return blocked;
}

#define ACK_SPIN	200

/* Spin briefly, then sleep on need_mb until the handler clears it. */
static void wait_for_ack(struct tlb_thread *t)
{
	const struct timespec tick = { .tv_nsec = 100000000L };	/* 100 ms */
	struct timespec start;
	bool checked = false;
	int i;

	for (i = 0; i < ACK_SPIN && CMM_LOAD_SHARED(t->need_mb); i++)
		caa_cpu_relax();
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (CMM_LOAD_SHARED(t->need_mb)) {
		/* 1 -> 2: the handler's xchg will see 2 and wake us. */
		(void) uatomic_cmpxchg(&t->need_mb, 1, 2);
		(void) futex_async(&t->need_mb, FUTEX_WAIT, 2, &tick, NULL, 0);
		if (!checked && CMM_LOAD_SHARED(t->need_mb) &&
		    elapsed_s(&start) > 1.0) {
			checked = true;
			if (thread_blocks(t->kernel_tid, signo)) {
				tlb_say("urcu_tlb_fence_heavy: registered thread %d blocks signal %d, which the signal mechanism needs: every grace period would hang (unblock it in registered threads)",
					(int) t->kernel_tid, signo);
				abort();
			}
		}
	}
	/* Pairs with the first barrier in on_barrier_signal(). */
	cmm_smp_mb();
}

static int fence(void)
{
	struct tlb_thread *t, *self = tlb_self();
	int err = 0;

	tlb_registry_lock();
	cds_list_for_each_entry(t, &tlb_registry, node)
		if (t != self)
			CMM_STORE_SHARED(t->need_mb, 1);
	/* Pairs with the second barrier in on_barrier_signal(). */
	cmm_smp_mb();
	cds_list_for_each_entry(t, &tlb_registry, node) {
		int e;

		if (t == self)
			continue;
		e = pthread_kill(t->tid, signo);
		if (e) {
			CMM_STORE_SHARED(t->need_mb, 0);
			err = e;
		}
	}
	cds_list_for_each_entry(t, &tlb_registry, node)
		if (t != self)
			wait_for_ack(t);
	tlb_registry_unlock();
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

const struct tlb_mechanism tlb_mech_signal = {
	.id = URCU_TLB_MECHANISM_SIGNAL,
	.name = "signal",
	.probe = probe,
	.setup = setup,
	.fence = fence,
};
