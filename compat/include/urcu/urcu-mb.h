/*
 * <urcu/urcu-mb.h> from liburcu-tlb's compatibility directory: liburcu's
 * header for the mb flavor (a full fence in every read_lock), served by
 * liburcu-tlb.  The flavor's own names (urcu_mb_read_lock, ...) and,
 * unlike liburcu's header, the classic names too map to liburcu-tlb
 * (<urcu-tlb-compat.h>).  See docs/compatibility.md.
 */
#ifndef _URCU_TLB_COMPAT_URCU_MB_H
#define _URCU_TLB_COMPAT_URCU_MB_H

#include <urcu-tlb-compat.h>

#endif /* _URCU_TLB_COMPAT_URCU_MB_H */
