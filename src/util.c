/*
 * util.c: how liburcu-tlb speaks on stderr, and how it starts its
 * background threads.
 *
 * Misuse that would corrupt memory or deadlock prints one line naming the
 * function and the rule, then aborts.  Each line goes out in one write(2),
 * so lines from several threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int tlb_start_detached(pthread_mutex_t *lock, int *running,
		       void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t t;
	int err = 0;

	pthread_mutex_lock(lock);
	if (!*running) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = pthread_create(&t, &attr, fn, NULL);
		pthread_attr_destroy(&attr);
		if (!err)
			uatomic_set(running, 1);
	}
	pthread_mutex_unlock(lock);
	return err;
}
