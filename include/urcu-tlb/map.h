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
#define rcu_exit			urcu_tlb_exit
#define _rcu_read_lock			_urcu_tlb_read_lock
#define _rcu_read_unlock		_urcu_tlb_read_unlock
#define _rcu_read_ongoing		_urcu_tlb_read_ongoing

/* Quiescent states and offline periods are QSBR notions: no-ops here. */
#define rcu_quiescent_state		urcu_tlb_quiescent_state
#define _rcu_quiescent_state		urcu_tlb_quiescent_state
#define rcu_thread_offline		urcu_tlb_thread_offline
#define rcu_thread_online		urcu_tlb_thread_online

#define start_poll_synchronize_rcu	urcu_tlb_start_poll_synchronize_rcu
#define poll_state_synchronize_rcu	urcu_tlb_poll_state_synchronize_rcu

#define call_rcu			urcu_tlb_call_rcu
#define rcu_barrier			urcu_tlb_barrier
#define create_call_rcu_data		urcu_tlb_create_call_rcu_data
#define call_rcu_data_free		urcu_tlb_call_rcu_data_free
#define get_default_call_rcu_data	urcu_tlb_get_default_call_rcu_data
#define get_cpu_call_rcu_data		urcu_tlb_get_cpu_call_rcu_data
#define get_thread_call_rcu_data	urcu_tlb_get_thread_call_rcu_data
#define get_call_rcu_data		urcu_tlb_get_call_rcu_data
#define get_call_rcu_thread		urcu_tlb_get_call_rcu_thread
#define set_thread_call_rcu_data	urcu_tlb_set_thread_call_rcu_data
#define set_cpu_call_rcu_data		urcu_tlb_set_cpu_call_rcu_data
#define create_all_cpu_call_rcu_data	urcu_tlb_create_all_cpu_call_rcu_data
#define free_all_cpu_call_rcu_data	urcu_tlb_free_all_cpu_call_rcu_data

#define defer_rcu			urcu_tlb_defer_rcu
#define rcu_defer_register_thread	urcu_tlb_defer_register_thread
#define rcu_defer_unregister_thread	urcu_tlb_defer_unregister_thread
#define rcu_defer_barrier		urcu_tlb_defer_barrier
#define rcu_defer_barrier_thread	urcu_tlb_defer_barrier_thread
#define rcu_defer_exit			urcu_tlb_defer_exit

#define rcu_flavor			urcu_tlb_flavor
#define urcu_register_rculfhash_atfork	urcu_tlb_register_rculfhash_atfork
#define urcu_unregister_rculfhash_atfork urcu_tlb_unregister_rculfhash_atfork

/* One set of fork hooks covers the whole flavor, call_rcu included; the
 * names of liburcu's memb and signal flavors map to it too.  liburcu's
 * call_rcu hooks also run liburcu-cds's hash-table hooks, as in liburcu. */
#define call_rcu_before_fork		urcu_tlb_call_rcu_before_fork
#define call_rcu_after_fork_parent	urcu_tlb_call_rcu_after_fork_parent
#define call_rcu_after_fork_child	urcu_tlb_call_rcu_after_fork_child
#define rcu_memb_before_fork		urcu_tlb_before_fork
#define rcu_memb_after_fork_parent	urcu_tlb_after_fork_parent
#define rcu_memb_after_fork_child	urcu_tlb_after_fork_child
#define rcu_sig_before_fork		urcu_tlb_before_fork
#define rcu_sig_after_fork_parent	urcu_tlb_after_fork_parent
#define rcu_sig_after_fork_child	urcu_tlb_after_fork_child

/*
 * liburcu-memb's own state, which some programs reach (URCU_TLS(rcu_reader)
 * in liburcu's benchmarks): liburcu-tlb's is laid out differently and
 * private, so using these names stops the build with a message.
 */
#define _URCU_TLB_PRAGMA(x)	_Pragma(#x)
#define rcu_reader	_URCU_TLB_PRAGMA(GCC error "rcu_reader is the per-thread reader state of liburcu's memb flavor, which liburcu-tlb does not have (its own is private): use rcu_read_ongoing() or the public API") 0
#define rcu_reader_memb	_URCU_TLB_PRAGMA(GCC error "rcu_reader_memb is the per-thread reader state of liburcu's memb flavor, which liburcu-tlb does not have (its own is private): use rcu_read_ongoing() or the public API") 0
#define rcu_gp		_URCU_TLB_PRAGMA(GCC error "rcu_gp is the grace-period state of liburcu's memb flavor, which liburcu-tlb does not have (its own is private): use the public API") 0
#define rcu_gp_memb	_URCU_TLB_PRAGMA(GCC error "rcu_gp_memb is the grace-period state of liburcu's memb flavor, which liburcu-tlb does not have (its own is private): use the public API") 0

/* The names with liburcu-memb's "_memb" suffix, for programs that spell
 * the flavor out. */
#define rcu_read_lock_memb		urcu_tlb_read_lock
#define _rcu_read_lock_memb		_urcu_tlb_read_lock
#define rcu_read_unlock_memb		urcu_tlb_read_unlock
#define _rcu_read_unlock_memb		_urcu_tlb_read_unlock
#define rcu_read_ongoing_memb		urcu_tlb_read_ongoing
#define _rcu_read_ongoing_memb		_urcu_tlb_read_ongoing
#define rcu_register_thread_memb	urcu_tlb_register_thread
#define rcu_unregister_thread_memb	urcu_tlb_unregister_thread
#define rcu_init_memb			urcu_tlb_init
#define rcu_exit_memb			urcu_tlb_exit
#define synchronize_rcu_memb		urcu_tlb_synchronize_rcu
#define call_rcu_memb			urcu_tlb_call_rcu
#define rcu_barrier_memb		urcu_tlb_barrier
#define create_call_rcu_data_memb	urcu_tlb_create_call_rcu_data
#define call_rcu_data_free_memb		urcu_tlb_call_rcu_data_free
#define get_default_call_rcu_data_memb	urcu_tlb_get_default_call_rcu_data
#define get_cpu_call_rcu_data_memb	urcu_tlb_get_cpu_call_rcu_data
#define get_thread_call_rcu_data_memb	urcu_tlb_get_thread_call_rcu_data
#define get_call_rcu_data_memb		urcu_tlb_get_call_rcu_data
#define get_call_rcu_thread_memb	urcu_tlb_get_call_rcu_thread
#define set_thread_call_rcu_data_memb	urcu_tlb_set_thread_call_rcu_data
#define set_cpu_call_rcu_data_memb	urcu_tlb_set_cpu_call_rcu_data
#define create_all_cpu_call_rcu_data_memb urcu_tlb_create_all_cpu_call_rcu_data
#define free_all_cpu_call_rcu_data_memb	urcu_tlb_free_all_cpu_call_rcu_data
#define call_rcu_before_fork_memb	urcu_tlb_call_rcu_before_fork
#define call_rcu_after_fork_parent_memb	urcu_tlb_call_rcu_after_fork_parent
#define call_rcu_after_fork_child_memb	urcu_tlb_call_rcu_after_fork_child
#define defer_rcu_memb			urcu_tlb_defer_rcu
#define rcu_defer_register_thread_memb	urcu_tlb_defer_register_thread
#define rcu_defer_unregister_thread_memb urcu_tlb_defer_unregister_thread
#define rcu_defer_barrier_memb		urcu_tlb_defer_barrier
#define rcu_defer_barrier_thread_memb	urcu_tlb_defer_barrier_thread
#define rcu_defer_exit_memb		urcu_tlb_defer_exit
#define rcu_flavor_memb			urcu_tlb_flavor
#define urcu_register_rculfhash_atfork_memb urcu_tlb_register_rculfhash_atfork
#define urcu_unregister_rculfhash_atfork_memb urcu_tlb_unregister_rculfhash_atfork
#define rcu_dereference_memb		rcu_dereference
#define rcu_cmpxchg_pointer_memb	rcu_cmpxchg_pointer
#define rcu_xchg_pointer_memb		rcu_xchg_pointer
#define rcu_set_pointer_memb		rcu_set_pointer

/* liburcu's explicit memb API (<urcu/urcu-memb.h>, liburcu >= 0.11): the
 * urcu_memb_ names a program may call instead of the classic ones. */
#define urcu_memb_read_lock				urcu_tlb_read_lock
#define urcu_memb_read_unlock				urcu_tlb_read_unlock
#define urcu_memb_read_ongoing				urcu_tlb_read_ongoing
#define urcu_memb_register_thread			urcu_tlb_register_thread
#define urcu_memb_unregister_thread			urcu_tlb_unregister_thread
#define urcu_memb_init					urcu_tlb_init
#define urcu_memb_exit					urcu_tlb_exit
#define urcu_memb_synchronize_rcu			urcu_tlb_synchronize_rcu
#define urcu_memb_start_poll_synchronize_rcu		urcu_tlb_start_poll_synchronize_rcu
#define urcu_memb_poll_state_synchronize_rcu		urcu_tlb_poll_state_synchronize_rcu
#define urcu_memb_quiescent_state			urcu_tlb_quiescent_state
#define urcu_memb_thread_offline			urcu_tlb_thread_offline
#define urcu_memb_thread_online				urcu_tlb_thread_online
#define urcu_memb_call_rcu				urcu_tlb_call_rcu
#define urcu_memb_barrier				urcu_tlb_barrier
#define urcu_memb_create_call_rcu_data			urcu_tlb_create_call_rcu_data
#define urcu_memb_call_rcu_data_free			urcu_tlb_call_rcu_data_free
#define urcu_memb_get_default_call_rcu_data		urcu_tlb_get_default_call_rcu_data
#define urcu_memb_get_cpu_call_rcu_data			urcu_tlb_get_cpu_call_rcu_data
#define urcu_memb_get_thread_call_rcu_data		urcu_tlb_get_thread_call_rcu_data
#define urcu_memb_get_call_rcu_data			urcu_tlb_get_call_rcu_data
#define urcu_memb_get_call_rcu_thread			urcu_tlb_get_call_rcu_thread
#define urcu_memb_set_thread_call_rcu_data		urcu_tlb_set_thread_call_rcu_data
#define urcu_memb_set_cpu_call_rcu_data			urcu_tlb_set_cpu_call_rcu_data
#define urcu_memb_create_all_cpu_call_rcu_data		urcu_tlb_create_all_cpu_call_rcu_data
#define urcu_memb_free_all_cpu_call_rcu_data		urcu_tlb_free_all_cpu_call_rcu_data
#define urcu_memb_call_rcu_before_fork			urcu_tlb_call_rcu_before_fork
#define urcu_memb_call_rcu_after_fork_parent		urcu_tlb_call_rcu_after_fork_parent
#define urcu_memb_call_rcu_after_fork_child		urcu_tlb_call_rcu_after_fork_child
#define urcu_memb_before_fork				urcu_tlb_before_fork
#define urcu_memb_after_fork_parent			urcu_tlb_after_fork_parent
#define urcu_memb_after_fork_child			urcu_tlb_after_fork_child
#define urcu_memb_defer_rcu				urcu_tlb_defer_rcu
#define urcu_memb_defer_register_thread			urcu_tlb_defer_register_thread
#define urcu_memb_defer_unregister_thread		urcu_tlb_defer_unregister_thread
#define urcu_memb_defer_barrier				urcu_tlb_defer_barrier
#define urcu_memb_defer_barrier_thread			urcu_tlb_defer_barrier_thread
#define urcu_memb_defer_exit				urcu_tlb_defer_exit
#define urcu_memb_flavor				urcu_tlb_flavor
#define urcu_memb_register_rculfhash_atfork		urcu_tlb_register_rculfhash_atfork
#define urcu_memb_unregister_rculfhash_atfork		urcu_tlb_unregister_rculfhash_atfork
#define _urcu_memb_read_lock				_urcu_tlb_read_lock
#define _urcu_memb_read_unlock				_urcu_tlb_read_unlock
#define _urcu_memb_read_ongoing				_urcu_tlb_read_ongoing
#define urcu_memb_dereference				rcu_dereference
#define urcu_memb_cmpxchg_pointer			rcu_cmpxchg_pointer
#define urcu_memb_xchg_pointer				rcu_xchg_pointer
#define urcu_memb_set_pointer				rcu_set_pointer
#define urcu_memb_reader _URCU_TLB_PRAGMA(GCC error "urcu_memb_reader is the per-thread reader state of liburcu's memb flavor, which liburcu-tlb does not have (its own is private): use rcu_read_ongoing() or the public API") 0
#define urcu_memb_gp	_URCU_TLB_PRAGMA(GCC error "urcu_memb_gp is the grace-period state of liburcu's memb flavor, which liburcu-tlb does not have (its own is private): use the public API") 0

#endif /* _URCU_TLB_MAP_H */
