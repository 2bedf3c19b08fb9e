/*
 * <urcu/urcu-memb.h> from liburcu-tlb's compatibility directory: liburcu's
 * header for the memb flavor (membarrier), served by
 * liburcu-tlb.  The flavor's own names (urcu_memb_read_lock, ...) and,
 * unlike liburcu's header, the classic names too map to liburcu-tlb
 * (<urcu-tlb-compat.h>).  See docs/compatibility.md.
 */
#ifndef _URCU_TLB_COMPAT_URCU_MEMB_H
#define _URCU_TLB_COMPAT_URCU_MEMB_H

#include <urcu-tlb-compat.h>

#endif /* _URCU_TLB_COMPAT_URCU_MEMB_H */
