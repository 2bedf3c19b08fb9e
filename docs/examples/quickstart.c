/*
 * quickstart.c: the README's example.  A reader thread follows a pointer
 * under read_lock; the main thread replaces the configuration and frees
 * the old one once no reader can still hold it.
 *
 * Build: cc -O2 quickstart.c $(pkg-config --cflags --libs liburcu-tlb)
 */
#define _LGPL_SOURCE		/* inline the read side */
#include <urcu-tlb.h>		/* instead of <urcu.h>; link -lurcu-tlb */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct config {
	int version;
};

static struct config *current;
static int stop;

static void *reader(void *arg)
{
	long seen = 0;

	(void) arg;
	rcu_register_thread();
	while (!uatomic_read(&stop)) {
		rcu_read_lock();	/* no fence, no atomic instruction */
		seen += rcu_dereference(current)->version;
		rcu_read_unlock();
	}
	rcu_unregister_thread();
	return (void *) seen;
}

int main(void)
{
	pthread_t t;
	int v;

	current = calloc(1, sizeof(*current));
	pthread_create(&t, NULL, reader, NULL);
	for (v = 1; v <= 1000; v++) {
		struct config *fresh = malloc(sizeof(*fresh)), *old;

		fresh->version = v;
		old = rcu_xchg_pointer(&current, fresh);
		synchronize_rcu();	/* every reader that could see old is done */
		free(old);
	}
	uatomic_set(&stop, 1);
	pthread_join(t, NULL);
	printf("1000 updates, mechanism %s\n", urcu_tlb_mechanism_name());
	free(current);
	return 0;
}
