/*
 * urcu-program.c: a program written for liburcu, and nothing else.
 *
 * It includes <urcu.h> (the memb flavor, or the signal flavor with
 * -DRCU_SIGNAL) and liburcu's data-structure headers, and uses the classic
 * API: thread registration, rcu_read_lock, rcu_dereference,
 * rcu_xchg_pointer, synchronize_rcu, call_rcu, rcu_barrier, defer_rcu, an
 * RCU list and an RCU hash table; urcu-program-names.c uses the flavor's
 * own names (urcu_memb_read_lock, ...).  tests/compat/install-check.sh
 * builds it against liburcu, and against liburcu-tlb through the
 * compatibility pkg-config files alone, and runs it.
 *
 * Two readers check that every object they reach is live while the main
 * thread replaces and retires objects through each retirement path; the
 * counts at the end check that every callback and deferred call ran.
 * Exits 0 on success, 1 with a message otherwise.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>
#include <urcu/rculist.h>
#include <urcu/rculfhash.h>
#include <urcu/uatomic.h>

#define READERS		2
#define UPDATES		300
#define LIVE		0x11fe11feu
#define DEAD		0xdeadbeefu
#define KEYS		8

/* urcu-program-names.c: the flavor's own names; 1 when they work. */
int flavor_names_work(void);

struct config {
	unsigned int magic;
	long a, b;			/* a + b == 0 while live */
	struct rcu_head rcu;
};

struct item {
	unsigned int magic;
	unsigned long key;
	struct cds_list_head list;	/* on items */
	struct cds_lfht_node node;	/* in table */
	struct rcu_head rcu;
};

static struct config *current;
static CDS_LIST_HEAD(items);
static struct cds_lfht *table;
static int stop, started;
static unsigned long reads, bad;
static unsigned long queued, called;	/* call_rcu and defer_rcu */

static void fail(const char *what)
{
	fprintf(stderr, "urcu-program: %s\n", what);
	exit(1);
}

static void free_config_cb(struct rcu_head *head)
{
	struct config *c = caa_container_of(head, struct config, rcu);

	c->magic = DEAD;
	free(c);
	uatomic_inc(&called);
}

static void free_config_deferred(void *p)
{
	struct config *c = p;

	c->magic = DEAD;
	free(c);
	uatomic_inc(&called);
}

static void free_item_cb(struct rcu_head *head)
{
	struct item *it = caa_container_of(head, struct item, rcu);

	it->magic = DEAD;
	free(it);
	uatomic_inc(&called);
}

static int match_key(struct cds_lfht_node *node, const void *key)
{
	struct item *it = caa_container_of(node, struct item, node);

	return it->key == *(const unsigned long *)key;
}

static void *reader(void *arg)
{
	(void)arg;
	rcu_register_thread();
	uatomic_inc(&started);
	while (!uatomic_read(&stop)) {
		struct cds_lfht_iter iter;
		struct cds_lfht_node *node;
		struct config *c;
		struct item *it;
		unsigned long key = reads % KEYS;

		rcu_read_lock();
		c = rcu_dereference(current);
		if (c->magic != LIVE || c->a + c->b != 0)
			uatomic_inc(&bad);
		cds_list_for_each_entry_rcu(it, &items, list)
			if (it->magic != LIVE)
				uatomic_inc(&bad);
		cds_lfht_lookup(table, key, match_key, &key, &iter);
		node = cds_lfht_iter_get_node(&iter);
		if (node && caa_container_of(node, struct item, node)->magic != LIVE)
			uatomic_inc(&bad);
		rcu_read_unlock();
		uatomic_inc(&reads);
	}
	rcu_unregister_thread();
	return NULL;
}

static struct config *new_config(long v)
{
	struct config *c = malloc(sizeof(*c));

	if (!c)
		fail("out of memory");
	c->magic = LIVE;
	c->a = v;
	c->b = -v;
	return c;
}

static struct item *new_item(unsigned long key)
{
	struct item *it = calloc(1, sizeof(*it));

	if (!it)
		fail("out of memory");
	it->magic = LIVE;
	it->key = key;
	cds_lfht_node_init(&it->node);
	return it;
}

/* Replace the item for key in the list and in the table; retire the old one. */
static void replace_item(unsigned long key)
{
	struct item *it = new_item(key), *old = NULL, *pos;
	struct cds_lfht_node *prev;

	cds_list_for_each_entry(pos, &items, list)
		if (pos->key == key) {
			old = pos;
			break;
		}
	cds_list_add_tail_rcu(&it->list, &items);
	if (old)
		cds_list_del_rcu(&old->list);
	rcu_read_lock();	/* the table's update functions want one */
	prev = cds_lfht_add_replace(table, key, match_key, &key, &it->node);
	rcu_read_unlock();
	if ((prev != NULL) != (old != NULL) ||
	    (prev && caa_container_of(prev, struct item, node) != old))
		fail("the hash table and the list disagree");
	if (old) {
		uatomic_inc(&queued);
		call_rcu(&old->rcu, free_item_cb);
	}
}

int main(void)
{
	pthread_t tid[READERS];
	struct cds_lfht_iter iter;
	struct item *it, *tmp;
	int i;

	rcu_register_thread();
	if (rcu_defer_register_thread())
		fail("rcu_defer_register_thread failed");
	table = cds_lfht_new(KEYS, KEYS, 0, CDS_LFHT_AUTO_RESIZE, NULL);
	if (!table)
		fail("cds_lfht_new failed");
	current = new_config(0);
	for (i = 0; i < KEYS; i++)
		replace_item(i);
	for (i = 0; i < READERS; i++)
		if (pthread_create(&tid[i], NULL, reader, NULL))
			fail("pthread_create failed");
	while (uatomic_read(&started) < READERS)
		caa_cpu_relax();

	for (i = 1; i <= UPDATES; i++) {
		struct config *old = rcu_xchg_pointer(&current, new_config(i));

		switch (i % 3) {
		case 0:		/* wait, then free */
			synchronize_rcu();
			old->magic = DEAD;
			free(old);
			break;
		case 1:
			uatomic_inc(&queued);
			call_rcu(&old->rcu, free_config_cb);
			break;
		default:
			uatomic_inc(&queued);
			defer_rcu(free_config_deferred, old);
			break;
		}
		if (i % 4 == 0)
			replace_item(i % KEYS);
	}

	uatomic_set(&stop, 1);
	for (i = 0; i < READERS; i++)
		pthread_join(tid[i], NULL);
	if (!flavor_names_work())
		fail("the flavor's own names do not work");

	/* Empty the structures, then wait for every retirement. */
	rcu_read_lock();
	cds_lfht_for_each_entry(table, &iter, it, node)
		if (cds_lfht_del(table, &it->node))
			fail("cds_lfht_del failed");
	rcu_read_unlock();
	cds_list_for_each_entry_safe(it, tmp, &items, list) {
		cds_list_del_rcu(&it->list);
		uatomic_inc(&queued);
		call_rcu(&it->rcu, free_item_cb);
	}
	rcu_defer_barrier();
	rcu_barrier();
	if (cds_lfht_destroy(table, NULL))
		fail("cds_lfht_destroy failed");
	rcu_defer_unregister_thread();
	free(current);
	rcu_unregister_thread();

	if (!uatomic_read(&reads))
		fail("the readers did not run");
	if (uatomic_read(&bad))
		fail("a reader reached a retired object");
	if (uatomic_read(&called) != uatomic_read(&queued))
		fail("callbacks or deferred calls did not all run");
	printf("urcu-program: %d updates, %lu reads, %lu callbacks and deferred calls\n",
	       UPDATES, uatomic_read(&reads), uatomic_read(&called));
	return 0;
}
