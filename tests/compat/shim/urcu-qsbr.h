/*
 * tests/compat/shim/urcu-qsbr.h: for test_urcu_hash only, which liburcu
 * builds with <urcu-qsbr.h> but whose every table access is inside
 * rcu_read_lock()/rcu_read_unlock().  Redirected to liburcu-tlb, which
 * maps rcu_quiescent_state, rcu_thread_offline and rcu_thread_online to
 * no-ops (a flavor with explicit read-side critical sections needs none).
 * No test built by tests/compat/liburcu-tests.sh that relies on QSBR
 * semantics includes this header (docs/compatibility.md).
 */
#include <urcu-tlb.h>
