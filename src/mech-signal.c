/*
 * mech-signal.c: the heavy fence as a signal to every registered thread
 * that is on a CPU, each other registered thread being covered by the
 * context switch it has passed.
 *
 * The last resort, valid everywhere.  For each other registered thread T
 * the updater raises T's need_mb, then either finds T off its CPU (Claim
 * S1) or sends T a real-time signal whose handler runs a full barrier and
 * clears need_mb (Claim S2), and waits until need_mb is clear or until T is
 * seen to have context-switched since the fence began (Claim S3).  Only
 * registered threads are reached: for the asymmetric fence this is the
 * documented scope of the signal mechanism.
 *
 * ======================================================================
 * Why a thread is covered (the heavy fence's guarantee, src/gp.c)
 * ======================================================================
 *
 * Each claim names T's point P (gp.c: T's accesses before P are ordered
 * before the updater U's accesses after the fence, U's accesses before the
 * fence before T's accesses after P).  U opens every fence with a full
 * barrier (tlb_heavy_fence), raises need_mb, and issues a second one (M0
 * below) before it looks at T; it closes with a full barrier after the
 * last check.
 *
 * Claim S1 (off its CPU: no signal).  U reads /proc/self/task/<T>/syscall.
 * Unless it says "running", the kernel (fs/proc/base.c proc_pid_syscall ->
 * lib/syscall.c task_current_syscall) called wait_task_inactive(T, state)
 * twice around collecting the registers, and both calls saw T, under
 * T->pi_lock and its runqueue lock (task_rq_lock), blocked in the same
 * state, dequeued, off its CPU (on_cpu == 0) and with the same voluntary
 * switch count.  P is T's last switch-out:
 *   - T's user accesses before it precede the smp_mb__after_spinlock() of
 *     the __schedule() that switched T out, which precedes the
 *     smp_store_release(&prev->on_cpu, 0) in finish_task() and the release
 *     of that runqueue lock; the kernel's check acquired that lock and read
 *     on_cpu == 0 after it.  Release-acquire: T's accesses before P happen
 *     before the end of U's read, hence before U's closing barrier and
 *     every access after the fence.
 *   - T was dequeued and blocked while the kernel held T->pi_lock and the
 *     runqueue lock; to run again T must be woken (try_to_wake_up() takes
 *     T->pi_lock) and switched in by a __schedule() that takes a runqueue
 *     lock and runs smp_mb__after_spinlock() before T returns to user
 *     mode.  U's accesses before the fence precede M0 and the kernel's
 *     unlock of those locks: they happen before T's accesses after P.
 * "Switch count unchanged across the read" is what makes the answer an
 * observation under the locks rather than a snapshot: T did not run at
 * all between the two checks, so the collected registers are T's, and the
 * state word that says "sleeping" cannot be the one a running thread sets
 * just before calling schedule() (set_current_state(), still on its CPU
 * and before its switch-out barrier): wait_task_inactive() waits until
 * on_cpu is clear.  (Reading the state from /proc/<tid>/stat instead
 * would give neither guarantee.)  Sleeping threads therefore get no
 * signal: no EINTR, no short sleep; nor do threads blocked in posix_spawn
 * (glibc blocks every signal and sleeps in clone(CLONE_VFORK)), stopped
 * or traced threads, threads asleep on the registry lock, and threads that
 * block the signal and sleep.
 *
 * Claim S2 (the handler).  Otherwise U sends the signal, unless one it
 * sent earlier has not reached its handler yet (sig_sent, below).  The
 * handler runs
 *	sig_sent = 0;  H1: full barrier;  xchg(need_mb, 0);  H2: full barrier
 * and U waits for need_mb == 0, then issues a full barrier.  P is H1..H2.
 * Acknowledging is clearing a flag the handler has seen set, and U raises
 * need_mb at the start of each fence and lowers it (if nobody did) before
 * the fence ends, under the registry lock that serialises fences: an xchg
 * that returns nonzero read the current fence's raise.  So
 *   - U: pre-fence accesses; raise; M0 ... T: xchg reads the raise; H2;
 *     later accesses: message passing, U's accesses before the fence are
 *     ordered before T's after P;
 *   - T: earlier accesses; H1; xchg stores 0 ... U: reads 0; full
 *     barrier; later accesses: message passing the other way.
 * Which signal started the handler plays no part: a signal sent for an
 * older fence and still pending, because T blocked it or had not yet
 * returned to user mode, acknowledges the current fence when its handler
 * runs.  Hence at most one barrier signal is pending per thread: sig_sent
 * is set before pthread_kill() and cleared on handler entry, and while it
 * is set no signal is sent.  Against a lost acknowledgement, U's "raise;
 * M0; read sig_sent" and the handler's "sig_sent = 0; H1; xchg(need_mb)"
 * are a store-buffering pair: either U sees sig_sent == 0 and sends again,
 * or the handler's xchg sees the raise and acknowledges.  A thread that
 * blocks the signal thus holds one queued signal, not one per fence: it
 * cannot exhaust RLIMIT_SIGPENDING, which every process of the user
 * shares.
 *
 * Claim S3 (a context switch since the fence began).  While it waits, U
 * re-checks S1 and reads T's switch counts (voluntary_ctxt_switches and
 * nonvoluntary_ctxt_switches, /proc/self/task/<T>/status: nvcsw and
 * nivcsw), the first time as a baseline (after M0), later to compare.  If
 * either moved, P is the first switch-out after the baseline read:
 *   - __schedule() runs smp_mb__after_spinlock() and then increments the
 *     count (++*switch_count, only when it switches to another task).  T's
 *     accesses before P; that barrier; the increment ... U reads the new
 *     count, then its closing barrier, then its later accesses: message
 *     passing, T's accesses before P are ordered before U's after the
 *     fence.
 *   - U: pre-fence accesses; M0; reads the baseline, which misses the
 *     increment.  T: the increment; then, before T's next user access, the
 *     smp_mb__after_spinlock() of the __schedule() that switches T back
 *     in (on whichever CPU: the runqueue locks and on_cpu carry T's
 *     earlier accesses there, kernel/sched/core.c "Notes on Program-Order
 *     guarantees").  Store buffering with a full barrier on each side: as
 *     U's read missed T's store, T's accesses after P see U's pre-fence
 *     accesses.
 * A thread covered by S1 or S3 counts as acknowledged.  This covers a
 * thread that blocks the signal and runs, at its next context switch, and
 * a thread that a cancellation unwound out of the handler (the kernel
 * leaves the signal blocked until sigreturn, which never comes).
 *
 * What cannot be covered, and what is said.  If /proc/self/task/<T> cannot
 * be read (not mounted, hidden), only the handler can acknowledge: after
 * BLIND_ABORT_S without one the fence says why in one line and aborts
 * rather than hang in silence.  A thread that blocks the signal and stays
 * on its CPU is waited for, and reported as a stall (stall.c) when the wait
 * outlasts the stall timeout.
 *
 * Transient conditions.  pthread_kill() failing with EAGAIN (a full
 * RLIMIT_SIGPENDING) is retried at every check, with the checks' doubling
 * interval as back-off, while S1 and S3 go on covering; the mechanism is
 * never retired for it.  Any other error retires the mechanism as before.
 *
 * The signal, and a program that takes it.  The signal is the highest
 * real-time signal whose disposition is still SIG_DFL when the mechanism
 * is set up (SIGUSR1/SIGUSR2 are never used); urcu_tlb_mechanism_signal()
 * tells the program which.  When an acknowledgement is late U checks that
 * the handler is still ours; if the program installed its own, U says so
 * in one line and moves to the next free real-time signal, or, with none
 * left, retires the mechanism (which aborts with the "no mechanism" line
 * when it was the last).  SA_RESTART keeps most interrupted system calls
 * going; the handler saves and restores errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

static int signo;	/* 0 until set up; changes under the registry lock */

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
	/* This signal has left the queue: the next fence may send another. */
	uatomic_set(&t->sig_sent, 0);
	/*
	 * H1: everything this thread did before the interruption is ordered
	 * before the acknowledgement; pairs with the full barrier the updater
	 * issues after seeing need_mb cleared (wait_for_ack).  Also orders
	 * the store to sig_sent before the xchg: pairs with M0 in fence()
	 * (Claim S2's store-buffering pair).
	 */
	cmm_smp_mb();
	if (uatomic_xchg(&t->need_mb, 0) == 2)	/* the updater sleeps */
		tlb_futex_wake(&t->need_mb, 1);	/* a system call: async-signal-safe */
	/*
	 * H2: everything after the handler is ordered after the updater's
	 * accesses before it raised need_mb; pairs with M0 in fence().
	 */
	cmm_smp_mb();
	errno = saved_errno;
}

static bool is_ours(const struct sigaction *sa)
{
	return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_barrier_signal;
}

static bool is_free(int s)
{
	struct sigaction old;

	return !sigaction(s, NULL, &old) && !(old.sa_flags & SA_SIGINFO) &&
	       old.sa_handler == SIG_DFL;
}

/* The highest real-time signal nobody has claimed, or 0. */
static int free_rt_signal(void)
{
	int s;

	for (s = SIGRTMAX; s >= SIGRTMIN; s--)
		if (is_free(s))
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

/* Install the handler on the highest free real-time signal; returns it, or
 * 0 with errno set (0: none free). */
static int install_handler(void)
{
	struct sigaction sa, old;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_barrier_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	while ((s = free_rt_signal())) {
		if (sigaction(s, &sa, &old))
			return 0;
		if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			return s;
		/* Claimed between our look and our install: give it back. */
		sigaction(s, &old, NULL);
	}
	errno = 0;
	return 0;
}

static int setup(char *why, size_t len)
{
	int s = install_handler();

	if (!s) {
		if (errno)
			snprintf(why, len, "sigaction failed: %s", strerror(errno));
		else
			snprintf(why, len,
				 "every real-time signal (SIGRTMIN..SIGRTMAX) already has a handler");
		return -1;
	}
	CMM_STORE_SHARED(signo, s);
	return 0;
}

/* ---- /proc/self/task/<tid> ------------------------------------------------ */

/* Read a small /proc file of thread tid into buf (NUL-terminated); returns
 * the length, or -1 with errno. */
static ssize_t read_task_file(pid_t tid, const char *name, char *buf,
			      size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int) tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (n <= 0) {
		errno = n < 0 ? err : ENODATA;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

/* Claim S1: 1 if thread tid was seen off its CPU, 0 if running, -1 if the
 * file cannot be read (errno). */
static int off_cpu(pid_t tid)
{
	char buf[256];

	if (read_task_file(tid, "syscall", buf, sizeof(buf)) < 0)
		return -1;
	return strncmp(buf, "running", 7) != 0;
}

struct task_status {
	uint64_t pending, blocked;		/* SigPnd, SigBlk */
	unsigned long nvcsw, nivcsw;		/* the switch counts */
};

static bool parse_field(const char *buf, const char *name, const char *fmt,
			void *out)
{
	const char *p = strstr(buf, name);

	return p && sscanf(p + strlen(name), fmt, out) == 1;
}

/* Claim S3's counts, and the signal masks; 0, or -1 with errno. */
static int read_status(pid_t tid, struct task_status *st)
{
	char buf[4096];

	if (read_task_file(tid, "status", buf, sizeof(buf)) < 0)
		return -1;
	if (!parse_field(buf, "\nSigPnd:", "%" SCNx64, &st->pending) ||
	    !parse_field(buf, "\nSigBlk:", "%" SCNx64, &st->blocked) ||
	    !parse_field(buf, "\nvoluntary_ctxt_switches:", "%lu", &st->nvcsw) ||
	    !parse_field(buf, "\nnonvoluntary_ctxt_switches:", "%lu",
			 &st->nivcsw)) {
		errno = ENODATA;
		return -1;
	}
	return 0;
}

static bool has_signal(uint64_t mask, int s)
{
	return mask & (UINT64_C(1) << (s - 1));
}

/* ---- sending ----------------------------------------------------------------- */

/*
 * Send the barrier signal to t unless one is still on its way (Claim S2).
 * Returns 0 (sent, or one pending, or EAGAIN: retried later) or an error
 * that retires the mechanism.
 */
static int send_signal(struct tlb_thread *t)
{
	int e;

	if (uatomic_read(&t->sig_sent))
		return 0;
	/* Before the kill, so that the handler's clearing cannot precede it. */
	uatomic_set(&t->sig_sent, 1);
	e = pthread_kill(t->tid, signo);
	if (e)
		uatomic_set(&t->sig_sent, 0);
	return e == EAGAIN ? 0 : e;
}

/*
 * The program installed its own handler on our signal: move to another
 * free one (registry lock held, so no fence runs meanwhile).  Returns 0,
 * or -1 with errno when none is left (the mechanism is then retired).
 */
static int move_to_another_signal(void)
{
	int old = signo, s = install_handler();
	struct tlb_thread *t;

	if (!s) {
		tlb_say("signal %d, which the signal mechanism uses, now has another handler (the program installed one) and no other real-time signal is free: the signal mechanism is retired",
			old);
		errno = EBUSY;
		return -1;
	}
	tlb_say("signal %d, which the signal mechanism uses, now has another handler (the program installed one): the signal mechanism moves to signal %d (urcu_tlb_mechanism_signal() tells which)",
		old, s);
	CMM_STORE_SHARED(signo, s);
	/* Signals sent on the old one went to the program's handler. */
	cds_list_for_each_entry(t, &tlb_registry, node)
		uatomic_set(&t->sig_sent, 0);
	/* The library's threads unblock the new signal when they wake
	 * (util.c); the store of signo before their look at it. */
	cmm_smp_mb();
	tlb_call_rcu_wake();
	return 0;
}

/* ---- waiting ----------------------------------------------------------------- */

#define ACK_SPIN	200
/* Checks while waiting for an acknowledgement: after 1 ms, then at
 * doubling intervals up to 50 ms (also the back-off of EAGAIN retries). */
#define TICK_FIRST_NS	1000000L
#define TICK_MAX_NS	50000000L
/*
 * No /proc to check: a thread that does not block the signal acknowledges
 * within milliseconds even on a loaded machine (a scheduling latency), so
 * this long without one means it blocks the signal (or is stopped), and
 * nothing else can tell: say so and abort rather than hang in silence.
 */
#define BLIND_ABORT_S	5.0

struct wait_state {
	uint64_t start_ns;
	struct task_status base;	/* Claim S3's baseline */
	bool have_base;
	struct tlb_stall_watch watch;	/* a thread that blocks the signal */
};

/* t blocks the signal and stays on its CPU: a stall report when due. */
static void report_blocked(struct tlb_thread *t, struct wait_state *w)
{
	uint64_t now = tlb_now_ns();
	struct urcu_tlb_stall s;

	if (!tlb_stall_watch_fire(&w->watch, now))
		return;
	memset(&s, 0, sizeof(s));
	s.kind = URCU_TLB_STALL_SIGNAL_BLOCKED;
	s.waited = (now - w->start_ns) / 1e9;
	s.tid = t->kernel_tid;
	tlb_stall_thread_name(s.tid, s.name, sizeof(s.name));
	s.mechanism = "signal";
	s.signal = signo;
	tlb_stall_report(&s);
}

enum check { NOT_YET, COVERED, FAILED };

/* A late acknowledgement: is the handler still ours, is t covered by S1 or
 * S3, does a signal need sending again, is anything to be said? */
static enum check check_late(struct tlb_thread *t, struct wait_state *w)
{
	struct sigaction sa;
	struct task_status st;
	int off, proc_errno = 0, e;
	bool status_ok;

	if (!sigaction(signo, NULL, &sa) && !is_ours(&sa) &&
	    move_to_another_signal())
		return FAILED;
	off = off_cpu(t->kernel_tid);
	if (off > 0)
		return COVERED;			/* Claim S1 */
	if (off < 0)
		proc_errno = errno;
	status_ok = read_status(t->kernel_tid, &st) == 0;
	if (status_ok) {
		if (!w->have_base) {
			w->base = st;
			w->have_base = true;
		} else if (st.nvcsw != w->base.nvcsw ||
			   st.nivcsw != w->base.nivcsw) {
			return COVERED;		/* Claim S3 */
		}
		/* Sent, yet not pending: taken by sigwait() or signalfd, or its
		 * handler is starting.  Send again rather than wait for it. */
		if (uatomic_read(&t->sig_sent) && !has_signal(st.pending, signo))
			uatomic_set(&t->sig_sent, 0);
	} else if (!proc_errno) {
		proc_errno = errno;
	}
	e = send_signal(t);
	if (e) {
		errno = e;
		return FAILED;
	}
	if (off < 0 && !status_ok) {
		if (tlb_now_ns() - w->start_ns > BLIND_ABORT_S * 1e9) {
			tlb_say("registered thread %d has not acknowledged signal %d (the signal mechanism's) for %.0f s and /proc/self/task/%d cannot be read (%s), so nothing can tell whether it blocks the signal: unblock signal %d in registered threads, or make /proc readable",
				(int) t->kernel_tid, signo, BLIND_ABORT_S,
				(int) t->kernel_tid, strerror(proc_errno), signo);
			abort();
		}
	} else if (status_ok && has_signal(st.blocked, signo)) {
		report_blocked(t, w);
	}
	return NOT_YET;
}

/*
 * Spin briefly, then sleep on need_mb until the handler clears it or the
 * thread is covered otherwise.  Returns 0, or -1 with errno.
 */
static int wait_for_ack(struct tlb_thread *t)
{
	struct wait_state w = { .have_base = false };
	struct timespec tick = { .tv_sec = 0, .tv_nsec = TICK_FIRST_NS };
	int i;

	for (i = 0; i < ACK_SPIN && CMM_LOAD_SHARED(t->need_mb); i++)
		caa_cpu_relax();
	w.start_ns = tlb_now_ns();
	tlb_stall_watch_start(&w.watch, w.start_ns);
	while (CMM_LOAD_SHARED(t->need_mb)) {
		/* 1 -> 2: the handler's xchg will see 2 and wake us. */
		(void) uatomic_cmpxchg(&t->need_mb, 1, 2);
		tlb_futex_wait(&t->need_mb, 2, &tick);
		if (!CMM_LOAD_SHARED(t->need_mb))
			break;
		switch (check_late(t, &w)) {
		case COVERED:
			uatomic_set(&t->need_mb, 0);
			break;
		case FAILED:
			if (w.watch.reported)
				tlb_stall_watch_end(&w.watch,
						    URCU_TLB_STALL_SIGNAL_BLOCKED,
						    tlb_now_ns());
			return -1;
		case NOT_YET:
			break;
		}
		if (tick.tv_nsec < TICK_MAX_NS / 2)
			tick.tv_nsec *= 2;
	}
	if (w.watch.reported)
		tlb_stall_watch_end(&w.watch, URCU_TLB_STALL_SIGNAL_BLOCKED,
				    tlb_now_ns());
	/* Pairs with H1 in on_barrier_signal(), and with the kernel's barriers
	 * of Claims S1 and S3 when the thread was covered that way. */
	cmm_smp_mb();
	return 0;
}

static int fence(void)
{
	struct tlb_thread *t, *self = tlb_self();
	int err = 0;

	tlb_registry_lock();
	cds_list_for_each_entry(t, &tlb_registry, node)
		if (t != self)
			uatomic_set(&t->need_mb, 1);
	/*
	 * M0: the raises (and every access before the fence) are ordered
	 * before our looks at the threads and our reads of sig_sent; pairs
	 * with H1 and H2 in on_barrier_signal() and with the kernel's
	 * switch barriers (Claims S1, S3).
	 */
	cmm_smp_mb();
	cds_list_for_each_entry(t, &tlb_registry, node) {
		if (t == self)
			continue;
		t->sig_covered = off_cpu(t->kernel_tid) > 0;	/* Claim S1 */
		if (!t->sig_covered && (err = send_signal(t)))
			break;
	}
	cds_list_for_each_entry(t, &tlb_registry, node)
		if (!err && t != self && !t->sig_covered && wait_for_ack(t))
			err = errno;
	/* Lowered for the next fence's raise (Claim S2); a handler still on
	 * its way finds 0 and acknowledges nothing. */
	cds_list_for_each_entry(t, &tlb_registry, node)
		if (t != self)
			uatomic_set(&t->need_mb, 0);
	tlb_registry_unlock();
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The child of fork() has no pending signal: the forking thread's flag
 * must not keep its first fence from signalling it. */
static void after_fork(bool child)
{
	if (child)
		uatomic_set(&tlb_self()->sig_sent, 0);
}

const struct tlb_mechanism tlb_mech_signal = {
	.id = URCU_TLB_MECHANISM_SIGNAL,
	.name = "signal",
	.probe = probe,
	.setup = setup,
	.fence = fence,
	.after_fork = after_fork,
};
