/*
 * test-misuse.c: misuse that would corrupt memory or deadlock dies with one
 * line on stderr naming the function and the rule.  The message is
 * checked, not only the abort.
 *
 * Nesting overflow is checked in every build (test-survive checks it in a
 * release build); the other read-side checks (read_lock from an
 * unregistered thread, unlock outside a section) exist only in builds
 * with URCU_TLB_DEBUG set, as with --enable-debug.  This file turns them
 * on for its own inlined read side, which is the same code --enable-debug
 * compiles into programs.
 */
#define URCU_TLB_DEBUG 1
#define _LGPL_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "testutil.h"

static void register_twice(void)
{
	rcu_register_thread();
	rcu_register_thread();
}

static void unregister_inside(void)
{
	rcu_register_thread();
	rcu_read_lock();
	rcu_unregister_thread();
}

static void unregister_unregistered(void)
{
	rcu_unregister_thread();
}

static void synchronize_inside(void)
{
	rcu_register_thread();
	rcu_read_lock();
	synchronize_rcu();
}

static void barrier_in_callback_cb(struct rcu_head *head)
{
	(void) head;
	rcu_barrier();
}

static void barrier_in_callback(void)
{
	static struct rcu_head head;

	call_rcu(&head, barrier_in_callback_cb);
	for (;;)
		pause();	/* the worker dies first */
}

static void barrier_inside(void)
{
	rcu_register_thread();
	rcu_read_lock();
	rcu_barrier();
}

static void defer_inside(void)
{
	rcu_register_thread();
	if (rcu_defer_register_thread())
		_exit(3);
	rcu_read_lock();
	defer_rcu(free, NULL);
}

static void defer_unregistered(void)
{
	defer_rcu(free, NULL);
}

static void call_rcu_null_head(void)
{
	call_rcu(NULL, (void (*)(struct rcu_head *)) free);
}

static void call_rcu_null_func(void)
{
	static struct rcu_head head;

	call_rcu(&head, NULL);
}

static void defer_register_inside(void)
{
	rcu_register_thread();
	rcu_read_lock();
	(void) rcu_defer_register_thread();
}

static void nest_too_deep(void)
{
	unsigned long i;

	rcu_register_thread();
	for (i = 0; i <= URCU_TLB_NEST_MAX; i++)
		rcu_read_lock();
}

/* ---- debug-build read-side checks ---------------------------------------- */

static void lock_unregistered(void)
{
	rcu_read_lock();
}

static void unlock_outside(void)
{
	rcu_register_thread();
	rcu_read_unlock();
}

/* ---- the table ---------------------------------------------------------- */

struct misuse {
	void (*fn)(void);
	const char *says[4];	/* fragments of the one line, NULL-ended */
};

static const struct misuse always[] = {
	{ register_twice,
	  { "urcu_tlb_register_thread", "already registered" } },
	{ unregister_inside,
	  { "urcu_tlb_unregister_thread", "inside a read-side critical section" } },
	{ unregister_unregistered,
	  { "urcu_tlb_unregister_thread", "not registered" } },
	{ synchronize_inside,
	  { "urcu_tlb_synchronize_rcu", "inside a read-side critical section" } },
	{ barrier_in_callback,
	  { "urcu_tlb_barrier", "called from a call_rcu callback" } },
	{ barrier_inside,
	  { "urcu_tlb_barrier", "inside a read-side critical section" } },
	{ defer_inside,
	  { "urcu_tlb_defer_rcu", "inside a read-side critical section" } },
	{ defer_unregistered,
	  { "urcu_tlb_defer_rcu", "not registered for defer_rcu" } },
	{ call_rcu_null_head, { "urcu_tlb_call_rcu", "NULL rcu_head" } },
	{ call_rcu_null_func, { "urcu_tlb_call_rcu", "NULL callback" } },
	{ defer_register_inside,
	  { "urcu_tlb_defer_register_thread", "inside a read-side critical section" } },
	{ nest_too_deep, { "urcu_tlb_read_lock", "nested deeper", "16777214" } },
};

static const struct misuse debug_only[] = {
	{ lock_unregistered, { "urcu_tlb_read_lock", "not registered" } },
	{ unlock_outside,
	  { "urcu_tlb_read_unlock", "outside a read-side critical section" } },
};

static void call(void *fn)
{
	((const struct misuse *) fn)->fn();
}

static void dies_saying(const struct misuse *m)
{
	static char out[4096];
	int st = run_captured(call, (void *) m, out, sizeof(out));

	assert_died_saying(st, out, m->says);
}

START_TEST(test_always_checked)
{
	dies_saying(&always[_i]);
}
END_TEST

START_TEST(test_checked_in_debug_builds)
{
	dies_saying(&debug_only[_i]);
}
END_TEST

static Suite *misuse_suite(void)
{
	Suite *s = suite_create("misuse");
	TCase *a = tcase_create("always checked");
	TCase *d = tcase_create("checked with URCU_TLB_DEBUG");

	tcase_set_timeout(a, under_valgrind() ? 300 : 30);
	tcase_add_loop_test(a, test_always_checked, 0,
			    sizeof(always) / sizeof(always[0]));
	suite_add_tcase(s, a);
	tcase_set_timeout(d, under_valgrind() ? 300 : 30);
	tcase_add_loop_test(d, test_checked_in_debug_builds, 0,
			    sizeof(debug_only) / sizeof(debug_only[0]));
	suite_add_tcase(s, d);
	return s;
}

int main(void)
{
	return run_suite(misuse_suite());
}
