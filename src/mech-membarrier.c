/*
 * mech-membarrier.c: the heavy fence as membarrier(2).
 *
 * MEMBARRIER_CMD_PRIVATE_EXPEDITED (Linux 4.14) makes the kernel run a
 * full barrier on every CPU currently running a thread of this process,
 * by IPI, and return once all have; CPUs not running one of our threads
 * went through a context switch, itself a full barrier, since they last
 * did.  The process must register with
 * MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED first, once: the registration
 * belongs to the memory map, so it covers threads created later and is
 * lost at execve.  Containers with seccomp filters, gVisor and old kernels
 * answer ENOSYS, EINVAL or EPERM: the probe reports that and the next
 * mechanism is used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include "internal.h"

static int membarrier(int cmd)
{
	return (int) syscall(__NR_membarrier, cmd, 0, 0);
}

static int fail(char *why, size_t len, const char *what)
{
	int err = errno;

	snprintf(why, len, "%s failed: %s%s", what, strerror(err),
		 err == ENOSYS ? " (not implemented, or filtered by seccomp)" :
		 err == EPERM ? " (filtered, or not permitted here)" : "");
	return -1;
}

static int probe(char *why, size_t len)
{
	int mask = membarrier(MEMBARRIER_CMD_QUERY);

	if (mask < 0)
		return fail(why, len, "membarrier(MEMBARRIER_CMD_QUERY)");
	if (!(mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
		snprintf(why, len,
			 "the kernel does not offer MEMBARRIER_CMD_PRIVATE_EXPEDITED (needs Linux 4.14)");
		return -1;
	}
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		return fail(why, len,
			    "membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)");
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return fail(why, len, "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)");
	return 0;
}

static int setup(char *why, size_t len)
{
	(void) why;
	(void) len;
	return 0;	/* the probe registered the process already */
}

static int fence(void)
{
	return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) ? -1 : 0;
}

/* The registration belongs to the memory map and Linux copies it to the
 * child's; registering again is idempotent and guards against kernels that
 * would not.  Should it fail, the next fence fails and retires membarrier. */
static void after_fork(bool child)
{
	if (child)
		(void) membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

const struct tlb_mechanism tlb_mech_membarrier = {
	.id = URCU_TLB_MECHANISM_MEMBARRIER,
	.name = "membarrier",
	.probe = probe,
	.setup = setup,
	.fence = fence,
	.after_fork = after_fork,
};
