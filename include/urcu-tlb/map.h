/*
 * urcu-tlb/map.h: liburcu's classic names mapped onto liburcu-tlb.
 * Included by <urcu-tlb.h>.
 */
#ifndef _URCU_TLB_MAP_H
#define _URCU_TLB_MAP_H

#define rcu_register_thread		urcu_tlb_register_thread
#define rcu_unregister_thread		urcu_tlb_unregister_thread
#define rcu_read_lock			urcu_tlb_read_lock
#define rcu_read_unlock			urcu_tlb_read_unlock
#define rcu_read_ongoing		urcu_tlb_read_ongoing
#define synchronize_rcu			urcu_tlb_synchronize_rcu
#define rcu_init			urcu_tlb_init
#define _rcu_read_lock			_urcu_tlb_read_lock
#define _rcu_read_unlock		_urcu_tlb_read_unlock
#define _rcu_read_ongoing		_urcu_tlb_read_ongoing

/* Quiescent states and offline periods are QSBR notions: no-ops here. */
#define rcu_quiescent_state		urcu_tlb_quiescent_state
#define rcu_thread_offline		urcu_tlb_thread_offline
#define rcu_thread_online		urcu_tlb_thread_online

#define call_rcu			urcu_tlb_call_rcu
#define rcu_barrier			urcu_tlb_barrier

#define defer_rcu			urcu_tlb_defer_rcu
#define rcu_defer_register_thread	urcu_tlb_defer_register_thread
#define rcu_defer_unregister_thread	urcu_tlb_defer_unregister_thread
#define rcu_defer_barrier		urcu_tlb_defer_barrier
#define rcu_defer_barrier_thread	urcu_tlb_defer_barrier_thread

#define rcu_flavor			urcu_tlb_flavor
#define urcu_register_rculfhash_atfork	urcu_tlb_register_rculfhash_atfork
#define urcu_unregister_rculfhash_atfork urcu_tlb_unregister_rculfhash_atfork

/* One set of fork hooks covers the whole flavor, call_rcu included; the
 * names of liburcu's memb and signal flavors map to it too. */
#define call_rcu_before_fork		urcu_tlb_before_fork
#define call_rcu_after_fork_parent	urcu_tlb_after_fork_parent
#define call_rcu_after_fork_child	urcu_tlb_after_fork_child
#define rcu_memb_before_fork		urcu_tlb_before_fork
#define rcu_memb_after_fork_parent	urcu_tlb_after_fork_parent
#define rcu_memb_after_fork_child	urcu_tlb_after_fork_child
#define rcu_sig_before_fork		urcu_tlb_before_fork
#define rcu_sig_after_fork_parent	urcu_tlb_after_fork_parent
#define rcu_sig_after_fork_child	urcu_tlb_after_fork_child

#endif /* _URCU_TLB_MAP_H */
