/*
 * call_rcu.c: callbacks after a grace period, rcu_barrier, and the worker
 * that also runs the grace periods polled callers ask for.
 *
 * call_rcu() appends the callback to one process-wide wait-free queue
 * (liburcu's wfcqueue: one xchg, never blocks) and wakes the worker if it
 * sleeps.  The worker takes the whole queue at once, waits for one grace
 * period, and runs every callback of that batch: callbacks queued together
 * share the grace period, and a queue that fills while a grace period runs
 * is the next batch.  The worker is a registered reader thread, so
 * callbacks may use read-side critical sections; it runs them outside one.
 *
 * A queue that grows faster than it drains is throttled: once more than
 * the high-water mark of callbacks wait, a caller that can block (outside
 * a read-side critical section, not on the worker) waits until the worker
 * has brought the queue back under the mark, which takes at least one
 * grace period.  Callers that cannot block are never made to wait, so
 * call_rcu() stays callable anywhere.
 *
 * At process exit the worker simply stops with the process: callbacks
 * still queued are not run.  rcu_barrier() before exit runs them.
 */
#include <errno.h>
#include <string.h>
#include <urcu/futex.h>
#include <urcu/wfcqueue.h>
#include "internal.h"

#define DEFAULT_HIGH_WATER	65536UL

static struct __cds_wfcq_head queue_head;
static struct cds_wfcq_tail queue_tail;
static pthread_once_t queue_once = PTHREAD_ONCE_INIT;

/* -1 while the worker sleeps, else 0. */
static int32_t worker_futex;
/* Grace period a poller asked for (tlb_call_rcu_request_gp). */
static unsigned long requested_gp;

/* Worker creation, and whether it runs (in this process: 0 after fork). */
static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;
static int worker_running;
/* Held by the worker while it handles a batch; fork waits for it. */
static pthread_mutex_t batch_mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread bool on_worker __attribute__((tls_model("initial-exec")));

/* Throttled callers wait here for the worker to drain the queue. */
static pthread_mutex_t throttle_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t throttle_cond = PTHREAD_COND_INITIALIZER;
static unsigned int throttle_waiters;
static unsigned long high_water = DEFAULT_HIGH_WATER;

static void init_queue(void)
{
	__cds_wfcq_init(&queue_head, &queue_tail);
}

static unsigned long queue_length(void)
{
	return uatomic_read(&tlb_counters.callbacks_queued) -
	       uatomic_read(&tlb_counters.callbacks_invoked);
}

/*
 * The caller has made work visible and issued a full barrier: the xchg of
 * the enqueue, or an explicit one.  That barrier pairs with the one
 * between the worker's store of -1 and its last look (wait_for_work), so
 * either the worker sees the work or this load sees -1.
 */
static void wake_worker(void)
{
	if (uatomic_read(&worker_futex) == -1) {
		uatomic_set(&worker_futex, 0);
		(void) futex_async(&worker_futex, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
}

static bool gp_requested(void)
{
	return !tlb_gp_done(uatomic_read(&requested_gp));
}

static bool work_pending(void)
{
	return !cds_wfcq_empty(&queue_head, &queue_tail) || gp_requested();
}

static void wait_for_work(void)
{
	uatomic_set(&worker_futex, -1);
	/* Pairs with the full barrier every waker issues before
	 * wake_worker(): the enqueue's xchg, or an explicit one. */
	cmm_smp_mb();
	if (work_pending()) {
		uatomic_set(&worker_futex, 0);
		return;
	}
	while (uatomic_read(&worker_futex) == -1)
		if (futex_async(&worker_futex, FUTEX_WAIT, -1, NULL, NULL, 0) &&
		    errno != EINTR && errno != EAGAIN)
			break;	/* unexpected: poll again, still correct */
}

static void run_batch(struct __cds_wfcq_head *head, struct cds_wfcq_tail *tail)
{
	struct cds_wfcq_node *node, *next;

	__cds_wfcq_for_each_blocking_safe(head, tail, node, next) {
		struct rcu_head *rh = caa_container_of(node, struct rcu_head, next);

		rh->func(rh);
		/* One writer (batches do not overlap): no atomic add needed.
		 * Counted as each runs, so that when rcu_barrier() returns
		 * every earlier callback is in the count. */
		CMM_STORE_SHARED(tlb_counters.callbacks_invoked,
				 tlb_counters.callbacks_invoked + 1);
	}
}

static void release_throttled(void)
{
	pthread_mutex_lock(&throttle_mutex);
	if (throttle_waiters)
		pthread_cond_broadcast(&throttle_cond);
	pthread_mutex_unlock(&throttle_mutex);
}

static void handle_batch(void)
{
	struct __cds_wfcq_head head;
	struct cds_wfcq_tail tail;

	__cds_wfcq_init(&head, &tail);
	pthread_mutex_lock(&batch_mutex);
	if (__cds_wfcq_splice_blocking(&head, &tail, &queue_head, &queue_tail)
	    != CDS_WFCQ_RET_SRC_EMPTY) {
		urcu_tlb_synchronize_rcu();
		run_batch(&head, &tail);
		uatomic_inc(&tlb_counters.callback_batches);
		release_throttled();
	} else if (gp_requested()) {
		urcu_tlb_synchronize_rcu();	/* for a poller */
	}
	pthread_mutex_unlock(&batch_mutex);
}

static void *worker_main(void *arg)
{
	(void) arg;
	on_worker = true;
	urcu_tlb_register_thread();
	for (;;) {
		handle_batch();
		if (!work_pending())
			wait_for_work();
	}
	return NULL;
}

/* Start the worker if this process has none.  Returns 0 or an errno. */
static int ensure_worker(void)
{
	if (caa_likely(uatomic_read(&worker_running)))
		return 0;
	pthread_once(&queue_once, init_queue);
	return tlb_start_detached(&start_mutex, &worker_running, worker_main);
}

/*
 * No worker could be started (threads exhausted): if the caller can
 * block, it does the worker's job for the queue; otherwise the callbacks
 * wait for the next caller that can.
 */
static void help_without_worker(int err)
{
	static int said;

	if (!uatomic_xchg(&said, 1))
		tlb_say("cannot start the call_rcu worker (%s); callers run callbacks themselves until one starts",
			strerror(err));
	if (!tlb_in_read_section() && !on_worker)
		handle_batch();
}

static void throttle(void)
{
	if (on_worker || tlb_in_read_section())
		return;		/* cannot wait: the worker may wait for us */
	uatomic_inc(&tlb_counters.call_rcu_throttled);
	pthread_mutex_lock(&throttle_mutex);
	throttle_waiters++;
	while (queue_length() > uatomic_read(&high_water)) {
		if (!uatomic_read(&worker_running)) {
			/* No worker (it could not start): drain it ourselves. */
			pthread_mutex_unlock(&throttle_mutex);
			handle_batch();
			pthread_mutex_lock(&throttle_mutex);
			continue;
		}
		cmm_smp_mb();	/* pairs with the one in wait_for_work() */
		wake_worker();
		pthread_cond_wait(&throttle_cond, &throttle_mutex);
	}
	throttle_waiters--;
	pthread_mutex_unlock(&throttle_mutex);
}

static void enqueue(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	int err;

	tlb_init();
	err = ensure_worker();
	cds_wfcq_node_init(&head->next);
	head->func = func;
	/* Publishes the callback; its xchg is the full barrier wake_worker()
	 * relies on. */
	cds_wfcq_enqueue(&queue_head, &queue_tail, &head->next);
	uatomic_inc(&tlb_counters.callbacks_queued);
	if (caa_unlikely(err))
		help_without_worker(err);
	else
		wake_worker();
}

void urcu_tlb_call_rcu(struct rcu_head *head,
		       void (*func)(struct rcu_head *head))
{
	enqueue(head, func);
	if (caa_unlikely(queue_length() > uatomic_read(&high_water)))
		throttle();
}

void urcu_tlb_set_call_rcu_high_water(unsigned long callbacks)
{
	uatomic_set(&high_water, callbacks ? callbacks : 1);
	release_throttled();
}

void tlb_call_rcu_request_gp(unsigned long target)
{
	unsigned long old = uatomic_read(&requested_gp);

	while ((long) (target - old) > 0) {
		unsigned long seen = uatomic_cmpxchg(&requested_gp, old, target);

		if (seen == old)
			break;
		old = seen;
	}
	if (ensure_worker())
		return;		/* the next call_rcu or barrier will run it */
	/* The request before the look at the futex; pairs with the barrier
	 * in wait_for_work(). */
	cmm_smp_mb();
	wake_worker();
}

/* ---- rcu_barrier ------------------------------------------------------- */

struct barrier_marker {
	struct rcu_head head;
	int32_t done;
};

static void barrier_reached(struct rcu_head *head)
{
	struct barrier_marker *b = caa_container_of(head, struct barrier_marker, head);

	uatomic_set(&b->done, 1);
	(void) futex_async(&b->done, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void urcu_tlb_barrier(void)
{
	struct barrier_marker b = { .done = 0 };

	if (on_worker)
		urcu_tlb_misuse("urcu_tlb_barrier",
			"called from a call_rcu callback (it would wait for its own batch forever)");
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_barrier",
			"called inside a read-side critical section (the grace period it needs would wait for this thread forever)");
	/* The queue is FIFO and batches run in order: when the marker runs,
	 * every callback queued before it has. */
	enqueue(&b.head, barrier_reached);
	while (!uatomic_read(&b.done)) {
		if (uatomic_read(&worker_running))
			futex_async(&b.done, FUTEX_WAIT, 0, NULL, NULL, 0);
		else
			handle_batch();	/* no worker: do its job */
	}
}

/* ---- fork ------------------------------------------------------------- */

void tlb_call_rcu_before_fork(void)
{
	pthread_mutex_lock(&start_mutex);
	if (!on_worker)		/* a callback that forks holds it already */
		pthread_mutex_lock(&batch_mutex);
	pthread_mutex_lock(&throttle_mutex);
}

void tlb_call_rcu_after_fork(bool child)
{
	if (child) {
		/* The worker did not cross fork() (unless it is the thread
		 * that forked, from a callback: then it goes on being the
		 * worker); a new one takes over the child's copy of the queue
		 * on demand. */
		if (!on_worker)
			worker_running = 0;
		worker_futex = 0;
		throttle_waiters = 0;
		pthread_cond_init(&throttle_cond, NULL);
	}
	pthread_mutex_unlock(&throttle_mutex);
	if (!on_worker)
		pthread_mutex_unlock(&batch_mutex);
	pthread_mutex_unlock(&start_mutex);
	if (child && work_pending() && !ensure_worker())
		wake_worker();
}
