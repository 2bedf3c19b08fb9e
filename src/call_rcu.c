/*
 * call_rcu.c: callbacks after a grace period, rcu_barrier, polled grace
 * periods, and the worker threads that serve them, with liburcu's API for
 * per-CPU and per-thread workers (struct call_rcu_data).
 *
 * call_rcu() never waits.  It pushes the callback on the lock-free stack
 * of a call_rcu_data (liburcu's lfstack: one compare-and-swap that either
 * happened or did not) and wakes that worker if it sleeps.  That is all,
 * so call_rcu() can be called with any lock held, from a signal handler
 * that interrupted another call_rcu() (the outer push just retries), and a
 * fork() at any instant leaves the child a consistent stack: nothing is
 * ever half linked.  Which call_rcu_data: the calling thread's
 * (set_thread_call_rcu_data), else its CPU's (set_cpu_call_rcu_data,
 * create_all_cpu_call_rcu_data), else the default one, as liburcu does.
 *
 * A worker pops its whole stack (newest first) and reverses it into call
 * order: a batch.  It notes the grace period the batch needs, waits for it
 * (sharing it with synchronize_rcu() callers and the other workers), and
 * runs the callbacks in call order, outside any read-side critical
 * section.  While there is more, it goes on at once: under a backlog,
 * grace periods run back to back and each serves everything queued during
 * the one before, so the batches grow and the cost of a grace period per
 * callback shrinks instead of callers being made to wait.  Memory is
 * bounded by how fast callbacks run; liburcu's call_rcu gives the same
 * contract.  To run callbacks on more threads, a program creates per-CPU
 * or per-thread workers (their callbacks then run concurrently with each
 * other, as with liburcu).
 *
 * The batch in progress lives in the call_rcu_data, not on the worker's
 * stack, and the worker moves crd->batch past a callback before running
 * it; taking a batch (pop, reverse, publish: no waiting) is the one step
 * fork() excludes.  The child of a fork() therefore finds what the
 * parent's workers had not started yet (the callback running at the moment
 * of the fork does not run again in the child) plus everything still on
 * the stacks, gathers it on the default call_rcu_data (liburcu does the
 * same), and runs it when it next needs the worker.
 *
 * Whoever runs a call_rcu_data's batches holds its runner_mutex: its
 * worker, or, when the default worker cannot be created (pthread_create
 * failing), rcu_barrier() itself, which is allowed to wait.  The default
 * worker is started by the first call_rcu, rcu_barrier, start_poll or
 * urcu_tlb_init(); a failed start says one line and is tried again by
 * later calls (at most every 10 ms), since a full thread table is usually
 * transient.  The others start when created.
 *
 * Lifetime.  A call_rcu_data is never given back to malloc: freed ones
 * are kept for the next create_call_rcu_data().  So a per-CPU pointer that
 * call_rcu() read just before call_rcu_data_free() unpublished it still
 * points to a call_rcu_data; call_rcu() pins it (crd->users) and
 * call_rcu_data_free() waits for the pins to go (pin_cpu_crd), which
 * liburcu leaves to an RCU read-side section that our call_rcu(), callable
 * from any thread, cannot take.  And a thread that keeps calling call_rcu
 * through a call_rcu_data freed under it (a misuse liburcu does not
 * catch) is stopped with one line rather than corrupt memory.
 */
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include <urcu/lfstack.h>	/* after internal.h: its _LGPL_SOURCE */

/* A struct rcu_head's link, liburcu's one-pointer cds_wfcq_node, serves
 * as our stack's one-pointer node.  Only this file touches it. */
static inline struct cds_lfs_node *head_node(struct rcu_head *head)
{
	return (struct cds_lfs_node *) &head->next;
}

static inline struct rcu_head *node_head(struct cds_lfs_node *node)
{
	return caa_container_of((struct cds_wfcq_node *) node, struct rcu_head,
				next);
}

static_assert(sizeof(struct cds_wfcq_node) == sizeof(struct cds_lfs_node) &&
	      offsetof(struct cds_wfcq_node, next) ==
	      offsetof(struct cds_lfs_node, next),
	      "struct rcu_head's link must hold a lock-free stack node");

#define CRD_LIVE	0x63726431UL	/* "crd1" */
#define CRD_FREED	0x66726565UL	/* "free" */

/* liburcu declares it opaque in <urcu/call-rcu.h>. */
struct call_rcu_data {
	struct __cds_lfs_stack pending;	/* call_rcu pushes; newest first */
	/* The runner's batch: the next callback to start, in call order,
	 * and the grace period the batch waits for. */
	struct cds_lfs_node *batch;
	unsigned long batch_gp;
	int32_t sleep;			/* the worker's sleeper word (wait.c) */
	unsigned long magic;		/* CRD_LIVE, or CRD_FREED */
	unsigned long flags;		/* URCU_CALL_RCU_RT */
	int cpu_affinity;		/* -1: none */
	int stop;			/* call_rcu_data_free asks the worker to end */
	unsigned long users;		/* call_rcu calls pinning it (per-CPU) */
	pthread_mutex_t runner_mutex;	/* whoever runs its batches */
	/* Held while a batch is taken: between the pop and crd->batch, the
	 * popped callbacks are nowhere a child of fork() could find them. */
	pthread_mutex_t take_mutex;
	pthread_t thread;
	int running;			/* a worker thread exists in this process */
	struct cds_list_head node;	/* crd_list, or free_crds once freed */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

/* Every live call_rcu_data, the default first; the freed ones; the
 * per-CPU table.  Changed under crd_mutex, which is held only briefly
 * (never across a wait for a grace period or a callback: fork takes it). */
static struct cds_list_head crd_list;

static struct call_rcu_data default_crd = {
	.magic = CRD_LIVE,
	.cpu_affinity = -1,
	.runner_mutex = PTHREAD_MUTEX_INITIALIZER,
	.take_mutex = PTHREAD_MUTEX_INITIALIZER,
	.node = { .next = &crd_list, .prev = &crd_list },
};

static struct cds_list_head crd_list = {
	.next = &default_crd.node, .prev = &default_crd.node,
};
static pthread_mutex_t crd_mutex = PTHREAD_MUTEX_INITIALIZER;
static CDS_LIST_HEAD(free_crds);
static struct call_rcu_data **per_cpu_crd;	/* allocated once, never freed */
static int nr_cpu_slots;

/* The calling thread's call_rcu_data (set_thread_call_rcu_data). */
static __thread struct call_rcu_data *thread_crd
	__attribute__((tls_model("initial-exec")));
/* The call_rcu_data whose batches this thread runs now, if any. */
static __thread struct call_rcu_data *running_crd
	__attribute__((tls_model("initial-exec")));
/* The call_rcu_data whose worker this thread is, if it is one. */
static __thread struct call_rcu_data *worker_of
	__attribute__((tls_model("initial-exec")));

/* The default worker's start: under start_mutex; when a failed start may
 * be tried again (tlb_now_ns), and whether the failure was said. */
static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;
static uint64_t retry_after_ns;
static int said_cannot_start;

#define RETRY_NS	10000000ULL	/* 10 ms */
/* A URCU_CALL_RCU_RT worker is never woken (its callers make no system
 * call): it looks for work this often, as liburcu's does. */
#define RT_POLL_NS	10000000L

static void crd_init(struct call_rcu_data *crd, unsigned long flags, int cpu)
{
	memset(crd, 0, sizeof(*crd));
	crd->magic = CRD_LIVE;
	crd->flags = flags;
	crd->cpu_affinity = cpu;
	pthread_mutex_init(&crd->runner_mutex, NULL);
	pthread_mutex_init(&crd->take_mutex, NULL);
}

/* ---- the runner -------------------------------------------------------- */

/* Pop the stack into a batch in call order.  Returns false if empty. */
static bool take_batch(struct call_rcu_data *crd)
{
	struct cds_lfs_node *node, *next, *first = NULL;
	struct cds_lfs_head *top;

	if (cds_lfs_empty(&crd->pending))
		return false;
	pthread_mutex_lock(&crd->take_mutex);
	top = __cds_lfs_pop_all(&crd->pending);
	if (!top) {
		pthread_mutex_unlock(&crd->take_mutex);
		return false;
	}
	for (node = &top->node; node; node = next) {
		next = node->next;
		node->next = first;
		first = node;
	}
	/*
	 * The pop's xchg is a full barrier after every popped push, hence
	 * after each caller's update: a grace period that starts after it
	 * covers them all (Claim 5 in gp.c).
	 */
	CMM_STORE_SHARED(crd->batch_gp, tlb_gp_target());
	/* A child of fork() that sees the batch sees its grace period. */
	cmm_smp_wmb();
	CMM_STORE_SHARED(crd->batch, first);
	pthread_mutex_unlock(&crd->take_mutex);
	return true;
}

struct barrier_marker {
	struct rcu_head head;
	struct tlb_completion reached;
};

static void barrier_reached(struct rcu_head *head)
{
	tlb_complete(&caa_container_of(head, struct barrier_marker, head)->reached);
}

static void run_batch(struct call_rcu_data *crd)
{
	struct cds_lfs_node *node;
	unsigned int n = 0;

	while ((node = CMM_LOAD_SHARED(crd->batch))) {
		struct rcu_head *head = node_head(node);

		/* On a worker, a long batch looks now and then for a signal
		 * the mechanism took up meanwhile (util.c).  Not on a
		 * program's thread running callbacks for rcu_barrier(): its
		 * mask is the program's. */
		if (worker_of && !(++n % 256))
			tlb_thread_signals();
		/* Past it before it runs: a child of fork() must not run
		 * it again. */
		CMM_STORE_SHARED(crd->batch, node->next);
		cmm_barrier();
		if (head->func == barrier_reached) {
			head->func(head);
			continue;
		}
		head->func(head);
		uatomic_inc(&tlb_counters.callbacks_invoked);
	}
	uatomic_inc(&tlb_counters.callback_batches);
}

/*
 * One step, crd->runner_mutex held: take a batch if there is none, let its
 * grace period pass, run it; or, on the default, run a grace period a
 * poller asked for.  Returns whether there was anything to do.
 */
static bool runner_step(struct call_rcu_data *crd)
{
	if (!crd->batch && !take_batch(crd)) {
		if (crd != &default_crd || !tlb_gp_requested())
			return false;
		urcu_tlb_synchronize_rcu();	/* for a poller */
		return true;
	}
	if (!tlb_gp_done(crd->batch_gp))
		urcu_tlb_synchronize_rcu();
	run_batch(crd);
	return true;
}

static void runner_lock(struct call_rcu_data *crd)
{
	pthread_mutex_lock(&crd->runner_mutex);
	running_crd = crd;
}

static void runner_unlock(struct call_rcu_data *crd)
{
	running_crd = NULL;
	pthread_mutex_unlock(&crd->runner_mutex);
}

static bool work_pending(struct call_rcu_data *crd)
{
	return !cds_lfs_empty(&crd->pending) || CMM_LOAD_SHARED(crd->batch) ||
	       (crd == &default_crd && tlb_gp_requested());
}

static void wait_for_work(struct call_rcu_data *crd)
{
	static const struct timespec rt_poll = { .tv_nsec = RT_POLL_NS };

	if (crd->flags & URCU_CALL_RCU_RT) {
		nanosleep(&rt_poll, NULL);
		return;
	}
	tlb_sleep_announce(&crd->sleep);
	/* Pairs with the full barrier every waker issues before
	 * tlb_wake_sleeper(): the push's cmpxchg, or an explicit one. */
	cmm_smp_mb();
	if (work_pending(crd) || uatomic_read(&crd->stop)) {
		tlb_sleep_cancel(&crd->sleep);
		return;
	}
	tlb_sleep(&crd->sleep, NULL);
}

static void *worker_main(void *arg)
{
	struct call_rcu_data *crd = arg;

	worker_of = crd;
	thread_crd = crd;	/* what its callbacks queue goes there too */
	tlb_thread_signals();
	urcu_tlb_register_thread();
	while (!uatomic_read(&crd->stop)) {
		tlb_thread_signals();
		runner_lock(crd);
		while (!uatomic_read(&crd->stop) && runner_step(crd))
			;
		runner_unlock(crd);
		if (!uatomic_read(&crd->stop))
			wait_for_work(crd);
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/* ---- starting and waking workers --------------------------------------- */

static int start_worker(struct call_rcu_data *crd)
{
	char name[32];
	int err;

	/* Thread names hold 15 characters: "urcu-tlb-cb" and up to 4 more. */
	if (crd == &default_crd)
		snprintf(name, sizeof(name), "urcu-tlb-cb");
	else if (crd->cpu_affinity >= 0)
		snprintf(name, sizeof(name), "urcu-tlb-cb%d",
			 crd->cpu_affinity % 10000);
	else
		snprintf(name, sizeof(name), "urcu-tlb-cbx");
	err = tlb_create_thread(&crd->thread, worker_main, crd, name, false,
				crd->cpu_affinity);
	if (!err)
		uatomic_set(&crd->running, 1);
	return err;
}

/* Start the default worker unless one runs or a recent start failed.
 * Returns whether one runs now. */
static bool start_default_worker(void)
{
	uint64_t now = tlb_now_ns();
	int err = 0;

	if (now < uatomic_read(&retry_after_ns))
		return false;
	tlb_init();	/* the mechanism before the first grace period */
	pthread_mutex_lock(&start_mutex);
	if (!default_crd.running)
		err = start_worker(&default_crd);
	pthread_mutex_unlock(&start_mutex);
	if (!err)
		return true;
	uatomic_set(&retry_after_ns, now + RETRY_NS);
	if (!uatomic_xchg(&said_cannot_start, 1))
		tlb_say("cannot start the call_rcu worker thread (%s); callbacks and polled grace periods wait until it starts (tried again at later calls) or rcu_barrier() runs them",
			strerror(err));
	return false;
}

/* After the caller's full barrier: wake crd's worker (starting the
 * default's if none runs).  Takes no lock once the worker runs. */
static void kick(struct call_rcu_data *crd)
{
	if (crd->flags & URCU_CALL_RCU_RT)
		return;		/* it polls: no system call for its callers */
	if (caa_likely(uatomic_read(&crd->running)) ||
	    (crd == &default_crd && start_default_worker()))
		tlb_wake_sleeper(&crd->sleep);
}

void tlb_call_rcu_kick(void)
{
	kick(&default_crd);
}

void tlb_call_rcu_wake(void)
{
	struct call_rcu_data *crd;

	/* Only the default's sleeper word is touched without crd_mutex... */
	tlb_wake_sleeper(&default_crd.sleep);
	/* ...the others' under it, which is held briefly only. */
	if (pthread_mutex_trylock(&crd_mutex))
		return;	/* they look at their next wake-up */
	cds_list_for_each_entry(crd, &crd_list, node)
		tlb_wake_sleeper(&crd->sleep);
	pthread_mutex_unlock(&crd_mutex);
}

/* ---- which call_rcu_data ------------------------------------------------- */

/*
 * The calling CPU's call_rcu_data, pinned (users) so that it stays live
 * until unpin_crd(), or NULL.  Pairs with call_rcu_data_free(): it
 * unpublishes the pointer, issues a full barrier, then waits for users to
 * drop to 0; we raise users, issue a full barrier, then look at the
 * pointer again (store buffering: either it sees our pin or we see the
 * pointer gone).
 */
static struct call_rcu_data *pin_cpu_crd(void)
{
	struct call_rcu_data **table = CMM_LOAD_SHARED(per_cpu_crd), *crd;
	int cpu;

	if (caa_likely(!table))
		return NULL;
	/* The size was stored before the table; pairs with the write
	 * barrier in cpu_table_locked(). */
	cmm_smp_rmb();
	cpu = sched_getcpu();
	if (cpu < 0 || cpu >= nr_cpu_slots)
		return NULL;
	crd = CMM_LOAD_SHARED(table[cpu]);
	if (!crd)
		return NULL;
	uatomic_inc(&crd->users);
	cmm_smp_mb();
	if (CMM_LOAD_SHARED(table[cpu]) == crd)
		return crd;
	cmm_smp_mb();
	uatomic_dec(&crd->users);
	return NULL;
}

static void unpin_crd(struct call_rcu_data *crd)
{
	/* The push before the unpin; pairs with the barrier in
	 * wait_unpinned(). */
	cmm_smp_mb();
	uatomic_dec(&crd->users);
}

static void check_live(struct call_rcu_data *crd, const char *func)
{
	if (caa_unlikely(CMM_LOAD_SHARED(crd->magic) != CRD_LIVE))
		urcu_tlb_misuse(func,
			"uses a call_rcu_data that call_rcu_data_free() has freed (set_thread_call_rcu_data(NULL) first)");
}

/* ---- the API ------------------------------------------------------------ */

static void push(struct call_rcu_data *crd, struct rcu_head *head)
{
	/* Its cmpxchg publishes head->func and is the full barrier that
	 * tlb_wake_sleeper() needs (pairs with wait_for_work()). */
	cds_lfs_push(&crd->pending, head_node(head));
	kick(crd);
}

void urcu_tlb_call_rcu(struct rcu_head *head,
		       void (*func)(struct rcu_head *head))
{
	struct call_rcu_data *crd = thread_crd, *pinned = NULL;

	if (caa_unlikely(!head || !func))
		urcu_tlb_misuse("urcu_tlb_call_rcu", !head ?
			"called with a NULL rcu_head" :
			"called with a NULL callback function");
	head->func = func;
	if (caa_unlikely(crd))
		check_live(crd, "urcu_tlb_call_rcu");
	else
		crd = pinned = pin_cpu_crd();
	push(crd ? crd : &default_crd, head);
	if (pinned)
		unpin_crd(pinned);
	uatomic_inc(&tlb_counters.callbacks_queued);
}

struct call_rcu_data *urcu_tlb_create_call_rcu_data(unsigned long flags,
						    int cpu_affinity)
{
	struct call_rcu_data *crd;
	int err;

	tlb_init();
	pthread_mutex_lock(&crd_mutex);
	if (!cds_list_empty(&free_crds)) {
		crd = cds_list_first_entry(&free_crds, struct call_rcu_data, node);
		cds_list_del(&crd->node);
	} else if (!(crd = malloc(sizeof(*crd)))) {
		pthread_mutex_unlock(&crd_mutex);
		errno = ENOMEM;
		return NULL;
	}
	crd_init(crd, flags & URCU_CALL_RCU_RT, cpu_affinity < 0 ? -1 : cpu_affinity);
	err = start_worker(crd);
	if (err) {
		crd->magic = CRD_FREED;
		cds_list_add(&crd->node, &free_crds);
		pthread_mutex_unlock(&crd_mutex);
		errno = err;
		return NULL;
	}
	cds_list_add_tail(&crd->node, &crd_list);
	pthread_mutex_unlock(&crd_mutex);
	return crd;
}

/* Wait until no call_rcu pins crd (pin_cpu_crd); its pointer is gone. */
static void wait_unpinned(struct call_rcu_data *crd)
{
	static const struct timespec pause = { .tv_nsec = 100000 };

	/* The unpublishing before the look at users. */
	cmm_smp_mb();
	while (uatomic_read(&crd->users))
		nanosleep(&pause, NULL);	/* a push is a few instructions */
	cmm_smp_mb();
}

/* Unpublish crd from the per-CPU table; crd_mutex held. */
static void unpublish_locked(struct call_rcu_data *crd)
{
	int cpu;

	for (cpu = 0; per_cpu_crd && cpu < nr_cpu_slots; cpu++)
		if (per_cpu_crd[cpu] == crd)
			CMM_STORE_SHARED(per_cpu_crd[cpu], NULL);
}

/*
 * Move what crd had not run to the default call_rcu_data, oldest first, so
 * that the default's next batch runs it in call order; crd_mutex held (no
 * rcu_barrier is placing markers meanwhile).  Wakes the default worker
 * unless told not to (in the child of fork(), which starts none yet).
 */
static void hand_over_locked(struct call_rcu_data *crd, bool wake)
{
	struct cds_lfs_node *node, *next, *newest_first = NULL;
	struct cds_lfs_head *top = __cds_lfs_pop_all(&crd->pending);

	for (node = crd->batch; node; node = next) {
		next = node->next;
		cds_lfs_push(&default_crd.pending, node);
	}
	crd->batch = NULL;
	for (node = top ? &top->node : NULL; node; node = next) {
		next = node->next;
		node->next = newest_first;
		newest_first = node;
	}
	for (node = newest_first; node; node = next) {
		next = node->next;
		cds_lfs_push(&default_crd.pending, node);
	}
	if (wake)
		kick(&default_crd);
}

void urcu_tlb_call_rcu_data_free(struct call_rcu_data *crd)
{
	if (!crd || crd == &default_crd)
		return;		/* as liburcu: the default stays */
	check_live(crd, "urcu_tlb_call_rcu_data_free");
	if (worker_of == crd)
		urcu_tlb_misuse("urcu_tlb_call_rcu_data_free",
			"called from one of its own callbacks (it would wait for its own worker to end)");
	pthread_mutex_lock(&crd_mutex);
	unpublish_locked(crd);
	pthread_mutex_unlock(&crd_mutex);
	wait_unpinned(crd);
	if (crd->running) {
		uatomic_set(&crd->stop, 1);
		/* The stop before the look at its sleeper word; pairs with
		 * the barrier in wait_for_work(). */
		cmm_smp_mb();
		tlb_wake_sleeper(&crd->sleep);
		pthread_join(crd->thread, NULL);
	}
	pthread_mutex_lock(&crd_mutex);
	hand_over_locked(crd, true);
	cds_list_del(&crd->node);
	CMM_STORE_SHARED(crd->magic, CRD_FREED);
	cds_list_add(&crd->node, &free_crds);
	pthread_mutex_unlock(&crd_mutex);
}

struct call_rcu_data *urcu_tlb_get_default_call_rcu_data(void)
{
	tlb_call_rcu_kick();	/* liburcu's has a thread: start ours */
	return &default_crd;
}

struct call_rcu_data *urcu_tlb_get_thread_call_rcu_data(void)
{
	return thread_crd;
}

void urcu_tlb_set_thread_call_rcu_data(struct call_rcu_data *crd)
{
	if (crd)
		check_live(crd, "urcu_tlb_set_thread_call_rcu_data");
	thread_crd = crd;
}

struct call_rcu_data *urcu_tlb_get_cpu_call_rcu_data(int cpu)
{
	struct call_rcu_data **table = CMM_LOAD_SHARED(per_cpu_crd);

	/* Pairs with the write barrier in cpu_table_locked(). */
	cmm_smp_rmb();
	if (!table || cpu < 0 || cpu >= nr_cpu_slots)
		return NULL;
	return CMM_LOAD_SHARED(table[cpu]);
}

struct call_rcu_data *urcu_tlb_get_call_rcu_data(void)
{
	struct call_rcu_data *crd = thread_crd;
	int cpu;

	if (crd)
		return crd;
	cpu = sched_getcpu();
	crd = cpu >= 0 ? urcu_tlb_get_cpu_call_rcu_data(cpu) : NULL;
	return crd ? crd : urcu_tlb_get_default_call_rcu_data();
}

pthread_t urcu_tlb_get_call_rcu_thread(struct call_rcu_data *crd)
{
	if (crd == &default_crd)
		tlb_call_rcu_kick();
	return crd->thread;
}

/* The per-CPU table, allocated once; crd_mutex held.  0 or an errno. */
static int cpu_table_locked(void)
{
	struct call_rcu_data **table;
	long n;

	if (per_cpu_crd)
		return 0;
	n = sysconf(_SC_NPROCESSORS_CONF);
	if (n <= 0)
		return EINVAL;
	table = calloc(n, sizeof(*table));
	if (!table)
		return ENOMEM;
	nr_cpu_slots = (int) n;
	/* The size before the table, for call_rcu() reading both unlocked. */
	cmm_smp_wmb();
	CMM_STORE_SHARED(per_cpu_crd, table);
	return 0;
}

/* liburcu's convention: 0, or a negative errno, also left in errno. */
static int fail(int err)
{
	errno = err;
	return -err;
}

int urcu_tlb_set_cpu_call_rcu_data(int cpu, struct call_rcu_data *crd)
{
	int err;

	if (crd)
		check_live(crd, "urcu_tlb_set_cpu_call_rcu_data");
	pthread_mutex_lock(&crd_mutex);
	err = cpu_table_locked();
	if (!err && (cpu < 0 || cpu >= nr_cpu_slots))
		err = EINVAL;
	if (!err && crd && per_cpu_crd[cpu])
		err = EEXIST;
	if (!err)
		CMM_STORE_SHARED(per_cpu_crd[cpu], crd);
	pthread_mutex_unlock(&crd_mutex);
	return err ? fail(err) : 0;
}

int urcu_tlb_create_all_cpu_call_rcu_data(unsigned long flags)
{
	struct call_rcu_data *created[CPU_SETSIZE];
	int err, cpu, n = 0;

	pthread_mutex_lock(&crd_mutex);
	err = cpu_table_locked();
	pthread_mutex_unlock(&crd_mutex);
	if (err)
		return fail(err);
	for (cpu = 0; cpu < nr_cpu_slots && cpu < CPU_SETSIZE; cpu++) {
		struct call_rcu_data *crd;

		if (urcu_tlb_get_cpu_call_rcu_data(cpu))
			continue;
		crd = urcu_tlb_create_call_rcu_data(flags, cpu);
		if (!crd) {
			err = errno;
			break;
		}
		if (urcu_tlb_set_cpu_call_rcu_data(cpu, crd)) {
			int e = errno;

			urcu_tlb_call_rcu_data_free(crd);
			if (e == EEXIST)
				continue;	/* another thread was faster */
			err = e;
			break;
		}
		created[n++] = crd;
	}
	if (!err)
		return 0;
	/* Leave things as they were. */
	while (n--)
		urcu_tlb_call_rcu_data_free(created[n]);
	return fail(err);
}

void urcu_tlb_free_all_cpu_call_rcu_data(void)
{
	int cpu;

	for (cpu = 0; cpu < nr_cpu_slots; cpu++) {
		struct call_rcu_data *crd = urcu_tlb_get_cpu_call_rcu_data(cpu);

		if (crd)
			urcu_tlb_call_rcu_data_free(crd);
	}
}

/* ---- rcu_barrier -------------------------------------------------------- */

/* How long rcu_barrier() waits before it looks whether it must help. */
#define BARRIER_LOOK_NS		100000000L	/* 100 ms */
/* Markers on rcu_barrier()'s stack; more are allocated. */
#define STACK_MARKERS		64

/*
 * Wait until marker m has run.  Normally its worker runs it; but when the
 * default worker cannot be started, the default's batches, and a marker a
 * freed call_rcu_data handed over to it, wait for somebody to run them:
 * rcu_barrier() does, being allowed to wait.
 */
static void wait_marker(struct barrier_marker *m)
{
	static const struct timespec look = { .tv_nsec = BARRIER_LOOK_NS };

	while (!uatomic_read(&m->reached.done)) {
		if (!uatomic_read(&default_crd.running)) {
			runner_lock(&default_crd);
			while (!uatomic_read(&m->reached.done) &&
			       runner_step(&default_crd))
				;
			runner_unlock(&default_crd);
			tlb_call_rcu_kick();	/* try to start it again */
			if (uatomic_read(&m->reached.done))
				break;
		}
		tlb_futex_wait(&m->reached.done, 0, &look);
	}
}

/* Markers for n call_rcu_data: on the stack, or allocated (retried: an
 * rcu_barrier() has no error to return). */
static struct barrier_marker *markers(struct barrier_marker *stack, int n)
{
	static const struct timespec pause = { .tv_nsec = 1000000 };
	struct barrier_marker *m;
	int tries;

	if (n <= STACK_MARKERS)
		return stack;
	for (tries = 0; !(m = calloc(n, sizeof(*m))); tries++) {
		if (tries == 10000)
			urcu_tlb_misuse("urcu_tlb_barrier",
				"cannot allocate its markers (out of memory for 10 s)");
		nanosleep(&pause, NULL);
	}
	return m;
}

static int count_crds_locked(void)
{
	struct call_rcu_data *crd;
	int n = 0;

	cds_list_for_each_entry(crd, &crd_list, node)
		n++;
	return n;
}

void urcu_tlb_barrier(void)
{
	struct barrier_marker stack[STACK_MARKERS], *m;
	struct call_rcu_data *crd;
	int i, n;

	if (running_crd)
		urcu_tlb_misuse("urcu_tlb_barrier",
			"called from a call_rcu callback (it would wait for its own batch forever)");
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_barrier",
			"called inside a read-side critical section (the grace period it needs would wait for this thread forever)");
	/*
	 * One marker per call_rcu_data, all pushed under crd_mutex, so that
	 * none is freed in between (call_rcu_data_free hands a freed one's
	 * markers over to the default with its callbacks, in order).  Each
	 * stack is popped whole and its batches run in call order: when a
	 * marker runs, every callback queued before it there has.
	 */
	pthread_mutex_lock(&crd_mutex);
	for (;;) {
		n = count_crds_locked();
		if (n <= STACK_MARKERS)
			break;
		pthread_mutex_unlock(&crd_mutex);
		m = markers(stack, n + 8);
		pthread_mutex_lock(&crd_mutex);
		if (count_crds_locked() <= n + 8) {
			n = count_crds_locked();
			goto push;
		}
		free(m);
	}
	m = stack;
push:
	i = 0;
	cds_list_for_each_entry(crd, &crd_list, node) {
		m[i].reached.done = 0;
		m[i].head.func = barrier_reached;
		cds_lfs_push(&crd->pending, head_node(&m[i].head));
		kick(crd);
		i++;
	}
	pthread_mutex_unlock(&crd_mutex);
	for (i = 0; i < n; i++)
		wait_marker(&m[i]);
	if (m != stack)
		free(m);
	/* Pairs with the barrier in tlb_complete(). */
	cmm_smp_mb();
}

/* ---- exit ------------------------------------------------------------------ */

/*
 * The default worker is stopped when the process exits, or when the
 * program calls rcu_exit(), if it has nothing queued: as liburcu >= 0.14
 * does, so that leak checkers find no thread or memory left behind.  With
 * callbacks still queued it stays (they are dropped at exit: a program
 * that needs them run calls rcu_barrier() first).  It is given 100 ms to
 * end (it may be in a grace period that a reader holds up): exit never
 * waits longer.
 */
#define EXIT_JOIN_NS	100000000L

void urcu_tlb_exit(void)
{
	struct timespec until;

	pthread_mutex_lock(&start_mutex);
	if (!default_crd.running || work_pending(&default_crd) ||
	    worker_of == &default_crd) {
		pthread_mutex_unlock(&start_mutex);
		return;
	}
	uatomic_set(&default_crd.stop, 1);
	/* The stop before the look at its sleeper word; pairs with the
	 * barrier in wait_for_work(). */
	cmm_smp_mb();
	tlb_wake_sleeper(&default_crd.sleep);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += EXIT_JOIN_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (!pthread_timedjoin_np(default_crd.thread, NULL, &until)) {
		uatomic_set(&default_crd.running, 0);
		uatomic_set(&default_crd.stop, 0);
	}
	pthread_mutex_unlock(&start_mutex);
}

static __attribute__((destructor)) void stop_default_worker_at_exit(void)
{
	urcu_tlb_exit();
}

/* ---- polled grace periods ------------------------------------------------ */

struct urcu_gp_poll_state urcu_tlb_start_poll_synchronize_rcu(void)
{
	struct urcu_gp_poll_state state;

	state.grace_period_id = tlb_gp_target();
	tlb_gp_request(state.grace_period_id);
	/* The request before the look at the worker's sleeper word; pairs
	 * with the barrier in wait_for_work(). */
	cmm_smp_mb();
	tlb_call_rcu_kick();
	return state;
}

bool urcu_tlb_poll_state_synchronize_rcu(struct urcu_gp_poll_state state)
{
	if (tlb_gp_done(state.grace_period_id))
		return true;
	if (caa_unlikely(!uatomic_read(&default_crd.running)))
		tlb_call_rcu_kick();	/* a failed start: try again */
	return false;
}

/* ---- fork ---------------------------------------------------------------- */

/*
 * Around fork(), only what is held briefly is excluded: the call_rcu_data
 * list, the default worker's start, and the taking of a batch (a pop and a
 * reversal) in each call_rcu_data.  Nothing else here is ever half done
 * (see the top), and fork() must not wait for a batch, which may wait for
 * a reader that waits for the forking thread.
 */
void tlb_call_rcu_before_fork(void)
{
	struct call_rcu_data *crd;

	pthread_mutex_lock(&crd_mutex);
	pthread_mutex_lock(&start_mutex);
	cds_list_for_each_entry(crd, &crd_list, node)
		pthread_mutex_lock(&crd->take_mutex);
}

/*
 * In the child only the forking thread exists.  As liburcu does, every
 * call_rcu_data but the default is disposed of and what it had not run is
 * handed to the default; the per-CPU table and the thread's own choice are
 * cleared.  The one exception is a call_rcu_data whose worker is the
 * forking thread (a callback that forked): it goes on.  The default's
 * worker starts when the child next needs it.
 */
static void after_fork_child_locked(void)
{
	struct call_rcu_data *crd, *next;
	int cpu;

	for (cpu = 0; per_cpu_crd && cpu < nr_cpu_slots; cpu++)
		per_cpu_crd[cpu] = NULL;
	thread_crd = NULL;
	retry_after_ns = 0;
	cds_list_for_each_entry_safe(crd, next, &crd_list, node) {
		if (crd == worker_of)
			continue;
		crd->running = 0;
		crd->users = 0;
		crd->sleep = 0;
		if (crd != running_crd)
			pthread_mutex_init(&crd->runner_mutex, NULL);
		if (crd == &default_crd)
			continue;
		hand_over_locked(crd, false);
		cds_list_del(&crd->node);
		crd->magic = CRD_FREED;
		cds_list_add(&crd->node, &free_crds);
	}
}

void tlb_call_rcu_after_fork(bool child)
{
	struct call_rcu_data *crd;

	cds_list_for_each_entry(crd, &crd_list, node)
		pthread_mutex_unlock(&crd->take_mutex);
	if (child)
		after_fork_child_locked();
	pthread_mutex_unlock(&start_mutex);
	pthread_mutex_unlock(&crd_mutex);
}
