/*
 * lifecycle.c: the lifecycle engine; see lifecycle.h.
 *
 * Layout: the protected objects and their reclamation; errors; the
 * operations threads publish and the watchdog that reads them; readers;
 * updaters; churn threads and their spawners; forkers and their children;
 * the run.
 *
 * What a child of fork() may touch.  Only the forking thread crosses
 * fork(), and any lock another thread of the parent held at that instant
 * stays held in the child for ever.  So code that runs in a child (the
 * child's own, and the parent's callbacks and deferred functions that the
 * child takes over) takes none of this file's locks: `in_child` sends
 * errors to the child's shared page and leaves reclaimed objects
 * unfreed.  malloc and the library are fork-safe.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "lifecycle.h"
#include "util.h"

extern char **environ;

#define LOBJ_LIVE	0x11fec7c1e11fec7cUL
#define LOBJ_POISON	0xdeadbeefdeadbeefUL

/* Reclaimed objects are freed this many reclamations later, so that a
 * late reader finds the poison rather than reused memory (in the control,
 * whose updaters pause 50 us per update, 0.4 s later at the least). */
#define QUARANTINE	16384
/* An updater with this many of its callbacks not run calls rcu_barrier(). */
#define BACKLOG		20000UL
/* The watchdog looks this often. */
#define WATCH_NS	50000000ULL
/* After a hang, a thread that is not stuck has this long to be joined. */
#define AFTER_HANG_JOIN_NS	200000000ULL
/* A thread-exit destructor reads in glibc's rounds 1 to this. */
#define DESTRUCTOR_ROUNDS	3
#define DEFAULT_EXEC	"/bin/true"

/* How a child of a forker ends when it found something wrong. */
#define CHILD_ERROR	10	/* the page says what */
#define CHILD_ORPHAN	11	/* the forker was gone before it started */
#define CHILD_EXEC_FAILED	127

enum retire { BY_SYNC, BY_CALL_RCU, BY_DEFER, BY_POLL, BY_NR };

static const char *const retire_names[BY_NR] = {
	[BY_SYNC] = "synchronize_rcu",
	[BY_CALL_RCU] = "call_rcu",
	[BY_DEFER] = "defer_rcu",
	[BY_POLL] = "a polled grace period",
};

static const char *const exit_names[LC_EXIT_NR] = {
	[LC_EXIT_RETURN] = "return",
	[LC_EXIT_UNREGISTER] = "unregister",
	[LC_EXIT_PTHREAD_EXIT] = "pthread_exit",
	[LC_EXIT_PTHREAD_EXIT_IN] = "pthread_exit_in_section",
	[LC_EXIT_CANCEL] = "cancel",
	[LC_EXIT_CANCEL_IN] = "cancel_in_section",
};

static const char *const exit_what[LC_EXIT_NR] = {
	[LC_EXIT_RETURN] = "a churn thread that returns, registered",
	[LC_EXIT_UNREGISTER] = "a churn thread that unregisters, then returns",
	[LC_EXIT_PTHREAD_EXIT] = "a churn thread that calls pthread_exit()",
	[LC_EXIT_PTHREAD_EXIT_IN] = "a churn thread that calls pthread_exit() inside a read-side section",
	[LC_EXIT_CANCEL] = "a churn thread that is cancelled in nanosleep() outside a section",
	[LC_EXIT_CANCEL_IN] = "a churn thread that is cancelled in nanosleep() inside a read-side section",
};

/*
 * The same, for a thread with a thread-exit destructor that reads: written
 * once by setup(), before any thread looks, and never freed (the watchdog
 * may print one after its thread is gone).
 */
static char exit_what_destructor[LC_EXIT_NR][160];

static const char *const child_names[LC_CHILD_NR] = {
	[LC_CHILD_LIBRARY] = "library",
	[LC_CHILD_EXEC] = "exec",
	[LC_CHILD_SPAWN] = "spawn",
	[LC_CHILD_CALL_RCU_EXEC] = "call_rcu_exec",
};

static const char *const child_what[LC_CHILD_NR] = {
	[LC_CHILD_LIBRARY] = "a child that uses the library, then exits",
	[LC_CHILD_EXEC] = "a child that execs a trivial program at once",
	[LC_CHILD_SPAWN] = "a trivial program started by posix_spawn()",
	[LC_CHILD_CALL_RCU_EXEC] = "a child that calls call_rcu(), unregisters (unless --exec-registered), then execs a trivial program at once",
};

static const char *const fault_names[LC_FAULT_NR] = {
	[LC_FAULT_NONE] = "none",
	[LC_FAULT_STUCK_READER] = "stuck-reader",
	[LC_FAULT_STUCK_CHILD] = "stuck-child",
	[LC_FAULT_CHILD_ABORT] = "child-abort",
};

const char *lifecycle_exit_name(enum lifecycle_exit e)
{
	return name_at(exit_names, LC_EXIT_NR, e);
}

const char *lifecycle_child_name(enum lifecycle_child k)
{
	return name_at(child_names, LC_CHILD_NR, k);
}

const char *lifecycle_fault_name(enum lifecycle_fault f)
{
	return name_at(fault_names, LC_FAULT_NR, f);
}

int lifecycle_fault_parse(const char *name)
{
	return name_index(fault_names, LC_FAULT_NR, name);
}

void lifecycle_default_config(struct lifecycle_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->duration = 1.0;
	cfg->hang = 5.0;
	cfg->readers = 2;
	cfg->updaters = 2;
	cfg->spawners = 2;
	cfg->forkers = 1;
	cfg->objects = 16;
}

/* ---- the run's state ------------------------------------------------------ */

struct run;

struct lobj {
	unsigned long magic;
	unsigned long id;
	int how;		/* enum retire, once retired */
	struct urcu_gp_poll_state cookie;	/* taken before it was queued */
	struct rcu_head head;
	struct worker *owner;	/* the updater that retired it */
};

/* Work that only counts itself (and checks its cookie). */
struct counted {
	struct rcu_head head;
	struct urcu_gp_poll_state cookie;
	struct run *run;
};

/* Shared between a forker and its children (MAP_SHARED). */
struct child_page {
	char phase[256];	/* what the child does now */
	char error[512];	/* the first thing it found wrong */
};

/* A long-lived thread of the run, and what it publishes for the watchdog. */
struct worker {
	struct run *run;
	pthread_t thread;
	const char *role;
	unsigned int index;
	bool started, joined;
	uint64_t rng;
	unsigned long ops;		/* reads, updates, ... (atomic reads) */
	/* What it waits for ("in synchronize_rcu", "for its child"; NULL:
	 * nothing), about what, since when. */
	const char *op;
	const char *detail;
	uint64_t since;
	/* Readers: when the open outermost section began, 0 if none. */
	uint64_t section_since;
	bool blocks_signals;
	unsigned long sleeps_in_section;
	/* Updaters. */
	unsigned long by[BY_NR], rcu_barriers, defer_barriers;
	unsigned long cb_queued, df_queued;	/* by this updater */
	unsigned long cb_run, df_run;		/* of those, run (atomic) */
	/* Spawners. */
	unsigned long threads[LC_EXIT_NR], with_destructor, create_failed;
	unsigned long next_way;
	/* Forkers. */
	unsigned long children[LC_CHILD_NR], in_section, fork_failed;
	unsigned long next_kind, library_forks;
	struct child_page *page;
	pid_t child;				/* being waited for, or 0 */
	int failed;				/* errno: could not go on */
} __attribute__((aligned(128)));

struct run {
	const struct lifecycle_config *cfg;
	const char *exec_path;
	bool exec_ok;
	pid_t pid;
	struct lobj **table;
	struct worker *workers;		/* every role, in this order: */
	struct worker *readers, *updaters, *spawners, *forkers, *finisher;
	unsigned int nworkers;
	enum lifecycle_child kinds[LC_CHILD_NR];	/* the forkers' cycle */
	unsigned int nkinds;
	pthread_t watchdog;
	bool watchdog_started;
	int stop, finished;
	unsigned long next_id;
	pthread_key_t exit_key;
	bool key_created;
	unsigned long gp0;
	/* Counted from any thread (atomic). */
	unsigned long cb_queued, cb_run, df_queued, df_run;
	unsigned long destructor_reads;
	unsigned long reclaimed, reclaimed_in_destructor, early, lost;
	unsigned long children_failed, children_hung, errors;
	pthread_mutex_t error_lock;
	char first_error[512], first_destructor[512];
	pthread_mutex_t quarantine_lock;
	struct lobj *quarantine[QUARANTINE];
	unsigned int quarantine_next;
	/* The hang: claimed once (hung_at, by the watchdog or by the run's
	 * end), then published (hung) with its description. */
	int hung;
	uint64_t hung_at;
	char hang[768];
	unsigned int threads_left;
};

/* Set in a child of fork(): see the top of the file. */
static bool in_child;
static struct child_page *child_page;

static void sleep_ns(long ns)
{
	nanosleep(&(struct timespec){ .tv_nsec = ns }, NULL);
}

static bool stopping(const struct run *run)
{
	return CMM_LOAD_SHARED(run->stop);
}

static unsigned long completed_gps(void)
{
	struct urcu_tlb_stats st;

	urcu_tlb_get_stats(&st);
	return st.grace_periods;
}

/* ---- errors ------------------------------------------------------------- */

static void record_error(struct run *run, unsigned long *counter,
			 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void record_error(struct run *run, unsigned long *counter,
			 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (counter)
		uatomic_inc(counter);
	if (counter == &run->reclaimed_in_destructor) {
		counter = &run->reclaimed;	/* one of those */
		uatomic_inc(counter);
		if (!in_child) {
			pthread_mutex_lock(&run->error_lock);
			if (!run->first_destructor[0])
				snprintf(run->first_destructor,
					 sizeof(run->first_destructor), "%s", msg);
			pthread_mutex_unlock(&run->error_lock);
		}
	}
	uatomic_inc(&run->errors);
	if (in_child) {
		if (child_page && !child_page->error[0])
			snprintf(child_page->error, sizeof(child_page->error),
				 "%s", msg);
		return;
	}
	pthread_mutex_lock(&run->error_lock);
	if (!run->first_error[0])
		snprintf(run->first_error, sizeof(run->first_error), "%s", msg);
	pthread_mutex_unlock(&run->error_lock);
}

/* ---- objects -------------------------------------------------------------- */

static struct lobj *new_object(struct run *run)
{
	struct lobj *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->magic = LOBJ_LIVE;
	o->id = uatomic_add_return(&run->next_id, 1);
	o->how = -1;
	return o;
}

static const char *how_retired(const struct lobj *o)
{
	int how = CMM_LOAD_SHARED(o->how);

	return how >= 0 && how < BY_NR ? retire_names[how] : "?";
}

/* Whether o has been reclaimed (a reader must never see it so). */
static bool reclaimed(const struct lobj *o)
{
	return CMM_LOAD_SHARED(o->magic) != LOBJ_LIVE;
}

/* A reader found o reclaimed inside its section. */
static void saw_reclaimed(struct run *run, bool destructor, const struct lobj *o,
			  unsigned long slot, const char *who_fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void saw_reclaimed(struct run *run, bool destructor, const struct lobj *o,
			  unsigned long slot, const char *who_fmt, ...)
{
	unsigned long magic = CMM_LOAD_SHARED(o->magic);
	char who[256];
	va_list ap;

	va_start(ap, who_fmt);
	vsnprintf(who, sizeof(who), who_fmt, ap);
	va_end(ap);
	record_error(run, destructor ? &run->reclaimed_in_destructor :
				       &run->reclaimed,
		     "%s reached object %lu (slot %lu) %s inside one read-side section; it was retired through %s%s; %lu grace periods had completed",
		     who, o->id, slot,
		     magic == LOBJ_POISON ? "after it was reclaimed" :
					   "after its memory was reused",
		     how_retired(o),
		     run->cfg->control ? " without a grace period (the control)" : "",
		     completed_gps());
}

/* o's last grace period has passed: poison it, and free it later. */
static void reclaim(struct run *run, struct lobj *o)
{
	struct lobj *oldest;

	CMM_STORE_SHARED(o->magic, LOBJ_POISON);
	if (in_child)
		return;		/* no lock here: see the top of the file */
	pthread_mutex_lock(&run->quarantine_lock);
	oldest = run->quarantine[run->quarantine_next];
	run->quarantine[run->quarantine_next] = o;
	run->quarantine_next = (run->quarantine_next + 1) % QUARANTINE;
	pthread_mutex_unlock(&run->quarantine_lock);
	free(oldest);
}

static void check_cookie(struct run *run, struct urcu_gp_poll_state cookie,
			 const char *what, unsigned long id)
{
	char obj[40] = "";

	if (urcu_tlb_poll_state_synchronize_rcu(cookie))
		return;
	if (id)
		snprintf(obj, sizeof(obj), " object %lu", id);
	record_error(run, &run->early,
		     "%s%s ran before the grace period it waited for (number %lu) had completed; %lu grace periods had",
		     what, obj, cookie.grace_period_id, completed_gps());
}

static void retire_callback(struct rcu_head *head)
{
	struct lobj *o = caa_container_of(head, struct lobj, head);
	struct worker *owner = o->owner;
	struct run *run = owner->run;

	check_cookie(run, o->cookie, "a call_rcu() callback retiring", o->id);
	reclaim(run, o);
	uatomic_inc(&owner->cb_run);
	uatomic_inc(&run->cb_run);
}

static void retire_deferred(void *p)
{
	struct lobj *o = p;
	struct worker *owner = o->owner;
	struct run *run = owner->run;

	check_cookie(run, o->cookie, "a defer_rcu() function retiring", o->id);
	reclaim(run, o);
	uatomic_inc(&owner->df_run);
	uatomic_inc(&run->df_run);
}

static void count_callback(struct rcu_head *head)
{
	struct counted *c = caa_container_of(head, struct counted, head);

	check_cookie(c->run, c->cookie, "a call_rcu() callback", 0);
	uatomic_inc(&c->run->cb_run);
	free(c);
}

static void count_deferred(void *p)
{
	struct counted *c = p;

	check_cookie(c->run, c->cookie, "a defer_rcu() function", 0);
	uatomic_inc(&c->run->df_run);
	free(c);
}

static struct counted *new_counted(struct run *run)
{
	struct counted *c = malloc(sizeof(*c));

	if (c) {
		c->run = run;
		/* Before queueing: the work must find it complete. */
		c->cookie = urcu_tlb_start_poll_synchronize_rcu();
	}
	return c;
}

static void queue_counted_callback(struct run *run)
{
	struct counted *c = new_counted(run);

	if (!c)
		return;
	uatomic_inc(&run->cb_queued);
	urcu_tlb_call_rcu(&c->head, count_callback);
}

/* The caller is registered for defer_rcu. */
static void queue_counted_deferred(struct run *run)
{
	struct counted *c = new_counted(run);

	if (!c)
		return;
	uatomic_inc(&run->df_queued);
	urcu_tlb_defer_rcu(count_deferred, c);
}

/* ---- what each thread waits in, and the watchdog -------------------------- */

static void op_begin(struct worker *w, const char *op, const char *detail)
{
	CMM_STORE_SHARED(w->since, now_ns());
	CMM_STORE_SHARED(w->detail, detail);
	/* Since and detail before the op that makes them count; pairs with
	 * the read barrier in watch(). */
	cmm_smp_wmb();
	CMM_STORE_SHARED(w->op, op);
}

static void op_end(struct worker *w)
{
	CMM_STORE_SHARED(w->op, NULL);
}

/* "; the oldest read-side section open: reader 1, for 3.2 s", or "". */
static void oldest_section(struct run *run, uint64_t now, char *buf, size_t len)
{
	const struct worker *oldest = NULL;
	uint64_t age = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < run->cfg->readers; i++) {
		uint64_t s = CMM_LOAD_SHARED(run->readers[i].section_since);

		if (s && s < now && now - s > age) {
			age = now - s;
			oldest = &run->readers[i];
		}
	}
	if (oldest && age > 100000000ULL)
		snprintf(buf, len, "; the oldest read-side section open: reader %u, for %.1f s",
			 oldest->index, age * 1e-9);
}

/*
 * End the run as hung, once: the line on stderr, everything told to stop.
 * The forkers kill their children when they see it (only the forker that
 * reaps a child may signal it: its pid is never reused before).
 */
static void declare_hang(struct run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void declare_hang(struct run *run, const char *fmt, ...)
{
	struct urcu_tlb_stats st;
	char what[512], section[128], line[1024];
	uint64_t now = now_ns();
	va_list ap;
	int n;

	/* The first caller claims it (hung_at), and publishes it (hung)
	 * once the description is written. */
	if (uatomic_cmpxchg(&run->hung_at, 0, now) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	oldest_section(run, now, section, sizeof(section));
	urcu_tlb_get_stats(&st);
	snprintf(run->hang, sizeof(run->hang),
		 "%s%s; the library's counters: %lu grace periods (%lu in this run), %lu callbacks queued, %lu run, %lu batches, %lu threads registered",
		 what, section, st.grace_periods, st.grace_periods - run->gp0,
		 st.callbacks_queued, st.callbacks_invoked, st.callback_batches,
		 st.registered_threads);
	/* The description before the flag; pairs with the barrier implied
	 * by the readers' uatomic_read() and the join that follows. */
	cmm_smp_mb();
	uatomic_set(&run->hung, 1);
	CMM_STORE_SHARED(run->stop, 1);
	n = snprintf(line, sizeof(line), "urcu-tlb-stress: %s: HANG: %s\n",
		     run->cfg->label ? run->cfg->label : "lifecycle", run->hang);
	if (n >= (int) sizeof(line)) {
		n = sizeof(line);
		line[n - 1] = '\n';
	}
	(void) !write(STDERR_FILENO, line, n);
}

static void name_hang(struct run *run, struct worker *w, const char *op,
		      const char *detail, uint64_t age)
{
	char child[400] = "";

	if (uatomic_read(&run->hung_at))
		return;		/* already declared */
	if (w->page && CMM_LOAD_SHARED(w->child)) {
		uatomic_inc(&run->children_hung);
		snprintf(child, sizeof(child), "; child %d is at: %.256s",
			 (int) CMM_LOAD_SHARED(w->child), w->page->phase);
	}
	declare_hang(run, "%s %u has been waiting %.1f s %s%s%s%s (--hang %.1f)%s",
		     w->role, w->index, age * 1e-9, op, detail ? " (" : "",
		     detail ? detail : "", detail ? ")" : "", run->cfg->hang,
		     child);
}

/* The oldest operation in progress; a hang if it is older than cfg->hang. */
static void watch(struct run *run)
{
	uint64_t now = now_ns(), worst_age = 0;
	struct worker *worst = NULL;
	const char *worst_op = NULL, *worst_detail = NULL;
	unsigned int i;

	for (i = 0; i < run->nworkers; i++) {
		struct worker *w = &run->workers[i];
		const char *op = CMM_LOAD_SHARED(w->op), *detail;
		uint64_t since;

		if (!op)
			continue;
		/* Pairs with the write barrier in op_begin(). */
		cmm_smp_rmb();
		since = CMM_LOAD_SHARED(w->since);
		detail = CMM_LOAD_SHARED(w->detail);
		if (since < now && now - since > worst_age) {
			worst_age = now - since;
			worst = w;
			worst_op = op;
			worst_detail = detail;
		}
	}
	if (worst && worst_age > run->cfg->hang * 1e9)
		name_hang(run, worst, worst_op, worst_detail, worst_age);
}

/*
 * Waits for nothing but its own sleep: it cannot hang.  After a hang it
 * gives lifecycle_run() LIFECYCLE_EXIT_S to return, then ends the process.
 */
static void *watchdog_main(void *arg)
{
	struct run *run = arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!CMM_LOAD_SHARED(run->finished)) {
		sleep_ns(WATCH_NS);
		if (!uatomic_read(&run->hung)) {
			watch(run);
		} else if (now_ns() - CMM_LOAD_SHARED(run->hung_at) >
			   LIFECYCLE_EXIT_S * 1e9) {
			static const char msg[] = "urcu-tlb-stress: lifecycle: the run did not end within 10 s of the hang; exiting with status 1\n";

			(void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
			_exit(1);
		}
	}
	return NULL;
}

/* ---- readers -------------------------------------------------------------- */

static unsigned long pick_slot(struct run *run, uint64_t r)
{
	return r % run->cfg->objects;
}

/* Reader 0 under --fault stuck-reader: in a section for ever. */
static void stay_inside(struct worker *w) __attribute__((noreturn));

static void stay_inside(struct worker *w)
{
	urcu_tlb_read_lock();
	CMM_STORE_SHARED(w->section_since, now_ns());
	for (;;)
		sleep_ns(10000000);
}

static void read_once(struct worker *w)
{
	struct run *run = w->run;
	uint64_t r = xorshift(&w->rng);
	unsigned int depth = 1 + r % 3, d;
	unsigned long slot = pick_slot(run, r >> 8);
	bool bad;
	struct lobj *o;

	for (d = 0; d < depth; d++)
		urcu_tlb_read_lock();
	CMM_STORE_SHARED(w->section_since, now_ns());
	o = rcu_dereference(run->table[slot]);
	bad = reclaimed(o);
	delay_loop((r >> 16) % 1024);
	if (!((r >> 32) % 64)) {
		/* Asleep inside: a grace period must wait, and be woken. */
		sleep_ns(20000 + (r >> 40) % 180000);
		w->sleeps_in_section++;
	}
	bad = bad || reclaimed(o);
	if (bad)
		saw_reclaimed(run, false, o, slot, "reader %u%s", w->index,
			      w->blocks_signals ? " (every signal blocked)" : "");
	CMM_STORE_SHARED(w->section_since, 0);
	for (d = 0; d < depth; d++)
		urcu_tlb_read_unlock();
	CMM_STORE_SHARED(w->ops, w->ops + 1);
	if (!((r >> 48) % 64))
		sleep_ns(20000 + (r >> 20) % 180000);	/* asleep outside */
}

static void *reader_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;

	if (w->blocks_signals) {
		sigset_t all;

		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	urcu_tlb_register_thread();
	while (!stopping(run)) {
		if (run->cfg->fault == LC_FAULT_STUCK_READER && w->index == 0 &&
		    w->ops)
			stay_inside(w);
		read_once(w);
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/* ---- updaters ------------------------------------------------------------- */

static enum retire pick_way(struct worker *w, uint64_t r)
{
	static const enum retire weighted[10] = {
		BY_SYNC, BY_SYNC, BY_SYNC, BY_CALL_RCU, BY_CALL_RCU,
		BY_CALL_RCU, BY_DEFER, BY_DEFER, BY_DEFER, BY_POLL,
	};

	if (w->ops < BY_NR)
		return w->ops;	/* each way once first */
	return weighted[r % 10];
}

static void wait_poll(struct worker *w, struct urcu_gp_poll_state cookie)
{
	op_begin(w, "for a polled grace period", "start_poll, then poll_state until true");
	while (!urcu_tlb_poll_state_synchronize_rcu(cookie))
		sleep_ns(20000);
	op_end(w);
}

/* Replace a random object and retire the old one. */
static bool retire_one(struct worker *w, uint64_t r)
{
	struct run *run = w->run;
	enum retire way = pick_way(w, r);
	struct lobj *o = new_object(run), *old;

	if (!o) {
		w->failed = ENOMEM;
		return false;
	}
	old = rcu_xchg_pointer(&run->table[pick_slot(run, r >> 8)], o);
	old->owner = w;
	CMM_STORE_SHARED(old->how, way);
	/* After the unpublication: the work must find it complete. */
	old->cookie = urcu_tlb_start_poll_synchronize_rcu();
	if (way == BY_CALL_RCU) {
		w->cb_queued++;
		uatomic_inc(&run->cb_queued);
	} else if (way == BY_DEFER) {
		w->df_queued++;
		uatomic_inc(&run->df_queued);
	}
	if (run->cfg->control) {
		/* No grace period: the work runs at once, here. */
		if (way == BY_CALL_RCU)
			retire_callback(&old->head);
		else if (way == BY_DEFER)
			retire_deferred(old);
		else
			reclaim(run, old);
		w->by[way]++;
		return true;
	}
	switch (way) {
	case BY_SYNC:
		op_begin(w, "in synchronize_rcu", NULL);
		urcu_tlb_synchronize_rcu();
		op_end(w);
		reclaim(run, old);
		break;
	case BY_CALL_RCU:
		urcu_tlb_call_rcu(&old->head, retire_callback);
		break;
	case BY_DEFER:
		op_begin(w, "in defer_rcu", "it waits for a grace period when its ring is full");
		urcu_tlb_defer_rcu(retire_deferred, old);
		op_end(w);
		break;
	default:
		wait_poll(w, old->cookie);
		reclaim(run, old);
		break;
	}
	w->by[way]++;
	return true;
}

static void updater_barrier(struct worker *w)
{
	unsigned long queued = w->cb_queued;

	op_begin(w, "in rcu_barrier", NULL);
	urcu_tlb_barrier();
	op_end(w);
	w->rcu_barriers++;
	if (uatomic_read(&w->cb_run) < queued)
		record_error(w->run, &w->run->lost,
			     "after rcu_barrier() returned, %lu of the %lu call_rcu() callbacks updater %u had queued before it had not run",
			     queued - uatomic_read(&w->cb_run), queued, w->index);
}

static void updater_defer_barrier(struct worker *w)
{
	unsigned long queued = w->df_queued;
	bool all = w->defer_barriers % 2;
	const char *name = all ? "rcu_defer_barrier" : "rcu_defer_barrier_thread";

	op_begin(w, all ? "in rcu_defer_barrier" : "in rcu_defer_barrier_thread",
		 NULL);
	if (all)
		urcu_tlb_defer_barrier();
	else
		urcu_tlb_defer_barrier_thread();
	op_end(w);
	w->defer_barriers++;
	if (uatomic_read(&w->df_run) < queued)
		record_error(w->run, &w->run->lost,
			     "after %s() returned, %lu of the %lu defer_rcu() functions updater %u had queued before it had not run",
			     name, queued - uatomic_read(&w->df_run), queued,
			     w->index);
}

static void *updater_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	int err;

	urcu_tlb_register_thread();
	err = urcu_tlb_defer_register_thread();
	if (err) {
		w->failed = -err;
		urcu_tlb_unregister_thread();
		return NULL;
	}
	while (!stopping(run)) {
		uint64_t r = xorshift(&w->rng);

		/* --iterations: about that many updates in all, but every
		 * way of retiring at least once. */
		if (run->cfg->max_updates && w->ops >= BY_NR &&
		    w->ops * run->cfg->updaters >= run->cfg->max_updates)
			break;
		if (r % 64 == 0)
			updater_barrier(w);
		else if (r % 64 == 1)
			updater_defer_barrier(w);
		else if (!retire_one(w, r >> 8))
			break;
		else
			CMM_STORE_SHARED(w->ops, w->ops + 1);
		if (w->cb_queued - uatomic_read(&w->cb_run) > BACKLOG)
			updater_barrier(w);
		if (run->cfg->control)
			sleep_ns(50000);	/* about a grace period's pace */
	}
	op_begin(w, "in rcu_defer_unregister_thread", "it runs what the thread deferred after a grace period");
	urcu_tlb_defer_unregister_thread();
	op_end(w);
	urcu_tlb_unregister_thread();
	return NULL;
}

/* ---- churn threads -------------------------------------------------------- */

struct churn {
	struct run *run;
	pthread_t thread;
	enum lifecycle_exit way;
	bool destructor;	/* has a thread-exit destructor that reads */
	bool defer;		/* registers for defer_rcu and defers */
	bool updates;		/* calls call_rcu() and synchronize_rcu() */
	int ready;		/* reached its cancellation loop */
	int round;		/* the destructor's calls */
	uint64_t rng;
};

static const char *churn_what(const struct churn *c)
{
	return c->destructor ? exit_what_destructor[c->way] : exit_what[c->way];
}

/* One section over a random object; returns it, checked.  depth > 0. */
static void churn_read(struct churn *c, bool sleep_inside)
{
	struct run *run = c->run;
	uint64_t r = xorshift(&c->rng);
	unsigned long slot = pick_slot(run, r);
	struct lobj *o;
	bool bad;

	urcu_tlb_read_lock();
	urcu_tlb_read_lock();
	o = rcu_dereference(run->table[slot]);
	bad = reclaimed(o);
	if (sleep_inside)
		sleep_ns(20000 + (r >> 16) % 80000);
	else
		delay_loop((r >> 16) % 1024);
	bad = bad || reclaimed(o);
	if (bad)
		saw_reclaimed(run, false, o, slot, "%s", churn_what(c));
	urcu_tlb_read_unlock();
	urcu_tlb_read_unlock();
}

/*
 * The thread-exit destructor: a section in each of glibc's rounds 1 to
 * DESTRUCTOR_ROUNDS, all while liburcu-tlb keeps the thread registered
 * (its key comes first in each round, docs/api.md).  It spins inside, so
 * that the control's updaters reclaim what it holds.
 */
static void exit_reader(void *arg)
{
	struct churn *c = arg;
	struct run *run = c->run;
	uint64_t r = xorshift(&c->rng);
	unsigned long slot = pick_slot(run, r);
	struct lobj *o;
	bool bad;

	c->round++;
	urcu_tlb_read_lock();
	urcu_tlb_read_lock();
	o = rcu_dereference(run->table[slot]);
	bad = reclaimed(o);
	spin_ns(20000);
	bad = bad || reclaimed(o);
	if (bad)
		saw_reclaimed(run, true, o, slot,
			      "the thread-exit destructor (round %d) of %s",
			      c->round, churn_what(c));
	urcu_tlb_read_unlock();
	urcu_tlb_read_unlock();
	uatomic_inc(&run->destructor_reads);
	if (c->round < DESTRUCTOR_ROUNDS)
		(void) pthread_setspecific(run->exit_key, c);
}

/* Until cancelled: reads, and sleeps (the cancellation points). */
static void cancel_loop(struct churn *c) __attribute__((noreturn));

static void cancel_loop(struct churn *c)
{
	struct run *run = c->run;
	unsigned long n = 0;

	if (c->way == LC_EXIT_CANCEL_IN) {
		/* One section, for ever: the cancellation strikes inside it. */
		urcu_tlb_read_lock();
		uatomic_set(&c->ready, 1);
		for (;;)
			churn_read(c, true);
	}
	uatomic_set(&c->ready, 1);
	for (;;) {
		churn_read(c, false);
		sleep_ns(20000 + xorshift(&c->rng) % 80000);
		if (!run->cfg->no_cancel_updaters) {
			queue_counted_callback(run);
			urcu_tlb_synchronize_rcu();
			if (!(++n % 4))
				urcu_tlb_barrier();
		}
	}
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	struct run *run = c->run;
	unsigned int i, reads = 1 + xorshift(&c->rng) % 4;

	urcu_tlb_register_thread();
	if (c->defer && !urcu_tlb_defer_register_thread())
		for (i = 0; i < 3; i++)
			queue_counted_deferred(run);
	if (c->updates) {
		queue_counted_callback(run);
		urcu_tlb_synchronize_rcu();
	}
	if (c->destructor)
		(void) pthread_setspecific(run->exit_key, c);
	for (i = 0; i < reads; i++)
		churn_read(c, false);
	switch (c->way) {
	case LC_EXIT_RETURN:
		return NULL;
	case LC_EXIT_UNREGISTER:
		urcu_tlb_unregister_thread();
		return NULL;
	case LC_EXIT_PTHREAD_EXIT:
		pthread_exit(NULL);
	case LC_EXIT_PTHREAD_EXIT_IN: {
		unsigned long slot = pick_slot(run, xorshift(&c->rng));
		struct lobj *o;

		urcu_tlb_read_lock();
		urcu_tlb_read_lock();
		o = rcu_dereference(run->table[slot]);
		if (reclaimed(o))
			saw_reclaimed(run, false, o, slot, "%s", churn_what(c));
		pthread_exit(NULL);
	}
	default:
		cancel_loop(c);
	}
}

static bool cancelled_way(enum lifecycle_exit way)
{
	return way == LC_EXIT_CANCEL || way == LC_EXIT_CANCEL_IN;
}

static struct churn *new_churn(struct worker *w)
{
	struct churn *c = calloc(1, sizeof(*c));
	unsigned long n = w->next_way++;

	if (!c)
		return NULL;
	c->run = w->run;
	c->way = n % LC_EXIT_NR;
	/* Every way with and without a destructor, in turn (a thread that
	 * unregisters must not read at exit: that would abort). */
	c->destructor = c->way != LC_EXIT_UNREGISTER &&
			(n / LC_EXIT_NR) % 2 == 0;
	c->defer = (n / (2 * LC_EXIT_NR)) % 2 == 1;
	c->updates = n % 5 == 0;
	c->rng = xorshift(&w->rng) | 1;
	return c;
}

#define CHURN_BATCH	3

/*
 * Cancel each thread of the batch that is to be cancelled once it has
 * reached its cancellation loop, in whatever order they get there (one may
 * wait for a grace period that another, inside its section until
 * cancelled, holds up).  Returns false if the run hung meanwhile.
 */
static bool cancel_when_ready(struct worker *w, struct churn **cs,
			      unsigned int n)
{
	bool cancelled[CHURN_BATCH] = { false };
	unsigned int i, left = 0;

	for (i = 0; i < n; i++)
		left += cs[i] && cancelled_way(cs[i]->way);
	if (!left)
		return true;
	op_begin(w, "for churn threads to reach their cancellation loop",
		 "they register, queue work, read, then loop on nanosleep");
	while (left) {
		for (i = 0; i < n; i++) {
			struct churn *c = cs[i];

			if (!c || !cancelled_way(c->way) || cancelled[i] ||
			    !uatomic_read(&c->ready))
				continue;
			sleep_ns(xorshift(&w->rng) % 100000);
			pthread_cancel(c->thread);
			cancelled[i] = true;
			left--;
		}
		if (uatomic_read(&w->run->hung))
			return false;
		if (left)
			sleep_ns(20000);
	}
	op_end(w);
	return true;
}

/* Start up to CHURN_BATCH threads, cancel those to cancel, join them. */
static void churn_batch(struct worker *w)
{
	struct run *run = w->run;
	struct churn *cs[CHURN_BATCH] = { NULL };
	unsigned int n = 1 + xorshift(&w->rng) % CHURN_BATCH, i;
	void *ret;

	for (i = 0; i < n; i++) {
		struct churn *c = new_churn(w);

		if (!c)
			continue;
		op_begin(w, "in pthread_create", NULL);
		if (pthread_create(&c->thread, NULL, churn_main, c)) {
			w->create_failed++;	/* a full thread table */
			free(c);
			c = NULL;
			sleep_ns(1000000);
		}
		op_end(w);
		cs[i] = c;
	}
	if (!cancel_when_ready(w, cs, n))
		return;		/* hung: they are left behind */
	for (i = 0; i < n; i++) {
		struct churn *c = cs[i];

		if (!c)
			continue;
		op_begin(w, "in pthread_join", churn_what(c));
		pthread_join(c->thread, &ret);
		op_end(w);
		if (cancelled_way(c->way) && ret != PTHREAD_CANCELED)
			record_error(run, NULL, "%s ended without being cancelled",
				     churn_what(c));
		w->threads[c->way]++;
		w->with_destructor += c->destructor;
		free(c);
		cs[i] = NULL;
	}
}

static void *spawner_main(void *arg)
{
	struct worker *w = arg;

	while (!stopping(w->run))
		churn_batch(w);
	return NULL;
}

/* ---- forkers and their children ------------------------------------------- */

static void phase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void phase(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(child_page->phase, sizeof(child_page->phase), fmt, ap);
	va_end(ap);
}

static unsigned long child_cb_run, child_df_run;

static void child_callback(struct rcu_head *head)
{
	struct counted *c = caa_container_of(head, struct counted, head);

	check_cookie(c->run, c->cookie, "in the child, a call_rcu() callback", 0);
	uatomic_inc(&child_cb_run);
	free(c);
}

static void child_deferred(void *p)
{
	struct counted *c = p;

	check_cookie(c->run, c->cookie, "in the child, a defer_rcu() function", 0);
	uatomic_inc(&child_df_run);
	free(c);
}

/* Reads the table; the section inherited from the parent is over. */
static void child_reads(struct run *run, uint64_t *rng)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned long slot = pick_slot(run, xorshift(rng));
		struct lobj *o;

		urcu_tlb_read_lock();
		o = rcu_dereference(run->table[slot]);
		if (reclaimed(o))
			saw_reclaimed(run, false, o, slot, "in child %d, a reader",
				      (int) getpid());
		urcu_tlb_read_unlock();
	}
}

static int stuck_inside;

static void *child_stuck_thread(void *arg)
{
	(void) arg;
	urcu_tlb_register_thread();
	urcu_tlb_read_lock();
	uatomic_set(&stuck_inside, 1);
	for (;;)
		sleep_ns(10000000);
	return NULL;
}

static void child_faults(struct run *run)
{
	if (run->cfg->fault == LC_FAULT_STUCK_CHILD) {
		pthread_t t;

		phase("starting a thread that stays in a read-side section");
		if (!pthread_create(&t, NULL, child_stuck_thread, NULL))
			while (!uatomic_read(&stuck_inside))
				sleep_ns(100000);
		phase("synchronize_rcu, while another thread of this child stays in a read-side section (--fault stuck-child)");
		urcu_tlb_synchronize_rcu();
	} else if (run->cfg->fault == LC_FAULT_CHILD_ABORT) {
		struct rlimit none = { 0, 0 };

		setrlimit(RLIMIT_CORE, &none);
		phase("abort() (--fault child-abort)");
		abort();
	}
}

static struct counted *child_counted(struct run *run)
{
	struct counted *c = new_counted(run);

	if (!c)
		_exit(CHILD_ERROR);
	return c;
}

/*
 * A child that uses the library: whatever the parent queued and had not
 * started runs here too (its own copies), after a grace period of the
 * child's.  held: the object the forking thread was reading when it forked
 * inside a section (NULL if it was not).
 */
static void library_child(struct worker *w, struct lobj *held,
			  unsigned long held_slot) __attribute__((noreturn));

static void library_child(struct worker *w, struct lobj *held,
			  unsigned long held_slot)
{
	struct run *run = w->run;
	unsigned long errors = run->errors;
	unsigned int i;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != run->pid)
		_exit(CHILD_ORPHAN);
	if (held) {
		phase("inside the read-side section it was forked in");
		if (reclaimed(held))
			saw_reclaimed(run, false, held, held_slot,
				      "child %d, inside the section it was forked in,",
				      (int) getpid());
		/* The worker starts, and its grace period waits for us. */
		urcu_tlb_call_rcu(&child_counted(run)->head, child_callback);
		spin_ns(50000);
		if (reclaimed(held))
			saw_reclaimed(run, false, held, held_slot,
				      "child %d, inside the section it was forked in, after call_rcu(),",
				      (int) getpid());
		urcu_tlb_read_unlock();
	}
	phase("synchronize_rcu");
	urcu_tlb_synchronize_rcu();
	phase("call_rcu, then rcu_barrier");
	for (i = 0; i < 8; i++)
		urcu_tlb_call_rcu(&child_counted(run)->head, child_callback);
	urcu_tlb_barrier();
	if (uatomic_read(&child_cb_run) < 8 + !!held)
		record_error(run, &run->lost,
			     "in child %d, after rcu_barrier() returned, %lu of its %u call_rcu() callbacks had run",
			     (int) getpid(), uatomic_read(&child_cb_run),
			     8 + !!held);
	phase("defer_rcu, then rcu_defer_barrier");
	for (i = 0; i < 8; i++)
		urcu_tlb_defer_rcu(child_deferred, child_counted(run));
	urcu_tlb_defer_barrier();
	if (uatomic_read(&child_df_run) < 8)
		record_error(run, &run->lost,
			     "in child %d, after rcu_defer_barrier() returned, %lu of its 8 defer_rcu() functions had run",
			     (int) getpid(), uatomic_read(&child_df_run));
	phase("reads");
	child_reads(run, &w->rng);
	child_faults(run);
	i = run->errors != errors ? CHILD_ERROR : 0;
	if (xorshift(&w->rng) & 1) {
		/* The process ends with work queued: it must neither run nor
		 * hang (docs/api.md, "Process exit"). */
		urcu_tlb_call_rcu(&child_counted(run)->head, child_callback);
		phase("exit() with a callback queued");
		exit(i);
	}
	_exit(i);
}

static void exec_trivial(struct run *run) __attribute__((noreturn));

static void exec_trivial(struct run *run)
{
	execl(run->exec_path, run->exec_path, (char *) NULL);
	_exit(CHILD_EXEC_FAILED);
}

/* In the child of fork(); never returns. */
static void child_main(struct worker *w, enum lifecycle_child kind,
		       struct lobj *held, unsigned long held_slot)
	__attribute__((noreturn));

static void child_main(struct worker *w, enum lifecycle_child kind,
		       struct lobj *held, unsigned long held_slot)
{
	in_child = true;
	child_page = w->page;
	switch (kind) {
	case LC_CHILD_EXEC:
		exec_trivial(w->run);
	case LC_CHILD_CALL_RCU_EXEC:
		urcu_tlb_call_rcu(&child_counted(w->run)->head, child_callback);
		/* The rule for the signal mechanism (docs/api.md): a registered
		 * thread unregisters before it execs while another thread may
		 * run a grace period, else the barrier signal can reach it in
		 * execve() and kill the new program. */
		if (!w->run->cfg->exec_registered)
			urcu_tlb_unregister_thread();
		exec_trivial(w->run);
	default:
		library_child(w, held, held_slot);
	}
}

static const char *child_detail(enum lifecycle_child kind, bool in_section)
{
	if (kind == LC_CHILD_LIBRARY && in_section)
		return "a child that uses the library, forked inside a read-side section";
	return child_what[kind];
}

/* Why a child's exit status is wrong, in words. */
static void child_fate(int status, char *buf, size_t len)
{
	int s;

	if (WIFEXITED(status)) {
		switch (WEXITSTATUS(status)) {
		case CHILD_EXEC_FAILED:
			snprintf(buf, len, "exited with status 127 (the exec failed)");
			break;
		case CHILD_ORPHAN:
			snprintf(buf, len, "found its forker gone");
			break;
		default:
			snprintf(buf, len, "exited with status %d",
				 WEXITSTATUS(status));
		}
		return;
	}
	s = WTERMSIG(status);
	snprintf(buf, len, "was killed by signal %d (%s)%s", s, strsignal(s),
		 s == urcu_tlb_mechanism_signal() ?
		 ", the signal the signal mechanism sends for its barriers" : "");
}

static void judge_child(struct worker *w, pid_t pid, int status,
			enum lifecycle_child kind, bool in_section)
{
	char fate[160];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		w->children[kind]++;
		w->in_section += in_section;
		return;
	}
	child_fate(status, fate, sizeof(fate));
	record_error(w->run, &w->run->children_failed,
		     "child %d (%s) %s; it was at: %.200s%s%.300s", (int) pid,
		     child_detail(kind, in_section), fate, w->page->phase,
		     w->page->error[0] ? "; it found: " : "", w->page->error);
}

/* Wait for the child, polling; after a hang, kill it. */
static void wait_child(struct worker *w, pid_t pid, enum lifecycle_child kind,
		       bool in_section)
{
	long pause = 20000;
	int status = 0;
	bool killed = false;
	pid_t r;

	CMM_STORE_SHARED(w->child, pid);
	op_begin(w, "for its child", child_detail(kind, in_section));
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			record_error(w->run, NULL, "waitpid(%d): %s", (int) pid,
				     strerror(errno));
			killed = true;
			break;
		}
		if (uatomic_read(&w->run->hung)) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			killed = true;
			break;
		}
		sleep_ns(pause);
		if (pause < 1000000)
			pause *= 2;
	}
	op_end(w);
	CMM_STORE_SHARED(w->child, 0);
	if (!killed)
		judge_child(w, pid, status, kind, in_section);
}

static enum lifecycle_child next_kind(struct worker *w)
{
	struct run *run = w->run;

	return run->kinds[w->next_kind++ % run->nkinds];
}

static void spawn_child(struct worker *w)
{
	struct run *run = w->run;
	char *argv[] = { (char *) run->exec_path, NULL };
	pid_t pid;
	int err;

	snprintf(w->page->phase, sizeof(w->page->phase), "posix_spawn %s",
		 run->exec_path);
	w->page->error[0] = '\0';
	op_begin(w, "in posix_spawn", NULL);
	err = posix_spawn(&pid, run->exec_path, NULL, NULL, argv, environ);
	op_end(w);
	if (err == EAGAIN) {
		w->fork_failed++;
		sleep_ns(1000000);
	} else if (err) {
		record_error(run, &run->children_failed, "posix_spawn(%s): %s",
			     run->exec_path, strerror(err));
	} else {
		wait_child(w, pid, LC_CHILD_SPAWN, false);
	}
}

static void fork_child(struct worker *w, enum lifecycle_child kind)
{
	struct run *run = w->run;
	bool in_section = kind == LC_CHILD_LIBRARY && w->library_forks++ % 2;
	unsigned long slot = pick_slot(run, xorshift(&w->rng));
	struct lobj *held = NULL;
	pid_t pid;

	snprintf(w->page->phase, sizeof(w->page->phase), "%s",
		 kind == LC_CHILD_LIBRARY ? "just forked" : "exec");
	w->page->error[0] = '\0';
	if (in_section) {
		urcu_tlb_read_lock();
		held = rcu_dereference(run->table[slot]);
	}
	op_begin(w, "in fork", NULL);
	pid = fork();
	if (pid == 0)
		child_main(w, kind, held, slot);
	op_end(w);
	if (in_section) {
		if (reclaimed(held))
			saw_reclaimed(run, false, held, slot,
				      "forker %u, inside the section it forked in,",
				      w->index);
		urcu_tlb_read_unlock();
	}
	if (pid < 0) {
		w->fork_failed++;
		sleep_ns(1000000);
		return;
	}
	wait_child(w, pid, kind, in_section);
}

static void *forker_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	int err;

	urcu_tlb_register_thread();
	err = urcu_tlb_defer_register_thread();
	if (err) {
		w->failed = -err;
		urcu_tlb_unregister_thread();
		return NULL;
	}
	while (!stopping(run)) {
		enum lifecycle_child kind = next_kind(w);

		/* Work queued, not yet run, crosses the fork. */
		if (xorshift(&w->rng) & 1) {
			queue_counted_callback(run);
			queue_counted_deferred(run);
		}
		if (kind == LC_CHILD_SPAWN)
			spawn_child(w);
		else
			fork_child(w, kind);
	}
	op_begin(w, "in rcu_defer_unregister_thread", "it runs what the thread deferred after a grace period");
	urcu_tlb_defer_unregister_thread();
	op_end(w);
	urcu_tlb_unregister_thread();
	return NULL;
}

/* ---- the end: final barriers ---------------------------------------------- */

static void *finisher_main(void *arg)
{
	struct worker *w = arg;

	op_begin(w, "in the final rcu_barrier", NULL);
	urcu_tlb_barrier();
	op_begin(w, "in the final rcu_defer_barrier", NULL);
	urcu_tlb_defer_barrier();
	op_end(w);
	return NULL;
}

/* ---- the run ---------------------------------------------------------------- */

static unsigned long sum_field(const struct worker *ws, unsigned int n,
			       size_t offset)
{
	unsigned long s = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		s += uatomic_read((unsigned long *) ((char *) &ws[i] + offset));
	return s;
}

#define SUM(ws, n, field)	sum_field(ws, n, offsetof(struct worker, field))

static void collect(struct run *run, struct lifecycle_result *res)
{
	const struct lifecycle_config *cfg = run->cfg;
	unsigned int i, k;

	res->reads = SUM(run->readers, cfg->readers, ops);
	for (i = 0; i < cfg->readers; i++)
		if (run->readers[i].blocks_signals)
			res->reads_signals_blocked += uatomic_read(&run->readers[i].ops);
	res->sleeps_in_section = SUM(run->readers, cfg->readers, sleeps_in_section);
	res->updates = SUM(run->updaters, cfg->updaters, ops);
	res->by_sync = SUM(run->updaters, cfg->updaters, by[BY_SYNC]);
	res->by_call_rcu = SUM(run->updaters, cfg->updaters, by[BY_CALL_RCU]);
	res->by_defer = SUM(run->updaters, cfg->updaters, by[BY_DEFER]);
	res->by_poll = SUM(run->updaters, cfg->updaters, by[BY_POLL]);
	res->rcu_barriers = SUM(run->updaters, cfg->updaters, rcu_barriers);
	res->defer_barriers = SUM(run->updaters, cfg->updaters, defer_barriers);
	res->callbacks_queued = uatomic_read(&run->cb_queued);
	res->callbacks_run = uatomic_read(&run->cb_run);
	res->deferred_queued = uatomic_read(&run->df_queued);
	res->deferred_run = uatomic_read(&run->df_run);
	for (k = 0; k < LC_EXIT_NR; k++)
		res->threads[k] = SUM(run->spawners, cfg->spawners, threads[k]);
	res->threads_with_destructor = SUM(run->spawners, cfg->spawners,
					   with_destructor);
	res->create_failed = SUM(run->spawners, cfg->spawners, create_failed);
	res->destructor_reads = uatomic_read(&run->destructor_reads);
	for (k = 0; k < LC_CHILD_NR; k++)
		res->children[k] = SUM(run->forkers, cfg->forkers, children[k]);
	res->forked_in_section = SUM(run->forkers, cfg->forkers, in_section);
	res->fork_failed = SUM(run->forkers, cfg->forkers, fork_failed);
	res->reclaimed_seen = uatomic_read(&run->reclaimed);
	res->reclaimed_in_destructor = uatomic_read(&run->reclaimed_in_destructor);
	res->early = uatomic_read(&run->early);
	res->lost = uatomic_read(&run->lost);
	res->children_failed = uatomic_read(&run->children_failed);
	res->children_hung = uatomic_read(&run->children_hung);
	res->errors = uatomic_read(&run->errors);
	res->exec_skipped = !run->exec_ok;
	res->grace_periods = completed_gps() - run->gp0;
}

/* What has not happened yet, as a list; "" once everything has. */
static void missing(struct run *run, const struct lifecycle_result *res,
		    char *buf, size_t len)
{
	const struct lifecycle_config *cfg = run->cfg;
	unsigned int i;
	size_t n = 0;

#define MISSING(cond, what)						\
	do {								\
		if ((cond) && n < len)					\
			n += snprintf(buf + n, len - n, "%s%s",		\
				      n ? ", " : "", what);		\
	} while (0)

	buf[0] = '\0';
	for (i = 0; i < cfg->readers; i++)
		MISSING(!uatomic_read(&run->readers[i].ops), "a read by every reader");
	for (i = 0; i < cfg->updaters; i++)
		MISSING(uatomic_read(&run->updaters[i].ops) < BY_NR,
			"every way of retiring by every updater");
	MISSING(!res->grace_periods, "a grace period");
	if (cfg->spawners) {
		for (i = 0; i < LC_EXIT_NR; i++)
			MISSING(!res->threads[i], exit_what[i]);
		MISSING(!res->destructor_reads, "a read in an exit destructor");
	}
	if (cfg->forkers) {
		for (i = 0; i < run->nkinds; i++)
			MISSING(!res->children[run->kinds[i]],
				child_what[run->kinds[i]]);
		MISSING(!res->forked_in_section, "a fork inside a section");
	}
#undef MISSING
}

unsigned long lifecycle_threads_ended(const struct lifecycle_result *res)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < LC_EXIT_NR; k++)
		n += res->threads[k];
	return n;
}

unsigned long lifecycle_children(const struct lifecycle_result *res)
{
	unsigned long n = 0;
	int k;

	for (k = 0; k < LC_CHILD_NR; k++)
		n += res->children[k];
	return n;
}

bool lifecycle_control_showed(const struct lifecycle_result *res)
{
	return res->reclaimed_seen > res->reclaimed_in_destructor &&
	       res->reclaimed_in_destructor && res->early;
}

static int start_worker(struct worker *w, void *(*fn)(void *))
{
	int err = pthread_create(&w->thread, NULL, fn, w);

	w->started = !err;
	return err;
}

/*
 * Join w, waiting at most limit_ns (then it is a hang: it announced no
 * operation, or the watchdog would have named it), or, after a hang, a
 * moment.  Returns whether it was joined.
 */
static bool join_worker(struct run *run, struct worker *w, uint64_t limit_ns)
{
	uint64_t start = now_ns();

	if (!w->started || w->joined)
		return true;
	for (;;) {
		struct timespec ts;
		uint64_t t;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(w->thread, NULL, &ts)) {
			w->joined = true;
			return true;
		}
		t = now_ns();
		if (uatomic_read(&run->hung)) {
			if (t - CMM_LOAD_SHARED(run->hung_at) > AFTER_HANG_JOIN_NS) {
				run->threads_left++;
				return false;
			}
		} else if (t - start > limit_ns) {
			const char *op = CMM_LOAD_SHARED(w->op);

			declare_hang(run, "%s %u did not stop within %.1f s of the end of the run (%s%s)",
				     w->role, w->index, limit_ns * 1e-9,
				     op ? "it waits " : "it announced no wait",
				     op ? op : "");
		}
	}
}

static void join_all(struct run *run)
{
	uint64_t limit = (uint64_t) ((2 * run->cfg->hang + 1) * 1e9);
	unsigned int i;

	for (i = 0; i < run->nworkers; i++)
		if (&run->workers[i] != run->finisher)
			join_worker(run, &run->workers[i], limit);
}

static void supervise(struct run *run, uint64_t t0)
{
	const struct lifecycle_config *cfg = run->cfg;
	double cap = cfg->duration, elapsed;
	uint64_t next_report = t0 + 1000000000ULL;
	struct lifecycle_result so_far;
	bool started = false;
	char gaps[256];

	if (cap < cfg->extend)
		cap = cfg->extend;
	if (cap < LIFECYCLE_START_MAX_S)
		cap = LIFECYCLE_START_MAX_S;
	for (;;) {
		uint64_t t = now_ns();

		if (uatomic_read(&run->hung))
			break;
		elapsed = (t - t0) * 1e-9;
		memset(&so_far, 0, sizeof(so_far));
		collect(run, &so_far);
		if (!started) {
			/* A run that fails need not wait for the rest. */
			missing(run, &so_far, gaps, sizeof(gaps));
			started = !gaps[0] || cfg->fault || so_far.errors;
		}
		if (elapsed >= cap)
			break;
		if (started && cfg->max_updates && so_far.updates >= cfg->max_updates)
			break;
		if (started && elapsed >= cfg->duration &&
		    (!cfg->control || elapsed >= cfg->extend ||
		     lifecycle_control_showed(&so_far)))
			break;
		if (cfg->progress && t >= next_report) {
			so_far.elapsed = elapsed;
			cfg->progress(elapsed, &so_far, cfg->progress_arg);
			next_report += 1000000000ULL;
		}
		sleep_ns(5000000);
	}
}

/* The final barriers, on a thread of their own: the watchdog sees them. */
static void finish(struct run *run)
{
	if (start_worker(run->finisher, finisher_main)) {
		record_error(run, NULL, "cannot start a thread for the final barriers");
		return;
	}
	join_worker(run, run->finisher, (uint64_t) ((2 * run->cfg->hang + 1) * 1e9));
}

static void check_lost(struct run *run)
{
	unsigned long q = run->cb_queued, r = uatomic_read(&run->cb_run);

	if (r != q)
		record_error(run, &run->lost,
			     "%lu of the %lu call_rcu() callbacks queued in the run had not run after the final rcu_barrier()",
			     q - r, q);
	q = run->df_queued;
	r = uatomic_read(&run->df_run);
	if (r != q)
		record_error(run, &run->lost,
			     "%lu of the %lu defer_rcu() functions queued in the run had not run after the final rcu_defer_barrier()",
			     q - r, q);
}

static int setup(struct run *run)
{
	const struct lifecycle_config *cfg = run->cfg;
	unsigned int i, n = cfg->readers + cfg->updaters + cfg->spawners +
			       cfg->forkers + 1;
	uint64_t seed = now_ns();

	for (i = 0; i < LC_EXIT_NR; i++)
		snprintf(exit_what_destructor[i], sizeof(exit_what_destructor[i]),
			 "%s, with an exit destructor that reads", exit_what[i]);
	run->pid = getpid();
	run->exec_path = cfg->exec_path ? cfg->exec_path : DEFAULT_EXEC;
	run->exec_ok = !access(run->exec_path, X_OK);
	run->kinds[run->nkinds++] = LC_CHILD_LIBRARY;
	if (run->exec_ok) {
		run->kinds[run->nkinds++] = LC_CHILD_EXEC;
		run->kinds[run->nkinds++] = LC_CHILD_SPAWN;
		run->kinds[run->nkinds++] = LC_CHILD_CALL_RCU_EXEC;
	}
	pthread_mutex_init(&run->error_lock, NULL);
	pthread_mutex_init(&run->quarantine_lock, NULL);
	run->table = calloc(cfg->objects, sizeof(*run->table));
	run->workers = calloc(n, sizeof(*run->workers));
	if (!run->table || !run->workers)
		return ENOMEM;
	for (i = 0; i < cfg->objects; i++)
		if (!(run->table[i] = new_object(run)))
			return ENOMEM;
	run->nworkers = n;
	run->readers = run->workers;
	run->updaters = run->readers + cfg->readers;
	run->spawners = run->updaters + cfg->updaters;
	run->forkers = run->spawners + cfg->spawners;
	run->finisher = run->forkers + cfg->forkers;
	for (i = 0; i < n; i++) {
		struct worker *w = &run->workers[i];

		w->run = run;
		w->rng = (seed + 0x9e3779b97f4a7c15ULL * (i + 1)) | 1;
	}
	for (i = 0; i < cfg->readers; i++) {
		run->readers[i].role = "reader";
		run->readers[i].index = i;
		run->readers[i].blocks_signals = i % 2;
	}
	for (i = 0; i < cfg->updaters; i++) {
		run->updaters[i].role = "updater";
		run->updaters[i].index = i;
	}
	for (i = 0; i < cfg->spawners; i++) {
		run->spawners[i].role = "spawner";
		run->spawners[i].index = i;
	}
	for (i = 0; i < cfg->forkers; i++) {
		struct worker *w = &run->forkers[i];
		void *p = mmap(NULL, sizeof(struct child_page),
			       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return errno;
		w->page = p;
		w->role = "forker";
		w->index = i;
	}
	run->finisher->role = "the run's end";
	/* After the library's own key (created when it was loaded), so that
	 * each destructor round finds the thread still registered. */
	if (pthread_key_create(&run->exit_key, exit_reader))
		return EAGAIN;
	run->key_created = true;
	return 0;
}

static void teardown(struct run *run)
{
	unsigned int i;

	for (i = 0; run->workers && i < run->cfg->forkers; i++)
		if (run->forkers[i].page)
			munmap(run->forkers[i].page, sizeof(struct child_page));
	if (run->table)
		for (i = 0; i < run->cfg->objects; i++)
			free(run->table[i]);
	for (i = 0; i < QUARANTINE; i++)
		free(run->quarantine[i]);
	if (run->key_created)
		pthread_key_delete(run->exit_key);
	free(run->table);
	free(run->workers);
	pthread_mutex_destroy(&run->error_lock);
	pthread_mutex_destroy(&run->quarantine_lock);
	free(run);
}

static int start_all(struct run *run)
{
	const struct lifecycle_config *cfg = run->cfg;
	unsigned int i;
	int err = 0;

	for (i = 0; i < cfg->readers && !err; i++)
		err = start_worker(&run->readers[i], reader_main);
	for (i = 0; i < cfg->updaters && !err; i++)
		err = start_worker(&run->updaters[i], updater_main);
	for (i = 0; i < cfg->spawners && !err; i++)
		err = start_worker(&run->spawners[i], spawner_main);
	for (i = 0; i < cfg->forkers && !err; i++)
		err = start_worker(&run->forkers[i], forker_main);
	return err;
}

static int first_failure(struct run *run)
{
	unsigned int i;

	for (i = 0; i < run->nworkers; i++)
		if (run->workers[i].failed)
			return run->workers[i].failed;
	return 0;
}

int lifecycle_run(const struct lifecycle_config *cfg,
		  struct lifecycle_result *res)
{
	struct urcu_tlb_stats before;
	struct run *run;
	uint64_t t0;
	int err;

	memset(res, 0, sizeof(*res));
	if (!cfg->objects || !(cfg->hang > 0) || !(cfg->duration > 0) ||
	    (unsigned) cfg->fault >= LC_FAULT_NR) {
		errno = EINVAL;
		return -1;
	}
	/* A child that exit()s flushes what it inherited: nothing. */
	fflush(NULL);
	run = calloc(1, sizeof(*run));
	if (!run)
		return -1;
	run->cfg = cfg;
	err = setup(run);
	if (err) {
		teardown(run);
		errno = err;
		return -1;
	}
	urcu_tlb_get_stats(&before);
	run->gp0 = before.grace_periods;
	err = pthread_create(&run->watchdog, NULL, watchdog_main, run);
	run->watchdog_started = !err;
	if (!err)
		err = start_all(run);
	t0 = now_ns();
	if (!err)
		supervise(run, t0);
	CMM_STORE_SHARED(run->stop, 1);
	join_all(run);
	if (!err)
		err = first_failure(run);
	if (!err && !uatomic_read(&run->hung)) {
		finish(run);
		if (!uatomic_read(&run->hung))
			check_lost(run);
	}
	collect(run, res);
	res->hung = uatomic_read(&run->hung);
	if (!res->hung && !cfg->fault && !res->errors)
		missing(run, res, res->missing, sizeof(res->missing));
	memcpy(res->hang, run->hang, sizeof(res->hang));
	memcpy(res->first_error, run->first_error, sizeof(res->first_error));
	memcpy(res->first_destructor, run->first_destructor,
	       sizeof(res->first_destructor));
	res->threads_left = run->threads_left;
	res->elapsed = (now_ns() - t0) * 1e-9;
	CMM_STORE_SHARED(run->finished, 1);
	if (run->watchdog_started)
		pthread_join(run->watchdog, NULL);
	if (!res->hung)
		teardown(run);	/* else threads stuck in the library use it */
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- for people ----------------------------------------------------------- */

void lifecycle_print(FILE *out, const struct lifecycle_config *cfg,
		     const struct lifecycle_result *res)
{
	int k;

	fprintf(out, "lifecycle: %u readers, %u updaters, %u spawners, %u forkers, %.1f s%s: %lu reads, %lu updates, %lu threads ended, %lu children, %lu grace periods, %lu errors%s\n",
		cfg->readers, cfg->updaters, cfg->spawners, cfg->forkers,
		res->elapsed, cfg->control ?
		", retiring without grace periods (control)" : "",
		res->reads, res->updates, lifecycle_threads_ended(res),
		lifecycle_children(res), res->grace_periods, res->errors,
		res->hung ? ", HUNG" : "");
	fprintf(out, "  readers: %lu reads with every signal blocked, %lu asleep inside a section\n",
		res->reads_signals_blocked, res->sleeps_in_section);
	fprintf(out, "  updaters: retired through synchronize_rcu %lu, call_rcu %lu, defer_rcu %lu, polled grace periods %lu; %lu rcu_barrier, %lu defer barriers; callbacks %lu queued, %lu run; deferred %lu queued, %lu run\n",
		res->by_sync, res->by_call_rcu, res->by_defer, res->by_poll,
		res->rcu_barriers, res->defer_barriers, res->callbacks_queued,
		res->callbacks_run, res->deferred_queued, res->deferred_run);
	fprintf(out, "  threads ended:");
	for (k = 0; k < LC_EXIT_NR; k++)
		fprintf(out, "%s %s %lu", k ? "," : "", exit_names[k],
			res->threads[k]);
	fprintf(out, "; %lu with an exit destructor, which read %lu times in rounds 1-%d",
		res->threads_with_destructor, res->destructor_reads,
		DESTRUCTOR_ROUNDS);
	if (res->create_failed)
		fprintf(out, "; pthread_create refused %lu", res->create_failed);
	fprintf(out, "\n  children that exited 0:");
	for (k = 0; k < LC_CHILD_NR; k++)
		fprintf(out, "%s %s %lu", k ? "," : "", child_names[k],
			res->children[k]);
	fprintf(out, " (%lu forked inside a section)", res->forked_in_section);
	if (res->fork_failed)
		fprintf(out, "; fork refused %lu", res->fork_failed);
	if (res->exec_skipped)
		fprintf(out, "; no exec children: %s is not executable here",
			cfg->exec_path ? cfg->exec_path : DEFAULT_EXEC);
	fputc('\n', out);
	if (res->errors)
		fprintf(out, "  violations: %lu reclaimed objects seen (%lu in exit destructors), %lu work run before its grace period, %lu work lost, %lu children failed, %lu hung\n",
			res->reclaimed_seen, res->reclaimed_in_destructor,
			res->early, res->lost, res->children_failed,
			res->children_hung);
	if (res->first_error[0])
		fprintf(out, "  first violation: %s\n", res->first_error);
	if (res->missing[0])
		fprintf(out, "  never happened: %s\n", res->missing);
	if (res->hung)
		fprintf(out, "  HANG: %s (%u threads left behind)\n", res->hang,
			res->threads_left);
}
