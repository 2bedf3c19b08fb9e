/*
 * fork.c: keeping the library usable in the child of fork().
 *
 * fork() must never wait for a grace period or a callback: either may wait
 * for a reader that waits for a lock the forking thread holds (liburcu's
 * flavors return from fork() there too).  So before the fork only the
 * locks that are held briefly and never across such a wait are taken, in
 * the order the library always takes them: call_rcu's worker start, the
 * defer thread's start and ring list, the mechanism's, the registry's.
 * The child inherits none of them held halfway through an operation.
 * What is held across waits (gp_mutex, call_rcu's runner_mutex, defer's
 * drain_mutex) is not taken: the state those guard is never half written
 * (each part says why), and the child, where only the forking thread
 * exists, starts them afresh.  There the registry keeps the forking thread
 * alone, the call_rcu and defer workers start again when needed, and each
 * mechanism re-initialises what it must (membarrier registers again).
 * liburcu-cds's hash table registers its own hooks; they run only when the
 * program calls liburcu's manual call_rcu fork hooks (below).
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
	tlb_call_rcu_before_fork();
	tlb_defer_before_fork();
	tlb_mech_before_fork();
	tlb_registry_lock();
}

static void after_fork(bool child)
{
	if (child) {
		tlb_registry_after_fork_child();
		tlb_gp_after_fork_child();
	}
	tlb_registry_unlock();
	tlb_mech_after_fork(child);
	tlb_defer_after_fork(child);
	tlb_call_rcu_after_fork(child);
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

/*
 * liburcu's manual call_rcu fork hooks (call_rcu_before_fork() and its
 * two siblings): the library's own, nested, and around them liburcu-cds's
 * hash-table hooks, as liburcu's call those.  The automatic handlers do
 * not call the hash table's: its before-fork hook waits for a resize in
 * progress, which waits for grace periods, and fork() must not (liburcu's
 * memb flavor runs them only when the program calls these three).
 */
static __thread int call_rcu_fork_depth
	__attribute__((tls_model("initial-exec")));

void urcu_tlb_call_rcu_before_fork(void)
{
	if (!call_rcu_fork_depth++) {
		pthread_mutex_lock(&atfork_mutex);
		if (lfht_atfork)
			lfht_atfork->before_fork(lfht_atfork->priv);
	}
	urcu_tlb_before_fork();
}

static void call_rcu_after_fork(bool child)
{
	if (child)
		urcu_tlb_after_fork_child();
	else
		urcu_tlb_after_fork_parent();
	if (--call_rcu_fork_depth)
		return;
	if (lfht_atfork) {
		if (child)
			lfht_atfork->after_fork_child(lfht_atfork->priv);
		else
			lfht_atfork->after_fork_parent(lfht_atfork->priv);
	}
	pthread_mutex_unlock(&atfork_mutex);
}

void urcu_tlb_call_rcu_after_fork_parent(void)
{
	call_rcu_after_fork(false);
}

void urcu_tlb_call_rcu_after_fork_child(void)
{
	call_rcu_after_fork(true);
}

/*
 * At load time: installed at the first call instead, they would miss a
 * fork() by one thread while another makes its first call (the child
 * would then believe a worker runs that did not cross the fork).
 */
__attribute__((constructor)) static void install_fork_handlers(void)
{
	if (pthread_atfork(urcu_tlb_before_fork, urcu_tlb_after_fork_parent,
			   urcu_tlb_after_fork_child))
		tlb_say("pthread_atfork failed: a child of fork() must call urcu_tlb_after_fork_child() itself");
}
