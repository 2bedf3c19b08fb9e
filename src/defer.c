/*
 * defer.c: liburcu's defer API on liburcu-tlb.
 *
 * Each thread registered for defer_rcu owns a ring of DEFER_QUEUE_SIZE
 * (fct, p) pairs.  defer_rcu() writes the next entry and publishes it by
 * advancing `tail`; it never allocates.  A ring is drained after a grace
 * period by the background defer thread (every DEFER_PERIOD_MS, and as
 * soon as a ring is half full), by its owner when it is full (defer_rcu
 * then blocks for one grace period), or by a defer barrier.  Draining
 * reads `tail`, waits for a grace period, and runs the entries up to that
 * tail: each of them was queued, and its tail published, before the grace
 * period began.
 *
 * Locks.  drain_mutex makes one drainer at a time; it is held across the
 * drainer's grace period and the deferred functions it runs, and is also
 * what keeps a ring from being freed under a drainer.  defer_registry_lock
 * guards the list of rings and is held only to change it or to look at
 * the tails, never while waiting or running anything: fork() takes it, and
 * must never wait for a grace period or a deferred function (which may
 * wait for the forking thread).  Order: drain_mutex, then the registry
 * lock.
 *
 * A drainer advances a ring's head past an entry before running it, so the
 * child of a fork() never runs again an entry that was running in the
 * parent.  The child keeps every ring with what had not run: the forking
 * thread's goes on as its own, the others (their threads stayed in the
 * parent) are drained once by the child's next drain and freed.  The
 * child starts its own defer thread when it next defers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

#define DEFER_QUEUE_SIZE	4096UL
#define DEFER_PERIOD_MS		100

struct defer_entry {
	void (*fct)(void *p);
	void *p;
};

struct defer_queue {
	struct cds_list_head node;	/* in defer_registry */
	bool orphan;			/* in a child of fork(): no owner */
	struct defer_queue *drain_next;	/* a drainer's list (drain_mutex) */
	unsigned long head;		/* next to run; written by drainers */
	unsigned long tail;		/* next free; written by the owner */
	unsigned long snap;		/* the drainer's tail snapshot */
	struct defer_entry ring[DEFER_QUEUE_SIZE];
};

static CDS_LIST_HEAD(defer_registry);
static pthread_mutex_t defer_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t drain_mutex = PTHREAD_MUTEX_INITIALIZER;
/* This thread holds drain_mutex (it runs deferred functions). */
static __thread bool draining __attribute__((tls_model("initial-exec")));
static __thread struct defer_queue *my_queue
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t defer_start_lock = PTHREAD_MUTEX_INITIALIZER;
static int defer_thread_running;
static int32_t defer_sleep;	/* the defer thread's sleeper word (wait.c) */
/* rcu_defer_exit ends the defer thread by moving to the next generation
 * (under defer_start_lock); a thread runs while its own is current. */
static unsigned long defer_generation;

static pthread_key_t defer_exit_key;
static pthread_once_t defer_key_once = PTHREAD_ONCE_INIT;

static void drain_lock(void)
{
	pthread_mutex_lock(&drain_mutex);
	draining = true;
}

static void drain_unlock(void)
{
	draining = false;
	pthread_mutex_unlock(&drain_mutex);
}

static unsigned long published_tail(struct defer_queue *q)
{
	unsigned long t = CMM_LOAD_SHARED(q->tail);

	/* Entries before t were written before t was published; pairs with
	 * the write barrier in urcu_tlb_defer_rcu(). */
	cmm_smp_rmb();
	return t;
}

/* Run the entries before `upto` not run yet; drain_mutex held, a grace
 * period passed since upto was read. */
static void run_entries(struct defer_queue *q, unsigned long upto)
{
	while ((long) (upto - q->head) > 0) {
		struct defer_entry e = q->ring[q->head % DEFER_QUEUE_SIZE];

		/* The entry is copied before its slot is given back to the
		 * owner (pairs with the barrier in urcu_tlb_defer_rcu()), and
		 * given back before it runs, for the child of a fork(). */
		cmm_smp_mb();
		CMM_STORE_SHARED(q->head, q->head + 1);
		e.fct(e.p);
	}
}

/* Every ring that has work, and every orphan, chained through
 * drain_next, with its tail snapshot taken; *work says whether any has
 * work.  drain_mutex held. */
static struct defer_queue *rings_to_drain(bool *work)
{
	struct defer_queue *q, *list = NULL;

	*work = false;
	pthread_mutex_lock(&defer_registry_lock);
	cds_list_for_each_entry(q, &defer_registry, node) {
		bool pending;

		q->snap = published_tail(q);
		pending = q->snap != CMM_LOAD_SHARED(q->head);
		if (pending || q->orphan) {
			*work |= pending;
			q->drain_next = list;
			list = q;
		}
	}
	pthread_mutex_unlock(&defer_registry_lock);
	return list;
}

/* An orphan ring, drained: nobody will queue on it again. */
static void free_orphan(struct defer_queue *q)
{
	pthread_mutex_lock(&defer_registry_lock);
	cds_list_del(&q->node);
	pthread_mutex_unlock(&defer_registry_lock);
	free(q);
}

/* One grace period for every ring.  drain_mutex held: no ring on the
 * list can be freed meanwhile (unregister_queue takes it). */
static void drain_all_locked(void)
{
	struct defer_queue *q, *next;
	bool work;

	q = rings_to_drain(&work);
	if (!q)
		return;
	if (work)
		urcu_tlb_synchronize_rcu();
	for (; q; q = next) {
		next = q->drain_next;
		run_entries(q, q->snap);
		if (q->orphan)
			free_orphan(q);
	}
}

static void drain_own(struct defer_queue *q)
{
	unsigned long upto;

	drain_lock();
	upto = published_tail(q);
	if (upto != q->head) {
		urcu_tlb_synchronize_rcu();
		run_entries(q, upto);
	}
	drain_unlock();
}

static void *defer_thread(void *arg)
{
	const struct timespec period = { .tv_nsec = DEFER_PERIOD_MS * 1000000L };

	unsigned long generation = (unsigned long) arg;

	tlb_thread_signals();
	urcu_tlb_register_thread();
	while (uatomic_read(&defer_generation) == generation) {
		tlb_thread_signals();
		drain_lock();
		drain_all_locked();
		drain_unlock();
		/* No handshake: a missed wake-up costs at most one period. */
		tlb_sleep_announce(&defer_sleep);
		tlb_sleep(&defer_sleep, &period);
		tlb_sleep_cancel(&defer_sleep);
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/*
 * rcu_defer_exit: with no thread registered for defer_rcu any more, the
 * defer thread ends (within one period; liburcu's asserts that no thread
 * is registered).  It starts again at the next registration.
 */
void urcu_tlb_defer_exit(void)
{
	pthread_mutex_lock(&defer_start_lock);
	pthread_mutex_lock(&defer_registry_lock);
	if (cds_list_empty(&defer_registry) && defer_thread_running) {
		uatomic_inc(&defer_generation);
		defer_thread_running = 0;
		/* The new generation before the look at its sleeper word. */
		cmm_smp_mb();
		tlb_wake_sleeper(&defer_sleep);
	}
	pthread_mutex_unlock(&defer_registry_lock);
	pthread_mutex_unlock(&defer_start_lock);
}

/* Start the defer thread unless one runs.  Returns 0 or an errno. */
static int start_defer_thread(void)
{
	pthread_t t;
	int err = 0;

	pthread_mutex_lock(&defer_start_lock);
	if (!defer_thread_running) {
		err = tlb_create_thread(&t, defer_thread,
					(void *) uatomic_read(&defer_generation),
					"urcu-tlb-defer", true, -1);
		if (!err)
			uatomic_set(&defer_thread_running, 1);
	}
	pthread_mutex_unlock(&defer_start_lock);
	return err;
}

static void unregister_queue(struct defer_queue *q)
{
	drain_lock();
	pthread_mutex_lock(&defer_registry_lock);
	cds_list_del(&q->node);
	pthread_mutex_unlock(&defer_registry_lock);
	drain_unlock();
	drain_own(q);
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

static void refuse_while_draining(const char *func)
{
	if (draining)
		urcu_tlb_misuse(func,
			"called from a deferred function (it would wait for the drain it runs in)");
}

int urcu_tlb_defer_register_thread(void)
{
	struct defer_queue *q;
	int err;

	if (my_queue)
		urcu_tlb_misuse("urcu_tlb_defer_register_thread",
				"thread is already registered for defer_rcu");
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_defer_register_thread",
				"called inside a read-side critical section (the defer thread it may start waits for grace periods)");
	tlb_init();
	pthread_once(&defer_key_once, create_key);
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	err = pthread_setspecific(defer_exit_key, q);
	if (!err)
		err = start_defer_thread();
	if (err) {
		(void) pthread_setspecific(defer_exit_key, NULL);
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
	refuse_while_draining("urcu_tlb_defer_unregister_thread");
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
	if (caa_unlikely(t - CMM_LOAD_SHARED(q->head) >= DEFER_QUEUE_SIZE)) {
		refuse_while_draining("urcu_tlb_defer_rcu");
		drain_own(q);	/* full: one grace period, then run them */
	}
	/* The slot is free: its last use happened before head moved past
	 * it (pairs with the barrier in run_entries()). */
	cmm_smp_mb();
	q->ring[t % DEFER_QUEUE_SIZE] = (struct defer_entry) { fct, p };
	/* The entry before the tail that publishes it; pairs with the read
	 * barrier in published_tail(). */
	cmm_smp_wmb();
	CMM_STORE_SHARED(q->tail, t + 1);
	if (caa_unlikely(!uatomic_read(&defer_thread_running)))
		(void) start_defer_thread();	/* in the child of a fork() */
	else if (caa_unlikely(t + 1 - CMM_LOAD_SHARED(q->head) == DEFER_QUEUE_SIZE / 2))
		tlb_wake_sleeper(&defer_sleep);
}

void urcu_tlb_defer_barrier_thread(void)
{
	if (!my_queue)
		return;
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_defer_barrier_thread",
				"called inside a read-side critical section (it waits for a grace period)");
	refuse_while_draining("urcu_tlb_defer_barrier_thread");
	drain_own(my_queue);
}

void urcu_tlb_defer_barrier(void)
{
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_defer_barrier",
				"called inside a read-side critical section (it waits for a grace period)");
	refuse_while_draining("urcu_tlb_defer_barrier");
	drain_lock();
	drain_all_locked();
	drain_unlock();
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
		struct defer_queue *q;

		/* The rings of the threads that stayed in the parent keep
		 * their entries: the child's next drain runs them, then frees
		 * the rings.  The defer thread did not cross fork(), and
		 * starts again at the next defer_rcu.  A drainer in the
		 * parent may have held drain_mutex. */
		cds_list_for_each_entry(q, &defer_registry, node)
			q->orphan = q != my_queue;
		if (!draining)
			pthread_mutex_init(&drain_mutex, NULL);
		defer_thread_running = 0;
		defer_sleep = 0;
	}
	pthread_mutex_unlock(&defer_registry_lock);
	pthread_mutex_unlock(&defer_start_lock);
}
