/*
 * flavor.c: liburcu's flavor interface for liburcu-tlb, so that
 * liburcu-cds's hash table and other flavor-taking structures run on it.
 */
#include "internal.h"

#undef urcu_tlb_read_lock
#undef urcu_tlb_read_unlock
#undef urcu_tlb_read_ongoing

/* The exported read side (read.c); this file sees the inline names. */
void urcu_tlb_read_lock(void);
void urcu_tlb_read_unlock(void);
int urcu_tlb_read_ongoing(void);

/* Quiescent states and offline periods belong to QSBR; here every thread
 * outside a read-side critical section is already quiescent. */
void urcu_tlb_quiescent_state(void)
{
}

void urcu_tlb_thread_offline(void)
{
}

void urcu_tlb_thread_online(void)
{
}

const struct rcu_flavor_struct urcu_tlb_flavor = {
	.read_lock = urcu_tlb_read_lock,
	.read_unlock = urcu_tlb_read_unlock,
	.read_ongoing = urcu_tlb_read_ongoing,
	.read_quiescent_state = urcu_tlb_quiescent_state,
	.update_call_rcu = urcu_tlb_call_rcu,
	.update_synchronize_rcu = urcu_tlb_synchronize_rcu,
	.update_defer_rcu = urcu_tlb_defer_rcu,
	.thread_offline = urcu_tlb_thread_offline,
	.thread_online = urcu_tlb_thread_online,
	.register_thread = urcu_tlb_register_thread,
	.unregister_thread = urcu_tlb_unregister_thread,
	.barrier = urcu_tlb_barrier,
	.register_rculfhash_atfork = urcu_tlb_register_rculfhash_atfork,
	.unregister_rculfhash_atfork = urcu_tlb_unregister_rculfhash_atfork,
#ifdef HAVE_FLAVOR_POLL	/* liburcu >= 0.14 */
	.update_start_poll_synchronize_rcu = urcu_tlb_start_poll_synchronize_rcu,
	.update_poll_state_synchronize_rcu = urcu_tlb_poll_state_synchronize_rcu,
#endif
};
