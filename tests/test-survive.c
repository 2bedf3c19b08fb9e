/*
 * test-survive.c: what real programs do to an RCU library, beyond its API
 * contract: thread-exit destructors that read, deep nesting, callers that
 * hold locks across call_rcu, call_rcu from signal handlers, threads that
 * cannot be created, programs that block signals, fork at any moment,
 * cancellation.  Each test runs its scenario in a child with a deadline,
 * so that a hang fails the test and says where it hung.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "testutil.h"

static char out[8192];

/* Run fn in a child that must exit 0 within `seconds`. */
static void finishes(void (*fn)(void *), void *arg, double seconds)
{
	const char *phase;
	int st = run_deadline(fn, arg, test_seconds(seconds), out, sizeof(out),
			      &phase);

	assert_finished(st, out, phase);
}

/* In a child: exit with `code` unless cond. */
#define CHILD_CHECK(cond, code)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "check failed: %s\n", #cond);	\
			_exit(code);					\
		}							\
	} while (0)

/* An object a reader can check for reclamation. */
struct victim {
	struct rcu_head head;
	unsigned long magic;
};

#define LIVE	0x11feUL
#define POISON	0xdeadUL

/* ---- item 2: read-side sections in thread-exit destructors -------------- */

static struct victim *exit_shared;
static pthread_key_t app_key;

struct exit_reader {
	bool unregister_first;	/* the control: invisible to grace periods */
	int inside, synced;
	unsigned long seen;	/* magic read after the update's grace period */
};

/*
 * The application's own thread-exit destructor: its key was created after
 * liburcu-tlb's, so glibc runs it after liburcu-tlb's destructor.
 */
static void app_destructor(void *arg)
{
	struct exit_reader *r = arg;
	struct victim *v;
	int i;

	if (r->unregister_first)
		rcu_unregister_thread();
	rcu_read_lock();
	v = rcu_dereference(exit_shared);
	uatomic_set(&r->inside, 1);
	/* Give the updater 300 ms to (wrongly) finish its grace period. */
	for (i = 0; i < 300 && !uatomic_read(&r->synced); i++)
		sleep_ms(1);
	sleep_ms(20);
	r->seen = uatomic_read(&v->magic);
	rcu_read_unlock();
}

static void *exit_with_destructor(void *arg)
{
	rcu_register_thread();
	pthread_setspecific(app_key, arg);
	return NULL;	/* exits registered */
}

static void destructor_reads(void *arg)
{
	struct exit_reader *r = arg;
	struct victim *old = malloc(sizeof(*old));
	struct victim *fresh = malloc(sizeof(*fresh));
	pthread_t t;

	old->magic = LIVE;
	fresh->magic = LIVE;
	exit_shared = old;
	rcu_register_thread();	/* liburcu-tlb's key exists now */
	CHILD_CHECK(pthread_key_create(&app_key, app_destructor) == 0, 91);
	CHILD_CHECK(pthread_create(&t, NULL, exit_with_destructor, r) == 0, 92);
	test_phase("waiting for the destructor to enter its section");
	wait_flag(&r->inside);
	rcu_xchg_pointer(&exit_shared, fresh);
	test_phase("synchronize_rcu with a reader in a thread-exit destructor");
	synchronize_rcu();
	uatomic_set(&r->synced, 1);
	uatomic_set(&old->magic, POISON);
	pthread_join(t, NULL);
	printf("destructor saw %s\n", r->seen == LIVE ? "live" : "poison");
	_exit(r->seen == LIVE ? 0 : 20);
}

START_TEST(test_exit_destructor_section_is_waited_for)
{
	struct exit_reader r = { .unregister_first = false };

	finishes(destructor_reads, &r, 10);
}
END_TEST

/* Control: the same destructor in a thread that is not registered reads
 * freed memory, so the test above can see a violation. */
START_TEST(test_exit_destructor_control_unregistered)
{
	struct exit_reader r = { .unregister_first = true };
	const char *phase;
	int st = run_deadline(destructor_reads, &r, test_seconds(10), out,
			      sizeof(out), &phase);

	ck_assert_msg(st != -1, "control hung while: %s", phase);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 20,
		      "control: a destructor outside grace periods' view did not see the object freed (status %#x); stderr: %s",
		      st, out);
}
END_TEST

/*
 * glibc runs thread-exit destructors in at most PTHREAD_DESTRUCTOR_ITERATIONS
 * rounds.  A destructor that re-arms itself until the last round and then
 * enters a section runs after liburcu-tlb had to let the thread go: that
 * must stop the program with one line, never read unprotected.
 */
static int late_rounds;

static void late_destructor(void *arg)
{
	if (++late_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(app_key, arg);
		return;
	}
	rcu_read_lock();	/* must not return */
	_exit(21);
}

static void *exit_late(void *arg)
{
	rcu_register_thread();
	pthread_setspecific(app_key, arg);
	return NULL;
}

static void late_destructor_reads(void *arg)
{
	pthread_t t;

	(void) arg;
	rcu_register_thread();
	CHILD_CHECK(pthread_key_create(&app_key, late_destructor) == 0, 91);
	CHILD_CHECK(pthread_create(&t, NULL, exit_late, (void *) 1) == 0, 92);
	pthread_join(t, NULL);
	_exit(22);
}

START_TEST(test_last_round_destructor_read_lock_aborts)
{
	static const char *const says[] = {
		"urcu_tlb_read_lock", "thread-exit destructor", NULL
	};
	const char *phase;
	int st = run_deadline(late_destructor_reads, NULL, test_seconds(10),
			      out, sizeof(out), &phase);

	ck_assert_msg(st != -1, "hung while: %s", phase);
	assert_died_saying(st, out, says);
}
END_TEST

/* ---- item 3: deep nesting ----------------------------------------------- */

/* Exactly the old 16-bit nesting field's capacity plus one: there the
 * depth carried into the sequence and the reader looked quiescent. */
#define DEEP	65536UL

struct deep {
	int inside, release;
};

static void *nest_deep(void *arg)
{
	struct deep *d = arg;
	unsigned long i;

	rcu_register_thread();
	for (i = 0; i < DEEP; i++)
		rcu_read_lock();
	uatomic_set(&d->inside, 1);
	wait_flag(&d->release);
	for (i = 0; i < DEEP; i++)
		rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

struct sync_timer {
	int done;
};

static void *sync_once(void *arg)
{
	struct sync_timer *s = arg;

	synchronize_rcu();
	if (s)
		uatomic_set(&s->done, 1);
	return NULL;
}

static void deep_nesting_holds_grace_period(void *arg)
{
	struct deep d = { 0, 0 };
	struct sync_timer s = { 0 };
	pthread_t r, u;

	(void) arg;
	CHILD_CHECK(pthread_create(&r, NULL, nest_deep, &d) == 0, 90);
	wait_flag(&d.inside);
	CHILD_CHECK(pthread_create(&u, NULL, sync_once, &s) == 0, 90);
	sleep_ms(300);
	CHILD_CHECK(!uatomic_read(&s.done), 23);	/* still waiting */
	uatomic_set(&d.release, 1);
	test_phase("synchronize_rcu after the deep reader left");
	pthread_join(u, NULL);
	pthread_join(r, NULL);
	_exit(0);
}

START_TEST(test_deep_nesting_holds_grace_period)
{
	finishes(deep_nesting_holds_grace_period, NULL, 10);
}
END_TEST

/* This file is a release build (no URCU_TLB_DEBUG): the overflow check
 * is there all the same. */
static void nest_past_max(void *arg)
{
	unsigned long i;

	(void) arg;
	rcu_register_thread();
	for (i = 0; i <= URCU_TLB_NEST_MAX; i++)
		rcu_read_lock();
	_exit(36);
}

START_TEST(test_nesting_overflow_aborts_in_release_builds)
{
	static const char *const says[] = {
		"urcu_tlb_read_lock", "nested deeper", "16777214", NULL
	};
	const char *phase;
	int st;

	ck_assert_int_eq(URCU_TLB_DEBUG, 0);
	st = run_deadline(nest_past_max, NULL, test_seconds(20), out,
			  sizeof(out), &phase);
	ck_assert_msg(st != -1, "hung while: %s", phase);
	assert_died_saying(st, out, says);
}
END_TEST

/* ---- item 5: call_rcu never waits --------------------------------------- */

#define FLOOD	200000UL	/* well past any queue bound */

static pthread_mutex_t app_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long flood_ran;

static void callback_needs_lock(struct rcu_head *head)
{
	pthread_mutex_lock(&app_lock);
	pthread_mutex_unlock(&app_lock);
	free(caa_container_of(head, struct counted, head));
	uatomic_inc(&flood_ran);
}

/* The caller holds a lock that the callbacks need while it floods. */
static void flood_holding_callback_lock(void *arg)
{
	unsigned long i;

	(void) arg;
	pthread_mutex_lock(&app_lock);
	test_phase("flooding call_rcu while holding a lock callbacks need");
	for (i = 0; i < FLOOD; i++)
		call_rcu(&((struct counted *) malloc(sizeof(struct counted)))->head,
			 callback_needs_lock);
	pthread_mutex_unlock(&app_lock);
	test_phase("rcu_barrier after the flood");
	rcu_barrier();
	CHILD_CHECK(uatomic_read(&flood_ran) == FLOOD, 24);
	_exit(0);
}

START_TEST(test_call_rcu_never_waits_for_callbacks)
{
	finishes(flood_holding_callback_lock, NULL, 30);
}
END_TEST

struct lock_reader {
	int inside;
};

/* A reader inside a section waits for the lock the flooder holds, so no
 * grace period can end until the flooder lets go. */
static void *reader_needs_lock(void *arg)
{
	struct lock_reader *r = arg;

	rcu_register_thread();
	rcu_read_lock();
	uatomic_set(&r->inside, 1);
	pthread_mutex_lock(&app_lock);
	pthread_mutex_unlock(&app_lock);
	rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

static void flood_holding_reader_lock(void *arg)
{
	struct lock_reader r = { 0 };
	unsigned long ran = 0;
	pthread_t t;

	(void) arg;
	pthread_mutex_lock(&app_lock);
	CHILD_CHECK(pthread_create(&t, NULL, reader_needs_lock, &r) == 0, 90);
	wait_flag(&r.inside);
	test_phase("flooding call_rcu while a reader waits for our lock");
	queue_counted(&ran, FLOOD);
	pthread_mutex_unlock(&app_lock);
	pthread_join(t, NULL);
	test_phase("rcu_barrier after the flood");
	rcu_barrier();
	CHILD_CHECK(ran == FLOOD, 24);
	_exit(0);
}

START_TEST(test_call_rcu_never_waits_for_readers)
{
	finishes(flood_holding_reader_lock, NULL, 30);
}
END_TEST

/* A region grows (its old mapping goes through call_rcu) while callbacks
 * are backed up behind a reader: reserve() still does not wait. */
static void reserve_with_backlog(void *arg)
{
	struct urcu_tlb_region *reg;
	unsigned long ran = 0;
	struct holder h;
	size_t off;
	int i;

	(void) arg;
	reg = urcu_tlb_region_anon(4096);
	CHILD_CHECK(reg != NULL, 90);
	hold(&h);		/* no grace period can end */
	rcu_register_thread();
	rcu_read_lock();	/* and this flood is queued from a section */
	queue_counted(&ran, FLOOD);
	rcu_read_unlock();
	test_phase("urcu_tlb_region_reserve with a backlog behind a reader");
	for (i = 0; i < 64; i++)
		CHILD_CHECK(urcu_tlb_region_reserve(reg, 65536, &off) == 0, 25);
	let_go(&h);
	test_phase("rcu_barrier");
	rcu_barrier();
	CHILD_CHECK(ran == FLOOD, 24);
	rcu_unregister_thread();
	_exit(0);
}

START_TEST(test_region_reserve_never_waits)
{
	finishes(reserve_with_backlog, NULL, 30);
}
END_TEST

/* ---- item 6: many threads calling call_rcu, some stalled mid-call -------- */

#define RACERS		4
#define RACE_CALLS	50

/* Stands for a preemption: wherever the signal lands, even between the
 * steps of a call_rcu, the thread stops for 2 ms while others go on. */
static void stall(int sig)
{
	struct timespec t = { 0, 2000000 };

	(void) sig;
	nanosleep(&t, NULL);
}

static void *race_call_rcu(void *arg)
{
	queue_counted(arg, RACE_CALLS);
	return NULL;
}

/*
 * Rounds of short-lived threads, each making a few calls and leaving: a
 * caller stalled in its last call must not leave the others waiting for
 * work that no one will queue any more.
 */
static void concurrent_callers(void *arg)
{
	struct sigaction sa = { .sa_handler = stall };
	int i, round, rounds = under_valgrind() ? 50 : 1500;
	unsigned long ran = 0;
	pthread_t t[RACERS];

	(void) arg;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	for (round = 0; round < rounds; round++) {
		test_phase("round %d: %d threads calling call_rcu %d times",
			   round, RACERS, RACE_CALLS);
		for (i = 0; i < RACERS; i++)
			CHILD_CHECK(pthread_create(&t[i], NULL, race_call_rcu, &ran) == 0, 90);
		pthread_kill(t[round % RACERS], SIGUSR1);
		for (i = 0; i < RACERS; i++)
			pthread_join(t[i], NULL);
	}
	test_phase("rcu_barrier");
	rcu_barrier();
	CHILD_CHECK(uatomic_read(&ran) == (unsigned long) rounds * RACERS * RACE_CALLS, 24);
	_exit(0);
}

START_TEST(test_concurrent_callers_never_stick)
{
	finishes(concurrent_callers, NULL, 60);
}
END_TEST

/* ---- item 7: call_rcu from a signal handler ------------------------------ */

#define HANDLER_POOL	200000

static struct rcu_head handler_pool[HANDLER_POOL];
static unsigned long handler_calls, handler_ran;

static void count_handler_callback(struct rcu_head *head)
{
	(void) head;
	uatomic_inc(&handler_ran);
}

/* Queues a callback from whatever the thread was doing, call_rcu
 * included (no allocation: the nodes come from a static pool). */
static void call_rcu_in_handler(int sig)
{
	(void) sig;
	if (handler_calls < HANDLER_POOL)
		call_rcu(&handler_pool[handler_calls++], count_handler_callback);
}

/* Holds up grace periods for 20 ms at a time, so that callbacks back up
 * (where a bounded queue would make callers wait). */
static void *hold_on_and_off(void *arg)
{
	int *stop = arg;

	rcu_register_thread();
	while (!uatomic_read(stop)) {
		rcu_read_lock();
		sleep_ms(20);
		rcu_read_unlock();
		sleep_ms(1);
	}
	rcu_unregister_thread();
	return NULL;
}

static void handler_and_thread_both_call(void *arg)
{
	struct sigaction sa = { .sa_handler = call_rcu_in_handler };
	struct itimerval it = { { 0, 100 }, { 0, 100 } };
	unsigned long ran = 0;
	sigset_t alrm;
	int stop = 0, i;
	pthread_t h;

	(void) arg;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	/* Only this thread takes SIGALRM: the handler is about call_rcu
	 * interrupting call_rcu, not about malloc interrupting malloc. */
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	queue_counted(&ran, 1);		/* the worker exists before handlers call */
	CHILD_CHECK(pthread_create(&h, NULL, hold_on_and_off, &stop) == 0, 90);
	setitimer(ITIMER_REAL, &it, NULL);
	test_phase("call_rcu in a thread and in its SIGALRM handler");
	for (i = 0; i < (under_valgrind() ? 20 : 400); i++) {
		struct counted *c[1000];
		int j;

		for (j = 0; j < 1000; j++) {
			c[j] = malloc(sizeof(*c[j]));
			c[j]->counter = &ran;
		}
		pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
		for (j = 0; j < 1000; j++)
			call_rcu(&c[j]->head, count_and_free);
		pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	uatomic_set(&stop, 1);
	pthread_join(h, NULL);
	test_phase("rcu_barrier");
	rcu_barrier();
	printf("%lu calls from the handler\n", handler_calls);
	CHILD_CHECK(handler_calls > 0, 24);
	CHILD_CHECK(uatomic_read(&handler_ran) == handler_calls, 24);
	_exit(0);
}

START_TEST(test_call_rcu_from_signal_handler)
{
	finishes(handler_and_thread_both_call, NULL, 60);
}
END_TEST

/* ---- item 8: no worker thread can be created ----------------------------- */

/*
 * Thread creation fails with EAGAIN once this process's user is at its
 * RLIMIT_NPROC.  Root ignores that limit, so the child becomes nobody
 * first; a regular user just lowers it.
 */
static void deny_threads(void)
{
	struct rlimit rl;

	if (getuid() == 0)
		CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0, 93);
	getrlimit(RLIMIT_NPROC, &rl);
	rl.rlim_cur = 0;
	CHILD_CHECK(setrlimit(RLIMIT_NPROC, &rl) == 0, 94);
}

static void allow_threads(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NPROC, &rl);
	rl.rlim_cur = rl.rlim_max;
	CHILD_CHECK(setrlimit(RLIMIT_NPROC, &rl) == 0, 94);
}

static unsigned long nested_ran;

static void callback_queues_another(struct rcu_head *head)
{
	struct counted *c = caa_container_of(head, struct counted, head);

	c->counter = &nested_ran;
	call_rcu(&c->head, count_and_free);	/* re-queues itself */
}

static void without_worker(void *arg)
{
	struct urcu_gp_poll_state cookie;
	struct counted *c;
	pthread_t t;
	int i;

	(void) arg;
	deny_threads();
	CHILD_CHECK(pthread_create(&t, NULL, sync_once, NULL) == EAGAIN, 95);
	test_phase("call_rcu and rcu_barrier without a worker thread");
	for (i = 0; i < 100; i++) {
		c = malloc(sizeof(*c));
		call_rcu(&c->head, callback_queues_another);
	}
	rcu_barrier();		/* runs the first round itself */
	rcu_barrier();		/* and the callbacks those queued */
	CHILD_CHECK(uatomic_read(&nested_ran) == 100, 26);
	test_phase("a polled grace period without a worker thread");
	cookie = urcu_tlb_start_poll_synchronize_rcu();
	sleep_ms(50);
	allow_threads();
	test_phase("polling after thread creation works again");
	while (!urcu_tlb_poll_state_synchronize_rcu(cookie))
		sleep_ms(1);
	_exit(0);
}

START_TEST(test_without_worker_thread)
{
	finishes(without_worker, NULL, 20);
	ck_assert_msg(strstr(out, "cannot start") && strstr(out, "call_rcu"),
		      "no line said that the worker could not start: %s", out);
}
END_TEST

static void barrier_in_helped_callback(struct rcu_head *head)
{
	(void) head;
	rcu_barrier();
}

static void barrier_from_callback_without_worker(void *arg)
{
	static struct rcu_head head;

	(void) arg;
	deny_threads();
	call_rcu(&head, barrier_in_helped_callback);
	rcu_barrier();
	_exit(27);
}

START_TEST(test_barrier_in_callback_without_worker_aborts)
{
	static const char *const says[] = {
		"urcu_tlb_barrier", "from a call_rcu callback", NULL
	};
	const char *phase;
	int st = run_deadline(barrier_from_callback_without_worker, NULL,
			      test_seconds(10), out, sizeof(out), &phase);

	const char *last;

	ck_assert_msg(st != -1, "hung while: %s", phase);
	/* The "cannot start" line comes first; the misuse line last. */
	ck_assert_msg(strstr(out, "cannot start"), "stderr: %s", out);
	last = strstr(out, "\nliburcu-tlb: urcu_tlb_barrier");
	ck_assert_msg(last, "no misuse line; stderr: %s", out);
	assert_died_saying(st, last + 1, says);
}
END_TEST

/* ---- item 9: the library's threads block every signal -------------------- */

/* The real-time signal liburcu-tlb installed its handler on, or 0. */
static int library_signal(void)
{
	struct sigaction old;
	int s;

	for (s = SIGRTMAX; s >= SIGRTMIN; s--)
		if (!sigaction(s, NULL, &old) && (old.sa_flags & SA_SIGINFO))
			return s;
	return 0;
}

/* SigBlk of kernel thread tid, or 0 with *ok false. */
static uint64_t sigblk(const char *tid, bool *ok)
{
	char path[300], line[256];
	uint64_t mask = 0;
	FILE *f;

	*ok = false;
	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %" SCNx64, &mask) == 1)
			*ok = true;
	fclose(f);
	return mask;
}

static void library_threads_masks(void *arg)
{
	enum urcu_tlb_mechanism m = (enum urcu_tlb_mechanism) (long) arg;
	uint64_t all, want;
	unsigned long ran = 0;
	sigset_t none, full;
	char self[32];
	int threads = 0, s;
	struct dirent *e;
	DIR *d;

	sigemptyset(&none);
	sigfillset(&full);
	/* The program's own threads leave every signal unblocked... */
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	if (urcu_tlb_set_mechanism(m)) {
		const char *why = "";

		urcu_tlb_mechanism_usable(m, &why);
		/* valgrind keeps some real-time signals for itself */
		printf("%s cannot be set up here (%s): skipped\n",
		       urcu_tlb_mechanism_string(m), why);
		CHILD_CHECK(under_valgrind(), 96);
		_exit(0);
	}
	rcu_register_thread();
	queue_counted(&ran, 10);	/* starts the call_rcu worker */
	rcu_barrier();
	CHILD_CHECK(rcu_defer_register_thread() == 0, 97);	/* the defer thread */
	/* ...or block them all: the library's threads must not care. */
	pthread_sigmask(SIG_SETMASK, &full, NULL);
	snprintf(self, sizeof(self), "%d", (int) getpid());
	all = 0;
	for (s = 1; s < 64; s++)
		if (s != SIGKILL && s != SIGSTOP && s != 32 && s != 33)
			all |= UINT64_C(1) << (s - 1);
	d = opendir("/proc/self/task");
	CHILD_CHECK(d != NULL, 98);
	while ((e = readdir(d))) {
		uint64_t mask;
		bool ok;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, self))
			continue;
		mask = sigblk(e->d_name, &ok) & all;
		if (!ok)
			continue;
		threads++;
		want = all;
		if (m == URCU_TLB_MECHANISM_SIGNAL)
			want &= ~(UINT64_C(1) << (library_signal() - 1));
		if (mask != want) {
			fprintf(stderr, "library thread %s blocks %#" PRIx64 ", expected %#" PRIx64 "\n",
				e->d_name, mask, want);
			_exit(28);
		}
	}
	closedir(d);
	CHILD_CHECK(threads >= 2, 29);
	rcu_defer_unregister_thread();
	_exit(0);
}

START_TEST(test_library_threads_block_signals)
{
	if (!urcu_tlb_mechanism_usable(_i, NULL))
		return;
	finishes(library_threads_masks, (void *) (long) _i, 20);
}
END_TEST

/* ---- items 10-12: fork at any moment -------------------------------------- */

static void *sync_forever(void *arg)
{
	(void) arg;
	for (;;)
		synchronize_rcu();
	return NULL;
}

/* A grace period is waiting for a reader that waits for a lock the forking
 * thread holds: fork must not wait for that grace period. */
static void fork_during_grace_period(void *arg)
{
	struct lock_reader r = { 0 };
	pthread_t t, u;
	int st;
	pid_t pid;

	(void) arg;
	pthread_mutex_lock(&app_lock);
	CHILD_CHECK(pthread_create(&t, NULL, reader_needs_lock, &r) == 0, 90);
	wait_flag(&r.inside);
	CHILD_CHECK(pthread_create(&u, NULL, sync_forever, NULL) == 0, 90);
	sleep_ms(50);		/* the grace period waits for the reader */
	test_phase("fork while a grace period waits for a reader that waits for us");
	pid = fork();
	if (pid == 0) {
		synchronize_rcu();	/* the child's own grace periods work */
		_exit(0);
	}
	CHILD_CHECK(pid > 0, 99);
	pthread_mutex_unlock(&app_lock);
	test_phase("waiting for the child");
	CHILD_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, 30);
	_exit(0);
}

START_TEST(test_fork_does_not_wait_for_grace_period)
{
	finishes(fork_during_grace_period, NULL, 10);
}
END_TEST

static int callback_inside;

static void callback_waits_for_lock(struct rcu_head *head)
{
	(void) head;
	uatomic_set(&callback_inside, 1);
	pthread_mutex_lock(&app_lock);
	pthread_mutex_unlock(&app_lock);
}

/* The call_rcu worker runs a callback that waits for a lock the forking
 * thread holds: fork must not wait for the batch. */
static void fork_during_callback(void *arg)
{
	static struct rcu_head head;
	unsigned long ran = 0;
	int st;
	pid_t pid;

	(void) arg;
	pthread_mutex_lock(&app_lock);
	call_rcu(&head, callback_waits_for_lock);
	queue_counted(&ran, 100);	/* behind the blocked callback */
	wait_flag(&callback_inside);
	test_phase("fork while a callback waits for a lock we hold");
	pid = fork();
	if (pid == 0) {
		/* The blocked callback was running: it does not run again
		 * here; the 100 behind it do. */
		pthread_mutex_unlock(&app_lock);
		rcu_barrier();
		_exit(ran == 100 ? 0 : 31);
	}
	CHILD_CHECK(pid > 0, 99);
	pthread_mutex_unlock(&app_lock);
	test_phase("waiting for the child");
	CHILD_CHECK(waitpid(pid, &st, 0) == pid, 99);
	CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, 32);
	rcu_barrier();
	CHILD_CHECK(ran == 100, 33);
	_exit(0);
}

START_TEST(test_fork_does_not_wait_for_callbacks)
{
	finishes(fork_during_callback, NULL, 10);
}
END_TEST

struct enqueuer {
	int stop;
	unsigned long queued, ran;
};

/* As fast as call_rcu goes, but keeping the backlog under 20000, as a
 * program must when it produces faster than its callbacks run (call_rcu
 * never makes it wait). */
static void *enqueue_until_stopped(void *arg)
{
	struct enqueuer *q = arg;

	while (!uatomic_read(&q->stop)) {
		if (uatomic_read(&q->queued) - uatomic_read(&q->ran) > 20000) {
			sched_yield();
			continue;
		}
		queue_counted(&q->ran, 16);
		uatomic_add(&q->queued, 16);
	}
	return NULL;
}

/* The child of each fork drains what it inherited: a queue left half
 * linked by an enqueue in flight at fork would make it wait forever. */
static void fork_while_enqueuing(void *arg)
{
	struct enqueuer q = { 0, 0, 0 };
	int i, st, hung = 0, forks = under_valgrind() ? 20 : 400;
	pthread_t t[2];

	(void) arg;
	for (i = 0; i < 2; i++)
		CHILD_CHECK(pthread_create(&t[i], NULL, enqueue_until_stopped, &q) == 0, 90);
	for (i = 0; i < forks; i++) {
		pid_t pid;

		test_phase("fork %d of %d while two threads call call_rcu", i, forks);
		pid = fork();
		if (pid == 0) {
			/* a child that hangs dies of SIGALRM */
			alarm(under_valgrind() ? 60 : 5);
			rcu_barrier();
			_exit(0);
		}
		CHILD_CHECK(pid > 0, 99);
		CHILD_CHECK(waitpid(pid, &st, 0) == pid, 99);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			hung++;
	}
	uatomic_set(&q.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("%d of %d children did not finish rcu_barrier\n", hung, forks);
	_exit(hung ? 34 : 0);
}

/* A fork storm leaves each child the objects of calls in flight at its
 * fork, which valgrind would report as leaks: not run under valgrind. */
#define SKIP_FORK_STORM_UNDER_VALGRIND()					\
	do {								\
		if (under_valgrind()) {					\
			printf("fork storm skipped under valgrind\n");	\
			return;						\
		}							\
	} while (0)

START_TEST(test_fork_while_enqueuing)
{
	SKIP_FORK_STORM_UNDER_VALGRIND();
	finishes(fork_while_enqueuing, NULL, 120);
}
END_TEST

static void deferred_calls_call_rcu(void *p)
{
	struct counted *c = malloc(sizeof(*c));

	c->counter = p;
	call_rcu(&c->head, count_and_free);
}

struct defer_flood {
	int stop;
	unsigned long ran;
};

static void *defer_until_stopped(void *arg)
{
	struct defer_flood *f = arg;

	if (rcu_defer_register_thread())
		return NULL;
	while (!uatomic_read(&f->stop)) {
		int i;

		for (i = 0; i < 64; i++)
			defer_rcu(deferred_calls_call_rcu, &f->ran);
		rcu_register_thread();
		rcu_read_lock();
		queue_counted(&f->ran, 1000);	/* a backlog, from a section */
		rcu_read_unlock();
		rcu_unregister_thread();
	}
	rcu_defer_unregister_thread();
	return NULL;
}

/* The defer thread runs deferred functions that call call_rcu while
 * others fork. */
static void fork_while_deferring(void *arg)
{
	struct defer_flood f = { 0, 0 };
	int i, st, forks = under_valgrind() ? 10 : 200;
	pthread_t t;

	(void) arg;
	CHILD_CHECK(pthread_create(&t, NULL, defer_until_stopped, &f) == 0, 90);
	for (i = 0; i < forks; i++) {
		pid_t pid;

		test_phase("fork %d of %d while deferred work calls call_rcu", i, forks);
		pid = fork();
		if (pid == 0)
			_exit(0);
		CHILD_CHECK(pid > 0, 99);
		CHILD_CHECK(waitpid(pid, &st, 0) == pid, 99);
		sleep_ms(1);
	}
	uatomic_set(&f.stop, 1);
	test_phase("joining the deferring thread");
	pthread_join(t, NULL);
	rcu_defer_barrier();
	rcu_barrier();
	_exit(0);
}

START_TEST(test_fork_while_deferring)
{
	SKIP_FORK_STORM_UNDER_VALGRIND();
	finishes(fork_while_deferring, NULL, 60);
}
END_TEST

static void count_deferred(void *p)
{
	uatomic_inc((unsigned long *) p);
}

struct deferrer {
	int deferred, release;
	unsigned long ran;
};

static void *defer_and_wait(void *arg)
{
	struct deferrer *d = arg;
	int i;

	if (rcu_defer_register_thread())
		return NULL;
	for (i = 0; i < 100; i++)
		defer_rcu(count_deferred, &d->ran);
	uatomic_set(&d->deferred, 1);
	wait_flag(&d->release);
	rcu_defer_unregister_thread();
	return NULL;
}

/* Deferred work another thread queued before the fork, held back by a
 * reader, runs in the child too (once), and in the parent. */
static void fork_with_others_deferred_work(void *arg)
{
	struct deferrer d = { 0, 0, 0 };
	struct holder h;
	pthread_t t;
	int st;
	pid_t pid;

	(void) arg;
	hold(&h);
	CHILD_CHECK(pthread_create(&t, NULL, defer_and_wait, &d) == 0, 90);
	wait_flag(&d.deferred);
	test_phase("fork with another thread's deferred work pending");
	pid = fork();
	if (pid == 0) {
		rcu_defer_barrier();
		_exit(d.ran == 100 ? 0 : 37);
	}
	CHILD_CHECK(pid > 0, 99);
	CHILD_CHECK(waitpid(pid, &st, 0) == pid, 99);
	CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, 38);
	let_go(&h);
	uatomic_set(&d.release, 1);
	pthread_join(t, NULL);
	CHILD_CHECK(d.ran == 100, 39);
	_exit(0);
}

START_TEST(test_fork_keeps_other_threads_deferred_work)
{
	finishes(fork_with_others_deferred_work, NULL, 20);
}
END_TEST

/* ---- item 14: fork then exec under the signal mechanism ----------------- */

static void *sync_until_stopped(void *arg)
{
	int *stop = arg;

	while (!uatomic_read(stop))
		synchronize_rcu();
	return NULL;
}

/*
 * Children exec a trivial program at once while the parent runs grace
 * periods under the signal mechanism with callbacks queued (so that each
 * child inherits work for a call_rcu worker).  A barrier signal pending in
 * a child when it execs kills the new program: with the default action of
 * a real-time signal.
 */
static void fork_exec_under_signals(void *arg)
{
	int i, st, stop = 0, killed = 0, forks = under_valgrind() ? 20 : 500;
	unsigned long ran = 0;
	pthread_t r, u;

	(void) arg;
	if (urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_SIGNAL)) {
		printf("signal mechanism not usable here: skipped\n");
		_exit(0);
	}
	rcu_register_thread();
	CHILD_CHECK(pthread_create(&r, NULL, read_until_stopped, &stop) == 0, 90);
	CHILD_CHECK(pthread_create(&u, NULL, sync_until_stopped, &stop) == 0, 90);
	for (i = 0; i < forks; i++) {
		pid_t pid;

		queue_counted(&ran, 10);
		test_phase("fork+exec %d of %d under the signal mechanism", i, forks);
		pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *) NULL);
			_exit(127);
		}
		CHILD_CHECK(pid > 0, 99);
		CHILD_CHECK(waitpid(pid, &st, 0) == pid, 99);
		if (WIFSIGNALED(st))
			killed++;
		else
			CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, 40);
	}
	uatomic_set(&stop, 1);
	pthread_join(r, NULL);
	pthread_join(u, NULL);
	rcu_barrier();
	rcu_unregister_thread();
	printf("%d of %d exec'd children killed by a signal\n", killed, forks);
	if (killed)
		fprintf(stderr, "%d of %d exec'd children killed by a signal\n",
			killed, forks);
	_exit(killed ? 41 : 0);
}

START_TEST(test_fork_exec_under_signal_mechanism)
{
	finishes(fork_exec_under_signals, NULL, 60);
}
END_TEST

/* ---- item 13: a thread cancelled while it calls call_rcu ---------------- */

struct cancellable {
	int started;
	unsigned long ran;
};

static void *flood_cancellable(void *arg)
{
	struct cancellable *c = arg;

	uatomic_set(&c->started, 1);
	for (;;) {
		queue_counted(&c->ran, 1000);
		pthread_testcancel();
	}
	return NULL;
}

static void cancel_flooder(void *arg)
{
	struct cancellable c = { 0, 0 };
	struct holder h;
	pthread_t t;
	int st;
	pid_t pid;

	(void) arg;
	hold(&h);		/* callbacks back up behind this reader */
	CHILD_CHECK(pthread_create(&t, NULL, flood_cancellable, &c) == 0, 90);
	wait_flag(&c.started);
	sleep_ms(200);
	test_phase("cancelling a thread that floods call_rcu");
	pthread_cancel(t);
	pthread_join(t, NULL);
	let_go(&h);
	test_phase("rcu_barrier after the cancel");
	rcu_barrier();
	test_phase("fork after the cancel");
	pid = fork();
	if (pid == 0) {
		rcu_barrier();
		_exit(0);
	}
	CHILD_CHECK(pid > 0, 99);
	CHILD_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, 35);
	_exit(0);
}

START_TEST(test_cancel_during_call_rcu_flood)
{
	finishes(cancel_flooder, NULL, 30);
}
END_TEST

/* SURVIVE_ONLY=<part of a test's name> runs only the matching tests. */
static bool wanted(const char *name)
{
	const char *only = getenv("SURVIVE_ONLY");

	return !only || strstr(name, only);
}

#define ADD(tc, t)		do { if (wanted(#t)) tcase_add_test(tc, t); } while (0)
#define ADD_LOOP(tc, t, a, b)	do { if (wanted(#t)) tcase_add_loop_test(tc, t, a, b); } while (0)

static Suite *survive_suite(void)
{
	Suite *s = suite_create("survive");
	TCase *tc = tcase_create("real programs");
	double scale = under_valgrind() ? 20 : 1;

	/* Each test bounds its child itself; this is the outer bound. */
	tcase_set_timeout(tc, 150 * scale);
	ADD(tc, test_exit_destructor_section_is_waited_for);
	ADD(tc, test_exit_destructor_control_unregistered);
	ADD(tc, test_last_round_destructor_read_lock_aborts);
	ADD(tc, test_deep_nesting_holds_grace_period);
	ADD(tc, test_nesting_overflow_aborts_in_release_builds);
	ADD(tc, test_call_rcu_never_waits_for_callbacks);
	ADD(tc, test_call_rcu_never_waits_for_readers);
	ADD(tc, test_region_reserve_never_waits);
	ADD(tc, test_concurrent_callers_never_stick);
	ADD(tc, test_call_rcu_from_signal_handler);
	ADD(tc, test_without_worker_thread);
	ADD(tc, test_barrier_in_callback_without_worker_aborts);
	ADD_LOOP(tc, test_library_threads_block_signals,
		 URCU_TLB_MECHANISM_MEMBARRIER, URCU_TLB_MECHANISM_SIGNAL + 1);
	ADD(tc, test_fork_does_not_wait_for_grace_period);
	ADD(tc, test_fork_does_not_wait_for_callbacks);
	ADD(tc, test_fork_while_enqueuing);
	ADD(tc, test_fork_while_deferring);
	ADD(tc, test_fork_keeps_other_threads_deferred_work);
	ADD(tc, test_cancel_during_call_rcu_flood);
	ADD(tc, test_fork_exec_under_signal_mechanism);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(survive_suite());
}
