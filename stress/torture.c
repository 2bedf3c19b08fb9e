/*
 * torture.c: the torture test engine; see torture.h.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <urcu-tlb.h>
#include "torture.h"
#include "util.h"

#define TOBJ_LIVE	0x600dcafe600dcafeUL
#define TOBJ_POISON	0xdeadbeefdeadbeefUL

struct run;

struct tobj {
	unsigned long magic;
	unsigned long pipe;	/* grace periods since it was retired */
	unsigned long id;
	unsigned long retired_gp;	/* grace periods completed at retirement */
	bool by_callback;	/* retired through call_rcu */
	struct tobj *next;	/* updater's retired list / control's quarantine */
	struct rcu_head head;	/* call_rcu retirement */
	struct run *run;
};

/* A flooder's callback. */
struct flood_cb {
	struct rcu_head head;
	struct urcu_gp_poll_state queued;	/* grace period it needs */
	struct run *run;
};

struct worker {
	struct run *run;
	pthread_t thread;
	unsigned int index;
	uint64_t rng;
	unsigned long ops;
	unsigned long age[TORTURE_PIPE_LEN + 1];
	unsigned long cold_pos;	/* readers: next cold line */
	struct tobj *retired;	/* updaters: waiting to age out */
	struct tobj *quarantine;	/* updaters, control only: poisoned */
	unsigned long paused;	/* flooders: pauses at the backlog bound */
	int failed;		/* errno if the thread could not run */
} __attribute__((aligned(128)));

struct run {
	const struct torture_config *cfg;
	struct tobj **table;
	struct worker *readers, *updaters, *flooders;
	char *cold;		/* cfg->stuff: the readers' cold lines */
	cpu_set_t cpus;		/* cfg->pin: where threads may go */
	int next_cpu;
	int stop;
	unsigned long next_id;
	unsigned long errors;
	pthread_mutex_t error_lock;
	char first_error[512];
	/* Objects retired through call_rcu whose last callback has not run. */
	unsigned long in_callbacks;
	unsigned long callbacks, flood_invoked;
	/* Poisoned objects wait here, the oldest freed first. */
	pthread_mutex_t quarantine_lock;
	struct tobj *quarantine[TORTURE_QUARANTINE];
	unsigned int quarantine_next, quarantine_count;
};

static const char *const reclaim_names[TORTURE_RECLAIM_NR] = {
	[TORTURE_RECLAIM_SYNC] = "synchronize_rcu",
	[TORTURE_RECLAIM_NONE] = "none",
	[TORTURE_RECLAIM_CALL_RCU] = "call_rcu",
	[TORTURE_RECLAIM_BOTH] = "both",
};

const char *torture_reclaim_name(enum torture_reclaim r)
{
	return name_at(reclaim_names, TORTURE_RECLAIM_NR, r);
}

int torture_reclaim_parse(const char *name)
{
	if (!strcasecmp(name, "sync"))
		return TORTURE_RECLAIM_SYNC;
	return name_index(reclaim_names, TORTURE_RECLAIM_NR, name);
}

static uint64_t next_random(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t) t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void spin_ns(uint64_t ns)
{
	uint64_t start = now_ns();

	while (now_ns() - start < ns)
		caa_cpu_relax();
}

static unsigned long completed_gps(void)
{
	struct urcu_tlb_stats st;

	urcu_tlb_get_stats(&st);
	return st.grace_periods;
}

static struct tobj *new_object(struct run *run)
{
	struct tobj *o = malloc(sizeof(*o));

	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->magic = TOBJ_LIVE;
	o->id = uatomic_add_return(&run->next_id, 1);
	o->run = run;
	return o;
}

void torture_default_config(struct torture_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->readers = 2;
	cfg->updaters = 1;
	cfg->duration = 1.0;
	cfg->reclaim = TORTURE_RECLAIM_SYNC;
	cfg->nesting = 1;
	cfg->objects = 64;
}

/* ---- errors ------------------------------------------------------------- */

static void record_error(struct run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void record_error(struct run *run, const char *fmt, ...)
{
	va_list ap;

	uatomic_inc(&run->errors);
	pthread_mutex_lock(&run->error_lock);
	if (!run->first_error[0]) {
		va_start(ap, fmt);
		vsnprintf(run->first_error, sizeof(run->first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&run->error_lock);
}

/* ---- readers ------------------------------------------------------------ */

static void report(struct worker *w, const struct tobj *o, unsigned long slot,
		   unsigned long magic, unsigned long pipe)
{
	unsigned long retired = CMM_LOAD_SHARED(o->retired_gp);
	const char *how = CMM_LOAD_SHARED(o->by_callback) ? "through call_rcu" :
		w->run->cfg->reclaim == TORTURE_RECLAIM_NONE ?
		"without a grace period (the control)" : "through synchronize_rcu";
	char what[96];

	if (magic == TOBJ_POISON)
		snprintf(what, sizeof(what), "after it was poisoned");
	else if (magic != TOBJ_LIVE)
		snprintf(what, sizeof(what),
			 "after its memory was freed and reused (magic %#lx)",
			 magic);
	else
		snprintf(what, sizeof(what),
			 "%lu grace period(s) after its retirement", pipe);
	record_error(w->run, "reader %u reached object %lu (slot %lu) %s, inside one read-side critical section; the object was retired %s when %lu grace periods had completed, %lu had when the reader saw it",
		     w->index, o->id, slot, what, how, retired, completed_gps());
}

/* Look at o; returns its histogram bucket (0 is the only correct one). */
static unsigned int inspect(struct worker *w, const struct tobj *o,
			    unsigned long slot)
{
	unsigned long magic = CMM_LOAD_SHARED(o->magic);
	unsigned long pipe = CMM_LOAD_SHARED(o->pipe);
	unsigned int bucket;

	if (magic != TOBJ_LIVE)
		bucket = TORTURE_PIPE_LEN;
	else
		bucket = pipe < TORTURE_PIPE_LEN ? pipe : TORTURE_PIPE_LEN - 1;
	if (bucket)
		report(w, o, slot, magic, pipe);
	return bucket;
}

static void read_once(struct worker *w)
{
	const struct torture_config *cfg = w->run->cfg;
	uint64_t r = next_random(&w->rng);
	unsigned long slot = r % cfg->objects;
	unsigned int d, first, second;
	struct tobj *o;

	cold_stores(w->run->cold, &w->cold_pos, cfg->stuff, r);
	for (d = 0; d < cfg->nesting; d++)
		urcu_tlb_read_lock();
	o = rcu_dereference(w->run->table[slot]);
	first = inspect(w, o, slot);
	if (cfg->delay_ns)
		spin_ns(next_random(&w->rng) % cfg->delay_ns);
	if (cfg->long_delay_us && !((r >> 32) % 1024))
		nanosleep(&(struct timespec){
			.tv_nsec = 1000L * (next_random(&w->rng) % cfg->long_delay_us) },
			NULL);
	second = first ? first : inspect(w, o, slot);
	for (d = 0; d < cfg->nesting; d++)
		urcu_tlb_read_unlock();
	w->age[second]++;
	CMM_STORE_SHARED(w->ops, w->ops + 1);	/* read by the supervisor */
}

static void *reader_thread(void *arg)
{
	struct worker *w = arg;

	urcu_tlb_register_thread();
	while (!CMM_LOAD_SHARED(w->run->stop)) {
		read_once(w);
		if (w->run->cfg->churn && !(w->ops % 256)) {
			urcu_tlb_unregister_thread();
			urcu_tlb_register_thread();
		}
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/* ---- reclaiming --------------------------------------------------------- */

/* The object is past TORTURE_PIPE_LEN grace periods: poison, then free it
 * TORTURE_QUARANTINE poisonings later. */
static void poison(struct run *run, struct tobj *o)
{
	struct tobj *oldest;

	CMM_STORE_SHARED(o->magic, TOBJ_POISON);
	pthread_mutex_lock(&run->quarantine_lock);
	oldest = run->quarantine[run->quarantine_next];
	run->quarantine[run->quarantine_next] = o;
	run->quarantine_next = (run->quarantine_next + 1) % TORTURE_QUARANTINE;
	if (run->quarantine_count < TORTURE_QUARANTINE)
		run->quarantine_count++;
	pthread_mutex_unlock(&run->quarantine_lock);
	free(oldest);
}

/* One grace period has passed for everything on the retired list. */
static void age_retired(struct worker *w)
{
	struct tobj **pp = &w->retired, *o;

	while ((o = *pp)) {
		CMM_STORE_SHARED(o->pipe, o->pipe + 1);
		if (o->pipe < TORTURE_PIPE_LEN) {
			pp = &o->next;
			continue;
		}
		*pp = o->next;
		if (w->run->cfg->reclaim == TORTURE_RECLAIM_NONE) {
			/* Control: readers may still look; keep the memory. */
			CMM_STORE_SHARED(o->magic, TOBJ_POISON);
			o->next = w->quarantine;
			w->quarantine = o;
		} else {
			poison(w->run, o);
		}
	}
}

/* call_rcu retirement: a grace period has passed since the last call. */
static void age_callback(struct rcu_head *head)
{
	struct tobj *o = caa_container_of(head, struct tobj, head);
	struct run *run = o->run;

	uatomic_inc(&run->callbacks);
	CMM_STORE_SHARED(o->pipe, o->pipe + 1);
	if (o->pipe < TORTURE_PIPE_LEN) {
		urcu_tlb_call_rcu(&o->head, age_callback);
		return;
	}
	poison(run, o);
	uatomic_dec(&run->in_callbacks);
}

static bool use_call_rcu(struct worker *w)
{
	switch (w->run->cfg->reclaim) {
	case TORTURE_RECLAIM_CALL_RCU:
		return true;
	case TORTURE_RECLAIM_BOTH:
		return next_random(&w->rng) & 1;
	default:
		return false;
	}
}

static void *updater_thread(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	const struct torture_config *cfg = run->cfg;
	unsigned int i;

	while (!CMM_LOAD_SHARED(run->stop)) {
		unsigned long slot = next_random(&w->rng) % cfg->objects;
		struct tobj *o = new_object(run), *old;

		if (!o) {
			w->failed = ENOMEM;
			break;
		}
		old = rcu_xchg_pointer(&run->table[slot], o);
		CMM_STORE_SHARED(old->retired_gp, completed_gps());
		if (use_call_rcu(w)) {
			CMM_STORE_SHARED(old->by_callback, true);
			uatomic_inc(&run->in_callbacks);
			urcu_tlb_call_rcu(&old->head, age_callback);
		} else {
			old->next = w->retired;
			w->retired = old;
			if (cfg->reclaim == TORTURE_RECLAIM_NONE) {
				for (i = 0; i < TORTURE_PIPE_LEN; i++)
					age_retired(w);
			} else {
				urcu_tlb_synchronize_rcu();
				age_retired(w);
			}
		}
		uatomic_inc(&w->ops);
	}
	return NULL;
}

/* ---- callback flood ----------------------------------------------------- */

static void flood_callback(struct rcu_head *head)
{
	struct flood_cb *cb = caa_container_of(head, struct flood_cb, head);
	struct run *run = cb->run;

	if (!urcu_tlb_poll_state_synchronize_rcu(cb->queued))
		record_error(run, "a call_rcu callback ran before the grace period it waited for (number %lu) had completed; %lu grace periods had completed",
			     cb->queued.grace_period_id, completed_gps());
	uatomic_inc(&run->flood_invoked);
	free(cb);
}

/*
 * A flooder keeps at most this many of its callbacks waiting: call_rcu()
 * never makes its caller wait, so bounding the backlog is the program's
 * part, as in any program that produces faster than callbacks run.
 */
#define FLOOD_BACKLOG	200000UL

static void *flooder_thread(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;

	while (!CMM_LOAD_SHARED(run->stop)) {
		struct flood_cb *cb;

		if (uatomic_read(&w->ops) - uatomic_read(&run->flood_invoked) >
		    FLOOD_BACKLOG) {
			uatomic_inc(&w->paused);
			sched_yield();
			continue;
		}
		cb = malloc(sizeof(*cb));

		if (!cb) {
			w->failed = ENOMEM;
			break;
		}
		cb->run = run;
		/* Taken before queueing: the callback must see it done. */
		cb->queued = urcu_tlb_start_poll_synchronize_rcu();
		urcu_tlb_call_rcu(&cb->head, flood_callback);
		uatomic_inc(&w->ops);
	}
	return NULL;
}

/* ---- the run ------------------------------------------------------------ */

static unsigned long sum_paused(const struct worker *ws, unsigned int n)
{
	unsigned long s = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		s += ws[i].paused;
	return s;
}

static unsigned long sum_ops(const struct worker *ws, unsigned int n)
{
	unsigned long s = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		s += uatomic_read(&ws[i].ops);
	return s;
}

/*
 * cfg->pin: the next updater or reader goes on the next CPU of the
 * process's affinity set, round robin, updaters first; flooders go where
 * the scheduler puts them.
 */
static void pin_next(struct run *run, pthread_attr_t *attr,
		     void *(*fn)(void *))
{
	cpu_set_t one;
	int c;

	if (!run->cfg->pin || CPU_COUNT(&run->cpus) < 2 || fn == flooder_thread)
		return;
	for (c = run->next_cpu; !CPU_ISSET(c % CPU_SETSIZE, &run->cpus); c++)
		;
	run->next_cpu = c % CPU_SETSIZE + 1;
	CPU_ZERO(&one);
	CPU_SET(c % CPU_SETSIZE, &one);
	pthread_attr_setaffinity_np(attr, sizeof(one), &one);
}

static int start(struct run *run, struct worker *ws, unsigned int n,
		 void *(*fn)(void *), uint64_t seed, unsigned int *started)
{
	pthread_attr_t attr;
	unsigned int i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		ws[i].run = run;
		ws[i].index = i;
		ws[i].rng = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
		/* Readers walk the cold region from different places. */
		ws[i].cold_pos = (COLD_BYTES / (n + 1)) * i & ~63UL;
		pthread_attr_init(&attr);
		pin_next(run, &attr, fn);
		err = pthread_create(&ws[i].thread, &attr, fn, &ws[i]);
		pthread_attr_destroy(&attr);
		if (!err)
			(*started)++;
	}
	return err;
}

static int join(struct worker *ws, unsigned int n)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].failed && !err)
			err = ws[i].failed;
	}
	return err;
}

static void free_list(struct tobj *o)
{
	while (o) {
		struct tobj *next = o->next;

		free(o);
		o = next;
	}
}

static void supervise(struct run *run, uint64_t t0)
{
	const struct torture_config *cfg = run->cfg;
	uint64_t next_report = t0 + 1000000000ULL;

	for (;;) {
		uint64_t t = now_ns();
		unsigned long updates = sum_ops(run->updaters, cfg->updaters);
		double elapsed = (t - t0) * 1e-9;

		if (cfg->max_updates && updates >= cfg->max_updates)
			break;
		if (elapsed >= cfg->duration &&
		    (elapsed >= cfg->extend || uatomic_read(&run->errors)))
			break;
		if (cfg->progress && t >= next_report) {
			cfg->progress((t - t0) * 1e-9,
				      sum_ops(run->readers, cfg->readers),
				      updates, uatomic_read(&run->errors),
				      cfg->progress_arg);
			next_report += 1000000000ULL;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
}

/*
 * Wait for every callback the run queued.  Aging callbacks queue
 * themselves again, after the barrier's marker: each barrier moves them
 * one grace period on, so at most TORTURE_PIPE_LEN rounds are needed.
 */
static void drain_callbacks(struct run *run)
{
	const struct torture_config *cfg = run->cfg;

	if (!cfg->flooders && cfg->reclaim != TORTURE_RECLAIM_CALL_RCU &&
	    cfg->reclaim != TORTURE_RECLAIM_BOTH)
		return;		/* none queued */
	do
		urcu_tlb_barrier();
	while (uatomic_read(&run->in_callbacks));
}

static void collect(struct run *run, struct torture_result *res)
{
	const struct torture_config *cfg = run->cfg;
	unsigned int i, b;

	res->reads = sum_ops(run->readers, cfg->readers);
	res->updates = sum_ops(run->updaters, cfg->updaters);
	res->flood_queued = sum_ops(run->flooders, cfg->flooders);
	res->flood_invoked = run->flood_invoked;
	res->callbacks = run->callbacks;
	for (i = 0; i < cfg->readers; i++)
		for (b = 0; b <= TORTURE_PIPE_LEN; b++)
			res->age[b] += run->readers[i].age[b];
	if (res->flood_invoked != res->flood_queued)
		record_error(run, "%lu of %lu flooded call_rcu callbacks never ran, even after rcu_barrier",
			     res->flood_queued - res->flood_invoked,
			     res->flood_queued);
	res->errors = run->errors;
	memcpy(res->first_error, run->first_error, sizeof(res->first_error));
}

static int setup_table(struct run *run)
{
	unsigned int i;

	run->table = calloc(run->cfg->objects, sizeof(*run->table));
	if (!run->table)
		return ENOMEM;
	for (i = 0; i < run->cfg->objects; i++)
		if (!(run->table[i] = new_object(run)))
			return ENOMEM;
	return 0;
}

static void teardown(struct run *run, unsigned int nu)
{
	unsigned int i;

	for (i = 0; i < nu; i++) {
		free_list(run->updaters[i].retired);
		free_list(run->updaters[i].quarantine);
	}
	if (run->table)
		for (i = 0; i < run->cfg->objects; i++)
			free(run->table[i]);
	for (i = 0; i < TORTURE_QUARANTINE; i++)
		free(run->quarantine[i]);
	free(run->table);
	free(run->readers);
	free(run->updaters);
	free(run->flooders);
	cold_unmap(run->cold);
	pthread_mutex_destroy(&run->error_lock);
	pthread_mutex_destroy(&run->quarantine_lock);
}

static void *calloc_workers(unsigned int n)
{
	return calloc(n ? n : 1, sizeof(struct worker));
}

int torture_run(const struct torture_config *cfg, struct torture_result *res)
{
	struct run *run;
	struct urcu_tlb_stats before, after;
	unsigned int nr = 0, nu = 0, nf = 0;
	uint64_t t0 = now_ns();
	int err, err2;

	memset(res, 0, sizeof(*res));
	if (!cfg->objects || !cfg->nesting || cfg->nesting > URCU_TLB_NEST_MAX ||
	    (unsigned) cfg->reclaim >= TORTURE_RECLAIM_NR ||
	    cfg->long_delay_us >= 1000000 || cfg->stuff > TORTURE_MAX_STUFF) {
		errno = EINVAL;
		return -1;
	}
	run = calloc(1, sizeof(*run));
	if (!run)
		return -1;
	run->cfg = cfg;
	pthread_mutex_init(&run->error_lock, NULL);
	pthread_mutex_init(&run->quarantine_lock, NULL);
	run->readers = calloc_workers(cfg->readers);
	run->updaters = calloc_workers(cfg->updaters);
	run->flooders = calloc_workers(cfg->flooders);
	err = run->readers && run->updaters && run->flooders ?
	      setup_table(run) : ENOMEM;
	if (!err && cfg->stuff && !(run->cold = cold_map()))
		err = errno;
	urcu_tlb_get_stats(&before);
	if (cfg->pin && sched_getaffinity(0, sizeof(run->cpus), &run->cpus))
		CPU_ZERO(&run->cpus);
	if (!err)
		err = start(run, run->updaters, cfg->updaters, updater_thread,
			    ~t0, &nu);
	if (!err)
		err = start(run, run->readers, cfg->readers, reader_thread,
			    t0, &nr);
	if (!err)
		err = start(run, run->flooders, cfg->flooders, flooder_thread,
			    t0 * 3, &nf);
	if (!err)
		supervise(run, t0);
	CMM_STORE_SHARED(run->stop, 1);
	join(run->readers, nr);
	err2 = join(run->updaters, nu);
	if (!err)
		err = err2;
	err2 = join(run->flooders, nf);
	if (!err)
		err = err2;
	drain_callbacks(run);
	urcu_tlb_get_stats(&after);
	collect(run, res);
	res->grace_periods = after.grace_periods - before.grace_periods;
	res->flood_paused = sum_paused(run->flooders, cfg->flooders);
	res->elapsed = (now_ns() - t0) * 1e-9;
	teardown(run, nu);
	free(run);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void torture_print(FILE *out, const struct torture_config *cfg,
		   const struct torture_result *res)
{
	unsigned int b;

	fprintf(out, "torture: %u readers, %u updaters, %u flooders, %.1f s, reclaim %s%s: %lu reads, %lu updates, %lu grace periods, %lu errors\n",
		cfg->readers, cfg->updaters, cfg->flooders, res->elapsed,
		torture_reclaim_name(cfg->reclaim),
		cfg->reclaim == TORTURE_RECLAIM_NONE ? " (control)" : "",
		res->reads, res->updates, res->grace_periods, res->errors);
	if (res->callbacks || res->flood_queued)
		fprintf(out, "  callbacks: %lu aging, %lu of %lu flooded run, flooders paused %lu times at a backlog of %lu\n",
			res->callbacks, res->flood_invoked, res->flood_queued,
			res->flood_paused, FLOOD_BACKLOG);
	fprintf(out, "  age histogram (grace periods an object had survived when read; poisoned last):");
	for (b = 0; b <= TORTURE_PIPE_LEN; b++)
		fprintf(out, " %lu", res->age[b]);
	fputc('\n', out);
	if (res->errors)
		fprintf(out, "  first violation: %s\n", res->first_error);
}
