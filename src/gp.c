/*
 * gp.c: the grace-period engine of liburcu-tlb.
 *
 * ======================================================================
 * The correctness argument
 * ======================================================================
 *
 * Notation.  A reader thread R runs
 *
 *	read_lock:    Ls  s = gp.ctr             (load the sequence word)
 *	              Ss  slot_R = s             (store the slot)
 *	              --- compiler barrier ---
 *	critical sec: Lp  p = rcu_dereference(ptr); ... accesses to *p ...
 *	read_unlock:  --- compiler barrier ---
 *	              Su  slot_R = 0
 *	              --- compiler barrier ---
 *	              Lf  load gp.futex (wake the updater if it is -1)
 *
 * and an updater U runs "Wp: ptr = new; synchronize_rcu(); free(old)".
 * synchronize_rcu() runs
 *
 *	F1   heavy fence
 *	Sg   gp.ctr = g  (g: the previous word plus one sequence step)
 *	scan slots until every reader is quiescent (nesting bits 0) or has a
 *	     sequence >= g ("new"); sleeping if needed, see Fw below
 *	F3   heavy fence (omitted on TSO machines, see below)
 *
 * What a heavy fence guarantees (docs/mechanisms.md argues it for each
 * mechanism): for every thread R that can be in a critical section there
 * is a point P in R's program order such that R's accesses before P are
 * ordered before U's accesses after the fence, and U's accesses before the
 * fence are ordered before R's accesses after P, as if both had executed a
 * full barrier (smp_mb) at those points.  A thread that is not running
 * meets this at its last context switch, which is a full barrier.
 *
 * Claim 1 (safety): if R's Lp returns the old pointer, U does not pass the
 * scan before R's Su.  Take P1, R's point for F1.
 *   - If Lp is after P1, Lp is ordered after Wp (Wp precedes F1) and sees
 *     the new pointer: nothing to prove.
 *   - Otherwise Lp is before P1, hence so are Ls and Ss (program order).
 *     Then Ss is ordered before U's scan (after F1): U reads Ss's value s
 *     or a later one.  Ls, being before P1, cannot read Sg (after F1), so
 *     s < g and U keeps waiting while the slot holds s.  The slot changes
 *     only at R's Su (or later), so U waits for Su.
 * F1 is the only fence this needs; the reader's compiler barrier between Ss
 * and Lp keeps the compiler from breaking the program order used above.
 *
 * Claim 2 (a "new" slot is really new): if U reads slot_R = s >= g, R's
 * Lp comes after Wp.  s >= g means Ls read Sg or a later store, which are
 * all after F1; a load before P1 cannot read them, so Ls is after P1 and
 * so is Lp, which therefore sees Wp.  This is why a single sequence counter
 * suffices where liburcu flips a phase bit twice: a reader that loaded an
 * old word and stored it late is either already after P1 (Claim 1, first
 * case) or is seen holding an old sequence and waited for; a stale slot
 * can only make U wait longer, never shorter.
 *   The sequence field has 40 bits (the nesting depth takes 24), and U
 * compares it for equality: during grace period g no slot can hold a
 * sequence above g, so any other value is an older one, however far back
 * (a wrapped comparison "older than g" would misjudge one more than 2^39
 * behind).  The one thing 40 bits allow is a slot whose stale sequence
 * equals g modulo 2^40: its reader would have had to stop between Ls and
 * Ss while 2^40 grace periods completed.  Each needs a heavy fence while a
 * thread is registered (Claim 7), no fence takes under a microsecond, so
 * that is over twelve days frozen between two instructions of read_lock.
 * A deeper nesting than 24 bits hold is refused by read_lock itself,
 * which aborts rather than carry into the sequence.
 *
 * Claim 3 (the critical section is over when U frees): when U observes
 * Su (slot 0) or a later "new" slot, every access of R's critical section
 * must be ordered before free(old).
 *   - On a weakly ordered machine, F3 does it: U read Su before F3, so Su
 *     is before R's point P3 (otherwise U's pre-F3 read would be ordered
 *     before Su and could not see it), and so is the whole critical
 *     section; all of it is ordered before U's accesses after F3.
 *   - On a TSO machine (x86), loads are not reordered with later stores
 *     and stores are not reordered with each other, so the critical
 *     section's loads and stores precede Su in the global order, and U's
 *     read of Su precedes U's later stores (the free) and loads.  F3 is
 *     then redundant and TLB_TSO skips it: one heavy fence per grace
 *     period.  The compiler barriers before Su and after U's scan keep the
 *     compilers on both sides from undoing this.  TSO covers ordinary
 *     accesses to write-back memory only: non-temporal stores and accesses
 *     to write-combining memory are weakly ordered, and a reader that
 *     makes them must fence them itself (cmm_wmb() for stores, cmm_mb()
 *     for such loads) before read_unlock, as before any x86 lock release
 *     (docs/design.md, "The write-back rule").
 *
 * Claim 4 (no lost wake-up, and one fence for any number of sleeps).
 * After a short spin U announces once per grace period that it sleeps,
 * and the announcement stands until the grace period ends:
 *
 *	     write barrier (Sg before Sw)
 *	Sw   gp.futex = -1
 *	Fw   heavy fence
 *	     repeat: w = gp_wakes; read barrier; scan;
 *	             if every reader is done, leave the loop;
 *	             FUTEX_WAIT on gp_wakes while it equals w
 *	     gp.futex = 0
 *
 * A reader R whose outermost unlock (Su; compiler barrier; Lf) sees -1
 * calls urcu_tlb_wake_updater_if_held() with the slot value its section held:
 *
 *	     read barrier; if gp.ctr has that value's sequence, return;
 *	     full barrier; gp_wakes += 1; FUTEX_WAKE gp_wakes
 *
 * (a) Every reader that holds g up is either seen done by the first scan
 * after Fw, or wakes U when it leaves.  This is Claim 1's store-buffering
 * pattern with Fw: if R's Lf is before its point Pw, so is Su, and the
 * scan after Fw sees it; otherwise Lf is after Pw and reads Sw's -1 or a
 * later value, and the only later value, 0, is stored after the wait.
 * Since Sg is ordered before Sw, R's load of gp.ctr after its read
 * barrier returns g or later, whose sequence is not R's (R holds g up,
 * so its section began before g, Claim 2): R increments and wakes.  A
 * reader that reads a stale -1 left by an earlier grace period, and
 * skips the wake because gp.ctr has not reached g for it, read it before
 * Pw, which is the first case.
 * (b) An increment is never missed.  If U's load of gp_wakes returns R's
 * increment or a later value, the full barrier before the increment and
 * U's read barrier after the load order Su before U's scan, which sees
 * R done.  Otherwise the increment comes after U's load in gp_wakes's
 * order, and FUTEX_WAIT either finds the word changed and returns, or
 * sleeps before it changes and R's FUTEX_WAKE wakes it.
 * So the wake-ups after the first sleep need no fence: a grace period
 * issues F1, at most one Fw, and F3 where the machine needs it, however
 * many readers it waits for and however often it sleeps.  A reader whose
 * section began in g holds nothing up and returns after one load: the
 * cost of a standing announcement to readers that keep entering new
 * sections while U waits for an old one.  A thread that exits inside a
 * critical section clears its slot, issues a full barrier and calls
 * urcu_tlb_wake_updater_if_held() the same way (registry.c).
 *
 * Claim 5 (sharing grace periods).  A caller C of synchronize_rcu() pushes
 * itself on the waiter stack (liburcu's wfstack: the push's xchg is a full
 * barrier, so C's update Wp precedes it).  The caller that found the stack
 * empty leads: it takes gp_mutex (waiting for a grace period in progress),
 * pops the whole stack, itself and every caller that arrived meanwhile, and
 * only then runs a grace period, whose F1 follows the pop's xchg, hence
 * every popped caller's push, hence its Wp.  That grace period therefore
 * covers every popped caller, and the leader wakes each of them after it.
 * A caller that pushes after the pop finds the stack empty again and leads
 * the next batch.  The leader's full barrier after the grace period, before
 * it marks a waiter woken, and the waiter's full barrier after it sees the
 * mark, put the waiter's frees after everything the grace period waited
 * for.
 *
 * Polled grace periods (start_poll/poll_state, call_rcu.c) and the call_rcu
 * worker use numbers instead: a caller snapshots gp_started after a full barrier that
 * follows its update and needs grace period snapshot+1 (or later).  That
 * grace period's runner increments gp_started after the snapshot (which
 * read the older value) and then starts F1, which opens with a full
 * barrier: the two full barriers around this store-buffering pair put the
 * update before F1.  The runner stores gp_completed after its final fence
 * (or, on TSO, after its final scan); a poller follows its load of
 * gp_completed with a full barrier.
 *
 * Claim 6 (registration).  The scan walks the registry under the registry
 * lock.  A thread missing from a scan registered after U's earlier lock
 * release; the mutex orders F1 and Wp before its registration and thus
 * before its first Lp, which sees the new pointer.  A thread leaves the
 * registry only outside a critical section: unregistering inside one
 * aborts, and at exit the library's destructor lets a thread go only in
 * glibc's last destructor round, after ending a section a cancellation
 * left open, and marks its slot so that a later read_lock aborts instead
 * of running unseen (registry.c).  A reader seen done in grace period g is
 * not read again in g (seen_gp): U saw its slot quiescent or new after F1,
 * so any section it enters later began after its point P1 (had its Ss been
 * before P1, U would have seen it), and its Lp sees Wp as in Claim 1.
 * Claim 7 (no reader, no fence).  When the registry is empty, no thread can
 * be inside a read-side critical section (only registered threads may
 * enter one), and the grace period issues no fence: after a full barrier
 * that follows the store to gp_started (standing in for the one F1 opens
 * with, for Claim 5), it only takes and drops the registry lock.  A thread
 * that registers afterwards takes that lock after us, so the release and
 * acquire put Wp before its registration and its first Lp; a thread that
 * unregistered before left its last section before releasing the lock,
 * which puts that section before our acquire and thus before the free.
 * liburcu's flavors skip their grace period the same way.
 * ======================================================================
 */
#include <stdint.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include <urcu/wfstack.h>	/* after internal.h: its _LGPL_SOURCE */

/*
 * TSO shortcut, in one place: on x86 the hardware order replaces F3
 * (Claim 3).  Every other architecture issues F3.
 */
#if defined(__x86_64__) || defined(__i386__)
#define TLB_TSO 1
#else
#define TLB_TSO 0
#endif

/* Sequence 1, nesting 1: a reader's first read_lock stores a nonzero slot. */
struct urcu_tlb_gp urcu_tlb_gp = { .ctr = URCU_TLB_GP_STEP | 1, .futex = 0 };

/* Serialises grace periods; gp_started and gp_completed change under it.
 * fork() does not take it (a grace period may wait for a reader that
 * waits for the forking thread): the child starts it afresh. */
static pthread_mutex_t gp_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Grace periods started and completed (Claim 5). */
static unsigned long gp_started, gp_completed;
/* The latest grace period a poller asked for (tlb_gp_request). */
static unsigned long gp_requested;
/* Callers of synchronize_rcu() waiting for a leader to run their grace
 * period (Claim 5). */
static struct __cds_wfs_stack gp_waiters = { .head = CDS_WFS_END };

struct gp_waiter {
	struct cds_wfs_node node;
	struct tlb_completion served;	/* its grace period has run */
};
/* Short: a waiter spinning on one CPU makes the leader's membarrier send
 * that CPU an IPI, and one spinning on the leader's CPU delays it. */
#define GPW_SPIN	50

/* Spin before sleeping: bounded, and shorter when spinning did not pay. */
#define SPIN_POLLS_MIN		16
#define SPIN_POLLS_MAX		1000
static unsigned int spin_estimate;	/* under gp_mutex */

/* CPUs this process may run on; 0 until first asked. */
static int usable_cpus;

static int count_usable_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int) sysconf(_SC_NPROCESSORS_ONLN);
}

static unsigned int spin_limit(void)
{
	unsigned int limit = 2 * spin_estimate + SPIN_POLLS_MIN;

	if (!usable_cpus)
		usable_cpus = count_usable_cpus();
	if (usable_cpus < 2)
		return 0;	/* the reader cannot run while we spin */
	return limit < SPIN_POLLS_MAX ? limit : SPIN_POLLS_MAX;
}

static void adapt_spin(unsigned int polls, bool slept)
{
	if (slept)
		spin_estimate /= 2;
	else
		spin_estimate += ((int) polls - (int) spin_estimate) / 8;
}

/*
 * Whether reader t no longer holds up grace period g (registry lock held).
 * Once seen, a reader is not looked at again in this grace period.
 */
static bool reader_done(struct tlb_thread *t, unsigned long g)
{
	unsigned long v;

	if (t->seen_gp == g)
		return true;
	v = CMM_LOAD_SHARED(t->reader->ctr);
	/* Inside a section, with any sequence but g's: an older one (Claim 2). */
	if ((v & URCU_TLB_NEST_MASK) &&
	    (v & ~URCU_TLB_NEST_MASK) != (g & ~URCU_TLB_NEST_MASK))
		return false;
	t->seen_gp = g;
	return true;
}

static bool all_readers_done(unsigned long g)
{
	struct tlb_thread *t;

	cds_list_for_each_entry(t, &tlb_registry, node)
		if (!reader_done(t, g))
			return false;
	return true;
}

static bool all_readers_done_locked(unsigned long g)
{
	bool done;

	tlb_registry_lock();
	done = all_readers_done(g);
	tlb_registry_unlock();
	return done;
}

/* Bumped by a reader that held a grace period up and left while the
 * updater sleeps (Claim 4); the updater's futex word for its sleeps. */
static int32_t gp_wakes;

/*
 * The outermost read_unlock saw -1: ended is the slot value its section
 * held.  Claim 4: a section that began in the grace period running now
 * holds nothing up; any other wakes the updater.
 */
void urcu_tlb_wake_updater_if_held(unsigned long ended)
{
	/* Our load of -1 before the load of gp.ctr: pairs with the write
	 * barrier before Sw. */
	cmm_smp_rmb();
	/*
	 * A control run without heavy fences loses wake-ups (Claim 4 needs
	 * Fw); there every reader's unlock wakes the updater, so that its
	 * grace periods go on at the pace the control needs.
	 */
	if (!((CMM_LOAD_SHARED(urcu_tlb_gp.ctr) ^ ended) & ~URCU_TLB_NEST_MASK) &&
	    !tlb_heavy_fences_skipped())
		return;
	/* Our cleared slot before the increment: pairs with the updater's
	 * read barrier after its load of gp_wakes. */
	cmm_smp_mb__before_uatomic_inc();
	uatomic_inc(&gp_wakes);
	tlb_futex_wake(&gp_wakes, 1);
}

/* Claim 4: announce the sleep once per grace period (Sw, Fw). */
static void announce_sleep(void)
{
	cmm_smp_wmb();			/* Sg before Sw */
	uatomic_set(&urcu_tlb_gp.futex, -1);
	/*
	 * Fw: the store of -1 above is ordered before the scans that follow,
	 * and pairs with the compiler barrier between the slot store and the
	 * load of gp.futex in _urcu_tlb_read_unlock().
	 */
	tlb_heavy_fence();
}

/* Most stalled readers one report names (the rest are counted). */
#define STALL_MAX_READERS	16

/* The readers that hold grace period g up, each reported (stall.c). */
static void report_stalled_readers(unsigned long g, double waited)
{
	struct { pid_t tid; unsigned long ctr; } held[STALL_MAX_READERS];
	struct urcu_tlb_stall s;
	struct tlb_thread *t;
	int i, n = 0;

	tlb_registry_lock();
	cds_list_for_each_entry(t, &tlb_registry, node)
		if (!reader_done(t, g) && n < STALL_MAX_READERS) {
			held[n].tid = t->kernel_tid;
			held[n].ctr = CMM_LOAD_SHARED(t->reader->ctr);
			n++;
		}
	tlb_registry_unlock();
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.kind = URCU_TLB_STALL_READER;
		s.waited = waited;
		s.tid = held[i].tid;
		tlb_stall_thread_name(s.tid, s.name, sizeof(s.name));
		s.gp_sequence = g >> URCU_TLB_NEST_BITS;
		s.sequence = held[i].ctr >> URCU_TLB_NEST_BITS;
		s.nesting = held[i].ctr & URCU_TLB_NEST_MASK;
		s.mechanism = urcu_tlb_mechanism_name();
		tlb_stall_report(&s);
	}
}

/*
 * Wait until every reader is done with grace period g: spin a little,
 * then sleep (Claim 4).  A wait that outlasts the stall timeout is
 * reported; the clock is read only before each sleep, never per scan.
 */
static void wait_for_readers(unsigned long g, uint64_t began_ns)
{
	unsigned int polls = 0, limit = spin_limit();
	struct tlb_stall_watch watch;

	while (!all_readers_done_locked(g)) {
		if (polls++ < limit) {
			caa_cpu_relax();
			continue;
		}
		announce_sleep();
		tlb_stall_watch_start(&watch, began_ns);
		for (;;) {
			struct timespec ts;
			uint64_t now, sleep_ns;
			int32_t w;

			/* Claim 4 (b): the load, then the scan. */
			w = uatomic_read(&gp_wakes);
			cmm_smp_rmb();
			if (all_readers_done_locked(g))
				break;
			now = tlb_now_ns();
			if (tlb_stall_watch_fire(&watch, now))
				report_stalled_readers(g, (now - began_ns) / 1e9);
			sleep_ns = tlb_stall_watch_sleep_ns(&watch, now);
			ts.tv_sec = sleep_ns / 1000000000ULL;
			ts.tv_nsec = sleep_ns % 1000000000ULL;
			tlb_futex_wait(&gp_wakes, w,
				       sleep_ns == UINT64_MAX ? NULL : &ts);
		}
		uatomic_set(&urcu_tlb_gp.futex, 0);
		tlb_stall_watch_end(&watch, URCU_TLB_STALL_READER, tlb_now_ns());
		adapt_spin(polls, true);
		return;
	}
	adapt_spin(polls, false);
}

/* The grace period that began at began_ns is over: its latency. */
static void account_latency(uint64_t began_ns)
{
	uint64_t ns = tlb_now_ns() - began_ns, bound = 16000;
	int b = 0;

	while (b < URCU_TLB_GP_HISTOGRAM - 1 && ns >= bound) {
		bound *= 4;
		b++;
	}
	uatomic_inc(&tlb_counters.gp_histogram[b]);
	uatomic_set(&tlb_counters.gp_last_ns, ns);
	if (ns > uatomic_read(&tlb_counters.gp_max_ns))
		uatomic_set(&tlb_counters.gp_max_ns, ns);	/* under gp_mutex */
}

/* Claim 7: whether no thread is registered, as a lock acquire/release. */
static bool registry_empty(void)
{
	bool empty;

	tlb_registry_lock();
	empty = cds_list_empty(&tlb_registry);
	tlb_registry_unlock();
	return empty;
}

/* gp_mutex held. */
static void run_grace_period(void)
{
	uint64_t began_ns = tlb_now_ns();
	unsigned long g;

	uatomic_set(&gp_started, gp_started + 1);
	/* Pairs with the barrier in tlb_gp_target() (Claim 5), as the one
	 * that opens F1 does when there is a reader. */
	cmm_smp_mb();
	if (registry_empty()) {
		uatomic_inc(&tlb_counters.grace_periods);
		account_latency(began_ns);
		/* The lock's acquire before the completion callers read. */
		cmm_smp_mb();
		CMM_STORE_SHARED(gp_completed, gp_started);
		return;
	}
	/*
	 * F1: the caller's update (and every earlier caller's, Claim 5) is
	 * ordered before the store of the new sequence and the scan.  Pairs
	 * with the compiler barrier after the slot store in
	 * _urcu_tlb_read_lock().
	 */
	tlb_heavy_fence();
	g = urcu_tlb_gp.ctr + URCU_TLB_GP_STEP;
	CMM_STORE_SHARED(urcu_tlb_gp.ctr, g);
	wait_for_readers(g, began_ns);
	if (TLB_TSO) {
		/* TSO: the hardware orders our scan before the caller's frees
		 * (Claim 3); keep the compiler from moving them up. */
		cmm_barrier();
	} else {
		/* F3: pairs with the compiler barrier before the slot store
		 * in _urcu_tlb_read_unlock(). */
		tlb_heavy_fence();
	}
	uatomic_inc(&tlb_counters.grace_periods);
	account_latency(began_ns);
	CMM_STORE_SHARED(gp_completed, gp_started);
}

unsigned long tlb_gp_target(void)
{
	/*
	 * The caller's updates are ordered before the snapshot of
	 * gp_started; pairs with the full barrier that opens F1 in the grace
	 * period returned (Claim 5).
	 */
	cmm_smp_mb();
	return uatomic_read(&gp_started) + 1;
}

bool tlb_gp_done(unsigned long target)
{
	bool done = (long) (uatomic_read(&gp_completed) - target) >= 0;

	/* The caller's later accesses (the free) follow the observation;
	 * pairs with the runner's final fence before it stored gp_completed. */
	cmm_smp_mb();
	return done;
}

/*
 * A caller the leader serves waits on its completion: the leader's full
 * barrier before marking it, and the waiter's after seeing the mark, put
 * the waiter's frees after the grace period (wait.c).  Once marked, the
 * waiter may return at once and its frame be reused: the leader's
 * FUTEX_WAKE only passes the address.  Making the waiter wait for a last
 * "done with you" store instead would have it spin, after a wake-up that
 * preempted the leader on its CPU, for the rest of the leader's slice.
 */
void urcu_tlb_synchronize_rcu(void)
{
	struct gp_waiter self = { .served = { 0 } };
	struct cds_wfs_node *node, *next;
	struct cds_wfs_head *batch;

	int cancel;

	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_synchronize_rcu",
			"called inside a read-side critical section (the grace period would wait for this thread forever)");
	cancel = tlb_nocancel();	/* the leader holds gp_mutex, and the
					 * fences hold the registry lock */
	tlb_init();
	uatomic_inc(&tlb_counters.synchronize_calls);
	cds_wfs_node_init(&self.node);
	/* A full barrier, then the push: the caller's updates precede it. */
	if (cds_wfs_push(&gp_waiters, &self.node)) {
		/* Another caller leads. */
		tlb_wait_complete(&self.served, GPW_SPIN);
		tlb_cancel_restore(cancel);
		return;
	}
	pthread_mutex_lock(&gp_mutex);
	batch = __cds_wfs_pop_all(&gp_waiters);	/* before F1 (Claim 5) */
	run_grace_period();
	pthread_mutex_unlock(&gp_mutex);
	cds_wfs_for_each_blocking_safe(batch, node, next)
		if (node != &self.node)
			tlb_complete(&caa_container_of(node, struct gp_waiter,
						       node)->served);
	tlb_cancel_restore(cancel);
}

void tlb_gp_request(unsigned long target)
{
	unsigned long old = uatomic_read(&gp_requested);

	while ((long) (target - old) > 0) {
		unsigned long seen = uatomic_cmpxchg(&gp_requested, old, target);

		if (seen == old)
			break;
		old = seen;
	}
}

bool tlb_gp_requested(void)
{
	return !tlb_gp_done(uatomic_read(&gp_requested));
}

/*
 * In the child of fork(): only the forking thread exists, and it was not
 * running a grace period (it was in fork()).  A grace period the parent
 * had in progress is abandoned: its leader and waiters stayed in the
 * parent, gp_mutex may have been copied locked, and the futex word may say
 * that an updater sleeps.  gp_started and gp_completed stay as they were,
 * so a grace period the child asks for gets a number past the abandoned
 * one and completes it (a cookie that waited for it is served by it).
 */
void tlb_gp_after_fork_child(void)
{
	pthread_mutex_init(&gp_mutex, NULL);
	__cds_wfs_init(&gp_waiters);
	urcu_tlb_gp.futex = 0;
}
