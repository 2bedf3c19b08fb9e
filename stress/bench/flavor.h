/*
 * flavor.h: the one place where the benchmark's flavors differ.
 *
 * bench.c is compiled once per flavor; exactly one BENCH_FLAVOR_* macro
 * selects the header.  Every RCU flavor is used through liburcu's classic
 * names (rcu_read_lock, synchronize_rcu, call_rcu...), with _LGPL_SOURCE so
 * that the read side is inlined, and measured the way it is meant to be
 * used:
 *   - memb, mb, signal, tlb: reader threads register;
 *   - qsbr: reader threads register and announce a quiescent state once per
 *     batch of reads (FLAVOR_QS_PER_BATCH), the way liburcu's own
 *     benchmarks do; its read_lock/unlock compile to nothing;
 *   - bp: threads never register (bp registers them on first use);
 *   - rwlock: a pthread_rwlock_t (writer-preferring, so that an updater is
 *     not starved) stands for the read-side critical section, and an update
 *     is a write-locked pointer swap.
 */
#ifndef BENCH_FLAVOR_H
#define BENCH_FLAVOR_H

#define _LGPL_SOURCE

#if defined(BENCH_FLAVOR_TLB)
#include <urcu-tlb.h>
#define FLAVOR_NAME		"tlb"
#elif defined(BENCH_FLAVOR_MEMB)
#define URCU_API_MAP		/* keep the classic names mapped */
#include <urcu/urcu-memb.h>
#define FLAVOR_NAME		"memb"
#elif defined(BENCH_FLAVOR_MB)
#define URCU_API_MAP
#include <urcu/urcu-mb.h>
#define FLAVOR_NAME		"mb"
#elif defined(BENCH_FLAVOR_SIGNAL)
#define URCU_API_MAP
#include <urcu/urcu-signal.h>
#define FLAVOR_NAME		"signal"
#elif defined(BENCH_FLAVOR_QSBR)
#define URCU_API_MAP
#include <urcu/urcu-qsbr.h>
#define FLAVOR_NAME		"qsbr"
#define FLAVOR_QS_PER_BATCH	1
#elif defined(BENCH_FLAVOR_BP)
#define URCU_API_MAP
#include <urcu/urcu-bp.h>
#define FLAVOR_NAME		"bp"
#define FLAVOR_NO_REGISTRATION	1
#elif defined(BENCH_FLAVOR_RWLOCK)
#include <pthread.h>
#include <urcu/arch.h>
#include <urcu/system.h>
#define FLAVOR_NAME		"rwlock"
#define FLAVOR_RWLOCK		1
#else
#error "define one BENCH_FLAVOR_* macro"
#endif

#ifndef FLAVOR_QS_PER_BATCH
#define FLAVOR_QS_PER_BATCH	0
#endif
#ifndef FLAVOR_NO_REGISTRATION
#define FLAVOR_NO_REGISTRATION	0
#endif
#ifndef FLAVOR_RWLOCK
#define FLAVOR_RWLOCK		0
#endif

/* What the benchmark reads and replaces. */
struct bench_obj {
	unsigned long value;
	char pad[CAA_CACHE_LINE_SIZE - sizeof(unsigned long)];
};

#if FLAVOR_RWLOCK

extern pthread_rwlock_t bench_rwlock;

static inline void flavor_thread_online(void) { }
static inline void flavor_thread_offline(void) { }
static inline void flavor_batch_done(void) { }

static inline unsigned long flavor_read(struct bench_obj *const *ptr)
{
	unsigned long v;

	pthread_rwlock_rdlock(&bench_rwlock);
	v = CMM_LOAD_SHARED(*ptr)->value;
	pthread_rwlock_unlock(&bench_rwlock);
	return v;
}

/* Publish obj in place of the old object; return the old one, which no
 * reader uses any more. */
static inline struct bench_obj *flavor_replace(struct bench_obj **ptr,
					       struct bench_obj *obj)
{
	struct bench_obj *old;

	pthread_rwlock_wrlock(&bench_rwlock);
	old = *ptr;
	CMM_STORE_SHARED(*ptr, obj);
	pthread_rwlock_unlock(&bench_rwlock);
	return old;
}

#else /* RCU flavors */

/* Before a thread's first read-side critical section or call_rcu. */
static inline void flavor_thread_online(void)
{
	if (!FLAVOR_NO_REGISTRATION)
		rcu_register_thread();
}

/* Before the thread exits. */
static inline void flavor_thread_offline(void)
{
	if (!FLAVOR_NO_REGISTRATION)
		rcu_unregister_thread();
}

/* After each batch of reads: the thread holds no reference here. */
static inline void flavor_batch_done(void)
{
	if (FLAVOR_QS_PER_BATCH)
		rcu_quiescent_state();
}

static inline unsigned long flavor_read(struct bench_obj *const *ptr)
{
	struct bench_obj *p;
	unsigned long v;

	rcu_read_lock();
	p = rcu_dereference(*(struct bench_obj **) ptr);
	v = p->value;
	rcu_read_unlock();
	return v;
}

static inline struct bench_obj *flavor_replace(struct bench_obj **ptr,
					       struct bench_obj *obj)
{
	struct bench_obj *old = rcu_xchg_pointer(ptr, obj);

	synchronize_rcu();
	return old;
}

#endif

#endif /* BENCH_FLAVOR_H */
