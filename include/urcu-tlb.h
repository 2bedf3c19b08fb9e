/*
 * urcu-tlb.h: liburcu-tlb, a userspace RCU flavor whose readers execute no
 * memory-barrier instruction.
 *
 * A grace period forces the barrier onto the readers' CPUs from the update
 * side instead: with membarrier(2) where the kernel offers it, with an
 * mprotect downgrade of a private page (the TLB shootdown interrupts every
 * CPU running the process) on x86-64 where it does not, and with a
 * real-time signal as a last resort.  See docs/design.md.
 *
 * Define _LGPL_SOURCE before including this header to inline the read side
 * (liburcu's convention); without it the same names are exported functions.
 *
 * This header also maps liburcu's classic names (rcu_read_lock,
 * synchronize_rcu, ...) onto liburcu-tlb, and gives rcu_dereference,
 * rcu_assign_pointer and rcu_xchg_pointer from <urcu/pointer.h>, so that a
 * program written for <urcu.h> or <urcu-signal.h> switches flavor by
 * changing one include and one -l flag.  Do not include another flavor's
 * header in the same translation unit.
 */
#ifndef _URCU_TLB_H
#define _URCU_TLB_H

#include <urcu/compiler.h>
#include <urcu/pointer.h>
#include <urcu-tlb/config.h>
#include <urcu-tlb/map.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the heavy half of the asymmetric fence is forced (docs/mechanisms.md). */
enum urcu_tlb_mechanism {
	URCU_TLB_MECHANISM_AUTO = 0,	/* only as an argument: first valid below */
	URCU_TLB_MECHANISM_MEMBARRIER = 1,
	URCU_TLB_MECHANISM_MPROTECT = 2,
	URCU_TLB_MECHANISM_SIGNAL = 3,
};

/* ---- Read side ---------------------------------------------------------- */

#ifdef _LGPL_SOURCE
#include <urcu-tlb/static.h>
#define urcu_tlb_read_lock		_urcu_tlb_read_lock
#define urcu_tlb_read_unlock		_urcu_tlb_read_unlock
#define urcu_tlb_read_ongoing		_urcu_tlb_read_ongoing
#else
/* Enter a read-side critical section.  Nests up to 65535 deep. */
void urcu_tlb_read_lock(void);
/* Leave it; the outermost unlock wakes an updater waiting for this thread. */
void urcu_tlb_read_unlock(void);
/* Nonzero inside a read-side critical section. */
int urcu_tlb_read_ongoing(void);
#endif

/*
 * Every thread that enters read-side critical sections registers first.
 * Registering twice, or unregistering inside a critical section, aborts
 * with a message.  A thread that exits (or is cancelled) without
 * unregistering is unregistered automatically.
 */
void urcu_tlb_register_thread(void);
void urcu_tlb_unregister_thread(void);

/* ---- Update side -------------------------------------------------------- */

/*
 * Returns after every read-side critical section that began before the
 * call has ended.  Callable from any thread, registered or not, but not
 * from inside a read-side critical section (that aborts: it would wait for
 * itself).  Concurrent callers share grace periods.
 */
void urcu_tlb_synchronize_rcu(void);

/* ---- The asymmetric fence ----------------------------------------------- */

/*
 * Heavy half: a full memory barrier on the calling thread and on every CPU
 * currently running a thread of this process (with the signal mechanism:
 * on every registered thread).  Pairs with urcu_tlb_fence_light().
 */
void urcu_tlb_fence_heavy(void);

/* Light half: a compiler barrier.  Also exported as a function. */
void urcu_tlb_fence_light(void);
#define urcu_tlb_fence_light()		cmm_barrier()

/* ---- Mechanism ---------------------------------------------------------- */

/*
 * The mechanism in use (never URCU_TLB_MECHANISM_AUTO).  The first call of
 * any liburcu-tlb function chooses it: URCU_TLB_MECHANISM=auto|membarrier|
 * mprotect|signal in the environment forces a choice; an unknown or unusable
 * value prints one line on stderr and the first valid mechanism is used.
 */
enum urcu_tlb_mechanism urcu_tlb_mechanism(void);
/* "membarrier", "mprotect" or "signal": the mechanism in use. */
const char *urcu_tlb_mechanism_name(void);
/* The name of any mechanism value ("auto" for AUTO), NULL if out of range. */
const char *urcu_tlb_mechanism_string(enum urcu_tlb_mechanism m);

/*
 * Whether mechanism m can be used here.  Returns 1, or 0 and, when why is
 * not NULL, points *why at a static sentence saying why not.  The answer
 * is computed once and cached; it may change from 1 to 0 when a mechanism
 * fails at run time and is retired.
 */
int urcu_tlb_mechanism_usable(enum urcu_tlb_mechanism m, const char **why);

/*
 * Switch to mechanism m (AUTO: the first valid one).  Safe at any time,
 * also while grace periods run: each heavy fence is issued whole by one
 * mechanism.  Returns 0, or -1 with errno EINVAL (m out of range) or
 * ENOTSUP (m is not usable here); the mechanism in use is then unchanged.
 */
int urcu_tlb_set_mechanism(enum urcu_tlb_mechanism m);

/* ---- Counters ----------------------------------------------------------- */

/*
 * Counts since the process started, and the number of threads registered
 * now.  They cost one atomic add
 * per event on the update side and nothing on the read side, so they are
 * always on.  synchronize_calls > grace_periods shows callers sharing
 * grace periods.
 */
struct urcu_tlb_stats {
	unsigned long synchronize_calls;	/* urcu_tlb_synchronize_rcu() calls */
	unsigned long grace_periods;		/* grace periods actually run */
	unsigned long heavy_fences;		/* heavy fences issued, all causes */
	unsigned long mechanism_fallbacks;	/* mechanisms retired at run time */
	unsigned long registered_threads;	/* registered now (not a count) */
};

/* Copy the counters into *out (each read atomically, not all at once). */
void urcu_tlb_get_stats(struct urcu_tlb_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* _URCU_TLB_H */
