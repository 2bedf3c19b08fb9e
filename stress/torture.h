/*
 * torture.h: an rcutorture-style test of liburcu-tlb's grace periods,
 * shared by the unit tests (tests/) and urcu-tlb-stress (stress/).
 *
 * Readers walk a table of RCU-protected objects and check, inside their
 * read-side critical sections, that what they reached has not been
 * reclaimed.  Updaters replace objects and retire the old ones: a retired
 * object is kept for TORTURE_PIPE_LEN grace periods, its "pipe" count
 * going up by one after each, then poisoned and freed (after a quarantine
 * of TORTURE_QUARANTINE more retirements, so that a late reader still
 * finds the poison rather than reused memory).  A reader must never see a
 * pipe count above zero (the object survived a whole grace period while
 * the reader, who reached it before it was retired, was still inside its
 * section) nor a poisoned object.  The histogram of pipe counts seen is
 * the age histogram of the kernel's rcutorture.
 *
 * Retirement counts grace periods with synchronize_rcu() (the updater ages
 * its own retired objects after each call), with call_rcu() (a callback
 * ages the object and queues itself again, like rcutorture's), or with
 * both, chosen at random for each update.  Flooders queue call_rcu()
 * callbacks as fast as they can meanwhile: each must run, after a grace
 * period, and the queue must keep draining.
 */
#ifndef URCU_TLB_TORTURE_H
#define URCU_TLB_TORTURE_H

#include <stdbool.h>
#include <stdio.h>

#define TORTURE_PIPE_LEN	10

#define TORTURE_QUARANTINE	4096
/*
 * A run goes on past its duration until every thread has done its part
 * once and a grace period has completed (each reader a read, each updater
 * two retirements, each flooder a callback), for up to this many seconds
 * (or its duration, if longer).
 */
#define TORTURE_START_MAX_S	10.0
#define TORTURE_MAX_STUFF	32

enum torture_reclaim {
	TORTURE_RECLAIM_SYNC,	/* synchronize_rcu, then age and free */
	TORTURE_RECLAIM_NONE,	/* control: age and poison at once, no
				 * grace period */
	TORTURE_RECLAIM_CALL_RCU,	/* a callback ages it, once per grace
					 * period, then frees it */
	TORTURE_RECLAIM_BOTH,	/* SYNC or CALL_RCU, at random per update */
	TORTURE_RECLAIM_NR
};

struct torture_config {
	unsigned int readers;		/* reader threads */
	unsigned int updaters;		/* updater threads */
	double duration;		/* seconds; the run stops after it
					 * (TORTURE_START_MAX_S) */
	/* A control: when no error has shown by then, go on until one does
	 * or this many seconds have passed (0: do not). */
	double extend;
	unsigned long max_updates;	/* or after this many updates (0: no limit) */
	enum torture_reclaim reclaim;
	unsigned int nesting;		/* read_lock depth per section (>= 1) */
	unsigned int delay_ns;		/* up to this long spent inside a section */
	/* One section in 1024 also sleeps this long, preempted inside. */
	unsigned int long_delay_us;
	unsigned int objects;		/* size of the table */
	unsigned int flooders;		/* threads flooding call_rcu */
	/*
	 * Cold cache lines a reader stores to just before each section
	 * (0..TORTURE_MAX_STUFF): its slot store then stays in its store
	 * buffer long enough that a grace period without the heavy fence
	 * misses it.  See cold_stores() in util.h.
	 */
	unsigned int stuff;
	bool churn;			/* readers unregister and register again */
	/* Updaters and readers pinned to CPUs round robin, updaters first
	 * (on a busy machine the scheduler may otherwise run a reader and
	 * an updater on one CPU for long stretches, never at once). */
	bool pin;
	/* Called about once a second from the controlling thread, if set. */
	void (*progress)(double elapsed, unsigned long reads,
			 unsigned long updates, unsigned long errors, void *arg);
	void *progress_arg;
};

struct torture_result {
	unsigned long reads, updates, grace_periods, errors;
	unsigned long callbacks;	/* retirement callbacks run */
	unsigned long flood_queued, flood_invoked;	/* flooders' callbacks */
	unsigned long flood_paused;	/* flooders' pauses at their backlog bound */
	/* Reads that saw an object with this pipe count; the last bucket
	 * counts poisoned objects.  Every bucket but [0] is an error. */
	unsigned long age[TORTURE_PIPE_LEN + 1];
	double elapsed;
	/* The first violation, described in one sentence. */
	char first_error[512];
};

/* Defaults: 2 readers, 1 updater, 1 s, SYNC, nesting 1, 64 objects. */
void torture_default_config(struct torture_config *cfg);

/* "synchronize_rcu", "none", "call_rcu", "both"; parse: -1 if unknown. */
const char *torture_reclaim_name(enum torture_reclaim r);
int torture_reclaim_parse(const char *name);

/*
 * Run it.  Returns 0 when it ran (look at res->errors), -1 with errno when
 * it could not (threads or memory).  The caller need not be registered.
 * Every callback the run queued has run when it returns.
 */
int torture_run(const struct torture_config *cfg, struct torture_result *res);

/* The age histogram and verdict, for people. */
void torture_print(FILE *out, const struct torture_config *cfg,
		   const struct torture_result *res);

#endif /* URCU_TLB_TORTURE_H */
