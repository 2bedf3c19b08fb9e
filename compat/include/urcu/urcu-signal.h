/*
 * <urcu/urcu-signal.h> from liburcu-tlb's compatibility directory: liburcu's
 * header for the signal flavor (removed from liburcu in 0.15), served by
 * liburcu-tlb.  The flavor's own names (urcu_signal_read_lock, ...) and,
 * unlike liburcu's header, the classic names too map to liburcu-tlb
 * (<urcu-tlb-compat.h>).  See docs/compatibility.md.
 */
#ifndef _URCU_TLB_COMPAT_URCU_SIGNAL_H
#define _URCU_TLB_COMPAT_URCU_SIGNAL_H

#include <urcu-tlb-compat.h>

#endif /* _URCU_TLB_COMPAT_URCU_SIGNAL_H */
