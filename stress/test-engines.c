/*
 * test-engines.c: the stress engines' newer parts, as unit tests (and so
 * under valgrind too): torture retiring through call_rcu and through both
 * with a callback flood, and its control without heavy fences; the
 * RCU-guarantee litmus tests with their controls; the mmap litmus test's
 * three variants; lifecycle, its control, and its hang detector made to
 * find a hang on purpose.
 *
 * urcu-tlb-stress's own checks (stress/check-stress.pl) run the same
 * engines per mechanism through the program; these keep each engine
 * honest on its own.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <urcu-tlb.h>
#include <urcu-tlb/testing.h>
#include "lifecycle.h"
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

/* ---- lifecycle -------------------------------------------------------- */

/*
 * Under valgrind, no forks: a forked child's leak check would count as
 * lost what only the parent's other threads (absent in the child) point
 * to.  The forks are tested natively, here and by check-stress.pl.
 */
static void lifecycle_config(struct lifecycle_config *cfg)
{
	lifecycle_default_config(cfg);
	cfg->duration = test_seconds(0.5);
	cfg->hang = under_valgrind() ? 60 : 10;
	if (under_valgrind()) {
		cfg->forkers = 0;
		cfg->spawners = 1;
	}
}

START_TEST(test_lifecycle)
{
	struct lifecycle_config cfg;
	struct lifecycle_result res;
	int k;

	lifecycle_config(&cfg);
	ck_assert_int_eq(lifecycle_run(&cfg, &res), 0);
	printf("[%s] ", urcu_tlb_mechanism_name());
	lifecycle_print(stdout, &cfg, &res);
	ck_assert_msg(!res.hung, "%s", res.hang);
	ck_assert_msg(res.errors == 0, "%s", res.first_error);
	ck_assert_msg(!res.missing[0], "never: %s", res.missing);
	ck_assert_uint_gt(res.reads, 0);
	ck_assert_uint_gt(res.grace_periods, 0);
	ck_assert_uint_gt(res.by_sync, 0);
	ck_assert_uint_gt(res.by_call_rcu, 0);
	ck_assert_uint_gt(res.by_defer, 0);
	ck_assert_uint_gt(res.by_poll, 0);
	ck_assert_uint_eq(res.callbacks_run, res.callbacks_queued);
	ck_assert_uint_eq(res.deferred_run, res.deferred_queued);
	for (k = 0; k < LC_EXIT_NR; k++)
		ck_assert_msg(res.threads[k] > 0, "no churn thread ended by %s",
			      lifecycle_exit_name(k));
	ck_assert_uint_gt(res.destructor_reads, 0);
	if (cfg.forkers) {
		ck_assert_uint_gt(res.children[LC_CHILD_LIBRARY], 0);
		ck_assert_uint_gt(res.forked_in_section, 0);
		if (!res.exec_skipped) {
			ck_assert_uint_gt(res.children[LC_CHILD_EXEC], 0);
			ck_assert_uint_gt(res.children[LC_CHILD_SPAWN], 0);
		}
	}
}
END_TEST

/* Retiring without grace periods must be seen by readers, by thread-exit
 * destructors, and by the callbacks' own cookie check. */
START_TEST(test_lifecycle_control)
{
	struct lifecycle_config cfg;
	struct lifecycle_result res;

	if (under_valgrind()) {
		printf("not run under valgrind (one thread at a time)\n");
		return;
	}
	lifecycle_config(&cfg);
	cfg.control = true;
	cfg.extend = 10;
	ck_assert_int_eq(lifecycle_run(&cfg, &res), 0);
	lifecycle_print(stdout, &cfg, &res);
	ck_assert(!res.hung);
	ck_assert_msg(lifecycle_control_showed(&res),
		      "retiring without grace periods: %lu reclaimed objects seen, %lu in exit destructors, %lu early callbacks: the lifecycle checks could not fail",
		      res.reclaimed_seen, res.reclaimed_in_destructor, res.early);
}
END_TEST

/* In a child (threads stay stuck after a hang): exits 0 if the run hung. */
static void hang_on_purpose(void *arg)
{
	struct lifecycle_config cfg;
	struct lifecycle_result res;

	lifecycle_config(&cfg);
	cfg.fault = (enum lifecycle_fault) (long) arg;
	cfg.hang = test_seconds(1);
	cfg.duration = 0.2;
	cfg.label = "test";
	if (lifecycle_run(&cfg, &res))
		_exit(2);
	fprintf(stderr, "returned: hung %d, %u threads left behind\n",
		res.hung, res.threads_left);
	_exit(res.hung ? 0 : 1);
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(!regexec(&re, text, 0, NULL, 0),
		      "'%s' not found in: %s", pattern, text);
	regfree(&re);
}

/*
 * The hang detector detects: reader 0 stays in its section, so whatever
 * waits for a grace period hangs.  The line names the waiting thread, how
 * long, the reader whose section is open, and the counters; the run ends
 * by itself.
 */
START_TEST(test_lifecycle_detects_stuck_reader)
{
	static char out[16384];
	const char *phase;
	int st = run_deadline(hang_on_purpose, (void *) LC_FAULT_STUCK_READER,
			      test_seconds(30), out, sizeof(out), &phase);

	printf("%s", out);
	assert_finished(st, out, phase);
	assert_matches(out, "urcu-tlb-stress: test: HANG: (updater|spawner|forker|the run's end) [0-9]+ has been waiting [0-9.]+ s (in|for) ");
	assert_matches(out, "the oldest read-side section open: reader 0, for [0-9.]+ s; the library's counters: [0-9]+ grace periods");
}
END_TEST

/* And it names a child that hangs, with the child's own phase. */
START_TEST(test_lifecycle_detects_stuck_child)
{
	static char out[16384];
	const char *phase;
	int st;

	if (under_valgrind()) {
		printf("not run under valgrind (no forks there)\n");
		return;
	}
	st = run_deadline(hang_on_purpose, (void *) LC_FAULT_STUCK_CHILD,
			  test_seconds(30), out, sizeof(out), &phase);
	printf("%s", out);
	assert_finished(st, out, phase);
	assert_matches(out, "HANG: forker 0 has been waiting [0-9.]+ s for its child \\(a child that uses the library[^)]*\\) \\(--hang 1.0\\); child [0-9]+ is at: synchronize_rcu, while another thread of this child stays in a read-side section");
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
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_lifecycle_control);
	tcase_add_test(tc, test_lifecycle_detects_stuck_reader);
	tcase_add_test(tc, test_lifecycle_detects_stuck_child);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(engines_suite());
}
