/*
 * registry.c: the table of registered reader threads.
 *
 * Each registered thread has two cache-line-aligned halves in its TLS: the
 * public slot (struct urcu_tlb_reader, the only memory its read side
 * writes) and the private struct tlb_thread that links it into the registry.
 * The registry is a list protected by one mutex; the grace-period engine
 * and the signal mechanism walk it under that mutex, and the engine drops
 * it while it waits, so threads register and unregister freely while grace
 * periods run.
 *
 * A thread that exits without unregistering is unregistered by a
 * pthread-key destructor, which runs while the thread's TLS is still
 * valid: its slot can neither stall a later grace period nor dangle.
 *
 * It must also stay registered for as long as other thread-exit
 * destructors may run, because they may enter read-side critical
 * sections.  glibc runs those destructors in up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds (4), each in key order, a further
 * round only while some key was set again during the last.  So the
 * destructor sets its key again in every round but the last, and lets the
 * thread go only then: every destructor of rounds 1 to 3, and of round 4
 * before ours, runs registered.  The key is created when the library is
 * loaded, so that it comes early in each round.  A destructor that runs
 * after ours in round 4 finds the thread let go: its read_lock aborts
 * with a line saying why (the slot holds the all-ones depth, which sends
 * read_lock to its slow path) instead of reading unprotected, and so does
 * registering again.  The count of our destructor's calls is the round
 * only for a thread that was registered before it began to exit: one that
 * registers for the first time in a thread-exit destructor must
 * unregister itself before it ends (docs/api.md).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

DEFINE_URCU_TLS(struct urcu_tlb_reader, urcu_tlb_reader)
	__attribute__((tls_model("initial-exec")));

static __thread struct tlb_thread tlb_thread_self
	__attribute__((tls_model("initial-exec")));
/* Calls of unregister_at_exit() on this thread: the destructor round. */
static __thread int exit_rounds __attribute__((tls_model("initial-exec")));

TLB_HIDDEN CDS_LIST_HEAD(tlb_registry);
static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

void tlb_registry_lock(void)
{
	int err = pthread_mutex_lock(&registry_mutex);

	if (err)
		urcu_tlb_misuse("registry lock", strerror(err));
}

void tlb_registry_unlock(void)
{
	int err = pthread_mutex_unlock(&registry_mutex);

	if (err)
		urcu_tlb_misuse("registry unlock", strerror(err));
}

struct tlb_thread *tlb_self(void)
{
	return &tlb_thread_self;
}

static void unlink_self(void)
{
	struct tlb_thread *t = &tlb_thread_self;

	tlb_registry_lock();
	cds_list_del(&t->node);
	uatomic_set(&tlb_counters.registered_threads,
		    tlb_counters.registered_threads - 1);
	tlb_registry_unlock();
	URCU_TLS(urcu_tlb_reader).registered = 0;
}

/*
 * The calling thread is exiting inside a read-side critical section (it
 * was cancelled at a system call inside one, say).  It can no longer touch
 * anything, so the section is ended for it; otherwise every later grace
 * period would wait for it forever.
 */
void tlb_end_section_at_exit(void)
{
	struct urcu_tlb_reader *r = &URCU_TLS(urcu_tlb_reader);
	unsigned long ended = r->ctr;

	if (!tlb_in_read_section())
		return;
	CMM_STORE_SHARED(r->ctr, 0);
	/* The cleared slot is visible before we look for a sleeper (Claim 4
	 * in gp.c, with a full barrier in place of the compiler's). */
	cmm_smp_mb();
	_urcu_tlb_wake_up_gp(ended);
}

/* The depth that marks a thread let go of at exit (see the top). */
#define LET_GO		URCU_TLB_NEST_MASK

/* pthread-key destructor: the thread is exiting; see the top of the file. */
static void unregister_at_exit(void *arg)
{
	struct urcu_tlb_reader *r = &URCU_TLS(urcu_tlb_reader);

	if (++exit_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		/* Called again next round; a section the thread left open
		 * when it was cancelled is over now. */
		if (exit_rounds == 1 && r->registered)
			tlb_end_section_at_exit();
		(void) pthread_setspecific(exit_key, arg);
		return;
	}
	if (r->registered) {
		tlb_end_section_at_exit();
		unlink_self();
	}
	CMM_STORE_SHARED(r->ctr, LET_GO);
}

void urcu_tlb_read_lock_refused(void)
{
	const struct urcu_tlb_reader *r = &URCU_TLS(urcu_tlb_reader);

	if (exit_rounds >= PTHREAD_DESTRUCTOR_ITERATIONS)
		urcu_tlb_misuse("urcu_tlb_read_lock",
			"called from a thread-exit destructor in glibc's last destructor round, after liburcu-tlb let the exiting thread go: no grace period would wait for it");
	if (!r->registered)
		urcu_tlb_misuse("urcu_tlb_read_lock",
			"called from a thread that is not registered (call urcu_tlb_register_thread first)");
	urcu_tlb_misuse("urcu_tlb_read_lock",
		"read-side critical sections nested deeper than URCU_TLB_NEST_MAX (16777214)");
}

/*
 * In the child of fork() (registry lock held since before the fork): the
 * other threads do not exist here, so their entries go; only the forking
 * thread stays, if it was registered.
 */
void tlb_registry_after_fork_child(void)
{
	struct tlb_thread *t = &tlb_thread_self;

	CDS_INIT_LIST_HEAD(&tlb_registry);
	tlb_counters.registered_threads = 0;
	if (URCU_TLS(urcu_tlb_reader).registered) {
		t->tid = pthread_self();
		t->kernel_tid = gettid();
		t->need_mb = 0;
		cds_list_add(&t->node, &tlb_registry);
		tlb_counters.registered_threads = 1;
	}
}

static void create_exit_key(void)
{
	int err = pthread_key_create(&exit_key, unregister_at_exit);

	if (err)
		urcu_tlb_misuse("urcu_tlb_register_thread", strerror(err));
}

/* At load time, so that the key comes before the program's own. */
__attribute__((constructor)) static void create_exit_key_early(void)
{
	pthread_once(&exit_key_once, create_exit_key);
}

void urcu_tlb_register_thread(void)
{
	struct urcu_tlb_reader *r = &URCU_TLS(urcu_tlb_reader);
	struct tlb_thread *t = &tlb_thread_self;
	int err;

	if (r->registered)
		urcu_tlb_misuse("urcu_tlb_register_thread",
				"thread is already registered (registering twice)");
	if (exit_rounds >= PTHREAD_DESTRUCTOR_ITERATIONS)
		urcu_tlb_misuse("urcu_tlb_register_thread",
				"called from a thread-exit destructor in glibc's last destructor round: nothing would unregister the thread before it ends");
	tlb_init();
	pthread_once(&exit_key_once, create_exit_key);
	err = pthread_setspecific(exit_key, t);
	if (err)
		urcu_tlb_misuse("urcu_tlb_register_thread", strerror(err));
	r->ctr = 0;
	t->reader = r;
	t->tid = pthread_self();
	t->kernel_tid = gettid();
	t->seen_gp = 0;
	t->need_mb = 0;
	tlb_registry_lock();
	cds_list_add(&t->node, &tlb_registry);
	uatomic_set(&tlb_counters.registered_threads,
		    tlb_counters.registered_threads + 1);
	tlb_registry_unlock();
	r->registered = 1;
}

void urcu_tlb_unregister_thread(void)
{
	struct urcu_tlb_reader *r = &URCU_TLS(urcu_tlb_reader);

	if (!r->registered)
		urcu_tlb_misuse("urcu_tlb_unregister_thread",
				"thread is not registered");
	if (r->ctr & URCU_TLB_NEST_MASK)
		urcu_tlb_misuse("urcu_tlb_unregister_thread",
				"called inside a read-side critical section");
	unlink_self();
	/* An exiting thread keeps its destructor armed: it counts rounds. */
	if (!exit_rounds)
		(void) pthread_setspecific(exit_key, NULL);
}
