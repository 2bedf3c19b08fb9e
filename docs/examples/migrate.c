/*
 * migrate.c: the worked example of docs/migrating-from-urcu-signal.md.
 *
 * A server keeps sessions in liburcu-cds's lock-free hash table and its
 * configuration behind an RCU pointer.  Worker threads look sessions up
 * under rcu_read_lock; a control thread replaces sessions (old ones freed
 * with call_rcu) and reloads the configuration (old one freed after
 * synchronize_rcu).  Written for liburcu's signal flavor, it moves to
 * liburcu-tlb by changing the include below and -lurcu-signal into
 * -lurcu-tlb; nothing else.  `make check` builds it both ways (the signal
 * flavor where this liburcu still has it) and runs both.
 */
#ifdef WITH_URCU_SIGNAL
#define RCU_SIGNAL		/* before: liburcu's signal flavor */
#include <urcu.h>		/*         link -lurcu-signal */
#else
#include <urcu-tlb.h>		/* after: liburcu-tlb, link -lurcu-tlb */
#endif
#include <urcu/rculfhash.h>	/* unchanged: the hash table takes the flavor */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define SESSIONS	64
#define WORKERS		2
#define ROUNDS		2000

struct session {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	unsigned long id;
	unsigned long generation;
	int alive;		/* 0 once retired: a worker must never see it */
};

struct config {
	int version;
};

static struct cds_lfht *sessions;
static struct config *config;
static int stop, ready;
static unsigned long lookups, stale;

static unsigned long hash(unsigned long id)
{
	return id * 0x9e3779b97f4a7c15UL;
}

static int same_id(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct session, node)->id ==
	       *(const unsigned long *) key;
}

static void free_session(struct rcu_head *head)
{
	struct session *s = caa_container_of(head, struct session, rcu);

	s->alive = 0;	/* a reader seeing this would be a bug */
	free(s);
}

static void *worker(void *arg)
{
	unsigned long id = (unsigned long) arg, n = 0, bad = 0;

	rcu_register_thread();
	uatomic_inc(&ready);
	while (!uatomic_read(&stop)) {
		struct cds_lfht_iter iter;
		struct cds_lfht_node *node;

		id = (id * 7 + 3) % SESSIONS;
		rcu_read_lock();
		cds_lfht_lookup(sessions, hash(id), same_id, &id, &iter);
		node = cds_lfht_iter_get_node(&iter);
		if (node && !uatomic_read(&caa_container_of(node, struct session, node)->alive))
			bad++;
		if (rcu_dereference(config)->version < 0)
			bad++;
		rcu_read_unlock();
		n++;
	}
	rcu_unregister_thread();
	uatomic_add(&lookups, n);
	uatomic_add(&stale, bad);
	return NULL;
}

static void replace_session(unsigned long id, unsigned long generation)
{
	struct session *s = malloc(sizeof(*s));
	struct cds_lfht_node *old;

	s->id = id;
	s->generation = generation;
	s->alive = 1;
	cds_lfht_node_init(&s->node);
	rcu_read_lock();
	old = cds_lfht_add_replace(sessions, hash(id), same_id, &id, &s->node);
	rcu_read_unlock();
	if (old)
		call_rcu(&caa_container_of(old, struct session, node)->rcu,
			 free_session);
}

static void reload_config(int version)
{
	struct config *fresh = malloc(sizeof(*fresh)), *old;

	fresh->version = version;
	old = rcu_xchg_pointer(&config, fresh);
	synchronize_rcu();
	free(old);
}

int main(void)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	pthread_t workers[WORKERS];
	unsigned long i;

	sessions = cds_lfht_new(SESSIONS, SESSIONS, 0, CDS_LFHT_AUTO_RESIZE, NULL);
	config = calloc(1, sizeof(*config));
	rcu_register_thread();
	for (i = 0; i < SESSIONS; i++)
		replace_session(i, 0);
	for (i = 0; i < WORKERS; i++)
		pthread_create(&workers[i], NULL, worker, (void *) i);
	while (uatomic_read(&ready) < WORKERS)
		sched_yield();
	for (i = 1; i <= ROUNDS; i++) {
		replace_session(i % SESSIONS, i);
		if (i % 100 == 0)
			reload_config((int) i / 100);
	}
	uatomic_set(&stop, 1);
	for (i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);

	rcu_read_lock();
	cds_lfht_for_each(sessions, &iter, node)
		if (!cds_lfht_del(sessions, node))
			call_rcu(&caa_container_of(node, struct session, node)->rcu,
				 free_session);
	rcu_read_unlock();
	rcu_unregister_thread();
	rcu_barrier();		/* every callback has run */
	cds_lfht_destroy(sessions, NULL);
	free(config);
	printf("%lu lookups, %lu stale, config version %d\n", lookups, stale,
	       ROUNDS / 100);
	return stale || !lookups ? 1 : 0;
}
