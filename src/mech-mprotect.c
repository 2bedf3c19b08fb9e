/*
 * mech-mprotect.c: the heavy fence as a TLB shootdown (x86-64 only).
 *
 * A fence makes a private page writable, writes it, and downgrades it to
 * read-only.  Why that gives every thread of ours the point P that a heavy
 * fence promises (docs/design.md: its accesses before P are ordered before
 * ours after the fence, ours before the fence before its after P), with the
 * Linux code each step rests on:
 *
 * 1. The downgrade interrupts every CPU running one of our threads.  For a
 *    present entry losing _PAGE_RW, change_pte_range() (mm/mprotect.c)
 *    asks pte_needs_flush() (arch/x86/include/asm/tlbflush.h), which says
 *    yes, and tlb_finish_mmu() calls flush_tlb_mm_range()
 *    (arch/x86/mm/tlb.c) before mprotect() returns.  That sends an IPI to
 *    every CPU in mm_cpumask() that has our map loaded and is not lazy
 *    (should_flush_tlb()) and waits until each has run the handler, which
 *    executes locked instructions, full barriers on x86: P is the
 *    interrupt.  A CPU skipped because it runs no thread of ours goes
 *    through a context switch, a full barrier, before it runs one again.
 *
 * 2. Where the kernel invalidates without an interrupt, the probe refuses
 *    (mprotect-valid.c applies these rules to CPUID and /proc/cpuinfo):
 *    - a kernel that is not x86: arm64 broadcasts TLBI in hardware.  An
 *      x86 binary under emulation on such a kernel sees x86 CPUID but a
 *      /proc/cpuinfo without x86's "flags" line;
 *    - INVLPGB (CPUID 0x80000008 EBX bit 3): Linux 6.15 and later give a
 *      process active on 4 or more CPUs a global ASID
 *      (consider_global_asid()) and flush it with INVLPGB and TLBSYNC
 *      (broadcast_tlb_flush()), interrupting no one.  /proc/cpuinfo cannot
 *      show it: since 6.11 it lists only features with a quoted name in
 *      cpufeatures.h, and X86_FEATURE_INVLPGB has none;
 *    - Intel Remote Action Request: the target CPU's microcode
 *      invalidates and no handler runs.  The Linux patches for it (RFC,
 *      2025; not in 6.18) read it from bit 1 of MSR IA32_CORE_CAPABILITIES,
 *      which user space cannot read, so the MSR's presence (CPUID 7 EDX
 *      bit 30) refuses;
 *    - paravirtual flushes (pv_ops.mmu.flush_tlb_multi), which Linux has
 *      for three hypervisors.  Hyper-V (hyperv_flush_tlb_multi(),
 *      arch/x86/hyperv/mmu.c, used when CPUID 0x40000004 EAX bit 2
 *      recommends it) flushes by hypercall, and nothing documents that the
 *      hypervisor orders the flushed vCPUs' accesses: refused.  Xen PV
 *      guests (xen_flush_tlb_multi(), arch/x86/xen/mmu_pv.c) flush by
 *      MMUEXT_TLB_FLUSH_MULTI hypercall, likewise undocumented: refused;
 *      Xen HVM and PVH guests keep the native flush (xen_hvm_init_mmu_ops()
 *      installs none) and are told apart by Xen's HVM leaf, zero for PV
 *      guests.  A PV guest on a CPU without CPUID faulting shows user
 *      space the bare CPU while the kernel's "hypervisor" flag is set: that
 *      mismatch refuses too.  KVM's flush is accepted, by 3; under any
 *      other hypervisor Linux keeps the native flush.
 *
 * 3. KVM (kvm_flush_tlb_multi(), arch/x86/kernel/kvm.c) sends no IPI to a
 *    vCPU whose steal-time byte "preempted" has KVM_VCPU_PREEMPTED: it
 *    sets KVM_VCPU_FLUSH_TLB there with a locked cmpxchg instead, and the
 *    host, before that vCPU's next VM entry, takes the byte with xchg and
 *    flushes if the bit is set (record_steal_time(), arch/x86/kvm/x86.c).
 *    That handshake, not the host's switch away from the vCPU, is what
 *    orders the vCPU.  Let P be its VM exit, at an instruction boundary
 *    (kvm_steal_time_set_preempted() marks no other exit preempted):
 *    - its accesses before P (ordinary ones to write-back memory: the
 *      rule of docs/design.md) precede, in the TSO order of the physical
 *      CPU, the host's later store of KVM_VCPU_PREEMPTED; our cmpxchg read
 *      that store and is a full barrier, so they precede our accesses
 *      after the fence;
 *    - our cmpxchg comes before the host's xchg on that byte (had it come
 *      after, it would have read 0), the xchg is a full barrier, and it
 *      precedes the VM entry, hence every access after P: our accesses
 *      before the fence precede them.
 *    The vCPU cannot enter the guest in between: kvm_arch_vcpu_load()
 *    requests that steal-time update whenever the vCPU thread is
 *    scheduled in.  This assumes a host with the fix for CVE-2019-3016
 *    (Linux 5.6, and stable kernels): before it, the host cleared a copy
 *    of the byte and could miss the flag, losing the flush itself.
 *
 * 4. The entry may be neither present nor writable when the downgrade
 *    reaches it: NUMA hinting (change_prot_numa()), migration or
 *    compaction (try_to_migrate_one()), reclaim (try_to_unmap_one()), KSM
 *    (write_protect_page()) or a fork's copy-on-write may have changed it
 *    since our write, and pte_needs_flush() then asks for nothing.  The
 *    flush of whoever changed it serves instead, because
 *    - it follows the caller's accesses before the fence: the page is
 *      read-only between fences (and has no entry before the first), so
 *      the writable entry that was changed was made during this fence,
 *      after its opening full barrier, by our mprotect(PROT_READ |
 *      PROT_WRITE) (change_pte_range() makes an exclusive anonymous page
 *      writable at once) or by the fault our write took.  The other party
 *      read it under the page-table lock before flushing.  Our write may
 *      have gone through a TLB entry that flush had yet to remove; no
 *      writable TLB entry outlives a fence (the last point), so that one
 *      was loaded during this fence too;
 *    - it has completed when our downgrade returns: NUMA hinting, fork
 *      and clear_refs flush before releasing mmap_lock, which mprotect()
 *      takes for writing; KSM and unbatched reclaim or migration flush
 *      before releasing the page-table lock, which change_pte_range()
 *      takes; batched reclaim and migration leave mm->tlb_flush_batched
 *      pending, and change_pte_range() then flushes the whole map itself
 *      (flush_tlb_batched_pending()).
 *    So nothing depends on mlock, and RLIMIT_MEMLOCK may be 0.
 *
 * Concurrent fences are serialised, because one thread's downgrade would
 * make another's write fault.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include "internal.h"

static pthread_mutex_t page_mutex = PTHREAD_MUTEX_INITIALIZER;
static void *page;	/* under page_mutex once set up */

static int shootdown(void *pg)
{
	long size = sysconf(_SC_PAGESIZE);

	if (mprotect(pg, size, PROT_READ | PROT_WRITE))
		return -1;
	/* Writable, made so after the caller's full barrier: the downgrade,
	 * or whoever changes the entry first, must flush it (point 4). */
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
static void cpuid_insn(uint32_t leaf, uint32_t subleaf, struct tlb_cpuid *r,
		       void *ctx)
{
	(void) ctx;
	/* Not __get_cpuid_count(): it refuses the hypervisor leaves, and
	 * tlb_mprotect_valid() checks each range's highest leaf itself. */
	__cpuid_count(leaf, subleaf, r->eax, r->ebx, r->ecx, r->edx);
}

/* The start of /proc/cpuinfo, NUL-terminated (the first CPU's block, with
 * its "flags" line, is all the decision reads), or NULL with errno set. */
static char *read_cpuinfo(void)
{
	enum { CPUINFO_MAX = 32768 };
	char *buf = malloc(CPUINFO_MAX);
	FILE *f;
	size_t got;
	int err;

	if (!buf)
		return NULL;
	f = fopen("/proc/cpuinfo", "re");
	if (!f) {
		err = errno;
		free(buf);
		errno = err;
		return NULL;
	}
	got = fread(buf, 1, CPUINFO_MAX - 1, f);
	err = ferror(f) ? errno : 0;
	fclose(f);
	if (err || !got) {
		free(buf);
		errno = err ? err : ENODATA;
		return NULL;
	}
	buf[got] = '\0';
	return buf;
}

static int machine_allows(char *why, size_t len)
{
	struct tlb_machine m = { .cpuid = cpuid_insn };
	char *text = read_cpuinfo();
	int ret;

	m.cpuinfo = text;
	m.cpuinfo_errno = text ? 0 : errno;
	ret = tlb_mprotect_valid(&m, why, len);
	free(text);
	return ret;
}
#endif

static int probe(char *why, size_t len)
{
#if !defined(__x86_64__)
	snprintf(why, len,
		 "valid on x86-64 only: on this architecture TLB invalidation may be broadcast by hardware without interrupting the other CPUs");
	return -1;
#else
	void *pg;

	if (machine_allows(why, len))
		return -1;
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
