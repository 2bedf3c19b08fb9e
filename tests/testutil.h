/*
 * testutil.h: what the unit tests share: children with captured stderr,
 * seccomp filters that make the mechanisms' system calls fail, and the
 * scale of a test under valgrind.
 */
#ifndef URCU_TLB_TESTUTIL_H
#define URCU_TLB_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* Run every test of s (each in its own process); returns main's status. */
int run_suite(Suite *s);

/*
 * Run fn(arg) in a child process whose stderr is captured into out (NUL
 * terminated, truncated to len).  Returns the child's wait status.  The
 * child exits 0 if fn returns.
 */
int run_captured(void (*fn)(void *arg), void *arg, char *out, size_t len);

/*
 * Like run_captured, but the child (and every process it forks: they share
 * its process group) is killed once `seconds` have passed.  Returns the
 * wait status, or -1 when the deadline killed it; then *phase (if not
 * NULL) is the last thing the child announced with test_phase(), so that
 * a hang says where it hung.
 */
int run_deadline(void (*fn)(void *arg), void *arg, double seconds,
		 char *out, size_t len, const char **phase);

/* In a child of run_deadline: say what it is doing now (printf format). */
void test_phase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Assert that a run_deadline child exited 0 in time, else fail saying
 * where it hung or how it died, with its stderr. */
void assert_finished(int status, const char *out, const char *phase);

/* Assert that status is death by SIGABRT and out is exactly one line,
 * "liburcu-tlb: ...", that contains each of the fragments (NULL-ended). */
void assert_died_saying(int status, const char *out,
			const char *const *fragments);

/*
 * Install a seccomp filter on every thread of the process: membarrier(2)
 * fails with membarrier_errno (0: allowed), and mprotect(..., PROT_READ)
 * (the downgrade of the mprotect mechanism) fails with mprotect_errno (0:
 * allowed).  Returns 0 or -1 with errno.
 */
int deny_syscalls(int membarrier_errno, int mprotect_errno);

/* True when the tests run under valgrind (make check-valgrind). */
bool under_valgrind(void);

/* Seconds for a test that would take `seconds` natively: threads take
 * turns under valgrind, so give them longer. */
double test_seconds(double seconds);

/* ---- RCU helpers the tests share --------------------------------------- */

#include <pthread.h>
#include <urcu-tlb.h>

/* Sleep ms milliseconds, whatever signals arrive. */
void sleep_ms(long ms);
/* Wait (sleeping 1 ms at a time) until *flag is nonzero. */
void wait_flag(int *flag);

/* A registered reader that enters a section and stays there until let go:
 * no grace period can end meanwhile.  hold() returns once it is inside. */
struct holder {
	pthread_t thread;
	int inside, release;
};
void hold(struct holder *h);
void let_go(struct holder *h);

/* Thread body: register, then enter and leave sections until *(int *)arg
 * is set, then unregister. */
void *read_until_stopped(void *arg);

/* Queue n malloc'ed callbacks that each add one to *counter and free
 * themselves. */
struct counted {
	struct rcu_head head;
	unsigned long *counter;
};
void count_and_free(struct rcu_head *head);
void queue_counted(unsigned long *counter, unsigned long n);

#endif /* URCU_TLB_TESTUTIL_H */
