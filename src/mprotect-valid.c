/*
 * mprotect-valid.c: the decision half of the mprotect mechanism's probe.
 *
 * Whether downgrading a page here makes the kernel run a barrier on every
 * CPU that runs one of our threads, decided from CPUID and from the text of
 * /proc/cpuinfo.  Both come in through struct tlb_machine, so a test feeds
 * it machines it does not run on (tests/test-probe.c).  The reasons behind
 * each rule, with the kernel code they rest on, are in the comment at the
 * top of mech-mprotect.c and in docs/mechanisms.md; this file applies them
 * in that order:
 *
 *   1. the kernel is x86: /proc/cpuinfo has x86's "flags" line;
 *   2. no broadcast invalidation: neither INVLPGB nor the register that
 *      enumerates Intel's Remote Action Request;
 *   3. the TLB flush is not a hypercall we cannot argue: every hypervisor
 *      the kernel sees is visible to CPUID here, and none is Hyper-V with
 *      remote-flush hypercalls, Xen running a PV guest, or the FEX-Emu
 *      x86 emulator.
 */
#include <stdio.h>
#include <string.h>
#include "internal.h"

#define LEAF_BASIC_MAX		0x0u
#define LEAF_FEATURES		0x1u
#define LEAF_EXT_FEATURES	0x7u
#define LEAF_EXT_MAX		0x80000000u
#define LEAF_ADDR_SIZES		0x80000008u

#define HYPERVISOR_BIT		(1u << 31)	/* leaf 1, ECX */
#define CORE_CAPABILITIES_BIT	(1u << 30)	/* leaf 7.0, EDX */
#define INVLPGB_BIT		(1u << 3)	/* leaf 0x80000008, EBX */

/* Hypervisors put their leaves at 0x40000000 and, when they present
 * another's interface there, at 0x100 steps above it (Linux looks the
 * same way: hypervisor_cpuid_base()). */
#define HV_BASE_FIRST		0x40000000u
#define HV_BASE_LAST		0x4000ff00u
#define HV_BASE_STEP		0x100u
/* Hyper-V: "enlightenment information", EAX bit 2, remote TLB flush by
 * hypercall recommended (HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED). */
#define HYPERV_LEAF_HINTS	4u
#define HYPERV_REMOTE_FLUSH	(1u << 2)
/* Xen: the HVM leaf, zero for PV guests (Xen's cpuid_hypervisor_leaves). */
#define XEN_LEAF_HVM		4u

static struct tlb_cpuid leaf(const struct tlb_machine *m, uint32_t l)
{
	struct tlb_cpuid r = { 0, 0, 0, 0 };

	m->cpuid(l, 0, &r, m->ctx);
	return r;
}

/* The words after "flags<blanks>:" on the first such line, up to *end;
 * NULL if there is none. */
static const char *flags_line(const char *text, const char **end)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *p = line + 5;

		if (!strncmp(line, "flags", 5)) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == ':') {
				*end = nl ? nl : p + strlen(p);
				return p + 1;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static bool has_word(const char *p, const char *end, const char *word)
{
	size_t len = strlen(word);

	while (p < end) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		w = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if ((size_t) (p - w) == len && !memcmp(w, word, len))
			return true;
	}
	return false;
}

static int refuse(char *why, size_t len, const char *reason)
{
	snprintf(why, len, "%s", reason);
	return -1;
}

static int check_kernel_is_x86(const struct tlb_machine *m, char *why,
			       size_t len)
{
	const char *end;

	if (!m->cpuinfo) {
		snprintf(why, len,
			 "cannot read /proc/cpuinfo (%s), so nothing shows that the kernel is x86, and under x86 emulation on another architecture a TLB shootdown may interrupt no CPU",
			 strerror(m->cpuinfo_errno));
		return -1;
	}
	if (!flags_line(m->cpuinfo, &end))
		return refuse(why, len,
			      "/proc/cpuinfo has no x86 \"flags\" line, so the kernel is not x86 (x86 emulation on another architecture?) and its TLB invalidation may interrupt no CPU");
	return 0;
}

static int check_broadcast_invalidation(const struct tlb_machine *m,
					char *why, size_t len)
{
	uint32_t basic_max = leaf(m, LEAF_BASIC_MAX).eax;
	uint32_t ext_max = leaf(m, LEAF_EXT_MAX).eax;

	/* A leaf above its range's highest reads as another leaf on Intel;
	 * a highest extended leaf outside 0x8000xxxx means none. */
	if (ext_max >= LEAF_ADDR_SIZES && ext_max < LEAF_EXT_MAX + 0x10000u &&
	    (leaf(m, LEAF_ADDR_SIZES).ebx & INVLPGB_BIT))
		return refuse(why, len,
			      "the CPU has INVLPGB (CPUID 0x80000008 EBX bit 3), with which Linux 6.15 and later invalidate the TLBs of a process running on 4 or more CPUs by broadcast, interrupting none of them");
	if (basic_max >= LEAF_EXT_FEATURES &&
	    (leaf(m, LEAF_EXT_FEATURES).edx & CORE_CAPABILITIES_BIT))
		return refuse(why, len,
			      "the CPU has IA32_CORE_CAPABILITIES (CPUID 7 EDX bit 30), the register where Intel enumerates Remote Action Request, TLB invalidation that runs no interrupt handler, and user space cannot read it to rule that out");
	return 0;
}

static bool signature_is(const struct tlb_cpuid *r, const char sig[12])
{
	char s[12];

	memcpy(s, &r->ebx, 4);
	memcpy(s + 4, &r->ecx, 4);
	memcpy(s + 8, &r->edx, 4);
	return !memcmp(s, sig, 12);
}

/* One hypervisor interface found at base, whose highest leaf is max. */
static int check_interface(const struct tlb_machine *m, uint32_t base,
			   const struct tlb_cpuid *sig, char *why, size_t len)
{
	uint32_t max = sig->eax;

	if (signature_is(sig, "Microsoft Hv") &&
	    max >= base + HYPERV_LEAF_HINTS &&
	    (leaf(m, base + HYPERV_LEAF_HINTS).eax & HYPERV_REMOTE_FLUSH))
		return refuse(why, len,
			      "Hyper-V recommends remote TLB flushes by hypercall (HvFlushVirtualAddressSpace), and nothing documents that they order the accesses of the vCPUs they flush");
	if (signature_is(sig, "XenVMMXenVMM") &&
	    (max < base + XEN_LEAF_HVM || !leaf(m, base + XEN_LEAF_HVM).eax))
		return refuse(why, len,
			      "the kernel is a Xen PV guest (Xen's CPUID shows no HVM leaf), whose TLB flushes are hypercalls, and Xen documents no ordering of the accesses of the vCPUs they flush");
	if (signature_is(sig, "FEXIFEXIEMU\0"))
		return refuse(why, len,
			      "CPUID reports the FEX-Emu x86 emulator: the kernel is not x86, and its TLB invalidation may interrupt no CPU");
	return 0;
}

static int check_hypervisors(const struct tlb_machine *m, char *why,
			     size_t len)
{
	const char *end = NULL, *flags = flags_line(m->cpuinfo, &end);
	bool cpuid_says = leaf(m, LEAF_FEATURES).ecx & HYPERVISOR_BIT;
	uint32_t base;

	/* Without the CPUID bit, the hypervisor leaves would read as other
	 * leaves; the kernel's own view of the bit is in its flags. */
	if (!cpuid_says && flags && has_word(flags, end, "hypervisor"))
		return refuse(why, len,
			      "the kernel runs under a hypervisor that CPUID does not show to user space (a Xen PV guest?), so its TLB flush may be a hypercall that cannot be checked");
	if (!cpuid_says)
		return 0;
	for (base = HV_BASE_FIRST; base <= HV_BASE_LAST; base += HV_BASE_STEP) {
		struct tlb_cpuid sig = leaf(m, base);

		if (check_interface(m, base, &sig, why, len))
			return -1;
	}
	return 0;
}

int tlb_mprotect_valid(const struct tlb_machine *m, char *why, size_t len)
{
	if (check_kernel_is_x86(m, why, len) ||
	    check_broadcast_invalidation(m, why, len) ||
	    check_hypervisors(m, why, len))
		return -1;
	return 0;
}
