/*
 * urcu-tlb/static.h: the read side of liburcu-tlb as static inline code.
 *
 * Included by <urcu-tlb.h> when _LGPL_SOURCE is defined; not meant to be
 * included directly.  Code that inlines these functions must be rebuilt
 * when liburcu-tlb's ABI changes (the same rule as liburcu's static
 * headers).
 *
 * The read side is the light half of an asymmetric fence: its only
 * ordering instructions are compiler barriers.  The grace-period engine
 * (src/gp.c) forces the heavy half onto the reader's CPU; every compiler
 * barrier below names the heavy fence it pairs with.
 */
#ifndef _URCU_TLB_STATIC_H
#define _URCU_TLB_STATIC_H

#include <stdint.h>
#include <urcu/compiler.h>
#include <urcu/arch.h>
#include <urcu/system.h>
#include <urcu/uatomic.h>
#include <urcu/tls-compat.h>
#include <urcu-tlb/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A reader's slot (struct urcu_tlb_reader.ctr) packs two fields:
 *   bits 0..23   nesting depth of read-side critical sections (0: quiescent)
 *   bits 24..63  the grace-period sequence number read by the outermost
 *                read_lock
 * The global word urcu_tlb_gp.ctr holds the current sequence number with a
 * nesting depth of 1 already added, so the outermost read_lock is one load
 * and one store.  Why 40 bits of sequence are enough: Claim 2 in src/gp.c.
 * A nested read_lock checks the depth, in every build: past
 * URCU_TLB_NEST_MAX it would carry into the sequence and the reader would
 * look quiescent, so it aborts instead.  The all-ones depth is never a
 * real one: it marks a thread the library let go of as it exited, whose
 * read_lock must abort too (src/registry.c).
 */
#define URCU_TLB_NEST_BITS	24
#define URCU_TLB_NEST_MASK	((1UL << URCU_TLB_NEST_BITS) - 1)
/* Deepest nesting of read-side critical sections: 16777214. */
#define URCU_TLB_NEST_MAX	(URCU_TLB_NEST_MASK - 1)
#define URCU_TLB_GP_STEP	(1UL << URCU_TLB_NEST_BITS)

/* The grace-period state readers look at.  Written by the update side. */
struct urcu_tlb_gp {
	/* Current sequence number << 16, plus 1 (one level of nesting). */
	unsigned long ctr;
	/* -1 while an updater sleeps on it waiting for readers, else 0. */
	int32_t futex;
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

/* One per thread, on its own cache line: the only memory a reader writes. */
struct urcu_tlb_reader {
	unsigned long ctr;	/* the slot: see URCU_TLB_NEST_BITS */
	int registered;		/* owner only: for the misuse checks */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

extern struct urcu_tlb_gp urcu_tlb_gp;
extern DECLARE_URCU_TLS(struct urcu_tlb_reader, urcu_tlb_reader)
	__attribute__((tls_model("initial-exec")));

/* Prints "liburcu-tlb: <func>: <rule>" on stderr, then abort(). */
void urcu_tlb_misuse(const char *func, const char *rule)
	__attribute__((noreturn, cold));
/* read_lock's slow path: says which rule this read_lock breaks (nesting
 * too deep, thread not registered, or let go of at exit), then aborts. */
void urcu_tlb_read_lock_refused(void) __attribute__((noreturn, cold));

#if URCU_TLB_DEBUG
#define _urcu_tlb_debug_check(cond, func, rule)				\
	do {								\
		if (caa_unlikely(!(cond)))				\
			urcu_tlb_misuse(func, rule);			\
	} while (0)
#else
#define _urcu_tlb_debug_check(cond, func, rule)	do { } while (0)
#endif

/* Slow path of read_unlock: wake the updater sleeping for a grace period,
 * if the section that ended (its slot value) holds that grace period up. */
void urcu_tlb_wake_updater_if_held(unsigned long ended) __attribute__((cold));

/*
 * Called on the outermost read_unlock: one load of a read-mostly word when
 * no updater sleeps, a call to the library when one does.
 */
static inline void _urcu_tlb_wake_up_gp(unsigned long ended)
{
	if (caa_unlikely(CMM_LOAD_SHARED(urcu_tlb_gp.futex) == -1))
		urcu_tlb_wake_updater_if_held(ended);
}

static inline void _urcu_tlb_read_lock(void)
{
	unsigned long tmp;

#if URCU_TLB_DEBUG
	if (caa_unlikely(!URCU_TLS(urcu_tlb_reader).registered))
		urcu_tlb_read_lock_refused();
#endif
	cmm_barrier();
	tmp = URCU_TLS(urcu_tlb_reader).ctr;
	if (caa_likely(!(tmp & URCU_TLB_NEST_MASK))) {
		_CMM_STORE_SHARED(URCU_TLS(urcu_tlb_reader).ctr,
				  CMM_LOAD_SHARED(urcu_tlb_gp.ctr));
	} else {
		/* Every build: a carry into the sequence would make this
		 * reader look quiescent to grace periods. */
		if (caa_unlikely((tmp & URCU_TLB_NEST_MASK) >= URCU_TLB_NEST_MAX))
			urcu_tlb_read_lock_refused();
		_CMM_STORE_SHARED(URCU_TLS(urcu_tlb_reader).ctr, tmp + 1);
	}
	/*
	 * Light fence: the slot store above stays before every access of the
	 * critical section.  Pairs with the heavy fence the grace period
	 * issues between the updater's publication and its scan of the
	 * slots (F1 in src/gp.c).
	 */
	cmm_barrier();
}

static inline void _urcu_tlb_read_unlock(void)
{
	unsigned long tmp;

	_urcu_tlb_debug_check(URCU_TLS(urcu_tlb_reader).registered,
		"urcu_tlb_read_unlock",
		"called from a thread that is not registered");
	tmp = URCU_TLS(urcu_tlb_reader).ctr;
	_urcu_tlb_debug_check(tmp & URCU_TLB_NEST_MASK,
		"urcu_tlb_read_unlock",
		"called outside a read-side critical section");
	if (caa_likely((tmp & URCU_TLB_NEST_MASK) == 1)) {
		/*
		 * Light fence: every access of the critical section stays
		 * before the store that ends it.  Pairs with the heavy fence
		 * after the wait (F3 in src/gp.c), or, on TSO machines, with
		 * the hardware's load->store and store->store order.
		 */
		cmm_barrier();
		_CMM_STORE_SHARED(URCU_TLS(urcu_tlb_reader).ctr, 0);
		/*
		 * Light fence: the slot store stays before the load of the
		 * futex word.  Pairs with the heavy fence the updater issues
		 * after announcing that it will sleep (Fw in src/gp.c), so
		 * that either the updater sees this slot cleared or this load
		 * sees -1 and wakes it.
		 */
		cmm_barrier();
		_urcu_tlb_wake_up_gp(tmp);
	} else {
		_CMM_STORE_SHARED(URCU_TLS(urcu_tlb_reader).ctr, tmp - 1);
	}
	cmm_barrier();
}

static inline int _urcu_tlb_read_ongoing(void)
{
	unsigned long nest = URCU_TLS(urcu_tlb_reader).ctr & URCU_TLB_NEST_MASK;

	/* Neither 0 (quiescent) nor all ones (let go of at exit). */
	return nest - 1 < URCU_TLB_NEST_MASK - 1;
}

#ifdef __cplusplus
}
#endif

#endif /* _URCU_TLB_STATIC_H */
