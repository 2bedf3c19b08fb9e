/*
 * test-api.c: the library as a program built without _LGPL_SOURCE sees
 * it: exported read-side functions, liburcu's classic names, the pointer
 * helpers of <urcu/pointer.h> served by liburcu-tlb, and the mechanism
 * API's answers to bad arguments.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-tlb.h>
#include "testutil.h"

struct item {
	int value;
};

static struct item *shared;

START_TEST(test_classic_names_are_liburcu_tlb)
{
	/* Same functions, not look-alikes. */
	ck_assert_ptr_eq((void *) rcu_read_lock, (void *) urcu_tlb_read_lock);
	ck_assert_ptr_eq((void *) rcu_read_unlock, (void *) urcu_tlb_read_unlock);
	ck_assert_ptr_eq((void *) synchronize_rcu, (void *) urcu_tlb_synchronize_rcu);
	ck_assert_ptr_eq((void *) rcu_register_thread,
			 (void *) urcu_tlb_register_thread);
}
END_TEST

START_TEST(test_exported_read_side_and_pointers)
{
	struct item *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *old, *p;

	a->value = 1;
	b->value = 2;
	rcu_register_thread();
	rcu_assign_pointer(shared, a);
	rcu_read_lock();
	ck_assert(rcu_read_ongoing());
	p = rcu_dereference(shared);
	ck_assert_int_eq(p->value, 1);
	rcu_read_unlock();
	ck_assert(!rcu_read_ongoing());
	old = rcu_xchg_pointer(&shared, b);
	ck_assert_ptr_eq(old, a);
	synchronize_rcu();
	free(old);
	ck_assert_ptr_eq(rcu_cmpxchg_pointer(&shared, b, NULL), b);
	ck_assert_ptr_null(shared);
	free(b);
	urcu_tlb_fence_light();
	urcu_tlb_fence_heavy();
	rcu_unregister_thread();
}
END_TEST

START_TEST(test_mechanism_api)
{
	const char *why = "unset";

	ck_assert_str_eq(urcu_tlb_mechanism_string(URCU_TLB_MECHANISM_AUTO), "auto");
	ck_assert_str_eq(urcu_tlb_mechanism_string(URCU_TLB_MECHANISM_MEMBARRIER),
			 "membarrier");
	ck_assert_str_eq(urcu_tlb_mechanism_string(URCU_TLB_MECHANISM_MPROTECT),
			 "mprotect");
	ck_assert_str_eq(urcu_tlb_mechanism_string(URCU_TLB_MECHANISM_SIGNAL),
			 "signal");
	ck_assert_ptr_null(urcu_tlb_mechanism_string(7));
	ck_assert_str_eq(urcu_tlb_mechanism_name(),
			 urcu_tlb_mechanism_string(urcu_tlb_mechanism()));

	errno = 0;
	ck_assert_int_eq(urcu_tlb_set_mechanism(9), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!urcu_tlb_mechanism_usable(URCU_TLB_MECHANISM_AUTO, &why));
	ck_assert_str_eq(why, "not a mechanism");
	/* The signal mechanism is valid wherever real-time signals are free. */
	ck_assert(urcu_tlb_mechanism_usable(URCU_TLB_MECHANISM_SIGNAL, NULL));
	ck_assert_int_eq(urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_SIGNAL), 0);
	ck_assert_str_eq(urcu_tlb_mechanism_name(), "signal");
	ck_assert_int_eq(urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_AUTO), 0);
	ck_assert_int_ne(urcu_tlb_mechanism(), URCU_TLB_MECHANISM_AUTO);
}
END_TEST

START_TEST(test_flavor_struct_is_complete)
{
	const struct rcu_flavor_struct *f = &rcu_flavor;

	ck_assert_ptr_eq(f, &urcu_tlb_flavor);
	ck_assert_ptr_eq((void *) f->read_lock, (void *) urcu_tlb_read_lock);
	ck_assert_ptr_eq((void *) f->read_unlock, (void *) urcu_tlb_read_unlock);
	ck_assert_ptr_eq((void *) f->read_ongoing, (void *) urcu_tlb_read_ongoing);
	ck_assert_ptr_eq((void *) f->read_quiescent_state,
			 (void *) urcu_tlb_quiescent_state);
	ck_assert_ptr_eq((void *) f->update_call_rcu, (void *) urcu_tlb_call_rcu);
	ck_assert_ptr_eq((void *) f->update_synchronize_rcu,
			 (void *) urcu_tlb_synchronize_rcu);
	ck_assert_ptr_eq((void *) f->update_defer_rcu, (void *) urcu_tlb_defer_rcu);
	ck_assert_ptr_eq((void *) f->thread_offline, (void *) urcu_tlb_thread_offline);
	ck_assert_ptr_eq((void *) f->thread_online, (void *) urcu_tlb_thread_online);
	ck_assert_ptr_eq((void *) f->register_thread, (void *) urcu_tlb_register_thread);
	ck_assert_ptr_eq((void *) f->unregister_thread,
			 (void *) urcu_tlb_unregister_thread);
	ck_assert_ptr_eq((void *) f->barrier, (void *) urcu_tlb_barrier);
	ck_assert_ptr_eq((void *) f->register_rculfhash_atfork,
			 (void *) urcu_tlb_register_rculfhash_atfork);
	ck_assert_ptr_eq((void *) f->unregister_rculfhash_atfork,
			 (void *) urcu_tlb_unregister_rculfhash_atfork);
	/* The QSBR hooks are harmless no-ops here. */
	rcu_init();
	rcu_register_thread();
	rcu_quiescent_state();
	rcu_thread_offline();
	rcu_thread_online();
	rcu_unregister_thread();
}
END_TEST

START_TEST(test_stats_count)
{
	struct urcu_tlb_stats a, b, c;

	/* No thread registered: no reader to order, no fence (Claim 7). */
	urcu_tlb_get_stats(&a);
	synchronize_rcu();
	synchronize_rcu();
	urcu_tlb_get_stats(&b);
	ck_assert_uint_eq(b.synchronize_calls - a.synchronize_calls, 2);
	ck_assert_uint_eq(b.grace_periods - a.grace_periods, 2);
	ck_assert_uint_eq(b.heavy_fences - a.heavy_fences, 0);
	ck_assert_uint_eq(b.registered_threads, 0);

	/* One registered (and quiescent): one fence per grace period on
	 * x86, two elsewhere; plus an explicit one. */
	rcu_register_thread();
	synchronize_rcu();
	synchronize_rcu();
	urcu_tlb_fence_heavy();
	urcu_tlb_get_stats(&c);
	ck_assert_uint_eq(c.grace_periods - b.grace_periods, 2);
	ck_assert_uint_ge(c.heavy_fences - b.heavy_fences, 3);
	ck_assert_uint_eq(c.registered_threads, 1);
	rcu_unregister_thread();
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, under_valgrind() ? 300 : 30);
	tcase_add_test(tc, test_classic_names_are_liburcu_tlb);
	tcase_add_test(tc, test_exported_read_side_and_pointers);
	tcase_add_test(tc, test_mechanism_api);
	tcase_add_test(tc, test_flavor_struct_is_complete);
	tcase_add_test(tc, test_stats_count);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(api_suite());
}
