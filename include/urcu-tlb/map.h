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

#endif /* _URCU_TLB_MAP_H */
