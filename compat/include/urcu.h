/*
 * <urcu.h> from liburcu-tlb's compatibility directory: liburcu's classic
 * header, served by liburcu-tlb.
 *
 * liburcu's <urcu.h> maps the classic names (rcu_read_lock, synchronize_rcu,
 * call_rcu, ...) onto the memb flavor, or onto the signal or mb flavor when
 * RCU_SIGNAL or RCU_MB is defined.  Every one of those flavors has the
 * contract liburcu-tlb has (each reader thread registers, read-side critical
 * sections are delimited by rcu_read_lock/rcu_read_unlock), so this header
 * maps the classic names onto liburcu-tlb whichever is defined.
 *
 * It is found before liburcu's own <urcu.h> because the compatibility
 * liburcu.pc puts this directory first (-I); liburcu's other headers
 * (<urcu/rculist.h>, <urcu/uatomic.h>, <urcu/rculfhash.h>, ...) are not here
 * and still come from liburcu.  See docs/compatibility.md.
 */
#ifndef _URCU_TLB_COMPAT_URCU_H
#define _URCU_TLB_COMPAT_URCU_H

#ifndef URCU_API_MAP
#define URCU_API_MAP
#endif

#include <urcu-tlb-compat.h>

#endif /* _URCU_TLB_COMPAT_URCU_H */
