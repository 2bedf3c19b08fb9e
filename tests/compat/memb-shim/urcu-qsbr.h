/*
 * tests/compat/memb-shim/urcu-qsbr.h: the memb baseline of test_urcu_hash.
 * liburcu builds that test for QSBR only; every table access in it is
 * inside rcu_read_lock()/rcu_read_unlock(), so it runs on liburcu's memb
 * flavor once its QSBR-only calls are no-ops, as liburcu-tlb maps them.
 * This gives the liburcu-tlb run of the test a memb baseline to compare
 * with (the real QSBR build is run as well).
 */
#include <urcu.h>

#define rcu_quiescent_state()	do { } while (0)
#define rcu_thread_offline()	do { } while (0)
#define rcu_thread_online()	do { } while (0)
