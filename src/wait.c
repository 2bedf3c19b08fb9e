/*
 * wait.c: how every thread of liburcu-tlb sleeps and is woken.
 *
 * Two shapes, each written once (liburcu's src/urcu-wait.h serves its
 * flavors the same way):
 *
 * - A sleeper's word, -1 while its owner sleeps, else 0.  The owner
 *   announces the sleep (tlb_sleep_announce), issues a barrier, looks once
 *   more for work, and then either cancels (tlb_sleep_cancel) or sleeps
 *   until a waker has set the word back to 0 (tlb_sleep).  A waker
 *   publishes its work, issues a barrier, and calls tlb_wake_sleeper().
 *   The two barriers form a store-buffering pair: either the owner's look
 *   sees the work, or the waker's load sees -1 and wakes it.  Which
 *   barrier each side issues (a full barrier, or a heavy fence against a
 *   compiler barrier on the read side) is the caller's argument to make,
 *   next to the call.
 *
 * - A completion: one thread waits until another marks it done
 *   (tlb_complete / tlb_wait_complete), with a full barrier on each side
 *   so that what the completer did before is visible after the wait.  The
 *   completion may live on the waiter's stack: the completer touches it
 *   no more once it is marked (see tlb_futex_wake).
 *
 * One policy for futex errors: EINTR, EAGAIN (the word had changed) and
 * ETIMEDOUT return to the caller, who looks again; anything else means
 * the futex itself is unusable, and the process stops with a line saying
 * so rather than spin or hang without a word.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/futex.h>
#include "internal.h"

void tlb_futex_wait(int32_t *word, int32_t val, const struct timespec *timeout)
{
	if (!futex_async(word, FUTEX_WAIT, val, timeout, NULL, 0))
		return;
	switch (errno) {
	case EINTR:
	case EAGAIN:
	case ETIMEDOUT:
		return;
	default:
		tlb_say("futex wait failed: %s; liburcu-tlb cannot sleep here",
			strerror(errno));
		abort();
	}
}

/*
 * The waker has already changed the word, so a sleeper that looks finds
 * its answer; the wake only shortens its sleep.  It may come after the
 * sleeper saw the change, returned, and reused (or, with its thread gone,
 * unmapped) the word's memory: FUTEX_WAKE then fails with EFAULT, or
 * wakes whoever sleeps at that address now, which every futex user takes
 * as a spurious wake-up.  So its result is not looked at.
 */
void tlb_futex_wake(int32_t *word, int n)
{
	(void) futex_async(word, FUTEX_WAKE, n, NULL, NULL, 0);
}

void tlb_sleep(int32_t *word, const struct timespec *timeout)
{
	while (uatomic_read(word) == -1) {
		tlb_futex_wait(word, -1, timeout);
		if (timeout)
			return;	/* the caller looks again, then sleeps again */
	}
}

void tlb_wake_sleeper(int32_t *word)
{
	if (uatomic_read(word) == -1) {
		uatomic_set(word, 0);
		tlb_futex_wake(word, 1);
	}
}

void tlb_complete(struct tlb_completion *c)
{
	/* What the completer did comes before the mark; pairs with the
	 * barrier at the end of tlb_wait_complete(). */
	cmm_smp_mb();
	uatomic_set(&c->done, 1);
	tlb_futex_wake(&c->done, INT32_MAX);
}

void tlb_wait_complete(struct tlb_completion *c, unsigned int spin)
{
	unsigned int i;

	for (i = 0; i < spin && !uatomic_read(&c->done); i++)
		caa_cpu_relax();
	while (!uatomic_read(&c->done))
		tlb_futex_wait(&c->done, 0, NULL);
	/* Pairs with the barrier in tlb_complete(). */
	cmm_smp_mb();
}
