/*
 * test-fallback.c: choosing and falling back between mechanisms when the
 * environment forbids one: seccomp filters that make membarrier(2) fail
 * (ENOSYS, then EPERM) or the mprotect downgrade fail, RLIMIT_MEMLOCK at 0,
 * URCU_TLB_MECHANISM, and a mechanism whose system call starts failing
 * while grace periods run.
 *
 * Each test runs in its own process (Check forks), so the choice made in
 * one does not leak into the next.  valgrind cannot run seccomp filters
 * under its own system calls, so these tests are skipped there.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "litmus.h"
#include "testutil.h"
#include "torture.h"

static char out[4096];

#define SKIP_UNDER_VALGRIND()						\
	do {								\
		if (under_valgrind()) {					\
			printf("seccomp test skipped under valgrind\n");	\
			return;						\
		}							\
	} while (0)

static void deny(int membarrier_errno, int mprotect_errno)
{
	ck_assert_msg(!deny_syscalls(membarrier_errno, mprotect_errno),
		      "seccomp: %s", strerror(errno));
}

/* The mechanism auto should land on once membarrier is gone. */
static enum urcu_tlb_mechanism after_membarrier(void)
{
#if defined(__x86_64__)
	return URCU_TLB_MECHANISM_MPROTECT;
#else
	return URCU_TLB_MECHANISM_SIGNAL;
#endif
}

static void torture_passes(void)
{
	struct torture_config cfg;
	struct torture_result res;

	torture_default_config(&cfg);
	cfg.delay_ns = 1000;
	cfg.duration = 0.7;
	ck_assert_int_eq(torture_run(&cfg, &res), 0);
	printf("[%s] ", urcu_tlb_mechanism_name());
	torture_print(stdout, &cfg, &res);
	ck_assert_msg(res.errors == 0, "%s", res.first_error);
	ck_assert_uint_gt(res.grace_periods, 0);
}

START_TEST(test_membarrier_enosys)
{
	SKIP_UNDER_VALGRIND();
	deny(ENOSYS, 0);
	ck_assert_int_eq(urcu_tlb_mechanism(), after_membarrier());
	ck_assert(!urcu_tlb_mechanism_usable(URCU_TLB_MECHANISM_MEMBARRIER, NULL));
	torture_passes();
}
END_TEST

START_TEST(test_membarrier_eperm)
{
	SKIP_UNDER_VALGRIND();
	deny(EPERM, 0);
	ck_assert_int_eq(urcu_tlb_mechanism(), after_membarrier());
	torture_passes();
}
END_TEST

START_TEST(test_membarrier_and_mprotect_fail)
{
	const char *why = NULL;

	SKIP_UNDER_VALGRIND();
	deny(ENOSYS, EPERM);
	ck_assert_int_eq(urcu_tlb_mechanism(), URCU_TLB_MECHANISM_SIGNAL);
	ck_assert(!urcu_tlb_mechanism_usable(URCU_TLB_MECHANISM_MPROTECT, &why));
	printf("mprotect refused: %s\n", why);
	torture_passes();
}
END_TEST

START_TEST(test_memlock_zero_changes_nothing)
{
	struct rlimit zero = { 0, 0 };
	struct litmus_config lc = { .test = LITMUS_SB, .protected = true,
				    .rounds = 5000, .max_seconds = 2 };
	struct litmus_result lr;

	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &zero), 0);
	if (!under_valgrind())	/* valgrind may not pass membarrier on */
		ck_assert_int_eq(urcu_tlb_mechanism(),
				 URCU_TLB_MECHANISM_MEMBARRIER);
	if (!urcu_tlb_mechanism_usable(URCU_TLB_MECHANISM_MPROTECT, NULL))
		return;
	ck_assert_int_eq(urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_MPROTECT), 0);
	torture_passes();
	if (under_valgrind())
		lc.rounds = 200;
	ck_assert_int_eq(litmus_run(&lc, &lr), 0);
	litmus_print(stdout, &lc, &lr);
	ck_assert_uint_eq(lr.forbidden, 0);
}
END_TEST

/* ---- URCU_TLB_MECHANISM -------------------------------------------------- */

struct env_case {
	const char *value;
	int membarrier_errno;
};

/* Child: set the variable, maybe filter, report the choice as exit code. */
static void choose_with_env(void *arg)
{
	const struct env_case *c = arg;

	setenv("URCU_TLB_MECHANISM", c->value, 1);
	if (c->membarrier_errno && deny_syscalls(c->membarrier_errno, 0))
		_exit(100);
	_exit(urcu_tlb_mechanism());
}

static int chosen(const char *value, int membarrier_errno)
{
	struct env_case c = { value, membarrier_errno };
	int st = run_captured(choose_with_env, &c, out, sizeof(out));

	ck_assert_msg(WIFEXITED(st), "child died: %#x, stderr: %s", st, out);
	return WEXITSTATUS(st);
}

START_TEST(test_env_valid_choices_are_silent)
{
	static const char *const values[] = { "auto", "membarrier",
					      "mprotect", "signal" };
	int m;

	for (m = 0; m < 4; m++) {
		int got = chosen(values[m], 0);

		if (m && got != m && strstr(out, "is not usable here")) {
			printf("%s not valid on this machine: %s", values[m], out);
			continue;
		}
		ck_assert_int_eq(got, m ? m : URCU_TLB_MECHANISM_MEMBARRIER);
		ck_assert_msg(out[0] == '\0', "unexpected stderr for %s: %s",
			      values[m], out);
	}
}
END_TEST

START_TEST(test_env_unknown_value)
{
	int got = chosen("tlbflush", 0);

	ck_assert_int_eq(got, URCU_TLB_MECHANISM_MEMBARRIER);
	ck_assert_msg(strstr(out, "URCU_TLB_MECHANISM=tlbflush is not one of") &&
		      strstr(out, "using membarrier") &&
		      strchr(out, '\n') == out + strlen(out) - 1,
		      "stderr: %s", out);
}
END_TEST

START_TEST(test_env_forced_but_unusable)
{
	int got;

	SKIP_UNDER_VALGRIND();
	got = chosen("membarrier", ENOSYS);
	ck_assert_int_eq(got, after_membarrier());
	ck_assert_msg(strstr(out, "URCU_TLB_MECHANISM=membarrier is not usable here") &&
		      strstr(out, "Function not implemented") &&
		      strstr(out, "; using ") &&
		      strchr(out, '\n') == out + strlen(out) - 1,
		      "stderr: %s", out);
}
END_TEST

/* ---- failure at run time ------------------------------------------------- */

struct retire_case {
	/* AUTO: the automatic choice; otherwise forced through the
	 * environment (forced) or urcu_tlb_set_mechanism(). */
	enum urcu_tlb_mechanism start;
	bool forced;
	int membarrier_errno, mprotect_errno;
	enum urcu_tlb_mechanism expect;
	/* Retirements expected: 1, or up to 2 when both system-call
	 * mechanisms fail and the second was found valid before (then it is
	 * retired too rather than refused at its probe). */
	unsigned long max_fallbacks;
};

static void *deny_later(void *arg)
{
	const struct retire_case *c = arg;

	usleep(300000);
	if (deny_syscalls(c->membarrier_errno, c->mprotect_errno))
		_exit(101);
	return NULL;
}

/* Child: torture across the moment the mechanism starts failing. */
static void retire_during_torture(void *arg)
{
	const struct retire_case *c = arg;
	struct torture_config cfg;
	struct torture_result res;
	struct urcu_tlb_stats st;
	enum urcu_tlb_mechanism first;
	const char *why;
	pthread_t t;

	if (c->forced)
		setenv("URCU_TLB_MECHANISM",
		       urcu_tlb_mechanism_string(c->start), 1);
	else if (c->start != URCU_TLB_MECHANISM_AUTO &&
		 urcu_tlb_set_mechanism(c->start))
		_exit(102);
	if (c->start != URCU_TLB_MECHANISM_AUTO &&
	    urcu_tlb_mechanism() != c->start)
		_exit(103);
	first = urcu_tlb_mechanism();
	urcu_tlb_get_stats(&st);
	if (st.mechanisms_retired)
		_exit(108);
	torture_default_config(&cfg);
	cfg.delay_ns = 1000;
	cfg.duration = 1.0;
	pthread_create(&t, NULL, deny_later, (void *) c);
	if (torture_run(&cfg, &res))
		_exit(104);
	pthread_join(t, NULL);
	torture_print(stdout, &cfg, &res);
	fflush(stdout);
	urcu_tlb_get_stats(&st);
	if (res.errors)
		_exit(105);
	if (urcu_tlb_mechanism() != c->expect)
		_exit(106);
	if (st.mechanism_fallbacks < 1 ||
	    st.mechanism_fallbacks > c->max_fallbacks)
		_exit(107);
	/* The one that failed is counted retired, the one in use is not. */
	if (!(st.mechanisms_retired & (1U << first)) ||
	    (st.mechanisms_retired & (1U << c->expect)))
		_exit(109);
	/* And the reason is told. */
	if (urcu_tlb_mechanism_usable(first, &why) ||
	    strncmp(why, "retired: its heavy fence failed at run time (", 45))
		_exit(110);
	_exit(0);
}

static void retire_case(const struct retire_case *c)
{
	int st = run_captured(retire_during_torture, (void *) c, out, sizeof(out));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "child status %#x (exit %d), stderr: %s", st,
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
}

START_TEST(test_membarrier_fails_at_run_time)
{
	struct retire_case c = { URCU_TLB_MECHANISM_AUTO, false, ENOSYS, 0,
				 after_membarrier(), 1 };

	SKIP_UNDER_VALGRIND();
	retire_case(&c);
	ck_assert_msg(out[0] == '\0',
		      "automatic choice: the fallback must be silent: %s", out);
}
END_TEST

START_TEST(test_forced_membarrier_fails_at_run_time)
{
	struct retire_case c = { URCU_TLB_MECHANISM_MEMBARRIER, true, EPERM,
				 0, after_membarrier(), 1 };

	SKIP_UNDER_VALGRIND();
	retire_case(&c);
	ck_assert_msg(strstr(out, "mechanism membarrier failed at run time") &&
		      strchr(out, '\n') == out + strlen(out) - 1,
		      "stderr: %s", out);
}
END_TEST

/* Both syscall mechanisms start failing: the one not yet tried is probed
 * when it is needed, found unusable, and the signal mechanism takes over. */
START_TEST(test_membarrier_and_mprotect_fail_at_run_time)
{
	struct retire_case c = { URCU_TLB_MECHANISM_AUTO, false, ENOSYS,
				 EPERM, URCU_TLB_MECHANISM_SIGNAL, 2 };

	SKIP_UNDER_VALGRIND();
	retire_case(&c);
	ck_assert_msg(out[0] == '\0', "stderr: %s", out);
}
END_TEST

START_TEST(test_mprotect_fails_at_run_time)
{
	struct retire_case c = { URCU_TLB_MECHANISM_MPROTECT, false, 0,
				 EPERM, URCU_TLB_MECHANISM_MEMBARRIER, 1 };

	SKIP_UNDER_VALGRIND();
#if defined(__x86_64__)
	retire_case(&c);
	ck_assert_msg(strstr(out, "mechanism mprotect failed at run time (Operation not permitted); using membarrier"),
		      "stderr: %s", out);
#else
	(void) c;
#endif
}
END_TEST

static Suite *fallback_suite(void)
{
	Suite *s = suite_create("fallback");
	TCase *tc = tcase_create("fallback");

	tcase_set_timeout(tc, under_valgrind() ? 600 : 60);
	tcase_add_test(tc, test_membarrier_enosys);
	tcase_add_test(tc, test_membarrier_eperm);
	tcase_add_test(tc, test_membarrier_and_mprotect_fail);
	tcase_add_test(tc, test_memlock_zero_changes_nothing);
	tcase_add_test(tc, test_env_valid_choices_are_silent);
	tcase_add_test(tc, test_env_unknown_value);
	tcase_add_test(tc, test_env_forced_but_unusable);
	tcase_add_test(tc, test_membarrier_fails_at_run_time);
	tcase_add_test(tc, test_forced_membarrier_fails_at_run_time);
	tcase_add_test(tc, test_membarrier_and_mprotect_fail_at_run_time);
	tcase_add_test(tc, test_mprotect_fails_at_run_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(fallback_suite());
}
