/*
 * torture.h: an rcutorture-style test of liburcu-tlb's grace periods,
 * shared by the unit tests (tests/) and urcu-tlb-stress (stress/).
 *
 * Readers walk a table of RCU-protected objects and check, inside their
 * read-side critical sections, that what they reached has not been
 * reclaimed.  Updaters replace objects and retire the old ones: a retired
 * object is kept for TORTURE_PIPE_LEN grace periods, its "pipe" count
 * going up by one after each, then poisoned and freed.  A reader must never
 * see a pipe count above zero (the object survived a whole grace period
 * while the reader, who reached it before it was retired, was still inside
 * its section) nor a poisoned object.  The histogram of pipe counts seen is
 * the age histogram of the kernel's rcutorture.
 */
#ifndef URCU_TLB_TORTURE_H
#define URCU_TLB_TORTURE_H

#include <stdbool.h>
#include <stdio.h>

#define TORTURE_PIPE_LEN	10

enum torture_reclaim {
	TORTURE_RECLAIM_SYNC,	/* synchronize_rcu, then age and free */
	TORTURE_RECLAIM_NONE,	/* control: age and poison at once, no
				 * grace period */
};

struct torture_config {
	unsigned int readers;		/* reader threads */
	unsigned int updaters;		/* updater threads */
	double duration;		/* seconds; the run stops after it */
	unsigned long max_updates;	/* or after this many updates (0: no limit) */
	enum torture_reclaim reclaim;
	unsigned int nesting;		/* read_lock depth per section (>= 1) */
	unsigned int delay_ns;		/* up to this long spent inside a section */
	unsigned int objects;		/* size of the table */
	bool churn;			/* readers unregister and register again */
	/* Called about once a second from the controlling thread, if set. */
	void (*progress)(double elapsed, unsigned long reads,
			 unsigned long updates, unsigned long errors, void *arg);
	void *progress_arg;
};

struct torture_result {
	unsigned long reads, updates, grace_periods, errors;
	/* Reads that saw an object with this pipe count; the last bucket
	 * counts poisoned objects.  Every bucket but [0] is an error. */
	unsigned long age[TORTURE_PIPE_LEN + 1];
	double elapsed;
	/* The first violation, described in one sentence. */
	char first_error[256];
};

/* Defaults: 2 readers, 1 updater, 1 s, SYNC, nesting 1, 64 objects. */
void torture_default_config(struct torture_config *cfg);

/*
 * Run it.  Returns 0 when it ran (look at res->errors), -1 with errno when
 * it could not (threads or memory).  The caller need not be registered.
 */
int torture_run(const struct torture_config *cfg, struct torture_result *res);

/* The age histogram and verdict, for people. */
void torture_print(FILE *out, const struct torture_config *cfg,
		   const struct torture_result *res);

#endif /* URCU_TLB_TORTURE_H */
