/*
 * stats.c: the counters behind urcu_tlb_get_stats().
 */
#include "internal.h"

TLB_HIDDEN struct tlb_counters tlb_counters;

void urcu_tlb_get_stats(struct urcu_tlb_stats *out)
{
	out->synchronize_calls = uatomic_read(&tlb_counters.synchronize_calls);
	out->grace_periods = uatomic_read(&tlb_counters.grace_periods);
	out->heavy_fences = uatomic_read(&tlb_counters.heavy_fences);
	out->mechanism_fallbacks = uatomic_read(&tlb_counters.mechanism_fallbacks);
	out->registered_threads = uatomic_read(&tlb_counters.registered_threads);
	out->callbacks_queued = uatomic_read(&tlb_counters.callbacks_queued);
	out->callbacks_invoked = uatomic_read(&tlb_counters.callbacks_invoked);
	out->callback_batches = uatomic_read(&tlb_counters.callback_batches);
}
