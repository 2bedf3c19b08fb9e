/*
 * tests/compat/shim/urcu.h: liburcu's <urcu.h> (the memb flavor), redirected
 * to liburcu-tlb.  Placed first on the include path when liburcu's own test
 * programs are built against liburcu-tlb (tests/compat/liburcu-tests.sh);
 * nothing else differs from liburcu's memb build but the -l flags.
 *
 * <urcu-tlb.h> maps liburcu's classic names (rcu_read_lock, synchronize_rcu,
 * call_rcu, defer_rcu, rcu_flavor, ...) onto urcu_tlb_*, and brings
 * <urcu/pointer.h>, <urcu/call-rcu.h>, <urcu/defer.h> and <urcu/flavor.h>,
 * as liburcu's <urcu.h> does.
 */
#include <urcu-tlb.h>
