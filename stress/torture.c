/*
 * torture.c: the torture test engine; see torture.h.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-tlb.h>
#include "torture.h"

#define TOBJ_LIVE	0x600dcafe600dcafeUL
#define TOBJ_POISON	0xdeadbeefdeadbeefUL

struct tobj {
	unsigned long magic;
	unsigned long pipe;	/* grace periods since it was retired */
	unsigned long id;
	struct tobj *next;	/* updater's retired list / quarantine */
};

struct run;

struct worker {
	struct run *run;
	pthread_t thread;
	unsigned int index;
	uint64_t rng;
	unsigned long ops;
	unsigned long age[TORTURE_PIPE_LEN + 1];
	struct tobj *retired;	/* updaters: waiting to age out */
	struct tobj *quarantine;	/* updaters, control only: poisoned */
	int failed;		/* errno if the thread could not run */
} __attribute__((aligned(128)));

struct run {
	const struct torture_config *cfg;
	struct tobj **table;
	struct worker *readers, *updaters;
	int stop;
	unsigned long next_id;
	unsigned long errors;
	pthread_mutex_t error_lock;
	char first_error[256];
};

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

static struct tobj *new_object(struct run *run)
{
	struct tobj *o = malloc(sizeof(*o));

	if (!o)
		return NULL;
	o->magic = TOBJ_LIVE;
	o->pipe = 0;
	o->id = uatomic_add_return(&run->next_id, 1);
	o->next = NULL;
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

/* ---- readers ------------------------------------------------------------ */

static void report(struct worker *w, const struct tobj *o, unsigned long slot,
		   unsigned long magic, unsigned long pipe)
{
	struct run *run = w->run;
	struct urcu_tlb_stats st;

	uatomic_inc(&run->errors);
	pthread_mutex_lock(&run->error_lock);
	if (!run->first_error[0]) {
		urcu_tlb_get_stats(&st);
		if (magic == TOBJ_POISON)
			snprintf(run->first_error, sizeof(run->first_error),
				 "reader %u reached object %lu (slot %lu) after it was poisoned (reclaimed), inside one read-side critical section; %lu grace periods had run",
				 w->index, o->id, slot, st.grace_periods);
		else
			snprintf(run->first_error, sizeof(run->first_error),
				 "reader %u still held object %lu (slot %lu) %lu grace period(s) after it was retired, inside one read-side critical section; %lu grace periods had run",
				 w->index, o->id, slot, pipe, st.grace_periods);
	}
	pthread_mutex_unlock(&run->error_lock);
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
	unsigned long slot = next_random(&w->rng) % cfg->objects;
	unsigned int d, first, second;
	struct tobj *o;

	for (d = 0; d < cfg->nesting; d++)
		urcu_tlb_read_lock();
	o = rcu_dereference(w->run->table[slot]);
	first = inspect(w, o, slot);
	if (cfg->delay_ns)
		spin_ns(next_random(&w->rng) % cfg->delay_ns);
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

/* ---- updaters ----------------------------------------------------------- */

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
		CMM_STORE_SHARED(o->magic, TOBJ_POISON);
		if (w->run->cfg->reclaim == TORTURE_RECLAIM_NONE) {
			/* Control: readers may still look; keep the memory. */
			o->next = w->quarantine;
			w->quarantine = o;
		} else {
			free(o);
		}
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
		old->next = w->retired;
		w->retired = old;
		if (cfg->reclaim == TORTURE_RECLAIM_SYNC) {
			urcu_tlb_synchronize_rcu();
			age_retired(w);
		} else {
			for (i = 0; i < TORTURE_PIPE_LEN; i++)
				age_retired(w);
		}
		uatomic_inc(&w->ops);
	}
	return NULL;
}

/* ---- the run ------------------------------------------------------------ */

static unsigned long sum_ops(const struct worker *ws, unsigned int n)
{
	unsigned long s = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		s += uatomic_read(&ws[i].ops);
	return s;
}

static int start(struct run *run, struct worker *ws, unsigned int n,
		 void *(*fn)(void *), uint64_t seed, unsigned int *started)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		ws[i].run = run;
		ws[i].index = i;
		ws[i].rng = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
		err = pthread_create(&ws[i].thread, NULL, fn, &ws[i]);
		if (err)
			return err;
		(*started)++;
	}
	return 0;
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

		if ((t - t0) * 1e-9 >= cfg->duration ||
		    (cfg->max_updates && updates >= cfg->max_updates))
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

static void collect(struct run *run, struct torture_result *res)
{
	const struct torture_config *cfg = run->cfg;
	unsigned int i, b;

	res->reads = sum_ops(run->readers, cfg->readers);
	res->updates = sum_ops(run->updaters, cfg->updaters);
	for (i = 0; i < cfg->readers; i++)
		for (b = 0; b <= TORTURE_PIPE_LEN; b++)
			res->age[b] += run->readers[i].age[b];
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

static void teardown(struct run *run, unsigned int nr, unsigned int nu)
{
	unsigned int i;

	for (i = 0; i < nu; i++) {
		free_list(run->updaters[i].retired);
		free_list(run->updaters[i].quarantine);
	}
	if (run->table)
		for (i = 0; i < run->cfg->objects; i++)
			free(run->table[i]);
	(void) nr;
	free(run->table);
	free(run->readers);
	free(run->updaters);
	pthread_mutex_destroy(&run->error_lock);
}

int torture_run(const struct torture_config *cfg, struct torture_result *res)
{
	struct run run = { .cfg = cfg };
	struct urcu_tlb_stats before, after;
	unsigned int nr = 0, nu = 0, i;
	uint64_t t0 = now_ns();
	int err;

	memset(res, 0, sizeof(*res));
	if (!cfg->objects || !cfg->nesting || cfg->nesting > URCU_TLB_NEST_MAX) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_init(&run.error_lock, NULL);
	run.readers = calloc(cfg->readers ? cfg->readers : 1, sizeof(struct worker));
	run.updaters = calloc(cfg->updaters ? cfg->updaters : 1, sizeof(struct worker));
	err = run.readers && run.updaters ? setup_table(&run) : ENOMEM;
	urcu_tlb_get_stats(&before);
	if (!err)
		err = start(&run, run.readers, cfg->readers, reader_thread, t0, &nr);
	if (!err)
		err = start(&run, run.updaters, cfg->updaters, updater_thread,
			    ~t0, &nu);
	if (!err)
		supervise(&run, t0);
	CMM_STORE_SHARED(run.stop, 1);
	for (i = 0; i < nr; i++)
		pthread_join(run.readers[i].thread, NULL);
	for (i = 0; i < nu; i++) {
		pthread_join(run.updaters[i].thread, NULL);
		if (run.updaters[i].failed && !err)
			err = run.updaters[i].failed;
	}
	urcu_tlb_get_stats(&after);
	collect(&run, res);
	res->grace_periods = after.grace_periods - before.grace_periods;
	res->elapsed = (now_ns() - t0) * 1e-9;
	teardown(&run, nr, nu);
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

	fprintf(out, "torture: %u readers, %u updaters, %.1f s, reclaim %s: %lu reads, %lu updates, %lu grace periods, %lu errors\n",
		cfg->readers, cfg->updaters, res->elapsed,
		cfg->reclaim == TORTURE_RECLAIM_NONE ? "none (control)" : "synchronize_rcu",
		res->reads, res->updates, res->grace_periods, res->errors);
	fprintf(out, "  age histogram (grace periods an object had survived when read; poisoned last):");
	for (b = 0; b <= TORTURE_PIPE_LEN; b++)
		fprintf(out, " %lu", res->age[b]);
	fputc('\n', out);
	if (res->errors)
		fprintf(out, "  first violation: %s\n", res->first_error);
}
