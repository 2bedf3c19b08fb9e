/*
 * defer.c: liburcu's defer API on liburcu-tlb.
 *
 * Each registered thread owns a ring of DEFER_QUEUE_SIZE (fct, p) pairs.
 * defer_rcu() writes the next entry and publishes it by advancing `tail`;
 * it never allocates.  A ring is drained after a grace period by the
 * background defer thread (every DEFER_PERIOD_MS, and as soon as a ring is
 * half full), by its owner when it is full (defer_rcu then blocks for one
 * grace period), or by a defer barrier.  Draining reads `tail`, waits for a
 * grace period, and runs the entries up to that tail: each of them was
 * queued, and its tail published, before the grace period began.
 *
 * Locks: defer_registry_lock, then a ring's lock.  The defer thread holds
 * the registry lock across its grace period; an owner draining its own ring
 * holds only the ring's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu/futex.h>
#include "internal.h"

#define DEFER_QUEUE_SIZE	4096UL
#define DEFER_PERIOD_MS		100

struct defer_entry {
	void (*fct)(void *p);
	void *p;
};

struct defer_queue {
	struct cds_list_head node;	/* in defer_registry */
	pthread_mutex_t lock;		/* held while running entries */
	unsigned long head;		/* next to run; written under lock */
	unsigned long tail;		/* next free; written by the owner */
	unsigned long snap;		/* the defer thread's tail snapshot */
	struct defer_entry ring[DEFER_QUEUE_SIZE];
};

static CDS_LIST_HEAD(defer_registry);
static pthread_mutex_t defer_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct defer_queue *my_queue
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t defer_start_lock = PTHREAD_MUTEX_INITIALIZER;
static int defer_thread_running;
static int32_t defer_futex;	/* -1 while the defer thread sleeps */

static pthread_key_t defer_exit_key;
static pthread_once_t defer_key_once = PTHREAD_ONCE_INIT;

static unsigned long published_tail(struct defer_queue *q)
{
	unsigned long t = CMM_LOAD_SHARED(q->tail);

	/* Entries before t were written before t was published; pairs with
	 * the write barrier in urcu_tlb_defer_rcu(). */
	cmm_smp_rmb();
	return t;
}

/* Run the entries before `upto` not run yet; q->lock held, grace period
 * passed since upto was read. */
static void run_entries(struct defer_queue *q, unsigned long upto)
{
	while ((long) (upto - q->head) > 0) {
		struct defer_entry *e = &q->ring[q->head % DEFER_QUEUE_SIZE];

		e->fct(e->p);
		/* Frees the slot for the owner: after the entry was used. */
		cmm_smp_mb();
		CMM_STORE_SHARED(q->head, q->head + 1);
	}
}

/* One grace period for every ring.  defer_registry_lock held. */
static void drain_all_locked(void)
{
	struct defer_queue *q;
	bool pending = false;

	cds_list_for_each_entry(q, &defer_registry, node) {
		q->snap = published_tail(q);
		if (q->snap != CMM_LOAD_SHARED(q->head))
			pending = true;
	}
	if (!pending)
		return;
	urcu_tlb_synchronize_rcu();
	cds_list_for_each_entry(q, &defer_registry, node) {
		pthread_mutex_lock(&q->lock);
		run_entries(q, q->snap);
		pthread_mutex_unlock(&q->lock);
	}
}

static void drain_own(struct defer_queue *q)
{
	unsigned long upto;

	pthread_mutex_lock(&q->lock);
	upto = published_tail(q);
	if (upto != q->head) {
		urcu_tlb_synchronize_rcu();
		run_entries(q, upto);
	}
	pthread_mutex_unlock(&q->lock);
}

static void *defer_thread(void *arg)
{
	const struct timespec period = { .tv_nsec = DEFER_PERIOD_MS * 1000000L };

	(void) arg;
	urcu_tlb_register_thread();
	for (;;) {
		pthread_mutex_lock(&defer_registry_lock);
		drain_all_locked();
		pthread_mutex_unlock(&defer_registry_lock);
		/* A missed wake-up costs at most one period: no handshake. */
		uatomic_set(&defer_futex, -1);
		futex_async(&defer_futex, FUTEX_WAIT, -1, &period, NULL, 0);
		uatomic_set(&defer_futex, 0);
	}
	return NULL;
}

static void wake_defer_thread(void)
{
	if (uatomic_read(&defer_futex) == -1) {
		uatomic_set(&defer_futex, 0);
		(void) futex_async(&defer_futex, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
}

/* Returns 0 or an errno. */
static int start_defer_thread(void)
{
	return tlb_start_detached(&defer_start_lock, &defer_thread_running,
				  defer_thread);
}

static void unregister_queue(struct defer_queue *q)
{
	pthread_mutex_lock(&defer_registry_lock);
	cds_list_del(&q->node);
	pthread_mutex_unlock(&defer_registry_lock);
	drain_own(q);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The thread exits with its ring registered: run what it deferred. */
static void unregister_at_exit(void *arg)
{
	tlb_end_section_at_exit();	/* it waits for a grace period */
	unregister_queue(arg);
	my_queue = NULL;
}

static void create_key(void)
{
	if (pthread_key_create(&defer_exit_key, unregister_at_exit))
		urcu_tlb_misuse("urcu_tlb_defer_register_thread",
				"pthread_key_create failed");
}

int urcu_tlb_defer_register_thread(void)
{
	struct defer_queue *q;
	int err;

	if (my_queue)
		urcu_tlb_misuse("urcu_tlb_defer_register_thread",
				"thread is already registered for defer_rcu");
	tlb_init();
	pthread_once(&defer_key_once, create_key);
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	err = pthread_setspecific(defer_exit_key, q);
	if (!err && !uatomic_read(&defer_thread_running))
		err = start_defer_thread();
	if (err) {
		(void) pthread_setspecific(defer_exit_key, NULL);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return -err;
	}
	pthread_mutex_lock(&defer_registry_lock);
	cds_list_add(&q->node, &defer_registry);
	pthread_mutex_unlock(&defer_registry_lock);
	my_queue = q;
	return 0;
}

void urcu_tlb_defer_unregister_thread(void)
{
	struct defer_queue *q = my_queue;

	if (!q)
		urcu_tlb_misuse("urcu_tlb_defer_unregister_thread",
				"thread is not registered for defer_rcu");
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_defer_unregister_thread",
				"called inside a read-side critical section (it waits for a grace period)");
	my_queue = NULL;
	(void) pthread_setspecific(defer_exit_key, NULL);
	unregister_queue(q);
}

void urcu_tlb_defer_rcu(void (*fct)(void *p), void *p)
{
	struct defer_queue *q = my_queue;
	unsigned long t;

	if (caa_unlikely(!q))
		urcu_tlb_misuse("urcu_tlb_defer_rcu",
				"thread is not registered for defer_rcu (call rcu_defer_register_thread first)");
	if (caa_unlikely(tlb_in_read_section()))
		urcu_tlb_misuse("urcu_tlb_defer_rcu",
				"called inside a read-side critical section (it may wait for a grace period; use call_rcu there)");
	t = q->tail;
	if (caa_unlikely(t - CMM_LOAD_SHARED(q->head) >= DEFER_QUEUE_SIZE))
		drain_own(q);	/* full: one grace period, then run them */
	/* The slot is free: its last use happened before head moved past
	 * it (pairs with the barrier in run_entries()). */
	cmm_smp_mb();
	q->ring[t % DEFER_QUEUE_SIZE] = (struct defer_entry) { fct, p };
	/* The entry before the tail that publishes it; pairs with the read
	 * barrier in published_tail(). */
	cmm_smp_wmb();
	CMM_STORE_SHARED(q->tail, t + 1);
	if (caa_unlikely(t + 1 - CMM_LOAD_SHARED(q->head) == DEFER_QUEUE_SIZE / 2))
		wake_defer_thread();
}

void urcu_tlb_defer_barrier_thread(void)
{
	if (!my_queue)
		return;
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_defer_barrier_thread",
				"called inside a read-side critical section (it waits for a grace period)");
	drain_own(my_queue);
}

void urcu_tlb_defer_barrier(void)
{
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_defer_barrier",
				"called inside a read-side critical section (it waits for a grace period)");
	pthread_mutex_lock(&defer_registry_lock);
	drain_all_locked();
	pthread_mutex_unlock(&defer_registry_lock);
}

/* ---- fork ------------------------------------------------------------- */

void tlb_defer_before_fork(void)
{
	pthread_mutex_lock(&defer_start_lock);
	pthread_mutex_lock(&defer_registry_lock);
}

void tlb_defer_after_fork(bool child)
{
	if (child) {
		/* Only the forking thread's ring crosses fork(); the defer
		 * thread does not, and starts again on demand. */
		CDS_INIT_LIST_HEAD(&defer_registry);
		if (my_queue)
			cds_list_add(&my_queue->node, &defer_registry);
		defer_thread_running = 0;
		defer_futex = 0;
	}
	pthread_mutex_unlock(&defer_registry_lock);
	pthread_mutex_unlock(&defer_start_lock);
	if (child && my_queue)
		(void) start_defer_thread();
}
