/*
 * fork.c: keeping the library usable in the child of fork().
 *
 * Before the fork every lock the library takes is acquired, in the order
 * the library always takes them (call_rcu batch, defer registry, grace
 * period, mechanism, registry), so the child inherits none held halfway
 * through an operation.  In the child only the forking thread exists: the
 * registry keeps it alone, the call_rcu and defer workers start again on
 * demand, and each mechanism re-initialises what it must (membarrier
 * registers again).  liburcu-cds's hash table registers its own hooks,
 * which run first before and last after.
 *
 * The three functions nest per thread, so a program that calls them around
 * fork() as liburcu requires, on top of the pthread_atfork handlers that
 * call them too, takes the locks once.
 */
#include "internal.h"

static __thread int fork_depth __attribute__((tls_model("initial-exec")));

/* liburcu-cds's hooks: one set, shared by every hash table. */
static pthread_mutex_t atfork_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct urcu_atfork *lfht_atfork;
static int lfht_atfork_refs;

void urcu_tlb_register_rculfhash_atfork(struct urcu_atfork *atfork)
{
	pthread_mutex_lock(&atfork_mutex);
	if (lfht_atfork_refs++ == 0)
		lfht_atfork = atfork;
	pthread_mutex_unlock(&atfork_mutex);
}

void urcu_tlb_unregister_rculfhash_atfork(struct urcu_atfork *atfork)
{
	(void) atfork;
	pthread_mutex_lock(&atfork_mutex);
	if (--lfht_atfork_refs == 0)
		lfht_atfork = NULL;
	pthread_mutex_unlock(&atfork_mutex);
}

void urcu_tlb_before_fork(void)
{
	if (fork_depth++)
		return;
	if (tlb_in_read_section())
		urcu_tlb_misuse("urcu_tlb_before_fork",
			"fork inside a read-side critical section (a grace period in progress waits for this thread while fork waits for the grace period)");
	pthread_mutex_lock(&atfork_mutex);
	if (lfht_atfork)
		lfht_atfork->before_fork(lfht_atfork->priv);
	tlb_call_rcu_before_fork();
	tlb_defer_before_fork();
	tlb_gp_before_fork();
	tlb_mech_before_fork();
	tlb_registry_lock();
}

static void after_fork(bool child)
{
	if (child)
		tlb_registry_after_fork_child();
	tlb_registry_unlock();
	tlb_mech_after_fork(child);
	tlb_gp_after_fork(child);
	tlb_defer_after_fork(child);
	tlb_call_rcu_after_fork(child);
	if (lfht_atfork) {
		if (child)
			lfht_atfork->after_fork_child(lfht_atfork->priv);
		else
			lfht_atfork->after_fork_parent(lfht_atfork->priv);
	}
	pthread_mutex_unlock(&atfork_mutex);
}

void urcu_tlb_after_fork_parent(void)
{
	if (--fork_depth)
		return;
	after_fork(false);
}

void urcu_tlb_after_fork_child(void)
{
	if (--fork_depth)
		return;
	after_fork(true);
}
