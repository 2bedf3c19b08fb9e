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

/* liburcu's headers (rculfhash.h: cds_lfht_new) offer their mapped API to
 * programs that include a flavor with its names mapped, as this one is. */
#ifndef URCU_API_MAP
#define URCU_API_MAP
#endif

#include <stdbool.h>
#include <urcu/compiler.h>
#include <urcu/pointer.h>
#include <urcu-tlb/config.h>
#include <urcu-tlb/map.h>
/* After the map: struct rcu_head, and liburcu's declarations of call_rcu,
 * rcu_barrier, defer_rcu... under liburcu-tlb's names. */
#include <urcu/call-rcu.h>
#include <urcu/defer.h>
#include <urcu/flavor.h>

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

/*
 * Choose the mechanism and start the call_rcu worker now rather than at
 * the first call (rcu_init); optional.  A
 * program that calls call_rcu() from signal handlers calls this (or
 * call_rcu) once first, so that no call from a handler creates a thread.
 */
void urcu_tlb_init(void);

/*
 * rcu_exit: stop the default call_rcu worker if it has nothing queued, as
 * liburcu >= 0.14 does; also done when the process exits (or the library
 * is unloaded).  Callbacks still queued then are not run: call
 * rcu_barrier() before exiting if they must.  Never waits more than 100 ms.
 */
void urcu_tlb_exit(void);

/* ---- Read side ---------------------------------------------------------- */

#ifdef _LGPL_SOURCE
#include <urcu-tlb/static.h>
#define urcu_tlb_read_lock		_urcu_tlb_read_lock
#define urcu_tlb_read_unlock		_urcu_tlb_read_unlock
#define urcu_tlb_read_ongoing		_urcu_tlb_read_ongoing
#else
/* Enter a read-side critical section.  Nests up to 16777214 deep. */
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
 * unregistering is unregistered automatically, after its thread-exit
 * destructors have run (docs/api.md says exactly when).
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

/*
 * Run func(head) after a grace period, on the call_rcu worker thread, in
 * call order, outside any read-side critical section.  Never waits and
 * never fails: callable with any lock held, inside read-side critical
 * sections and callbacks, and from signal handlers once the worker exists
 * (urcu_tlb_init()).  struct rcu_head is liburcu's.  Callbacks queued
 * together share one grace period.  A NULL head or func aborts.
 */
void urcu_tlb_call_rcu(struct rcu_head *head,
		       void (*func)(struct rcu_head *head));

/*
 * liburcu's call_rcu workers (struct call_rcu_data), with liburcu's
 * semantics (docs/api.md): call_rcu() queues to the calling thread's
 * call_rcu_data, else its CPU's, else the default one.  Each has its own
 * worker thread; callbacks of different ones run concurrently.
 * create_call_rcu_data() returns NULL with errno when its thread cannot be
 * created (liburcu aborts); flags: URCU_CALL_RCU_RT (the worker polls
 * every 10 ms, call_rcu() makes no system call); cpu_affinity -1 or the
 * CPU its worker is bound to.  call_rcu_data_free() unpublishes it, waits
 * for calls in flight, stops and joins its worker, and hands what it had
 * not run to the default one; freeing the default or NULL does nothing.
 * The set_* functions and create_all_cpu_call_rcu_data() return 0 or a
 * negative errno, also left in errno (EINVAL, EEXIST, ENOMEM, or
 * pthread_create's), and leave things as they were on failure.
 */
struct call_rcu_data *urcu_tlb_create_call_rcu_data(unsigned long flags,
						    int cpu_affinity);
void urcu_tlb_call_rcu_data_free(struct call_rcu_data *crdp);
struct call_rcu_data *urcu_tlb_get_default_call_rcu_data(void);
struct call_rcu_data *urcu_tlb_get_cpu_call_rcu_data(int cpu);
struct call_rcu_data *urcu_tlb_get_thread_call_rcu_data(void);
struct call_rcu_data *urcu_tlb_get_call_rcu_data(void);
pthread_t urcu_tlb_get_call_rcu_thread(struct call_rcu_data *crdp);
void urcu_tlb_set_thread_call_rcu_data(struct call_rcu_data *crdp);
int urcu_tlb_set_cpu_call_rcu_data(int cpu, struct call_rcu_data *crdp);
int urcu_tlb_create_all_cpu_call_rcu_data(unsigned long flags);
void urcu_tlb_free_all_cpu_call_rcu_data(void);

/*
 * Returns after every callback queued (by any thread) before the call has
 * run.  Aborts with a message when called from a callback or inside a
 * read-side critical section: either would wait for itself.
 */
void urcu_tlb_barrier(void);

/*
 * liburcu's defer API: fct(p) runs after a grace period, from the calling
 * thread's queue of 4096 entries, emptied by a background thread at least
 * every 100 ms and by the caller itself (one synchronize_rcu()) when full.
 * The thread registers first (0, or -ENOMEM); defer_rcu may block, so it
 * must not be called inside a read-side critical section (that aborts).
 */
void urcu_tlb_defer_rcu(void (*fct)(void *p), void *p);
int urcu_tlb_defer_register_thread(void);
void urcu_tlb_defer_unregister_thread(void);
/* Run every thread's / this thread's deferred work after a grace period. */
void urcu_tlb_defer_barrier(void);
void urcu_tlb_defer_barrier_thread(void);
/* rcu_defer_exit: end the defer thread once no thread is registered for
 * defer_rcu (it starts again at the next registration). */
void urcu_tlb_defer_exit(void);

/*
 * Polled grace periods.  start_poll never blocks: it takes a cookie and
 * makes sure a grace period will run (the call_rcu worker runs it).
 * poll_state never blocks either and returns true once a full grace period
 * has passed since start_poll was called.
 */
#if defined(__has_include)
#if __has_include(<urcu/urcu-poll.h>)
#include <urcu/urcu-poll.h>	/* liburcu >= 0.14 */
#endif
#endif
#ifndef _URCU_POLL_H
#define _URCU_POLL_H
/* liburcu >= 0.14's cookie, the same layout, for older liburcu. */
struct urcu_gp_poll_state {
	unsigned long grace_period_id;	/* opaque */
};
#endif
struct urcu_gp_poll_state urcu_tlb_start_poll_synchronize_rcu(void);
bool urcu_tlb_poll_state_synchronize_rcu(struct urcu_gp_poll_state state);

/* ---- liburcu's flavor interface ----------------------------------------- */

/*
 * Every member filled: cds_lfht_new_flavor(..., &urcu_tlb_flavor, NULL) and
 * liburcu's other flavor-taking structures run on liburcu-tlb.
 */
extern const struct rcu_flavor_struct urcu_tlb_flavor;

/* QSBR notions, no-ops in this flavor (kept for the flavor interface). */
void urcu_tlb_quiescent_state(void);
void urcu_tlb_thread_offline(void);
void urcu_tlb_thread_online(void);

/* liburcu-cds's hash table registers its resize worker's fork hooks here. */
void urcu_tlb_register_rculfhash_atfork(struct urcu_atfork *atfork);
void urcu_tlb_unregister_rculfhash_atfork(struct urcu_atfork *atfork);

/* ---- fork --------------------------------------------------------------- */

/*
 * fork() is handled automatically (pthread_atfork): the child keeps using
 * the library, with only the forking thread registered, its own call_rcu
 * and defer workers, and a re-initialised mechanism.  Programs that create
 * processes with raw clone() call these three around it, as with liburcu;
 * calling them around fork() as well is harmless (they nest).  Forking
 * inside a read-side critical section aborts: it would deadlock.
 */
void urcu_tlb_before_fork(void);
void urcu_tlb_after_fork_parent(void);
void urcu_tlb_after_fork_child(void);
/* liburcu's manual call_rcu fork hooks (call_rcu_before_fork...): the
 * three above, plus liburcu-cds's hash-table hooks around them. */
void urcu_tlb_call_rcu_before_fork(void);
void urcu_tlb_call_rcu_after_fork_parent(void);
void urcu_tlb_call_rcu_after_fork_child(void);

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

/*
 * The real-time signal the signal mechanism uses, 0 while it has none
 * installed (it installs one when it is chosen).  A registered thread that
 * blocks it is not an error: it is covered at its next context switch, so
 * grace periods may wait for that (docs/mechanisms.md).  Leave it
 * unblocked in registered threads that run for long without sleeping, and
 * do not install a handler on it (the mechanism then moves to another
 * signal, saying so on stderr).
 */
int urcu_tlb_mechanism_signal(void);

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
	unsigned long callbacks_queued;		/* call_rcu() calls */
	unsigned long callbacks_invoked;	/* callbacks run */
	unsigned long callback_batches;		/* batches (one grace period each) */
};

/* Copy the counters into *out (each read atomically, not all at once). */
void urcu_tlb_get_stats(struct urcu_tlb_stats *out);

#ifdef __cplusplus
}
#endif

/* Growable file mappings whose old mappings are reclaimed after a grace
 * period (docs/regions.md). */
#include <urcu-tlb/region.h>

#endif /* _URCU_TLB_H */
