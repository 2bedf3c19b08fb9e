/*
 * test-survive.c: what real programs do to an RCU library, beyond its API
 * contract: thread-exit destructors that read, deep nesting.  Each test
 * runs its scenario in a child with a deadline, so that a hang fails the
 * test and says where it hung.
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

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static void wait_flag(int *flag)
{
	while (!uatomic_read(flag))
		sleep_ms(1);
}

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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(survive_suite());
}
