/*
 * lifecycle.h: liburcu-tlb under the lives and deaths of threads and
 * processes, while grace periods and callbacks run.  Shared by the unit
 * tests (stress/test-engines.c) and urcu-tlb-stress (stress/).
 *
 * For cfg->duration seconds, at once:
 *   - readers walk a table of RCU-protected objects in nested read-side
 *     sections and check that nothing they hold is reclaimed; every other
 *     one blocks every signal; each sleeps now and then, inside a section
 *     and outside;
 *   - updaters replace objects and retire the old ones through
 *     synchronize_rcu(), call_rcu(), defer_rcu() or a polled grace period,
 *     and call rcu_barrier() and the defer barriers, checking that every
 *     callback and deferred function ran, and none before its grace period
 *     (a polled cookie taken before it was queued);
 *   - spawners create short-lived threads that register, read, maybe
 *     queue work, and end in every way: return (registered, or after
 *     unregistering), pthread_exit() outside and inside a section,
 *     cancellation at a cancellation point outside and inside a section;
 *     every other one has a thread-exit destructor (a key created after
 *     the library's) that reads in glibc's destructor rounds 1 to 3;
 *   - forkers fork children that use the library (synchronize_rcu,
 *     call_rcu and rcu_barrier, defer_rcu and the defer barrier, reads;
 *     some forked inside a read-side section, some exit() with a callback
 *     queued), children that exec a trivial program at once, and
 *     posix_spawn() it.  A child must exit 0: one killed by a signal or
 *     exiting otherwise is a violation, one still running after cfg->hang
 *     seconds a hang.
 *
 * The hang detector.  Every thread publishes the operation it waits in
 * (synchronize_rcu, rcu_barrier, pthread_join, fork, waiting for a child,
 * ...) and since when.  A watchdog thread looks every 50 ms; an operation
 * older than cfg->hang seconds ends the run: one line on stderr names it
 * (role, index, operation, for how long, the child's own phase if it waits
 * for a child, the oldest read-side section open, the library's counters),
 * the children are killed, and lifecycle_run() returns with res->hung set,
 * leaving the stuck threads behind: the caller must end the process soon
 * (it is not safe to go on with threads stuck in the library).  If it did
 * not return within LIFECYCLE_EXIT_S of the hang, the watchdog ends the
 * process itself (exit status 1).  The watchdog never waits for anything.
 *
 * The control (cfg->control): updaters retire without any grace period,
 * calling their callbacks and deferred functions at once, so that readers,
 * thread-exit destructors and the early-callback check must see their
 * violations.  cfg->fault makes the run fail on purpose instead, to show
 * the hang detector and the child checks at work.
 */
#ifndef URCU_TLB_LIFECYCLE_H
#define URCU_TLB_LIFECYCLE_H

#include <stdbool.h>
#include <stdio.h>

/* How a churn thread ends. */
enum lifecycle_exit {
	LC_EXIT_RETURN,		/* returns, still registered */
	LC_EXIT_UNREGISTER,	/* unregisters, then returns */
	LC_EXIT_PTHREAD_EXIT,	/* pthread_exit() outside a section */
	LC_EXIT_PTHREAD_EXIT_IN,	/* pthread_exit() inside a section */
	LC_EXIT_CANCEL,		/* cancelled in nanosleep() outside a section */
	LC_EXIT_CANCEL_IN,	/* cancelled in nanosleep() inside a section */
	LC_EXIT_NR
};

/* What a child of a forker does. */
enum lifecycle_child {
	LC_CHILD_LIBRARY,	/* uses the library, then exits */
	LC_CHILD_EXEC,		/* fork, then exec at once */
	LC_CHILD_SPAWN,		/* posix_spawn() */
	LC_CHILD_CALL_RCU_EXEC,	/* fork, call_rcu(), exec at once (opt-in) */
	LC_CHILD_NR
};

/* A failure on purpose (cfg->fault). */
enum lifecycle_fault {
	LC_FAULT_NONE,
	/* Reader 0 enters a section and never leaves: whatever waits for a
	 * grace period hangs, and the detector must name it. */
	LC_FAULT_STUCK_READER,
	/* Each library child calls synchronize_rcu() while a thread of its
	 * own stays in a section: the child hangs. */
	LC_FAULT_STUCK_CHILD,
	/* Each library child calls abort() after its work. */
	LC_FAULT_CHILD_ABORT,
	LC_FAULT_NR
};

/* If the run has not returned this long after a hang, the watchdog ends
 * the process. */
#define LIFECYCLE_EXIT_S	10.0
/* A run goes on past its duration until every scenario happened once, for
 * up to this long (or its duration, if longer). */
#define LIFECYCLE_START_MAX_S	10.0

struct lifecycle_result;

struct lifecycle_config {
	double duration;	/* seconds */
	/* The control: when its violations have not all shown by then, go on
	 * until they do or this many seconds have passed (0: do not). */
	double extend;
	double hang;		/* seconds an operation may wait (> 0) */
	unsigned long max_updates;	/* or stop after about this many (0: no limit) */
	unsigned int readers, updaters, spawners, forkers;
	unsigned int objects;	/* size of the table */
	bool control;		/* retire without grace periods */
	enum lifecycle_fault fault;
	/* Churn threads that are cancelled also call synchronize_rcu(),
	 * call_rcu() and rcu_barrier() between their reads, so that the
	 * cancellation may strike inside them; unless this is set. */
	bool no_cancel_updaters;
	/* Children that call call_rcu() and then exec at once do not
	 * unregister first (under the signal mechanism the new program may
	 * then die of the barrier signal: a documented limitation). */
	bool exec_registered;
	const char *exec_path;	/* the trivial program; NULL: /bin/true */
	/* Prefix of the hang line on stderr ("lifecycle membarrier"). */
	const char *label;
	/* Called about once a second from the calling thread, if set. */
	void (*progress)(double elapsed, const struct lifecycle_result *so_far,
			 void *arg);
	void *progress_arg;
};

struct lifecycle_result {
	double elapsed;
	unsigned long grace_periods;
	/* Readers. */
	unsigned long reads, reads_signals_blocked, sleeps_in_section;
	/* Updaters: retirements by way, and barriers. */
	unsigned long updates, by_sync, by_call_rcu, by_defer, by_poll;
	unsigned long rcu_barriers, defer_barriers;
	/* Every callback and deferred function the parent queued, and ran. */
	unsigned long callbacks_queued, callbacks_run;
	unsigned long deferred_queued, deferred_run;
	/* Churn threads, by how they ended; those with an exit destructor,
	 * and its reads (rounds 1 to 3 each). */
	unsigned long threads[LC_EXIT_NR];
	unsigned long threads_with_destructor, destructor_reads;
	unsigned long create_failed;	/* pthread_create() refused */
	/* Children that exited 0, by kind; library children forked inside a
	 * section; forks refused (EAGAIN). */
	unsigned long children[LC_CHILD_NR];
	unsigned long forked_in_section, fork_failed;
	/* Violations. */
	unsigned long reclaimed_seen;	/* by readers of every kind */
	unsigned long reclaimed_in_destructor;	/* part of reclaimed_seen */
	unsigned long early;		/* work run before its grace period */
	unsigned long lost;		/* work not run after a barrier */
	unsigned long children_failed;	/* killed, or exited non-zero */
	unsigned long children_hung;
	unsigned long errors;		/* all of the above */
	char first_error[512];
	char first_destructor[512];	/* the first in an exit destructor */
	bool exec_skipped;		/* exec_path not executable here */
	/* Scenarios that never happened by LIFECYCLE_START_MAX_S (a thread
	 * starved); "" when every one did. */
	char missing[256];
	bool hung;
	char hang[768];			/* the hang line, without its prefix */
	unsigned int threads_left;	/* stuck threads left behind */
};

void lifecycle_default_config(struct lifecycle_config *cfg);

const char *lifecycle_exit_name(enum lifecycle_exit e);
const char *lifecycle_child_name(enum lifecycle_child k);
const char *lifecycle_fault_name(enum lifecycle_fault f);
int lifecycle_fault_parse(const char *name);	/* -1 if unknown */

/*
 * Run it.  Returns 0 when it ran (look at res->errors and res->hung), -1
 * with errno when it could not start (threads or memory).  The caller need
 * not be registered, and must not be inside a read-side section.  After a
 * hang (res->hung) the process must end soon, without calling into the
 * library again.
 */
int lifecycle_run(const struct lifecycle_config *cfg,
		  struct lifecycle_result *res);

/* Churn threads ended, and children that exited 0, every way. */
unsigned long lifecycle_threads_ended(const struct lifecycle_result *res);
unsigned long lifecycle_children(const struct lifecycle_result *res);

/* Whether the control showed each violation it must. */
bool lifecycle_control_showed(const struct lifecycle_result *res);

/* The counts and verdict, for people. */
void lifecycle_print(FILE *out, const struct lifecycle_config *cfg,
		     const struct lifecycle_result *res);

#endif /* URCU_TLB_LIFECYCLE_H */
