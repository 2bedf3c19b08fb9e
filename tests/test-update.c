/*
 * test-update.c: the update side: call_rcu and rcu_barrier, the queue's
 * high-water mark, grace-period sharing, polled grace periods, defer_rcu,
 * liburcu-cds's hash table on urcu_tlb_flavor, fork, and process exit with
 * work still queued.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include <urcu/rculfhash.h>
#include "testutil.h"

/* ---- call_rcu ----------------------------------------------------------- */

#define ENQUEUERS	4

static void *enqueue_many(void *arg)
{
	unsigned long *counter = arg;
	int n = under_valgrind() ? 2000 : 50000;

	queue_counted(counter, n);
	return (void *) (long) n;
}

START_TEST(test_call_rcu_from_many_threads)
{
	struct urcu_tlb_stats before, after;
	unsigned long ran = 0, queued = 0;
	pthread_t t[ENQUEUERS];
	void *n;
	int i;

	urcu_tlb_get_stats(&before);
	for (i = 0; i < ENQUEUERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, enqueue_many, &ran), 0);
	for (i = 0; i < ENQUEUERS; i++) {
		pthread_join(t[i], &n);
		queued += (long) n;
	}
	rcu_barrier();
	ck_assert_uint_eq(uatomic_read(&ran), queued);
	urcu_tlb_get_stats(&after);
	/* The barrier's own marker is not counted as a callback; every
	 * callback queued before it is counted by the time it returns. */
	ck_assert_uint_eq(after.callbacks_queued - before.callbacks_queued, queued);
	ck_assert_uint_eq(after.callbacks_invoked - before.callbacks_invoked, queued);
	/* Many callbacks share each grace period. */
	ck_assert_uint_lt(after.callback_batches - before.callback_batches, queued / 10);
	printf("%lu callbacks in %lu batches\n", queued,
	       after.callback_batches - before.callback_batches);
}
END_TEST

/* An object a reader can check for reclamation. */
struct victim {
	struct rcu_head head;
	unsigned long magic;
};

#define LIVE	0x11feUL
#define POISON	0xdeadUL

static void poison(struct rcu_head *head)
{
	uatomic_set(&caa_container_of(head, struct victim, head)->magic, POISON);
}

struct watcher {
	struct victim *v;
	int inside, release;
	unsigned long seen_poisoned;	/* checks that found the poison */
};

/* Holds a section on v for a while, looking at it again and again. */
static void *watch(void *arg)
{
	struct watcher *w = arg;
	struct victim *v;

	rcu_register_thread();
	rcu_read_lock();
	v = rcu_dereference(w->v);
	uatomic_set(&w->inside, 1);
	while (!uatomic_read(&w->release)) {
		if (uatomic_read(&v->magic) != LIVE)
			w->seen_poisoned++;
		sleep_ms(1);
	}
	rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

/*
 * No callback runs before a grace period that began after its call_rcu:
 * a reader holds the object for 200 ms after it was retired and never sees
 * it poisoned.  The control poisons without call_rcu, and the same reader
 * sees it.
 */
static unsigned long retire_under_reader(bool use_call_rcu)
{
	struct victim *v = malloc(sizeof(*v));
	struct watcher w = { .v = v };
	pthread_t t;

	v->magic = LIVE;
	ck_assert_int_eq(pthread_create(&t, NULL, watch, &w), 0);
	wait_flag(&w.inside);
	rcu_assign_pointer(w.v, NULL);	/* unpublished: retire it */
	if (use_call_rcu)
		call_rcu(&v->head, poison);
	else
		poison(&v->head);
	sleep_ms(200);
	uatomic_set(&w.release, 1);
	pthread_join(t, NULL);
	rcu_barrier();
	ck_assert_uint_eq(v->magic, POISON);	/* the callback did run */
	free(v);
	return w.seen_poisoned;
}

START_TEST(test_callback_waits_for_reader)
{
	ck_assert_msg(retire_under_reader(true) == 0,
		      "a call_rcu callback ran while a reader that could see the object was inside");
	ck_assert_msg(retire_under_reader(false) > 0,
		      "control: poisoning without a grace period went unseen by the reader");
}
END_TEST

/* ---- sharing grace periods ---------------------------------------------- */

#define UPDATERS	4

static pthread_barrier_t round_start, round_end;

/* Each round, every updater calls synchronize_rcu() once. */
static void *sync_in_rounds(void *arg)
{
	long i, rounds = (long) arg;

	for (i = 0; i < rounds; i++) {
		pthread_barrier_wait(&round_start);
		synchronize_rcu();
		pthread_barrier_wait(&round_end);
	}
	return NULL;
}

/*
 * Each round a reader holds a section while four updaters call
 * synchronize_rcu(); 20 ms later it leaves.  The first updater's grace
 * period waits for it; the three others arrive meanwhile, need the next
 * grace period, and share it: two grace periods for four calls.
 */
START_TEST(test_concurrent_synchronize_shares_grace_periods)
{
	struct urcu_tlb_stats before, after;
	pthread_t t[UPDATERS];
	long i, rounds = under_valgrind() ? 5 : 20;
	unsigned long calls, gps;
	struct holder h;

	pthread_barrier_init(&round_start, NULL, UPDATERS + 1);
	pthread_barrier_init(&round_end, NULL, UPDATERS + 1);
	urcu_tlb_get_stats(&before);
	for (i = 0; i < UPDATERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, sync_in_rounds,
						(void *) rounds), 0);
	for (i = 0; i < rounds; i++) {
		hold(&h);
		pthread_barrier_wait(&round_start);
		sleep_ms(20);
		let_go(&h);
		pthread_barrier_wait(&round_end);
	}
	for (i = 0; i < UPDATERS; i++)
		pthread_join(t[i], NULL);
	urcu_tlb_get_stats(&after);
	pthread_barrier_destroy(&round_start);
	pthread_barrier_destroy(&round_end);
	calls = after.synchronize_calls - before.synchronize_calls;
	gps = after.grace_periods - before.grace_periods;
	printf("%lu synchronize_rcu calls, %lu grace periods\n", calls, gps);
	ck_assert_uint_eq(calls, UPDATERS * rounds);
	ck_assert_uint_lt(gps, calls);
}
END_TEST

/* ---- polled grace periods ----------------------------------------------- */

START_TEST(test_poll_waits_for_reader_inside)
{
	struct urcu_gp_poll_state cookie;
	struct holder h;
	int i, polls = 0;

	hold(&h);
	cookie = urcu_tlb_start_poll_synchronize_rcu();
	for (i = 0; i < 200; i++) {	/* 200 ms, with other grace periods */
		ck_assert_msg(!urcu_tlb_poll_state_synchronize_rcu(cookie),
			      "cookie reported complete while a reader inside before it was still inside");
		sleep_ms(1);
	}
	let_go(&h);
	while (!urcu_tlb_poll_state_synchronize_rcu(cookie)) {
		polls++;
		sleep_ms(1);	/* nothing else runs a grace period: the worker must */
	}
	printf("complete %d ms after the reader left\n", polls);
}
END_TEST

/*
 * Control: the check above could see "complete" during a section.  A
 * cookie whose grace period ended before a reader entered is complete
 * while that reader is inside: the guarantee covers readers already inside
 * when the cookie was taken, not later ones.
 */
START_TEST(test_poll_control_later_reader)
{
	struct urcu_gp_poll_state cookie = urcu_tlb_start_poll_synchronize_rcu();
	struct holder h;

	while (!urcu_tlb_poll_state_synchronize_rcu(cookie))
		sleep_ms(1);
	hold(&h);
	ck_assert(urcu_tlb_poll_state_synchronize_rcu(cookie));
	let_go(&h);
}
END_TEST

/* ---- defer_rcu ---------------------------------------------------------- */

static void count_deferred(void *p)
{
	uatomic_inc((unsigned long *) p);
}

START_TEST(test_defer_rcu)
{
	unsigned long ran = 0;
	struct holder h;
	int i, n = 3 * 4096 + 7;	/* wraps the ring, fills it twice */

	ck_assert_int_eq(rcu_defer_register_thread(), 0);
	hold(&h);
	defer_rcu(count_deferred, &ran);
	sleep_ms(250);	/* the defer thread's period passes */
	ck_assert_msg(uatomic_read(&ran) == 0,
		      "deferred work ran while a reader that began before it was inside");
	let_go(&h);
	for (i = 1; i < n; i++)
		defer_rcu(count_deferred, &ran);
	rcu_defer_barrier();
	ck_assert_uint_eq(uatomic_read(&ran), n);
	rcu_defer_unregister_thread();
}
END_TEST

static void *defer_and_exit(void *arg)
{
	int i;

	if (rcu_defer_register_thread())
		return NULL;
	for (i = 0; i < 100; i++)
		defer_rcu(count_deferred, arg);
	return NULL;	/* exits registered: its ring is drained at exit */
}

START_TEST(test_defer_thread_exit_runs_queue)
{
	unsigned long ran = 0;
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, defer_and_exit, &ran), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(uatomic_read(&ran), 100);
}
END_TEST

/* ---- liburcu-cds's hash table on urcu_tlb_flavor ------------------------- */

#define KEYS		256

struct entry {
	struct cds_lfht_node node;
	struct rcu_head head;
	unsigned long key;
	unsigned long magic;
	struct entry *quarantine;
};

struct ht_run {
	struct cds_lfht *ht;
	bool protected;		/* false: the control frees at once */
	int stop;
	unsigned long lookups, violations, updates;
	struct entry *quarantine;	/* control: poisoned, kept readable */
	pthread_mutex_t qlock;
};

static int match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct entry, node)->key == *(const unsigned long *) key;
}

static unsigned long hash_key(unsigned long key)
{
	return key * 0x9e3779b97f4a7c15UL;
}

static void poison_and_free(struct rcu_head *head)
{
	struct entry *e = caa_container_of(head, struct entry, head);

	uatomic_set(&e->magic, POISON);
	free(e);
}

static void *ht_reader(void *arg)
{
	struct ht_run *r = arg;
	unsigned long key = 0, n = 0, bad = 0;

	rcu_register_thread();
	while (!uatomic_read(&r->stop)) {
		struct cds_lfht_iter iter;
		struct cds_lfht_node *node;

		key = (key * 1103515245 + 12345) % KEYS;
		rcu_read_lock();
		cds_lfht_lookup(r->ht, hash_key(key), match, &key, &iter);
		node = cds_lfht_iter_get_node(&iter);
		if (node) {
			struct entry *e = caa_container_of(node, struct entry, node);
			int spin;

			for (spin = 0; spin < 200; spin++)
				caa_cpu_relax();	/* widen the window */
			if (uatomic_read(&e->magic) != LIVE)
				bad++;
		}
		rcu_read_unlock();
		n++;
	}
	rcu_unregister_thread();
	uatomic_add(&r->lookups, n);
	uatomic_add(&r->violations, bad);
	return NULL;
}

static void ht_retire(struct ht_run *r, struct entry *e)
{
	if (r->protected) {
		call_rcu(&e->head, poison_and_free);
		return;
	}
	uatomic_set(&e->magic, POISON);
	pthread_mutex_lock(&r->qlock);
	e->quarantine = r->quarantine;
	r->quarantine = e;
	pthread_mutex_unlock(&r->qlock);
}

static void *ht_writer(void *arg)
{
	struct ht_run *r = arg;
	unsigned long key = 7;

	rcu_register_thread();
	while (!uatomic_read(&r->stop)) {
		struct entry *e = malloc(sizeof(*e));
		struct cds_lfht_node *old;

		key = (key * 6364136223846793005UL + 1) % KEYS;
		e->key = key;
		e->magic = LIVE;
		cds_lfht_node_init(&e->node);
		rcu_read_lock();
		old = cds_lfht_add_replace(r->ht, hash_key(key), match, &key, &e->node);
		rcu_read_unlock();
		if (old)
			ht_retire(r, caa_container_of(old, struct entry, node));
		uatomic_inc(&r->updates);
	}
	rcu_unregister_thread();
	return NULL;
}

static void ht_run(struct ht_run *r, double seconds)
{
	pthread_t readers[2], writer;
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	int i;

	pthread_mutex_init(&r->qlock, NULL);
	r->ht = cds_lfht_new_flavor(16, 16, 0, CDS_LFHT_AUTO_RESIZE,
				    &urcu_tlb_flavor, NULL);
	ck_assert_ptr_nonnull(r->ht);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&readers[i], NULL, ht_reader, r), 0);
	ck_assert_int_eq(pthread_create(&writer, NULL, ht_writer, r), 0);
	sleep_ms((long) (seconds * 1000));
	uatomic_set(&r->stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(readers[i], NULL);
	pthread_join(writer, NULL);
	/* Empty and destroy the table; no reader is left. */
	rcu_register_thread();
	rcu_read_lock();
	cds_lfht_for_each(r->ht, &iter, node)
		if (!cds_lfht_del(r->ht, node))
			call_rcu(&caa_container_of(node, struct entry, node)->head,
				 poison_and_free);
	rcu_read_unlock();
	rcu_unregister_thread();
	rcu_barrier();
	ck_assert_int_eq(cds_lfht_destroy(r->ht, NULL), 0);
	while (r->quarantine) {
		struct entry *e = r->quarantine;

		r->quarantine = e->quarantine;
		free(e);
	}
	pthread_mutex_destroy(&r->qlock);
	printf("lfht %s: %lu lookups, %lu updates, %lu violations\n",
	       r->protected ? "with call_rcu" : "control, freed at once",
	       r->lookups, r->updates, r->violations);
}

START_TEST(test_lfht_on_urcu_tlb_flavor)
{
	struct ht_run protected = { .protected = true };
	struct ht_run control = { .protected = false };

	ht_run(&protected, test_seconds(1.0));
	ck_assert_uint_gt(protected.lookups, 0);
	ck_assert_uint_gt(protected.updates, 0);
	ck_assert_uint_eq(protected.violations, 0);
	ht_run(&control, test_seconds(1.0));
	if (under_valgrind()) {
		printf("control not asserted under valgrind (threads take turns)\n");
		return;
	}
	ck_assert_msg(control.violations > 0,
		      "control: freeing without a grace period was never observed by a lookup");
}
END_TEST

/* ---- fork --------------------------------------------------------------- */

/* The child's life: a new thread registers, grace periods and callbacks
 * work, and the callbacks the parent had queued run too. */
static int child_uses_library(unsigned long *parent_ran, unsigned long expect)
{
	struct urcu_tlb_stats st;
	unsigned long ran = 0;
	int stop = 0, i;
	pthread_t t;

	urcu_tlb_get_stats(&st);
	/* The forking thread, and perhaps the child's new call_rcu worker;
	 * none of the parent's other registered threads. */
	if (st.registered_threads < 1 || st.registered_threads > 2)
		return 10;
	if (pthread_create(&t, NULL, read_until_stopped, &stop))
		return 11;
	for (i = 0; i < 10; i++)
		synchronize_rcu();
	queue_counted(&ran, 100);
	rcu_barrier();
	uatomic_set(&stop, 1);
	pthread_join(t, NULL);
	if (ran != 100)
		return 12;
	if (*parent_ran != expect)
		return 13;
	return 0;
}

/* Keeps the worker busy in its batch for a while. */
struct slow {
	struct rcu_head head;
	int started;
};

static void slow_callback(struct rcu_head *head)
{
	struct slow *s = caa_container_of(head, struct slow, head);

	uatomic_set(&s->started, 1);
	sleep_ms(100);
}

/*
 * The parent has registered readers running and callbacks queued behind a
 * slow one when it forks.  fork() does not wait for the slow one; the
 * child does not run it again (it was running at the fork), and every
 * callback queued before fork that had not started runs exactly once on
 * each side.
 */
static void fork_with_work_pending(bool manual_hooks)
{
	unsigned long parent_ran = 0, ran_after = 0;
	struct slow slow = { .started = 0 };
	int stop = 0, status;
	pthread_t r;
	pid_t pid;

	rcu_register_thread();
	ck_assert_int_eq(pthread_create(&r, NULL, read_until_stopped, &stop), 0);
	call_rcu(&slow.head, slow_callback);
	wait_flag(&slow.started);
	queue_counted(&parent_ran, 500);
	if (manual_hooks)
		urcu_tlb_before_fork();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (manual_hooks)
			urcu_tlb_after_fork_child();
		_exit(child_uses_library(&parent_ran, 500));
	}
	if (manual_hooks)
		urcu_tlb_after_fork_parent();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %#x", status);
	/* The parent goes on as before. */
	synchronize_rcu();
	rcu_barrier();
	ck_assert_uint_eq(parent_ran, 500);
	queue_counted(&ran_after, 10);
	rcu_barrier();
	ck_assert_uint_eq(ran_after, 10);
	uatomic_set(&stop, 1);
	pthread_join(r, NULL);
	rcu_unregister_thread();
}

START_TEST(test_fork)
{
	if (!urcu_tlb_mechanism_usable(_i, NULL))
		return;
	ck_assert_int_eq(urcu_tlb_set_mechanism(_i), 0);
	fork_with_work_pending(false);
}
END_TEST

START_TEST(test_fork_with_manual_hooks)
{
	fork_with_work_pending(true);
}
END_TEST

/*
 * liburcu-cds's hash-table fork hooks run only from liburcu's manual
 * call_rcu hooks, never from the automatic ones (they may wait for a
 * resize, hence for grace periods, and fork() must not).
 */
static int lfht_before, lfht_parent, lfht_child;

static void count_before(void *priv)
{
	(void) priv;
	lfht_before++;
}

static void count_parent(void *priv)
{
	(void) priv;
	lfht_parent++;
}

static void count_child(void *priv)
{
	(void) priv;
	lfht_child++;
}

START_TEST(test_hash_table_fork_hooks_only_from_manual_hooks)
{
	struct urcu_atfork hooks = {
		.before_fork = count_before,
		.after_fork_parent = count_parent,
		.after_fork_child = count_child,
	};
	int st;
	pid_t pid;

	urcu_register_rculfhash_atfork(&hooks);
	pid = fork();		/* the automatic handlers only */
	if (pid == 0)
		_exit(lfht_child);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(lfht_before + lfht_parent, 0);
	call_rcu_before_fork();
	call_rcu_before_fork();	/* they nest */
	pid = fork();
	if (pid == 0) {
		call_rcu_after_fork_child();
		call_rcu_after_fork_child();
		_exit(lfht_child == 1 ? 0 : 1);
	}
	call_rcu_after_fork_parent();
	call_rcu_after_fork_parent();
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(lfht_before, 1);
	ck_assert_int_eq(lfht_parent, 1);
	urcu_unregister_rculfhash_atfork(&hooks);
}
END_TEST

/* ---- process exit with work pending ------------------------------------- */

static void exit_with_callbacks_queued(void *arg)
{
	struct holder *h = arg;
	unsigned long ran = 0;

	hold(h);	/* the worker is stuck in a grace period */
	queue_counted(&ran, 1000);
	if (rcu_defer_register_thread() == 0)
		defer_rcu(count_deferred, &ran);
	exit(0);	/* atexit, stdio flush, then the process ends */
}

START_TEST(test_exit_with_work_pending)
{
	static char out[1024];
	struct holder h;
	int st = run_captured(exit_with_callbacks_queued, &h, out, sizeof(out));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "status %#x, stderr: %s", st, out);
	ck_assert_msg(out[0] == '\0', "stderr: %s", out);
}
END_TEST

static Suite *update_suite(void)
{
	Suite *s = suite_create("update");
	TCase *tc = tcase_create("update side");
	double scale = under_valgrind() ? 20 : 1;

	tcase_set_timeout(tc, 60 * scale);
	tcase_add_test(tc, test_call_rcu_from_many_threads);
	tcase_add_test(tc, test_callback_waits_for_reader);
	tcase_add_test(tc, test_concurrent_synchronize_shares_grace_periods);
	tcase_add_test(tc, test_poll_waits_for_reader_inside);
	tcase_add_test(tc, test_poll_control_later_reader);
	tcase_add_test(tc, test_defer_rcu);
	tcase_add_test(tc, test_defer_thread_exit_runs_queue);
	tcase_add_test(tc, test_lfht_on_urcu_tlb_flavor);
	tcase_add_loop_test(tc, test_fork, URCU_TLB_MECHANISM_MEMBARRIER,
			    URCU_TLB_MECHANISM_SIGNAL + 1);
	tcase_add_test(tc, test_fork_with_manual_hooks);
	tcase_add_test(tc, test_hash_table_fork_hooks_only_from_manual_hooks);
	tcase_add_test(tc, test_exit_with_work_pending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(update_suite());
}
