/*
 * test-signal.c: the signal mechanism.
 *
 * Every test forces the signal mechanism and runs in a child process
 * (run_captured) with an alarm, so that an abort or a hang is a failure
 * with the child's stderr to show, not a stuck test.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "testutil.h"

static char out[8192];

/* Exit codes of the children, to say what went wrong. */
enum { OK = 0, E_MECH = 10, E_SIGNAL };

static void expect_exit(int status, int code)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == code,
		      "child status %#x (exit %d, signal %d), expected exit %d; stderr: %s",
		      status, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0, code, out);
}

/* ---- urcu_tlb_mechanism_signal() ------------------------------------------ */

static void which_signal(void *arg)
{
	struct sigaction sa;
	int before, s;

	(void) arg;
	before = urcu_tlb_mechanism() == URCU_TLB_MECHANISM_SIGNAL ? -1 :
		 urcu_tlb_mechanism_signal();
	if (urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_SIGNAL))
		_exit(E_MECH);
	s = urcu_tlb_mechanism_signal();
	printf("before choosing the signal mechanism: %d; after: %d\n", before, s);
	fflush(stdout);
	if (before > 0 || s < SIGRTMIN || s > SIGRTMAX ||
	    sigaction(s, NULL, &sa) || !(sa.sa_flags & SA_SIGINFO))
		_exit(E_SIGNAL);
	_exit(OK);
}

START_TEST(test_mechanism_signal)
{
	expect_exit(run_captured(which_signal, NULL, out, sizeof(out)), OK);
}
END_TEST

static Suite *signal_suite(void)
{
	Suite *s = suite_create("signal");
	TCase *tc = tcase_create("signal mechanism");

	tcase_set_timeout(tc, under_valgrind() ? 900 : 120);
	tcase_add_test(tc, test_mechanism_signal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(signal_suite());
}
