/*
 * <urcu-tlb-compat.h>, in liburcu-tlb's compatibility directory: what the
 * compatibility headers <urcu.h>, <urcu/urcu-memb.h>, <urcu/urcu-signal.h>
 * and <urcu/urcu-mb.h> share.
 *
 * liburcu-tlb itself, with liburcu's classic names mapped (<urcu-tlb.h>),
 * and the names of liburcu's memb, signal and mb flavors mapped too:
 * urcu_memb_read_lock, synchronize_rcu_memb, urcu_signal_call_rcu, ...
 *
 * Not mapped, since liburcu-tlb has no such thing: the flavors' internal
 * rcu_gp and rcu_reader (using them stops the build with a message,
 * <urcu-tlb/map.h>), and the signal flavor's SIGRCU (the signal
 * liburcu-tlb uses is chosen at run time: urcu_tlb_mechanism_signal()).
 * The classic names and the memb flavor's own ("_memb"-suffixed and
 * urcu_memb_-prefixed) are in <urcu-tlb/map.h>; this header adds the
 * signal and mb flavors' names.
 */
#ifndef _URCU_TLB_COMPAT_H
#define _URCU_TLB_COMPAT_H

/* liburcu's own flavor header was included first, from liburcu's include
 * directory: the two cannot share a translation unit. */
#if defined(_URCU_MEMB_H) || defined(_URCU_SIGNAL_H) || defined(_URCU_MB_H)
#error "a liburcu flavor header was included before liburcu-tlb's compatibility headers: put liburcu-tlb's compatibility include directory first (-I)"
#endif

#include <urcu-tlb.h>

/* ---- the signal flavor's names ------------------------------------------ */

#define urcu_signal_read_lock			urcu_tlb_read_lock
#define urcu_signal_read_unlock			urcu_tlb_read_unlock
#define urcu_signal_read_ongoing		urcu_tlb_read_ongoing
#define _urcu_signal_read_lock			_urcu_tlb_read_lock
#define _urcu_signal_read_unlock		_urcu_tlb_read_unlock
#define _urcu_signal_read_ongoing		_urcu_tlb_read_ongoing
#define urcu_signal_register_thread		urcu_tlb_register_thread
#define urcu_signal_unregister_thread		urcu_tlb_unregister_thread
#define urcu_signal_init			urcu_tlb_init
#define urcu_signal_synchronize_rcu		urcu_tlb_synchronize_rcu
#define urcu_signal_quiescent_state		urcu_tlb_quiescent_state
#define urcu_signal_thread_offline		urcu_tlb_thread_offline
#define urcu_signal_thread_online		urcu_tlb_thread_online
#define urcu_signal_call_rcu			urcu_tlb_call_rcu
#define urcu_signal_barrier			urcu_tlb_barrier
#define urcu_signal_defer_rcu			urcu_tlb_defer_rcu
#define urcu_signal_defer_register_thread	urcu_tlb_defer_register_thread
#define urcu_signal_defer_unregister_thread	urcu_tlb_defer_unregister_thread
#define urcu_signal_defer_barrier		urcu_tlb_defer_barrier
#define urcu_signal_defer_barrier_thread	urcu_tlb_defer_barrier_thread
#define urcu_signal_flavor			urcu_tlb_flavor
#define urcu_signal_before_fork			urcu_tlb_before_fork
#define urcu_signal_after_fork_parent		urcu_tlb_after_fork_parent
#define urcu_signal_after_fork_child		urcu_tlb_after_fork_child
#define urcu_signal_call_rcu_before_fork	urcu_tlb_call_rcu_before_fork
#define urcu_signal_call_rcu_after_fork_parent	urcu_tlb_call_rcu_after_fork_parent
#define urcu_signal_call_rcu_after_fork_child	urcu_tlb_call_rcu_after_fork_child
#define urcu_signal_register_rculfhash_atfork	urcu_tlb_register_rculfhash_atfork
#define urcu_signal_unregister_rculfhash_atfork	urcu_tlb_unregister_rculfhash_atfork
#define urcu_signal_dereference			rcu_dereference
#define urcu_signal_set_pointer			rcu_set_pointer
#define urcu_signal_xchg_pointer		rcu_xchg_pointer
#define urcu_signal_cmpxchg_pointer		rcu_cmpxchg_pointer
#define urcu_signal_exit				urcu_tlb_exit
#define urcu_signal_defer_exit			urcu_tlb_defer_exit
#define urcu_signal_start_poll_synchronize_rcu	urcu_tlb_start_poll_synchronize_rcu
#define urcu_signal_poll_state_synchronize_rcu	urcu_tlb_poll_state_synchronize_rcu
#define urcu_signal_create_call_rcu_data		urcu_tlb_create_call_rcu_data
#define urcu_signal_call_rcu_data_free		urcu_tlb_call_rcu_data_free
#define urcu_signal_get_default_call_rcu_data	urcu_tlb_get_default_call_rcu_data
#define urcu_signal_get_cpu_call_rcu_data		urcu_tlb_get_cpu_call_rcu_data
#define urcu_signal_get_thread_call_rcu_data	urcu_tlb_get_thread_call_rcu_data
#define urcu_signal_get_call_rcu_data		urcu_tlb_get_call_rcu_data
#define urcu_signal_get_call_rcu_thread		urcu_tlb_get_call_rcu_thread
#define urcu_signal_set_thread_call_rcu_data	urcu_tlb_set_thread_call_rcu_data
#define urcu_signal_set_cpu_call_rcu_data		urcu_tlb_set_cpu_call_rcu_data
#define urcu_signal_create_all_cpu_call_rcu_data	urcu_tlb_create_all_cpu_call_rcu_data
#define urcu_signal_free_all_cpu_call_rcu_data	urcu_tlb_free_all_cpu_call_rcu_data

#define rcu_read_lock_sig			urcu_tlb_read_lock
#define rcu_read_unlock_sig			urcu_tlb_read_unlock
#define rcu_read_ongoing_sig			urcu_tlb_read_ongoing
#define _rcu_read_lock_sig			_urcu_tlb_read_lock
#define _rcu_read_unlock_sig			_urcu_tlb_read_unlock
#define _rcu_read_ongoing_sig			_urcu_tlb_read_ongoing
#define rcu_register_thread_sig			urcu_tlb_register_thread
#define rcu_unregister_thread_sig		urcu_tlb_unregister_thread
#define rcu_init_sig				urcu_tlb_init
#define synchronize_rcu_sig			urcu_tlb_synchronize_rcu
#define call_rcu_sig				urcu_tlb_call_rcu
#define rcu_barrier_sig				urcu_tlb_barrier
#define defer_rcu_sig				urcu_tlb_defer_rcu
#define rcu_defer_register_thread_sig		urcu_tlb_defer_register_thread
#define rcu_defer_unregister_thread_sig		urcu_tlb_defer_unregister_thread
#define rcu_defer_barrier_sig			urcu_tlb_defer_barrier
#define rcu_defer_barrier_thread_sig		urcu_tlb_defer_barrier_thread
#define rcu_flavor_sig				urcu_tlb_flavor
#define rcu_dereference_sig			rcu_dereference
#define rcu_set_pointer_sig			rcu_set_pointer
#define rcu_xchg_pointer_sig			rcu_xchg_pointer
#define rcu_cmpxchg_pointer_sig			rcu_cmpxchg_pointer

/* ---- the mb flavor's names ---------------------------------------------- */

#define urcu_mb_read_lock			urcu_tlb_read_lock
#define urcu_mb_read_unlock			urcu_tlb_read_unlock
#define urcu_mb_read_ongoing			urcu_tlb_read_ongoing
#define _urcu_mb_read_lock			_urcu_tlb_read_lock
#define _urcu_mb_read_unlock			_urcu_tlb_read_unlock
#define _urcu_mb_read_ongoing			_urcu_tlb_read_ongoing
#define urcu_mb_register_thread			urcu_tlb_register_thread
#define urcu_mb_unregister_thread		urcu_tlb_unregister_thread
#define urcu_mb_init				urcu_tlb_init
#define urcu_mb_synchronize_rcu			urcu_tlb_synchronize_rcu
#define urcu_mb_quiescent_state			urcu_tlb_quiescent_state
#define urcu_mb_thread_offline			urcu_tlb_thread_offline
#define urcu_mb_thread_online			urcu_tlb_thread_online
#define urcu_mb_call_rcu			urcu_tlb_call_rcu
#define urcu_mb_barrier				urcu_tlb_barrier
#define urcu_mb_defer_rcu			urcu_tlb_defer_rcu
#define urcu_mb_defer_register_thread		urcu_tlb_defer_register_thread
#define urcu_mb_defer_unregister_thread		urcu_tlb_defer_unregister_thread
#define urcu_mb_defer_barrier			urcu_tlb_defer_barrier
#define urcu_mb_defer_barrier_thread		urcu_tlb_defer_barrier_thread
#define urcu_mb_flavor				urcu_tlb_flavor
#define urcu_mb_before_fork			urcu_tlb_before_fork
#define urcu_mb_after_fork_parent		urcu_tlb_after_fork_parent
#define urcu_mb_after_fork_child		urcu_tlb_after_fork_child
#define urcu_mb_call_rcu_before_fork		urcu_tlb_call_rcu_before_fork
#define urcu_mb_call_rcu_after_fork_parent	urcu_tlb_call_rcu_after_fork_parent
#define urcu_mb_call_rcu_after_fork_child	urcu_tlb_call_rcu_after_fork_child
#define urcu_mb_register_rculfhash_atfork	urcu_tlb_register_rculfhash_atfork
#define urcu_mb_unregister_rculfhash_atfork	urcu_tlb_unregister_rculfhash_atfork
#define urcu_mb_dereference			rcu_dereference
#define urcu_mb_set_pointer			rcu_set_pointer
#define urcu_mb_xchg_pointer			rcu_xchg_pointer
#define urcu_mb_cmpxchg_pointer			rcu_cmpxchg_pointer
#define urcu_mb_exit				urcu_tlb_exit
#define urcu_mb_defer_exit			urcu_tlb_defer_exit
#define urcu_mb_start_poll_synchronize_rcu	urcu_tlb_start_poll_synchronize_rcu
#define urcu_mb_poll_state_synchronize_rcu	urcu_tlb_poll_state_synchronize_rcu
#define urcu_mb_create_call_rcu_data		urcu_tlb_create_call_rcu_data
#define urcu_mb_call_rcu_data_free		urcu_tlb_call_rcu_data_free
#define urcu_mb_get_default_call_rcu_data	urcu_tlb_get_default_call_rcu_data
#define urcu_mb_get_cpu_call_rcu_data		urcu_tlb_get_cpu_call_rcu_data
#define urcu_mb_get_thread_call_rcu_data	urcu_tlb_get_thread_call_rcu_data
#define urcu_mb_get_call_rcu_data		urcu_tlb_get_call_rcu_data
#define urcu_mb_get_call_rcu_thread		urcu_tlb_get_call_rcu_thread
#define urcu_mb_set_thread_call_rcu_data	urcu_tlb_set_thread_call_rcu_data
#define urcu_mb_set_cpu_call_rcu_data		urcu_tlb_set_cpu_call_rcu_data
#define urcu_mb_create_all_cpu_call_rcu_data	urcu_tlb_create_all_cpu_call_rcu_data
#define urcu_mb_free_all_cpu_call_rcu_data	urcu_tlb_free_all_cpu_call_rcu_data

#define rcu_read_lock_mb			urcu_tlb_read_lock
#define rcu_read_unlock_mb			urcu_tlb_read_unlock
#define rcu_read_ongoing_mb			urcu_tlb_read_ongoing
#define _rcu_read_lock_mb			_urcu_tlb_read_lock
#define _rcu_read_unlock_mb			_urcu_tlb_read_unlock
#define _rcu_read_ongoing_mb			_urcu_tlb_read_ongoing
#define rcu_register_thread_mb			urcu_tlb_register_thread
#define rcu_unregister_thread_mb		urcu_tlb_unregister_thread
#define rcu_init_mb				urcu_tlb_init
#define synchronize_rcu_mb			urcu_tlb_synchronize_rcu
#define call_rcu_mb				urcu_tlb_call_rcu
#define rcu_barrier_mb				urcu_tlb_barrier
#define defer_rcu_mb				urcu_tlb_defer_rcu
#define rcu_defer_register_thread_mb		urcu_tlb_defer_register_thread
#define rcu_defer_unregister_thread_mb		urcu_tlb_defer_unregister_thread
#define rcu_defer_barrier_mb			urcu_tlb_defer_barrier
#define rcu_defer_barrier_thread_mb		urcu_tlb_defer_barrier_thread
#define rcu_flavor_mb				urcu_tlb_flavor
#define rcu_dereference_mb			rcu_dereference
#define rcu_set_pointer_mb			rcu_set_pointer
#define rcu_xchg_pointer_mb			rcu_xchg_pointer
#define rcu_cmpxchg_pointer_mb			rcu_cmpxchg_pointer

#endif /* _URCU_TLB_COMPAT_H */
