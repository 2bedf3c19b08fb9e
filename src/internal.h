/*
 * internal.h: what the parts of liburcu-tlb share and do not export.
 */
#ifndef _URCU_TLB_INTERNAL_H
#define _URCU_TLB_INTERNAL_H

#define _LGPL_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <urcu/list.h>
#include <urcu-tlb.h>

#define TLB_HIDDEN __attribute__((visibility("hidden")))

/*
 * The library-private half of a registered thread.  It lives in the
 * thread's TLS next to the public slot (struct urcu_tlb_reader), on its own
 * cache line so that registry traffic does not disturb the reader's line.
 * Every field is protected by the registry lock except need_mb and
 * sig_sent.
 */
struct tlb_thread {
	struct cds_list_head node;	/* in the registry */
	struct urcu_tlb_reader *reader;	/* this thread's slot */
	pthread_t tid;
	pid_t kernel_tid;		/* for /proc/self/task/<tid> */
	/* The grace period that last saw this reader quiescent (gp word). */
	unsigned long seen_gp;
	/* ---- signal mechanism (mech-signal.c, Claims S1-S3) ---------------- */
	/* 0 no barrier pending, 1 requested, 2 requested and the updater
	 * sleeps on this word (a futex).  Written by the handler too. */
	int32_t need_mb;
	/* 1 from just before pthread_kill() until the handler starts: a
	 * barrier signal may be pending, none is sent meanwhile.  Written by
	 * the handler too. */
	int32_t sig_sent;
	/* This fence found the thread off its CPU (registry lock). */
	bool sig_covered;
	/* ---- end of the signal mechanism's fields -------------------------- */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

/* ---- registry.c --------------------------------------------------------- */

TLB_HIDDEN extern struct cds_list_head tlb_registry;
TLB_HIDDEN void tlb_registry_lock(void);
TLB_HIDDEN void tlb_registry_unlock(void);
/* The calling thread's private half, registered or not. */
TLB_HIDDEN struct tlb_thread *tlb_self(void);

/* Ends the calling thread's read-side critical section, if any, as it
 * exits (thread-exit destructors). */
TLB_HIDDEN void tlb_end_section_at_exit(void);
/* Fork: the registry lock is taken by tlb_registry_lock(); the child keeps
 * only the forking thread. */
TLB_HIDDEN void tlb_registry_after_fork_child(void);

/* ---- gp.c --------------------------------------------------------------- */

/*
 * The grace period a caller needs: one that starts after this call, whose
 * F1 therefore follows the caller's earlier updates (Claim 5 in gp.c).
 */
TLB_HIDDEN unsigned long tlb_gp_target(void);
/* Whether grace period `target` has completed; a full barrier follows the
 * check, so the caller's later accesses come after it. */
TLB_HIDDEN bool tlb_gp_done(unsigned long target);
/* Polled grace periods: ask that grace period `target` be run (the
 * call_rcu worker runs it), and whether an asked-for one is still to run. */
TLB_HIDDEN void tlb_gp_request(unsigned long target);
TLB_HIDDEN bool tlb_gp_requested(void);
/* In the child of fork(): no grace period is in progress there. */
TLB_HIDDEN void tlb_gp_after_fork_child(void);

/* ---- call_rcu.c, defer.c ----------------------------------------------- */

/* The call_rcu worker: wake it (starting it if none runs) after the
 * caller's full barrier. */
TLB_HIDDEN void tlb_call_rcu_kick(void);
/* Wake the worker if it sleeps, without starting one (takes no lock). */
TLB_HIDDEN void tlb_call_rcu_wake(void);
TLB_HIDDEN void tlb_call_rcu_before_fork(void);
TLB_HIDDEN void tlb_call_rcu_after_fork(bool child);
TLB_HIDDEN void tlb_defer_before_fork(void);
TLB_HIDDEN void tlb_defer_after_fork(bool child);

/*
 * Whether the calling thread is inside a read-side critical section.  The
 * all-ones depth marks a thread that liburcu-tlb let go of at exit
 * (registry.c); it is not inside one.
 */
static inline bool tlb_in_read_section(void)
{
	unsigned long nest = URCU_TLS(urcu_tlb_reader).ctr & URCU_TLB_NEST_MASK;

	return nest - 1 < URCU_TLB_NEST_MASK - 1;
}

/* ---- mechanism.c -------------------------------------------------------- */

/*
 * One way of forcing the heavy half of the fence.  Each lives in its own
 * file (mech-*.c) and knows nothing of the grace-period engine.
 */
struct tlb_mechanism {
	enum urcu_tlb_mechanism id;
	const char *name;
	/*
	 * Whether the mechanism is valid here, without lasting effect on the
	 * program (a trial fence is fine; installing a signal handler is
	 * not).  Called at most once, with the mechanism lock held.  Returns
	 * 0, or -1 after writing one sentence saying why into why[len].
	 */
	int (*probe)(char *why, size_t len);
	/*
	 * Prepare for use once the mechanism is chosen (map a page, install
	 * a handler).  Same conventions as probe.
	 */
	int (*setup)(char *why, size_t len);
	/*
	 * Force a full barrier on every CPU running a thread of the process
	 * (signal: on every registered thread) and wait until it is done.
	 * Never called with the registry lock held.  Returns 0, or -1 with
	 * errno set when a system call failed: the barrier may then not have
	 * happened, and the caller retries with another mechanism.
	 */
	int (*fence)(void);
	/* Optional: around fork(), so that the child inherits no lock held
	 * mid-fence and a valid registration. */
	void (*before_fork)(void);
	void (*after_fork)(bool child);
};

TLB_HIDDEN extern const struct tlb_mechanism tlb_mech_membarrier;
TLB_HIDDEN extern const struct tlb_mechanism tlb_mech_mprotect;
TLB_HIDDEN extern const struct tlb_mechanism tlb_mech_signal;
/* The signal the signal mechanism has installed its handler on, 0 while
 * it has none (mech-signal.c; it moves to another when the program takes
 * it).  Threads the library starts leave it unblocked. */
TLB_HIDDEN int tlb_barrier_signal(void);

/* ---- mprotect-valid.c --------------------------------------------------- */

/* The four registers one CPUID leaf returns. */
struct tlb_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

/*
 * What the mprotect mechanism's validity is decided from: a way to execute
 * CPUID (a table, in tests) and the start of /proc/cpuinfo, NUL-terminated,
 * or NULL when it could not be read (cpuinfo_errno then says why).
 */
struct tlb_machine {
	void (*cpuid)(uint32_t leaf, uint32_t subleaf, struct tlb_cpuid *out,
		      void *ctx);
	void *ctx;
	const char *cpuinfo;
	int cpuinfo_errno;
};

/* Whether a downgrade's TLB shootdown forces a barrier on every CPU that
 * runs the process on machine m (mech-mprotect.c argues each rule).  Pure.
 * Returns 0, or -1 with one sentence saying why not in why[len]. */
TLB_HIDDEN int tlb_mprotect_valid(const struct tlb_machine *m, char *why,
				  size_t len);

/* Choose the mechanism (URCU_TLB_MECHANISM) if not done yet.  (The fork
 * handlers are installed when the library is loaded: fork.c.) */
TLB_HIDDEN void tlb_init(void);
TLB_HIDDEN void tlb_mech_before_fork(void);
TLB_HIDDEN void tlb_mech_after_fork(bool child);
/*
 * The heavy fence the engine pairs the readers' compiler barriers with: a
 * full barrier on the caller, then the mechanism's, then a full barrier
 * again.  Falls back to the next valid mechanism if one fails, so it never
 * returns without a barrier having been forced.
 */
TLB_HIDDEN void tlb_heavy_fence(void);

/* Counters behind urcu_tlb_get_stats(); update side only, atomic adds. */
struct tlb_counters {
	unsigned long synchronize_calls;
	unsigned long grace_periods;
	unsigned long heavy_fences;
	unsigned long mechanism_fallbacks;
	unsigned long registered_threads;	/* under the registry lock */
	unsigned long callbacks_queued;
	unsigned long callbacks_invoked;	/* written by the callback runner only */
	unsigned long callback_batches;
};
TLB_HIDDEN extern struct tlb_counters tlb_counters;

/* ---- util.c ------------------------------------------------------------- */

/* One line "liburcu-tlb: <fmt...>" on stderr, unbuffered, async-signal-safe
 * enough for our uses (a single write(2)). */
TLB_HIDDEN void tlb_say(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Create a thread named name running fn(arg), with every signal blocked
 * (it calls tlb_thread_signals() to let the mechanism's one through),
 * detached or joinable, on CPU cpu only when cpu >= 0.  Returns 0 or an
 * errno (EINVAL for a CPU that cannot be used).
 */
TLB_HIDDEN int tlb_create_thread(pthread_t *thread, void *(*fn)(void *),
				 void *arg, const char *name, bool detached,
				 int cpu);
/* In a thread the library started: unblock the signal mechanism's signal
 * if it has one it did not unblock yet.  Cheap; called at each wake-up. */
TLB_HIDDEN void tlb_thread_signals(void);
/* CLOCK_MONOTONIC in nanoseconds (async-signal-safe). */
TLB_HIDDEN uint64_t tlb_now_ns(void);

/* ---- wait.c ------------------------------------------------------------- */

struct timespec;
/* FUTEX_WAIT while *word == val; returns on a change, a wake-up, a signal
 * or the timeout (the caller looks again).  Unexpected errors abort. */
TLB_HIDDEN void tlb_futex_wait(int32_t *word, int32_t val,
			       const struct timespec *timeout);
TLB_HIDDEN void tlb_futex_wake(int32_t *word, int n);

/*
 * A sleeper's word: -1 while its owner sleeps, else 0.  The owner stores
 * -1 (tlb_sleep_announce), issues the barrier its argument names, looks
 * for work once more, then calls tlb_sleep_cancel() or tlb_sleep().  A
 * waker publishes work, issues the pairing barrier, then calls
 * tlb_wake_sleeper().
 */
static inline void tlb_sleep_announce(int32_t *word)
{
	uatomic_set(word, -1);
}

static inline void tlb_sleep_cancel(int32_t *word)
{
	uatomic_set(word, 0);
}

/* Sleep until a waker set the word to 0 (or, with a timeout, until it
 * expires: the caller then looks again and announces again). */
TLB_HIDDEN void tlb_sleep(int32_t *word, const struct timespec *timeout);
TLB_HIDDEN void tlb_wake_sleeper(int32_t *word);

/* A one-shot event one thread waits for and another marks. */
struct tlb_completion {
	int32_t done;
};
TLB_HIDDEN void tlb_complete(struct tlb_completion *c);
/* Spin up to `spin` polls, then sleep; a full barrier follows. */
TLB_HIDDEN void tlb_wait_complete(struct tlb_completion *c, unsigned int spin);

#endif /* _URCU_TLB_INTERNAL_H */
