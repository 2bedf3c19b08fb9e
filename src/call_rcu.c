/*
 * call_rcu.c: callbacks after a grace period, rcu_barrier, polled grace
 * periods, and the worker thread that serves them.
 *
 * call_rcu() never waits.  It pushes the callback on a lock-free stack
 * (liburcu's lfstack: one compare-and-swap that either happened or did
 * not) and wakes the worker if it sleeps.  That is all, so call_rcu() can
 * be called with any lock held, from a signal handler that interrupted
 * another call_rcu() (the outer push just retries), and a fork() at any
 * instant leaves the child a consistent stack: nothing is ever half
 * linked.
 *
 * The worker pops the whole stack (newest first) and reverses it into
 * call order: a batch.  It notes the grace period the batch needs, waits
 * for it (sharing it with synchronize_rcu() callers), and runs the
 * callbacks in call order, outside any read-side critical section.  While
 * there is more, it goes on at once: under a backlog, grace periods run
 * back to back and each serves everything queued during the one before,
 * so the batches grow and the cost of a grace period per callback shrinks
 * instead of callers being made to wait.  Memory is bounded by how fast
 * callbacks run; liburcu's call_rcu gives the same contract.
 *
 * The batch in progress lives in `cb`, not on the worker's stack, and the
 * worker moves cb.batch past a callback before running it; taking a batch
 * (pop, reverse, publish: no waiting) is the one step fork() excludes.
 * The child of a fork() therefore finds what the parent's worker had not
 * started yet (the callback running at the moment of the fork does not run
 * again in the child) plus everything still on the stack, and runs it
 * when it next needs the worker.
 *
 * Whoever runs batches holds runner_mutex: the worker, or, when no worker
 * thread can be created (pthread_create failing), rcu_barrier() itself,
 * which is allowed to wait.  The worker is started by the first call_rcu,
 * rcu_barrier, start_poll or urcu_tlb_init(); a failed start says one line
 * and is tried again by later calls (at most every 10 ms), since a full
 * thread table is usually transient.
 *
 * At process exit the worker stops with the process: callbacks still
 * queued do not run (docs/api.md).
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
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

static struct {
	struct __cds_lfs_stack pending;	/* call_rcu pushes; newest first */
	/* The runner's batch: the next callback to start, in call order,
	 * and the grace period the batch waits for. */
	struct cds_lfs_node *batch;
	unsigned long batch_gp;
	int32_t sleep;			/* the worker's sleeper word (wait.c) */
} cb;

static pthread_mutex_t runner_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Held while a batch is taken: between the pop and cb.batch, the popped
 * callbacks are nowhere a child of fork() could find them. */
static pthread_mutex_t take_mutex = PTHREAD_MUTEX_INITIALIZER;
/* This thread holds runner_mutex (it runs callbacks). */
static __thread bool runner __attribute__((tls_model("initial-exec")));
/* This thread is the worker. */
static __thread bool is_worker __attribute__((tls_model("initial-exec")));

/* Worker creation, and whether one runs in this process. */
static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;
static int worker_running;
/* When a failed start may be tried again (tlb_now_ns), and whether the
 * failure was said. */
static uint64_t retry_after_ns;
static int said_cannot_start;

#define RETRY_NS	10000000ULL	/* 10 ms */

/* ---- the runner -------------------------------------------------------- */

/* Pop the stack into a batch in call order.  Returns false if empty. */
static bool take_batch(void)
{
	struct cds_lfs_node *node, *next, *first = NULL;
	struct cds_lfs_head *top;

	if (cds_lfs_empty(&cb.pending))
		return false;
	pthread_mutex_lock(&take_mutex);
	top = __cds_lfs_pop_all(&cb.pending);
	if (!top) {
		pthread_mutex_unlock(&take_mutex);
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
	CMM_STORE_SHARED(cb.batch_gp, tlb_gp_target());
	/* A child of fork() that sees the batch sees its grace period. */
	cmm_smp_wmb();
	CMM_STORE_SHARED(cb.batch, first);
	pthread_mutex_unlock(&take_mutex);
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

static void run_batch(void)
{
	struct cds_lfs_node *node;
	unsigned int n = 0;

	while ((node = CMM_LOAD_SHARED(cb.batch))) {
		struct rcu_head *head = node_head(node);

		/* On the worker, a long batch looks now and then for a signal
		 * the mechanism took up meanwhile (util.c).  Not on a program's
		 * thread running callbacks for rcu_barrier(): its mask is the
		 * program's. */
		if (is_worker && !(++n % 256))
			tlb_thread_signals();
		/* Past it before it runs: a child of fork() must not run
		 * it again. */
		CMM_STORE_SHARED(cb.batch, node->next);
		cmm_barrier();
		if (head->func == barrier_reached) {
			head->func(head);
			continue;
		}
		head->func(head);
		/* One runner at a time: no atomic add needed.  Counted as
		 * each runs, so when rcu_barrier() returns every callback
		 * before its marker is in the count. */
		CMM_STORE_SHARED(tlb_counters.callbacks_invoked,
				 tlb_counters.callbacks_invoked + 1);
	}
	uatomic_inc(&tlb_counters.callback_batches);
}

/*
 * One step, runner_mutex held: take a batch if there is none, let its
 * grace period pass, run it; or run a grace period a poller asked for.
 * Returns whether there was anything to do.
 */
static bool runner_step(void)
{
	if (!cb.batch && !take_batch()) {
		if (!tlb_gp_requested())
			return false;
		urcu_tlb_synchronize_rcu();	/* for a poller */
		return true;
	}
	if (!tlb_gp_done(cb.batch_gp))
		urcu_tlb_synchronize_rcu();
	run_batch();
	return true;
}

static void runner_lock(void)
{
	pthread_mutex_lock(&runner_mutex);
	runner = true;
}

static void runner_unlock(void)
{
	runner = false;
	pthread_mutex_unlock(&runner_mutex);
}

static bool work_pending(void)
{
	return !cds_lfs_empty(&cb.pending) || CMM_LOAD_SHARED(cb.batch) ||
	       tlb_gp_requested();
}

static void wait_for_work(void)
{
	tlb_sleep_announce(&cb.sleep);
	/* Pairs with the full barrier every waker issues before
	 * tlb_wake_sleeper(): the push's cmpxchg, or an explicit one. */
	cmm_smp_mb();
	if (work_pending()) {
		tlb_sleep_cancel(&cb.sleep);
		return;
	}
	tlb_sleep(&cb.sleep, NULL);
}

static void *worker_main(void *arg)
{
	(void) arg;
	is_worker = true;
	tlb_thread_signals();
	urcu_tlb_register_thread();
	for (;;) {
		tlb_thread_signals();
		runner_lock();
		while (runner_step())
			;
		runner_unlock();
		wait_for_work();
	}
	return NULL;
}

/* ---- starting and waking the worker ------------------------------------ */

/* Start the worker unless one runs or a recent start failed.  Returns
 * whether one runs now. */
static bool start_worker(void)
{
	uint64_t now = tlb_now_ns();
	int err;

	if (now < uatomic_read(&retry_after_ns))
		return false;
	tlb_init();	/* the fork handlers before the first thread */
	err = tlb_start_thread(&start_mutex, &worker_running, worker_main,
			       "urcu-tlb-cb");
	if (!err)
		return true;
	uatomic_set(&retry_after_ns, now + RETRY_NS);
	if (!uatomic_xchg(&said_cannot_start, 1))
		tlb_say("cannot start the call_rcu worker thread (%s); callbacks and polled grace periods wait until it starts (tried again at later calls) or rcu_barrier() runs them",
			strerror(err));
	return false;
}

void tlb_call_rcu_wake(void)
{
	tlb_wake_sleeper(&cb.sleep);
}

void tlb_call_rcu_kick(void)
{
	if (caa_likely(uatomic_read(&worker_running)) || start_worker())
		tlb_wake_sleeper(&cb.sleep);
}

/* ---- the API ------------------------------------------------------------ */

void urcu_tlb_call_rcu(struct rcu_head *head,
		       void (*func)(struct rcu_head *head))
{
	if (caa_unlikely(!head || !func))
		urcu_tlb_misuse("urcu_tlb_call_rcu", !head ?
			"called with a NULL rcu_head" :
			"called with a NULL callback function");
	head->func = func;
	/* Its cmpxchg publishes head->func and is the full barrier that
	 * tlb_wake_sleeper() needs (pairs with wait_for_work()). */
	cds_lfs_push(&cb.pending, head_node(head));
	uatomic_inc(&tlb_counters.callbacks_queued);
	tlb_call_rcu_kick();
}

void urcu_tlb_barrier(void)
{
	struct barrier_marker b = { .reached = { 0 } };

	if (runner)
		urcu_tlb_misuse("urcu_tlb_barrier",
			"called from a call_rcu callback (it would wait for its own batch forever)");
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_barrier",
			"called inside a read-side critical section (the grace period it needs would wait for this thread forever)");
	/* The stack is popped whole and batches run in call order: when the
	 * marker runs, every callback queued before it has. */
	b.head.func = barrier_reached;
	cds_lfs_push(&cb.pending, head_node(&b.head));
	tlb_call_rcu_kick();
	while (!uatomic_read(&b.reached.done)) {
		if (uatomic_read(&worker_running)) {
			tlb_wait_complete(&b.reached, 0);
			break;
		}
		/* No worker: do its job, then try to start one again. */
		runner_lock();
		while (!uatomic_read(&b.reached.done) && runner_step())
			;
		runner_unlock();
		tlb_call_rcu_kick();
	}
	/* Pairs with the barrier in tlb_complete(). */
	cmm_smp_mb();
}

struct urcu_tlb_poll_state urcu_tlb_start_poll_synchronize_rcu(void)
{
	struct urcu_tlb_poll_state state;

	state.grace_period = tlb_gp_target();
	tlb_gp_request(state.grace_period);
	/* The request before the look at the worker's sleeper word; pairs
	 * with the barrier in wait_for_work(). */
	cmm_smp_mb();
	tlb_call_rcu_kick();
	return state;
}

bool urcu_tlb_poll_state_synchronize_rcu(struct urcu_tlb_poll_state state)
{
	if (tlb_gp_done(state.grace_period))
		return true;
	if (caa_unlikely(!uatomic_read(&worker_running)))
		tlb_call_rcu_kick();	/* a failed start: try again */
	return false;
}

/* ---- fork --------------------------------------------------------------- */

/*
 * Around fork(), only the worker's start and the taking of a batch (a pop
 * and a reversal: no wait) are excluded; nothing else here is ever half
 * done (see the top), and fork() must not wait for a batch, which may
 * wait for a reader that waits for the forking thread.
 */
void tlb_call_rcu_before_fork(void)
{
	pthread_mutex_lock(&start_mutex);
	pthread_mutex_lock(&take_mutex);
}

void tlb_call_rcu_after_fork(bool child)
{
	if (child) {
		/* The worker did not cross fork() unless it is the thread
		 * that forked, from a callback: then it goes on being it.
		 * Another one starts when the child next needs it. */
		if (!is_worker)
			worker_running = 0;
		if (!runner)
			pthread_mutex_init(&runner_mutex, NULL);
		cb.sleep = 0;
		retry_after_ns = 0;
	}
	pthread_mutex_unlock(&take_mutex);
	pthread_mutex_unlock(&start_mutex);
}
