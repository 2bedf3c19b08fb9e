/*
 * stats.c: the counters behind urcu_tlb_get_stats(), and its gauges.
 *
 * The counters are atomic adds on the update side.  The gauges are
 * computed here: the readers inside a section (a look at each registered
 * thread's slot, under the registry lock: the cost is the caller's, never
 * a reader's), the callbacks pending, the oldest batch's wait.
 */
#include "internal.h"

TLB_HIDDEN struct tlb_counters tlb_counters;

static unsigned long readers_in_section(void)
{
	struct tlb_thread *t;
	unsigned long n = 0;

	tlb_registry_lock();
	cds_list_for_each_entry(t, &tlb_registry, node) {
		unsigned long nest = CMM_LOAD_SHARED(t->reader->ctr) &
				     URCU_TLB_NEST_MASK;

		n += nest - 1 < URCU_TLB_NEST_MASK - 1;
	}
	tlb_registry_unlock();
	return n;
}

void urcu_tlb_get_stats(struct urcu_tlb_stats *out)
{
	unsigned long pending;
	int i;

	out->synchronize_calls = uatomic_read(&tlb_counters.synchronize_calls);
	out->grace_periods = uatomic_read(&tlb_counters.grace_periods);
	out->heavy_fences = uatomic_read(&tlb_counters.heavy_fences);
	out->mechanism_fallbacks = uatomic_read(&tlb_counters.mechanism_fallbacks);
	out->registered_threads = uatomic_read(&tlb_counters.registered_threads);
	out->callbacks_queued = uatomic_read(&tlb_counters.callbacks_queued);
	out->callbacks_invoked = uatomic_read(&tlb_counters.callbacks_invoked);
	out->callback_batches = uatomic_read(&tlb_counters.callback_batches);
	out->gp_last_ns = uatomic_read(&tlb_counters.gp_last_ns);
	out->gp_max_ns = uatomic_read(&tlb_counters.gp_max_ns);
	for (i = 0; i < URCU_TLB_GP_HISTOGRAM; i++)
		out->gp_histogram[i] = uatomic_read(&tlb_counters.gp_histogram[i]);
	out->readers_in_section = readers_in_section();
	/* Each counter read once: invoked may pass queued read before it. */
	pending = out->callbacks_queued - out->callbacks_invoked;
	out->callbacks_pending = (long) pending > 0 ? pending : 0;
	out->callbacks_oldest_wait_ns = tlb_call_rcu_oldest_wait_ns();
	out->stalls = uatomic_read(&tlb_counters.stalls);
	out->mechanisms_retired = tlb_mechanisms_retired();
}
