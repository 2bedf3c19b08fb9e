/*
 * urcu-tlb/testing.h: switches for control runs of litmus and torture
 * tests.  Not included by <urcu-tlb.h>; never use them in a program that
 * relies on RCU.
 */
#ifndef _URCU_TLB_TESTING_H
#define _URCU_TLB_TESTING_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * skip != 0: every heavy fence, those of grace periods included, becomes a
 * full barrier on the calling thread only, so grace periods no longer
 * order the readers.  A control run uses it to show that a test of the
 * RCU guarantee can fail on this machine.  Turning it on prints one line
 * on stderr.  skip == 0 restores the mechanism.
 */
void urcu_tlb_testing_skip_heavy_fence(int skip);

/*
 * Regions (urcu-tlb/region.h).  URCU_TLB_TESTING_REGION_MOVE: every grow
 * maps the file at a new address, as when the mapping cannot grow in place.
 * URCU_TLB_TESTING_REGION_UNMAP_EARLY: a grow that moved the mapping unmaps
 * the old one at once, without waiting for a grace period, so that readers
 * still using it fault (turning it on prints one line on stderr).
 * URCU_TLB_TESTING_REGION_NO_HEADROOM: new mappings get no address space
 * reserved after them, so that growing in place needs mremap().  0
 * restores the normal behaviour.
 */
#define URCU_TLB_TESTING_REGION_MOVE		0x1
#define URCU_TLB_TESTING_REGION_UNMAP_EARLY	0x2
#define URCU_TLB_TESTING_REGION_NO_HEADROOM	0x4
void urcu_tlb_testing_region(int flags);

#ifdef __cplusplus
}
#endif

#endif /* _URCU_TLB_TESTING_H */
