/*
 * urcu-program-names.c: the other half of urcu-program.c, a translation
 * unit that includes the flavor's own header (<urcu/urcu-memb.h>, or
 * <urcu/urcu-signal.h> with -DRCU_SIGNAL) and uses the flavor's own names.
 */
#include <stdlib.h>
#ifdef RCU_SIGNAL
#include <urcu/urcu-signal.h>
#define FLAVOR(name)	urcu_signal_##name
#else
#include <urcu/urcu-memb.h>
#define FLAVOR(name)	urcu_memb_##name
#endif

int flavor_names_work(void);

static int cb_ran;

static void cb(struct rcu_head *head)
{
	(void)head;
	cb_ran = 1;
}

/* Called by a registered thread outside any read-side critical section. */
int flavor_names_work(void)
{
	struct rcu_head head;
	int inside;

	FLAVOR(read_lock)();
	inside = FLAVOR(read_ongoing)();
	FLAVOR(read_unlock)();
	FLAVOR(synchronize_rcu)();
	FLAVOR(call_rcu)(&head, cb);
	FLAVOR(barrier)();
	return inside && !FLAVOR(read_ongoing)() && cb_ran;
}
