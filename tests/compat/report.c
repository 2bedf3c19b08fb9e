/*
 * tests/compat/report.c: preloaded (LD_PRELOAD) into each liburcu test
 * program run against liburcu-tlb by liburcu-tests.sh.  At exit it appends
 * one line to the file named by URCU_TLB_COMPAT_REPORT: the mechanism in
 * use and liburcu-tlb's counters, so the harness can check that the run
 * used the mechanism it forced and that grace periods really ran.  It
 * changes nothing in the program; the test binaries are not linked with it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <urcu-tlb.h>

__attribute__((destructor))
static void compat_report(void)
{
	const char *path = getenv("URCU_TLB_COMPAT_REPORT");
	struct urcu_tlb_stats s;
	char line[512];
	int fd, len;

	if (!path || !*path)
		return;
	urcu_tlb_get_stats(&s);
	/* Name the mechanism only if the library was used: asking for it
	 * would otherwise make the choice, and start it, at exit. */
	len = snprintf(line, sizeof(line),
		"pid=%ld mechanism=%s synchronize_calls=%lu grace_periods=%lu "
		"heavy_fences=%lu fallbacks=%lu callbacks_queued=%lu "
		"callbacks_invoked=%lu\n",
		(long) getpid(),
		s.synchronize_calls || s.grace_periods || s.heavy_fences ||
		s.callbacks_queued || s.registered_threads ?
			urcu_tlb_mechanism_name() : "unused",
		s.synchronize_calls, s.grace_periods, s.heavy_fences,
		s.mechanism_fallbacks, s.callbacks_queued, s.callbacks_invoked);
	if (len <= 0)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t) len) < 0) {
		/* nothing to do: the harness reports the missing line */
	}
	close(fd);
}
