/*
 * test-probe.c: the mprotect mechanism's validity decision
 * (src/mprotect-valid.c) on machines this one is not: CPUID leaves from a
 * table and /proc/cpuinfo text from a string.  Each case is a machine the
 * decision must accept or refuse, and a refusal must say why.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"
#include "testutil.h"

#define MAX_LEAVES 16

struct fake_cpu {
	size_t n;
	struct {
		uint32_t leaf;
		struct tlb_cpuid r;
	} leaves[MAX_LEAVES];
};

/* Leaves the table lacks read as zeros, as AMD returns them. */
static void fake_cpuid(uint32_t leaf, uint32_t subleaf, struct tlb_cpuid *out,
		       void *ctx)
{
	const struct fake_cpu *cpu = ctx;
	size_t i;

	(void) subleaf;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < cpu->n; i++)
		if (cpu->leaves[i].leaf == leaf)
			*out = cpu->leaves[i].r;
}

static void set(struct fake_cpu *cpu, uint32_t leaf, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	size_t i;

	for (i = 0; i < cpu->n && cpu->leaves[i].leaf != leaf; i++)
		;
	ck_assert_uint_lt(i, MAX_LEAVES);
	if (i == cpu->n)
		cpu->n++;
	cpu->leaves[i].leaf = leaf;
	cpu->leaves[i].r = (struct tlb_cpuid) { eax, ebx, ecx, edx };
}

/* A 12-character vendor or hypervisor signature in EBX, ECX, EDX. */
static void set_signature(struct fake_cpu *cpu, uint32_t leaf, uint32_t eax,
			  const char sig[12], bool vendor_order)
{
	uint32_t w[3];

	memcpy(w, sig, 12);
	if (vendor_order)	/* leaf 0: EBX, EDX, ECX */
		set(cpu, leaf, eax, w[0], w[2], w[1]);
	else
		set(cpu, leaf, eax, w[0], w[1], w[2]);
}

/* An Ice Lake client without IA32_CORE_CAPABILITIES, on bare metal. */
static struct fake_cpu intel(void)
{
	struct fake_cpu cpu = { 0 };

	set_signature(&cpu, 0x0, 0x1b, "GenuineIntel", true);
	set(&cpu, 0x1, 0x706e5, 0x100800, 0x7ffafbbf, 0xbfebfbff);
	set(&cpu, 0x7, 0, 0xf2bf27ef, 0x40405f4e, 0xbc000410);
	set(&cpu, 0x80000000, 0x80000008, 0, 0, 0);
	set(&cpu, 0x80000008, 0x3027, 0, 0, 0);
	return cpu;
}

/* A Zen 2 EPYC (clzero irperf xsaveerptr rdpru, no INVLPGB). */
static struct fake_cpu amd_zen2(void)
{
	struct fake_cpu cpu = { 0 };

	set_signature(&cpu, 0x0, 0x10, "AuthenticAMD", true);
	set(&cpu, 0x1, 0x830f10, 0x800, 0x7ed8320b, 0x178bfbff);
	set(&cpu, 0x7, 0, 0x219c91a9, 0x400004, 0);
	set(&cpu, 0x80000000, 0x80000020, 0, 0, 0);
	set(&cpu, 0x80000008, 0x3030, 0x0101d217, 0x707f, 0x10000);
	return cpu;
}

/* Zen 3 and later: the same with INVLPGB (EBX bit 3). */
static struct fake_cpu amd_zen3(void)
{
	struct fake_cpu cpu = amd_zen2();

	set(&cpu, 0x80000008, 0x3030, 0x0101d21f, 0x707f, 0x10000);
	return cpu;
}

/* A guest: CPUID.1 ECX bit 31, the hypervisor's leaves at 0x40000000. */
static void make_guest(struct fake_cpu *cpu)
{
	size_t i;

	for (i = 0; i < cpu->n; i++)
		if (cpu->leaves[i].leaf == 0x1)
			cpu->leaves[i].r.ecx |= 1u << 31;
}

/* As Linux 6.11 and later print it for a Zen 3: no "invlpgb", whatever
 * the CPU has, since X86_FEATURE_INVLPGB has no name to show. */
static const char amd_cpuinfo[] =
	"processor\t: 0\n"
	"vendor_id\t: AuthenticAMD\n"
	"cpu family\t: 25\n"
	"model name\t: AMD EPYC 7763 64-Core Processor\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca "
	"cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext "
	"fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology "
	"nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor "
	"ssse3 fma cx16 pcid sse4_1 sse4_2 movbe popcnt aes xsave avx f16c "
	"rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a "
	"misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core "
	"perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd "
	"mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid "
	"cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec "
	"xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local "
	"user_shstk clzero irperf xsaveerptr rdpru wbnoinvd amd_ppin brs arat "
	"npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid "
	"decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl "
	"umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca fsrm "
	"debug_swap\n"
	"bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso\n"
	"bogomips\t: 4890.84\n"
	"\n"
	"processor\t: 1\n"
	"vendor_id\t: AuthenticAMD\n";

static const char intel_cpuinfo[] =
	"processor\t: 0\n"
	"vendor_id\t: GenuineIntel\n"
	"model name\t: Intel(R) Core(TM) i7-1065G7 CPU @ 1.30GHz\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca "
	"cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall "
	"nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good "
	"nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 "
	"monitor ds_cpl vmx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 "
	"sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c "
	"rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb ssbd ibrs ibpb stibp "
	"ibrs_enhanced fsgsbase bmi1 avx2 smep bmi2 erms invpcid avx512f "
	"avx512dq rdseed adx smap avx512ifma clflushopt intel_pt avx512cd "
	"sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves umip pku "
	"ospke avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg "
	"avx512_vpopcntdq rdpid fsrm md_clear flush_l1d arch_capabilities\n"
	"vmx flags\t: vnmi preemption_timer invvpid ept_x_only ept_ad\n"
	"bugs\t\t: spectre_v1 spectre_v2 spec_store_bypass swapgs\n"
	"\n";

/* An x86 guest kernel's: the same with "hypervisor". */
static const char guest_cpuinfo[] =
	"processor\t: 0\n"
	"vendor_id\t: GenuineIntel\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca "
	"cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb "
	"rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid "
	"tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic "
	"movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor "
	"lahf_lm abm 3dnowprefetch cpuid_fault fsgsbase bmi1 avx2 smep bmi2 erms\n"
	"bugs\t\t: spectre_v1 spectre_v2\n"
	"\n";

/* An arm64 kernel's, which an x86 binary under emulation reads. */
static const char arm64_cpuinfo[] =
	"processor\t: 0\n"
	"BogoMIPS\t: 50.00\n"
	"Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp "
	"asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n"
	"CPU implementer\t: 0x41\n"
	"CPU architecture: 8\n"
	"CPU variant\t: 0x3\n"
	"CPU part\t: 0xd0c\n"
	"CPU revision\t: 1\n"
	"\n";

static char why[1024];

static int decide_errno(struct fake_cpu *cpu, const char *cpuinfo, int err)
{
	struct tlb_machine m = { .cpuid = fake_cpuid, .ctx = cpu,
				 .cpuinfo = cpuinfo, .cpuinfo_errno = err };

	why[0] = '\0';
	return tlb_mprotect_valid(&m, why, sizeof(why));
}

static int decide(struct fake_cpu *cpu, const char *cpuinfo)
{
	return decide_errno(cpu, cpuinfo, 0);
}

static void assert_accepted(struct fake_cpu *cpu, const char *cpuinfo)
{
	ck_assert_msg(decide(cpu, cpuinfo) == 0, "refused: %s", why);
	printf("accepted\n");
}

/* Refused, for a reason that names `cause`, in a sentence that fits the
 * library's buffer for it (mechanism.c) without being cut. */
static void assert_refused(struct fake_cpu *cpu, const char *cpuinfo,
			   const char *cause)
{
	ck_assert_msg(decide(cpu, cpuinfo) == -1, "accepted; expected: %s",
		      cause);
	ck_assert_msg(strstr(why, cause), "reason lacks \"%s\": %s", cause,
		      why);
	ck_assert_uint_lt(strlen(why), 320);
	printf("refused: %s\n", why);
}

/* ---- bare metal ---------------------------------------------------------- */

START_TEST(test_plain_cpus_accepted)
{
	struct fake_cpu i = intel(), a = amd_zen2();

	assert_accepted(&i, intel_cpuinfo);
	assert_accepted(&a, amd_cpuinfo);
}
END_TEST

/* The flag the old probe looked for is not in /proc/cpuinfo since Linux
 * 6.11; CPUID has it. */
START_TEST(test_invlpgb_refused_without_cpuinfo_flag)
{
	struct fake_cpu cpu = amd_zen3();

	ck_assert_ptr_null(strstr(amd_cpuinfo, "invlpgb"));
	assert_refused(&cpu, amd_cpuinfo, "INVLPGB");
}
END_TEST

START_TEST(test_invlpgb_needs_the_leaf)
{
	struct fake_cpu cpu = amd_zen3();

	set(&cpu, 0x80000000, 0x80000007, 0, 0, 0);
	assert_accepted(&cpu, amd_cpuinfo);
}
END_TEST

/* Remote Action Request is enumerated in an MSR; the register it lives in
 * is all CPUID can show. */
START_TEST(test_rar_enumeration_refused)
{
	struct fake_cpu cpu = intel();

	set(&cpu, 0x7, 0, 0xf2bf27ef, 0x40405f4e, 0xbc000410 | 1u << 30);
	ck_assert_ptr_null(strstr(intel_cpuinfo, " rar"));
	assert_refused(&cpu, intel_cpuinfo, "Remote Action Request");
}
END_TEST

START_TEST(test_rar_needs_leaf_7)
{
	struct fake_cpu cpu = intel();

	set(&cpu, 0x7, 0, 0, 0, 1u << 30);
	set_signature(&cpu, 0x0, 0x6, "GenuineIntel", true);
	assert_accepted(&cpu, intel_cpuinfo);
}
END_TEST

/* ---- the kernel is not x86 ----------------------------------------------- */

START_TEST(test_arm64_kernel_refused)
{
	struct fake_cpu cpu = intel();

	assert_refused(&cpu, arm64_cpuinfo, "not x86");
	/* "vmx flags" is not x86's flags line. */
	assert_refused(&cpu, "processor\t: 0\nvmx flags\t: ept\n", "not x86");
	assert_refused(&cpu, "", "not x86");
}
END_TEST

START_TEST(test_unreadable_cpuinfo_refused)
{
	struct fake_cpu cpu = intel();

	ck_assert_int_eq(decide_errno(&cpu, NULL, EACCES), -1);
	ck_assert_msg(strstr(why, "/proc/cpuinfo") &&
		      strstr(why, strerror(EACCES)), "reason: %s", why);
}
END_TEST

/* ---- hypervisors --------------------------------------------------------- */

/* Like the KVM guest these tests were written on: PV TLB flush and steal
 * time offered (0x40000001 EAX bits 9 and 5), no realtime hint. */
static void add_kvm(struct fake_cpu *cpu, uint32_t base)
{
	set_signature(cpu, base, base + 1, "KVMKVMKVM\0\0\0", false);
	set(cpu, base + 1, 0x01007efb, 0, 0, 0);
}

static void add_hyperv(struct fake_cpu *cpu, uint32_t hints)
{
	set_signature(cpu, 0x40000000, 0x4000000a, "Microsoft Hv", false);
	set(cpu, 0x40000001, 0x31237648, 0, 0, 0);	/* "Hv#1" */
	set(cpu, 0x40000004, hints, 0xfff, 0, 0);
}

static void add_xen(struct fake_cpu *cpu, uint32_t base, uint32_t hvm_leaf)
{
	set_signature(cpu, base, base + 5, "XenVMMXenVMM", false);
	set(cpu, base + 1, 0x4000f, 0, 0, 0);	/* Xen 4.15 */
	set(cpu, base + 4, hvm_leaf, hvm_leaf ? 1 : 0, hvm_leaf ? 7 : 0, 0);
}

static void kvm(struct fake_cpu *cpu)
{
	add_kvm(cpu, 0x40000000);
}

static void hyperv_flush_hypercalls(struct fake_cpu *cpu)
{
	add_hyperv(cpu, 0x00062e2c);	/* bit 2 among others */
}

static void hyperv_without_them(struct fake_cpu *cpu)
{
	add_hyperv(cpu, 0x00062e28);
}

/* KVM offering Hyper-V's interface first (QEMU's hv-tlbflush): the kernel
 * may take either, so the one that cannot be argued decides. */
static void hyperv_beside_kvm(struct fake_cpu *cpu)
{
	add_hyperv(cpu, 0x4);
	add_kvm(cpu, 0x40000100);
}

static void xen_hvm(struct fake_cpu *cpu)
{
	add_xen(cpu, 0x40000000, 0x1c);	/* vcpu id, domid, iommu */
}

static void xen_hvm_behind_viridian(struct fake_cpu *cpu)
{
	add_hyperv(cpu, 0x20);	/* no flush hypercalls */
	add_xen(cpu, 0x40000100, 0x1c);
}

static void xen_pv(struct fake_cpu *cpu)
{
	add_xen(cpu, 0x40000000, 0);
}

/* Too old to have the HVM leaf: PV cannot be told from HVM. */
static void xen_without_hvm_leaf(struct fake_cpu *cpu)
{
	add_xen(cpu, 0x40000000, 0x1c);
	set_signature(cpu, 0x40000000, 0x40000003, "XenVMMXenVMM", false);
}

static void vmware(struct fake_cpu *cpu)
{
	set_signature(cpu, 0x40000000, 0x40000010, "VMwareVMware", false);
}

static void fex_emulator(struct fake_cpu *cpu)
{
	set_signature(cpu, 0x40000000, 0x40000001, "FEXIFEXIEMU\0", false);
}

/* A guest kernel (CPUID.1 ECX bit 31, "hypervisor" in its flags) on cpu,
 * under the hypervisor interfaces that hypervisor() adds. */
static const struct guest_case {
	const char *name;
	struct fake_cpu (*cpu)(void);
	void (*hypervisor)(struct fake_cpu *cpu);
	const char *refusal;	/* NULL: accepted */
} guests[] = {
	{ "KVM with PV TLB flush", intel, kvm, NULL },
	{ "KVM on a CPU with INVLPGB", amd_zen3, kvm, "INVLPGB" },
	{ "Hyper-V, flush hypercalls", amd_zen2, hyperv_flush_hypercalls,
	  "Hyper-V" },
	{ "Hyper-V, no flush hypercalls", amd_zen2, hyperv_without_them,
	  NULL },
	{ "Hyper-V beside KVM", intel, hyperv_beside_kvm, "Hyper-V" },
	{ "Xen HVM", intel, xen_hvm, NULL },
	{ "Xen HVM behind Viridian", intel, xen_hvm_behind_viridian, NULL },
	{ "Xen PV", intel, xen_pv, "Xen PV" },
	{ "Xen without the HVM leaf", intel, xen_without_hvm_leaf, "Xen PV" },
	{ "VMware", amd_zen2, vmware, NULL },
	{ "FEX-Emu", intel, fex_emulator, "FEX-Emu" },
};
#define NR_GUESTS ((int) (sizeof(guests) / sizeof(*guests)))

START_TEST(test_guest)
{
	const struct guest_case *g = &guests[_i];
	struct fake_cpu cpu = g->cpu();

	printf("%s: ", g->name);
	make_guest(&cpu);
	g->hypervisor(&cpu);
	if (g->refusal)
		assert_refused(&cpu, guest_cpuinfo, g->refusal);
	else
		assert_accepted(&cpu, guest_cpuinfo);
}
END_TEST

/* Xen PV without CPUID faulting: user space sees the bare CPU, the
 * kernel's CPUID (and so /proc/cpuinfo) the hypervisor. */
START_TEST(test_hypervisor_hidden_from_cpuid_refused)
{
	struct fake_cpu cpu = intel();

	assert_refused(&cpu, guest_cpuinfo, "hypervisor");
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("mprotect-valid");

	tcase_add_test(tc, test_plain_cpus_accepted);
	tcase_add_test(tc, test_invlpgb_refused_without_cpuinfo_flag);
	tcase_add_test(tc, test_invlpgb_needs_the_leaf);
	tcase_add_test(tc, test_rar_enumeration_refused);
	tcase_add_test(tc, test_rar_needs_leaf_7);
	tcase_add_test(tc, test_arm64_kernel_refused);
	tcase_add_test(tc, test_unreadable_cpuinfo_refused);
	tcase_add_loop_test(tc, test_guest, 0, NR_GUESTS);
	tcase_add_test(tc, test_hypervisor_hidden_from_cpuid_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(probe_suite());
}
