/*
 * util.c: how liburcu-tlb speaks on stderr, and how it starts its
 * background threads.
 *
 * Misuse that would corrupt memory or deadlock prints one line naming the
 * function and the rule, then aborts.  Each line goes out in one write(2),
 * so lines from several threads never interleave.
 *
 * The threads the library starts (the call_rcu worker, the defer thread)
 * must not take the program's signals: a program that handles SIGINT in
 * one thread, or waits for signals with sigwait or signalfd, expects them
 * there, and liburcu's own call_rcu threads block them all.  So they
 * start with every signal blocked (whatever mask the thread that happened
 * to start them has) and unblock only the signal mechanism's, which they
 * need as registered readers; the mechanism may take that signal up later
 * (a fallback at run time), so they look again each time they wake.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

static void say_v(const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line) - 1, "liburcu-tlb: ");

	n += vsnprintf(line + n, sizeof(line) - 1 - n, fmt, ap);
	if (n > (int) sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void) !write(STDERR_FILENO, line, n);
}

void tlb_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_v(fmt, ap);
	va_end(ap);
}

void urcu_tlb_misuse(const char *func, const char *rule)
{
	tlb_say("%s: %s", func, rule);
	abort();
}

int tlb_create_thread(pthread_t *thread, void *(*fn)(void *), void *arg,
		      const char *name, bool detached, int cpu)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	sigset_t all;
	int err;

	sigfillset(&all);
	err = pthread_attr_init(&attr);
	if (err)
		return err;
	err = pthread_attr_setsigmask_np(&attr, &all);
	if (!err && detached)
		err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!err && cpu >= 0) {
		if (cpu >= CPU_SETSIZE) {
			err = EINVAL;
		} else {
			CPU_ZERO(&cpus);
			CPU_SET(cpu, &cpus);
			err = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		}
	}
	if (!err)
		err = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (!err)
		(void) pthread_setname_np(*thread, name);
	return err;
}

/* The signal this thread last unblocked for the mechanism, 0 if none. */
static __thread int unblocked_signal __attribute__((tls_model("initial-exec")));

void tlb_thread_signals(void)
{
	int s = tlb_barrier_signal();
	sigset_t set;

	if (caa_likely(s == unblocked_signal))
		return;
	sigemptyset(&set);
	if (unblocked_signal) {
		sigaddset(&set, unblocked_signal);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		sigemptyset(&set);
	}
	if (s) {
		sigaddset(&set, s);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	unblocked_signal = s;
}

uint64_t tlb_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t) t.tv_sec * 1000000000ULL + t.tv_nsec;
}
