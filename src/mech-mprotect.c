/*
 * mech-mprotect.c: the heavy fence as a TLB shootdown.
 *
 * A private page is made writable and written, so that its page-table
 * entry is present, writable and dirty; then it is downgraded to
 * read-only.  Removing write permission from a live entry obliges the
 * kernel to invalidate it in the TLB of every CPU that may cache it, that
 * is every CPU in the memory map's cpumask, which holds every CPU
 * currently running one of our threads, and to wait until all have.  On
 * x86 that invalidation is an IPI: the interrupted thread's earlier
 * accesses complete before the handler, whose locked instructions and
 * INVLPG/CR3 write are full barriers, and its later accesses start after
 * it.  mprotect() returns only once every IPI was acknowledged.  A CPU
 * skipped because it runs no thread of ours (lazy TLB) passed through a
 * context switch, itself a full barrier, since it ran one.  Under KVM's
 * paravirtual flush a preempted vCPU is skipped and flushed at its next VM
 * entry; its thread is stopped, and the host's context switch of the vCPU
 * is a full barrier, so the same holds.
 *
 * Where it is not valid, and why the probe refuses it:
 *   - arm64, POWER, RISC-V...: TLB invalidation is broadcast by hardware
 *     (arm64 TLBI ... IS) and interrupts no CPU.  Only x86-64 qualifies.
 *   - x86 CPUs with INVLPGB (AMD Zen 3 and later, flag "invlpgb" in
 *     /proc/cpuinfo): Linux 6.15 and later may invalidate by broadcast
 *     instead of IPI.
 *   - x86 CPUs with Remote Action Request (flag "rar"): kernels that use
 *     it have the target CPU's microcode invalidate the entry, with no
 *     interrupt handler run; whether that orders the interrupted thread's
 *     accesses is not documented, so it is refused too.
 * If /proc/cpuinfo cannot be read neither can be ruled out, and the
 * mechanism is refused.
 *
 * The page is dirtied before every downgrade, so nothing depends on mlock
 * (RLIMIT_MEMLOCK may be 0): if the kernel reclaimed or migrated the page,
 * the write brings a fresh writable entry back, and the downgrade always
 * changes a live entry.  Concurrent fences are serialised, because one
 * thread's downgrade would make another's write fault.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "internal.h"

static pthread_mutex_t page_mutex = PTHREAD_MUTEX_INITIALIZER;
static void *page;	/* under page_mutex once set up */

static int shootdown(void *pg)
{
	long size = sysconf(_SC_PAGESIZE);

	if (mprotect(pg, size, PROT_READ | PROT_WRITE))
		return -1;
	/* Present, writable, dirty: the downgrade must invalidate it. */
	CMM_ACCESS_ONCE(*(volatile unsigned long *) pg) += 1;
	cmm_barrier();
	return mprotect(pg, size, PROT_READ);
}

/*
 * The page lives between two PROT_NONE guard pages, so that its VMA never
 * merges with a neighbouring mapping of the same protection when it is
 * made writable, nor splits from it again when downgraded: that merge and
 * split made each fence about twice as slow where the page happened to sit
 * next to anonymous read-write memory.
 */
static void *map_guarded_page(void)
{
	long size = sysconf(_SC_PAGESIZE);
	char *area = mmap(NULL, 3 * size, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (area == MAP_FAILED)
		return NULL;
	if (mprotect(area + size, size, PROT_READ | PROT_WRITE)) {
		int err = errno;

		munmap(area, 3 * size);
		errno = err;
		return NULL;
	}
	return area + size;
}

static void unmap_guarded_page(void *pg)
{
	long size = sysconf(_SC_PAGESIZE);

	munmap((char *) pg - size, 3 * size);
}

#if defined(__x86_64__)
/* 1 if word occurs as a whole word on a "flags" line of /proc/cpuinfo. */
static int cpu_has_flag(const char *word, char *why, size_t len)
{
	char line[8192];
	int found = 0;
	size_t wl = strlen(word);
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f) {
		snprintf(why, len,
			 "cannot read /proc/cpuinfo (%s) to rule out TLB invalidation without IPIs (INVLPGB, RAR)",
			 strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line;

		if (strncmp(line, "flags", 5))
			continue;
		while ((p = strstr(p, word))) {
			if (p[-1] == ' ' && (p[wl] == ' ' || p[wl] == '\n' ||
					     p[wl] == '\0')) {
				found = 1;
				break;
			}
			p += wl;
		}
	}
	fclose(f);
	return found;
}
#endif

static int probe(char *why, size_t len)
{
#if !defined(__x86_64__)
	snprintf(why, len,
		 "valid on x86-64 only: on this architecture TLB invalidation may be broadcast by hardware without interrupting the other CPUs");
	return -1;
#else
	static const char *const broadcast_flags[] = { "invlpgb", "rar" };
	void *pg;
	size_t i;

	for (i = 0; i < sizeof(broadcast_flags) / sizeof(*broadcast_flags); i++) {
		int has = cpu_has_flag(broadcast_flags[i], why, len);

		if (has < 0)
			return -1;
		if (has) {
			snprintf(why, len,
				 "the CPU has %s (TLB invalidation without an interrupt handler): a downgrade may not interrupt the other CPUs",
				 broadcast_flags[i]);
			return -1;
		}
	}
	pg = map_guarded_page();
	if (!pg) {
		snprintf(why, len, "mmap of a page failed: %s", strerror(errno));
		return -1;
	}
	if (shootdown(pg)) {
		snprintf(why, len, "mprotect failed: %s", strerror(errno));
		unmap_guarded_page(pg);
		return -1;
	}
	unmap_guarded_page(pg);
	return 0;
#endif
}

static int setup(char *why, size_t len)
{
	void *pg = map_guarded_page();

	if (!pg) {
		snprintf(why, len, "mmap of a page failed: %s", strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&page_mutex);
	page = pg;
	pthread_mutex_unlock(&page_mutex);
	return 0;
}

static int fence(void)
{
	int ret;

	pthread_mutex_lock(&page_mutex);
	ret = shootdown(page);
	pthread_mutex_unlock(&page_mutex);
	return ret;
}

/* A fence half done in another thread must not leave the child's page
 * lock held. */
static void before_fork(void)
{
	pthread_mutex_lock(&page_mutex);
}

static void after_fork(bool child)
{
	(void) child;
	pthread_mutex_unlock(&page_mutex);
}

const struct tlb_mechanism tlb_mech_mprotect = {
	.id = URCU_TLB_MECHANISM_MPROTECT,
	.name = "mprotect",
	.probe = probe,
	.setup = setup,
	.fence = fence,
	.before_fork = before_fork,
	.after_fork = after_fork,
};
