/*
 * test-engines.c: the stress engines' newer parts, as unit tests (and so
 * under valgrind too): torture retiring through call_rcu and through both
 * with a callback flood, and its control without heavy fences; the
 * RCU-guarantee litmus tests with their controls; the mmap litmus test's
 * three variants.
 *
 * urcu-tlb-stress's own checks (stress/check-stress.pl) run the same
 * engines per mechanism through the program; these keep each engine
 * honest on its own.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <stdio.h>
#include <sys/wait.h>
#include <urcu-tlb.h>
#include <urcu-tlb/testing.h>
#include "litmus.h"
#include "mmap-litmus.h"
#include "testutil.h"
#include "torture.h"

static void torture_with(enum torture_reclaim reclaim, unsigned int flooders,
			 struct torture_result *res)
{
	struct torture_config cfg;

	torture_default_config(&cfg);
	cfg.reclaim = reclaim;
	cfg.flooders = flooders;
	cfg.nesting = 3;
	cfg.delay_ns = 1000;
	cfg.long_delay_us = 200;
	cfg.duration = test_seconds(0.7);
	ck_assert_int_eq(torture_run(&cfg, res), 0);
	printf("[%s] ", urcu_tlb_mechanism_name());
	torture_print(stdout, &cfg, res);
	ck_assert_msg(res->errors == 0, "%s", res->first_error);
	ck_assert_uint_gt(res->reads, 0);
	ck_assert_uint_gt(res->grace_periods, 0);
	ck_assert_uint_eq(res->age[0], res->reads);
}

START_TEST(test_torture_call_rcu_flood)
{
	struct torture_result res;

	torture_with(TORTURE_RECLAIM_CALL_RCU, 1, &res);
	/* Every retired object aged through TORTURE_PIPE_LEN callbacks. */
	ck_assert_uint_gt(res.callbacks, 0);
	ck_assert_uint_eq(res.callbacks % TORTURE_PIPE_LEN, 0);
	ck_assert_uint_gt(res.flood_queued, 0);
	ck_assert_uint_eq(res.flood_invoked, res.flood_queued);
}
END_TEST

START_TEST(test_torture_both)
{
	struct torture_result res;

	torture_with(TORTURE_RECLAIM_BOTH, 0, &res);
	/* Both ways were taken: callbacks ran, and fewer than for all. */
	ck_assert_uint_gt(res.callbacks, 0);
	ck_assert_uint_lt(res.callbacks, res.updates * TORTURE_PIPE_LEN);
	ck_assert_uint_eq(res.flood_queued, 0);
}
END_TEST

/* The control that gives torture its teeth: grace periods whose heavy
 * fences are skipped, against readers whose slot stores wait behind cold
 * stores, must let a reader see an object a grace period after its
 * retirement. */
START_TEST(test_torture_without_fences)
{
	struct torture_config cfg;
	struct torture_result res;

	if (under_valgrind()) {
		printf("not run under valgrind (one thread at a time)\n");
		return;
	}
	torture_default_config(&cfg);
	cfg.readers = 1;
	cfg.stuff = 8;
	cfg.pin = true;
	cfg.delay_ns = 1000;
	cfg.duration = 0.5;
	cfg.extend = 10;
	urcu_tlb_testing_skip_heavy_fence(1);
	ck_assert_int_eq(torture_run(&cfg, &res), 0);
	urcu_tlb_testing_skip_heavy_fence(0);
	torture_print(stdout, &cfg, &res);
	ck_assert_msg(res.errors > 0,
		      "%lu reads and %lu grace periods without heavy fences, and no reader saw an object outlive its grace period: the torture test could not fail",
		      res.reads, res.grace_periods);
}
END_TEST

START_TEST(test_reclaim_names)
{
	int r;

	for (r = 0; r < TORTURE_RECLAIM_NR; r++)
		ck_assert_int_eq(torture_reclaim_parse(torture_reclaim_name(r)), r);
	ck_assert_int_eq(torture_reclaim_parse("sync"), TORTURE_RECLAIM_SYNC);
	ck_assert_int_eq(torture_reclaim_parse("later"), -1);
	for (r = 0; r < LITMUS_NR; r++)
		ck_assert_int_eq(litmus_parse(litmus_name(r)), r);
	ck_assert_int_eq(litmus_parse("rcu-sb"), LITMUS_RCU_SB);
	ck_assert_int_eq(litmus_parse("IRIW"), -1);
	for (r = 0; r < MMAP_NR; r++)
		ck_assert_int_eq(mmap_variant_parse(mmap_variant_name(r)), r);
}
END_TEST

/* ---- the RCU guarantee -------------------------------------------------- */

static void litmus(enum litmus_test t, bool protected,
		   struct litmus_result *res)
{
	struct litmus_config cfg = { .test = t, .protected = protected };

	cfg.rounds = under_valgrind() ? 300 : ~0UL;
	cfg.max_seconds = protected || !litmus_control_can_fail(t) ?
			  test_seconds(0.5) : 10;
	/* A control ends once it has shown the outcome a while. */
	cfg.stop_after = protected ? 0 : 100;
	cfg.seconds_once_seen = protected ? 0 : 0.2;
	cfg.stuff = under_valgrind() ? 0 : 16;
	ck_assert_int_eq(litmus_run(&cfg, res), 0);
	printf("[%s] ", urcu_tlb_mechanism_name());
	litmus_print(stdout, &cfg, res);
	ck_assert_uint_gt(res->rounds, 0);
}

START_TEST(test_rcu_litmus)
{
	enum litmus_test t = _i;
	struct litmus_result res;

	litmus(t, true, &res);
	ck_assert_msg(res.forbidden == 0,
		      "%s: %lu forbidden outcomes with synchronize_rcu",
		      litmus_name(t), res.forbidden);
	ck_assert(!res.lost_wakeup);

	litmus(t, false, &res);
	if (under_valgrind()) {
		printf("control not asserted under valgrind (one thread at a time)\n");
		return;
	}
	if (!litmus_control_can_fail(t)) {
		printf("%s control cannot fail on this CPU (TSO): not asserted\n",
		       litmus_name(t));
		ck_assert_uint_eq(res.forbidden, 0);
		return;
	}
	ck_assert_msg(res.forbidden > 0,
		      "the %s control (grace periods without heavy fences) never showed %s: the test could not fail",
		      litmus_name(t), litmus_forbidden(t));
}
END_TEST

/* ---- mmap --------------------------------------------------------------- */

static void run_mmap(enum mmap_variant v, struct mmap_result *res)
{
	struct mmap_config cfg = { .variant = v };

	cfg.duration = test_seconds(0.5);
	ck_assert_msg(mmap_litmus_run(&cfg, res) == 0, "%s", res->error);
	mmap_print(stdout, &cfg, res);
	ck_assert_msg(WIFEXITED(res->child_status) &&
		      WEXITSTATUS(res->child_status) == 0 && !res->timed_out,
		      "child status %#x: %s", res->child_status, res->error);
	ck_assert_uint_gt(res->rounds, 0);
	ck_assert_uint_ge(res->reads, res->rounds);
}

START_TEST(test_mmap_fixed)
{
	struct mmap_result res;

	/* A measurement: whatever it finds is reported, not judged. */
	run_mmap(MMAP_FIXED, &res);
	ck_assert_str_ne(res.fs, "");
}
END_TEST

START_TEST(test_mmap_rcu)
{
	struct mmap_result res;

	run_mmap(MMAP_RCU, &res);
	ck_assert_str_eq(res.mechanism, urcu_tlb_mechanism_name());
	ck_assert_msg(mmap_bad(MMAP_RCU, &res) == 0,
		      "%lu mixed pairs, %lu faults after a grace period",
		      res.new_then_old + res.old_then_new, res.faults);

	if (under_valgrind()) {
		/* Its reader reads unmapped memory on purpose, which memcheck
		 * would rightly report as an error. */
		printf("control skipped under valgrind\n");
		return;
	}
	run_mmap(MMAP_RCU_CONTROL, &res);
	ck_assert_msg(mmap_bad(MMAP_RCU_CONTROL, &res) > 0,
		      "unmapping without a grace period never hurt the reader: the test could not fail");
}
END_TEST

static Suite *engines_suite(void)
{
	Suite *s = suite_create("engines");
	TCase *tc = tcase_create("engines");

	tcase_set_timeout(tc, under_valgrind() ? 600 : 60);
	tcase_add_test(tc, test_reclaim_names);
	tcase_add_test(tc, test_torture_call_rcu_flood);
	tcase_add_test(tc, test_torture_both);
	tcase_add_test(tc, test_torture_without_fences);
	tcase_add_loop_test(tc, test_rcu_litmus, LITMUS_RCU_SB, LITMUS_RCU_MP + 1);
	tcase_add_test(tc, test_mmap_fixed);
	tcase_add_test(tc, test_mmap_rcu);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(engines_suite());
}
