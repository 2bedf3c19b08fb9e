/*
 * misuse.c: how liburcu-tlb speaks on stderr.
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
