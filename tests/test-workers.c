/*
 * test-workers.c: liburcu's call_rcu worker API on liburcu-tlb
 * (create_call_rcu_data, per-thread and per-CPU workers, call_rcu_data_free,
 * rcu_barrier over every worker, fork, rcu_exit), under the classic names
 * a liburcu program uses.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "testutil.h"

static char out[4096];

/* A callback that records which thread ran it. */
struct where {
	struct rcu_head head;
	pthread_t ran_on;
	int ran;
	int cpu;
};

static void record_thread(struct rcu_head *head)
{
	struct where *w = caa_container_of(head, struct where, head);

	w->ran_on = pthread_self();
	w->cpu = sched_getcpu();
	uatomic_set(&w->ran, 1);
}

/* ---- per-thread workers ------------------------------------------------- */

START_TEST(test_thread_worker_runs_its_callbacks)
{
	struct call_rcu_data *crd = create_call_rcu_data(0, -1);
	struct where mine = { .ran = 0 }, other = { .ran = 0 };

	ck_assert_ptr_nonnull(crd);
	ck_assert_ptr_null(get_thread_call_rcu_data());
	set_thread_call_rcu_data(crd);
	ck_assert_ptr_eq(get_thread_call_rcu_data(), crd);
	ck_assert_ptr_eq(get_call_rcu_data(), crd);
	call_rcu(&mine.head, record_thread);
	set_thread_call_rcu_data(NULL);
	ck_assert_ptr_eq(get_call_rcu_data(), get_default_call_rcu_data());
	call_rcu(&other.head, record_thread);
	rcu_barrier();		/* covers both workers */
	ck_assert(mine.ran && other.ran);
	ck_assert(pthread_equal(mine.ran_on, get_call_rcu_thread(crd)));
	ck_assert(pthread_equal(other.ran_on,
				get_call_rcu_thread(get_default_call_rcu_data())));
	ck_assert(!pthread_equal(mine.ran_on, other.ran_on));
	call_rcu_data_free(crd);
}
END_TEST

/*
 * Callbacks a worker had not taken when it is freed go to the default one:
 * the worker is held inside a callback while 1000 more are queued and
 * call_rcu_data_free() is called; it finishes that callback, sees it is to
 * stop, and the 1000 run on the default worker.
 */
struct blocker {
	struct rcu_head head;
	int inside, release;
};

static void block_worker(struct rcu_head *head)
{
	struct blocker *b = caa_container_of(head, struct blocker, head);

	uatomic_set(&b->inside, 1);
	wait_flag(&b->release);
}

static void *free_crd(void *arg)
{
	call_rcu_data_free(arg);
	return NULL;
}

struct counted_where {
	struct rcu_head head;
	unsigned long *ran;
	pthread_t *on;
};

static void count_where(struct rcu_head *head)
{
	struct counted_where *c = caa_container_of(head, struct counted_where, head);

	uatomic_inc(c->ran);
	*c->on = pthread_self();
	free(c);
}

START_TEST(test_free_hands_callbacks_to_default)
{
	/* The default worker first: a thread created after the other one
	 * ended could reuse its pthread_t. */
	struct call_rcu_data *dflt = get_default_call_rcu_data();
	struct call_rcu_data *crd = create_call_rcu_data(0, -1);
	struct blocker b = { .inside = 0, .release = 0 };
	unsigned long ran = 0;
	pthread_t freer, on, worker;
	int i;

	ck_assert_ptr_nonnull(crd);
	worker = get_call_rcu_thread(crd);
	set_thread_call_rcu_data(crd);
	call_rcu(&b.head, block_worker);
	wait_flag(&b.inside);
	for (i = 0; i < 1000; i++) {
		struct counted_where *c = malloc(sizeof(*c));

		c->ran = &ran;
		c->on = &on;
		call_rcu(&c->head, count_where);
	}
	set_thread_call_rcu_data(NULL);
	ck_assert_int_eq(pthread_create(&freer, NULL, free_crd, crd), 0);
	sleep_ms(50);
	ck_assert_uint_eq(uatomic_read(&ran), 0);
	uatomic_set(&b.release, 1);
	pthread_join(freer, NULL);	/* its worker has ended */
	rcu_barrier();
	ck_assert_uint_eq(uatomic_read(&ran), 1000);
	ck_assert(pthread_equal(on, get_call_rcu_thread(dflt)));
	ck_assert(!pthread_equal(on, worker));
}
END_TEST

/* Freeing the default, or NULL, does nothing (liburcu's rule). */
START_TEST(test_free_default_or_null_is_ignored)
{
	struct where w = { .ran = 0 };

	call_rcu_data_free(NULL);
	call_rcu_data_free(get_default_call_rcu_data());
	call_rcu(&w.head, record_thread);
	rcu_barrier();
	ck_assert(w.ran);
}
END_TEST

/* A thread that keeps using a call_rcu_data freed under it stops with one
 * line instead of corrupting memory. */
static void use_freed(void *arg)
{
	struct call_rcu_data *crd = create_call_rcu_data(0, -1);
	static struct rcu_head head;

	(void) arg;
	set_thread_call_rcu_data(crd);
	call_rcu_data_free(crd);
	call_rcu(&head, (void (*)(struct rcu_head *)) free);
	_exit(0);
}

START_TEST(test_call_rcu_through_freed_worker_aborts)
{
	static const char *const says[] = {
		"urcu_tlb_call_rcu", "call_rcu_data_free", NULL
	};
	int st = run_captured(use_freed, NULL, out, sizeof(out));

	assert_died_saying(st, out, says);
}
END_TEST

/* ---- per-CPU workers ----------------------------------------------------- */

static int ncpus(void)
{
	return (int) sysconf(_SC_NPROCESSORS_CONF);
}

START_TEST(test_cpu_workers)
{
	int cpu, n = ncpus();
	cpu_set_t one;

	ck_assert_int_eq(create_all_cpu_call_rcu_data(0), 0);
	for (cpu = 0; cpu < n; cpu++) {
		struct call_rcu_data *crd = get_cpu_call_rcu_data(cpu);
		struct where w = { .ran = 0 };

		ck_assert_ptr_nonnull(crd);
		/* Queue from that CPU: the callback runs on its worker, which
		 * is bound to it. */
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;	/* not ours to use (a cpuset) */
		ck_assert_ptr_eq(get_call_rcu_data(), crd);
		call_rcu(&w.head, record_thread);
		rcu_barrier();
		ck_assert(pthread_equal(w.ran_on, get_call_rcu_thread(crd)));
		ck_assert_int_eq(w.cpu, cpu);
	}
	/* A CPU that already has one, and CPUs out of range. */
	ck_assert_int_eq(set_cpu_call_rcu_data(0, get_default_call_rcu_data()), -EEXIST);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(set_cpu_call_rcu_data(-1, NULL), -EINVAL);
	ck_assert_int_eq(set_cpu_call_rcu_data(n, NULL), -EINVAL);
	ck_assert_ptr_null(get_cpu_call_rcu_data(-1));
	ck_assert_ptr_null(get_cpu_call_rcu_data(n));
	free_all_cpu_call_rcu_data();
	for (cpu = 0; cpu < n; cpu++)
		ck_assert_ptr_null(get_cpu_call_rcu_data(cpu));
	ck_assert_ptr_eq(get_call_rcu_data(), get_default_call_rcu_data());
}
END_TEST

/*
 * Threads call call_rcu through the per-CPU table while it is filled and
 * emptied again and again: every callback runs exactly once (none is
 * pushed onto a worker after it was handed over, none is lost).
 */
struct churn {
	int stop;
	unsigned long queued, ran;
};

static void *queue_while_churning(void *arg)
{
	struct churn *c = arg;

	while (!uatomic_read(&c->stop)) {
		if (uatomic_read(&c->queued) - uatomic_read(&c->ran) > 50000) {
			sched_yield();
			continue;
		}
		queue_counted(&c->ran, 64);
		uatomic_add(&c->queued, 64);
	}
	return NULL;
}

START_TEST(test_cpu_table_churn)
{
	struct churn c = { 0, 0, 0 };
	int i, rounds = under_valgrind() ? 5 : 100;
	pthread_t t[3];

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, queue_while_churning, &c), 0);
	for (i = 0; i < rounds; i++) {
		ck_assert_int_eq(create_all_cpu_call_rcu_data(0), 0);
		sleep_ms(2);
		free_all_cpu_call_rcu_data();
	}
	uatomic_set(&c.stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	rcu_barrier();
	printf("%lu callbacks through %d fills of the per-CPU table\n",
	       c.queued, rounds);
	ck_assert_uint_eq(uatomic_read(&c.ran), c.queued);
}
END_TEST

/* ---- RT workers ----------------------------------------------------------- */

START_TEST(test_rt_worker)
{
	struct call_rcu_data *crd = create_call_rcu_data(URCU_CALL_RCU_RT, -1);
	unsigned long ran = 0;

	ck_assert_ptr_nonnull(crd);
	set_thread_call_rcu_data(crd);
	queue_counted(&ran, 100);
	set_thread_call_rcu_data(NULL);
	rcu_barrier();
	ck_assert_uint_eq(ran, 100);
	call_rcu_data_free(crd);
}
END_TEST

/* ---- fork -------------------------------------------------------------------- */

/* Callbacks queued on per-thread and per-CPU workers before the fork run
 * in the child (on its default worker); the child starts with no
 * per-CPU table and no thread worker, as with liburcu. */
static void fork_with_workers(void *arg)
{
	struct call_rcu_data *crd = create_call_rcu_data(0, -1);
	unsigned long ran = 0;
	struct holder h;
	int st;
	pid_t pid;

	(void) arg;
	if (!crd || create_all_cpu_call_rcu_data(0))
		_exit(50);
	hold(&h);		/* nothing runs before the fork */
	set_thread_call_rcu_data(crd);
	queue_counted(&ran, 100);
	set_thread_call_rcu_data(NULL);
	queue_counted(&ran, 100);	/* to this CPU's worker */
	test_phase("fork with callbacks on several workers");
	pid = fork();
	if (pid == 0) {
		if (get_thread_call_rcu_data() || get_cpu_call_rcu_data(0))
			_exit(51);
		rcu_barrier();
		_exit(ran == 200 ? 0 : 52);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		_exit(53);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 54);
	let_go(&h);
	rcu_barrier();
	free_all_cpu_call_rcu_data();
	call_rcu_data_free(crd);
	_exit(ran == 200 ? 0 : 55);
}

START_TEST(test_fork_with_workers)
{
	const char *phase;
	int st = run_deadline(fork_with_workers, NULL, test_seconds(20), out,
			      sizeof(out), &phase);

	assert_finished(st, out, phase);
}
END_TEST

/* ---- rcu_exit ------------------------------------------------------------------ */

/* Number of this process's threads whose name starts with prefix. */
static int threads_named(const char *prefix)
{
	char path[300], name[64];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strncmp(name, prefix, strlen(prefix)))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

START_TEST(test_rcu_exit_stops_idle_default_worker)
{
	unsigned long ran = 0;

	queue_counted(&ran, 10);
	rcu_barrier();
	ck_assert_int_eq(threads_named("urcu-tlb-cb"), 1);
	rcu_exit();
	ck_assert_int_eq(threads_named("urcu-tlb-cb"), 0);
	/* The library goes on: the next call starts a worker again. */
	queue_counted(&ran, 10);
	rcu_barrier();
	ck_assert_uint_eq(ran, 20);
	ck_assert_int_eq(threads_named("urcu-tlb-cb"), 1);
}
END_TEST

START_TEST(test_rcu_exit_keeps_a_worker_with_work)
{
	unsigned long ran = 0;
	struct holder h;

	hold(&h);
	queue_counted(&ran, 10);
	rcu_exit();		/* callbacks are queued: the worker stays */
	ck_assert_int_eq(threads_named("urcu-tlb-cb"), 1);
	let_go(&h);
	rcu_barrier();
	ck_assert_uint_eq(ran, 10);
}
END_TEST

static Suite *workers_suite(void)
{
	Suite *s = suite_create("workers");
	TCase *tc = tcase_create("call_rcu workers");

	tcase_set_timeout(tc, under_valgrind() ? 600 : 60);
	tcase_add_test(tc, test_thread_worker_runs_its_callbacks);
	tcase_add_test(tc, test_free_hands_callbacks_to_default);
	tcase_add_test(tc, test_free_default_or_null_is_ignored);
	tcase_add_test(tc, test_call_rcu_through_freed_worker_aborts);
	tcase_add_test(tc, test_cpu_workers);
	tcase_add_test(tc, test_cpu_table_churn);
	tcase_add_test(tc, test_rt_worker);
	tcase_add_test(tc, test_fork_with_workers);
	tcase_add_test(tc, test_rcu_exit_stops_idle_default_worker);
	tcase_add_test(tc, test_rcu_exit_keeps_a_worker_with_work);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(workers_suite());
}
