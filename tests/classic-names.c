/*
 * classic-names.c: every name a program written for liburcu's memb flavor
 * can reach (liburcu 0.13 and 0.15's urcu/map/urcu-memb.h, with and
 * without the "_memb" suffix, and the explicit urcu_memb_ API of
 * <urcu/urcu-memb.h>), each function called and each macro
 * expanded, through <urcu-tlb.h>, linked with liburcu-tlb alone.  A name
 * the library does not define fails the build of `make check` (shared and
 * static), not a user's link.  Built twice more: with _LGPL_SOURCE (the
 * inline read side) and without.
 *
 * The two names liburcu-tlb refuses on purpose (rcu_reader, rcu_gp:
 * liburcu-memb's internal state) are checked to fail at compile time with
 * a message by tests/classic-names-refused.sh.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <urcu-tlb.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "classic-names: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			exit(1);					\
		}							\
	} while (0)

static unsigned long ran, deferred;

static void cb(struct rcu_head *head)
{
	(void) head;
	uatomic_inc(&ran);
}

static void defer_fn(void *p)
{
	(void) p;
	uatomic_inc(&deferred);
}

static void atfork_noop(void *priv)
{
	(void) priv;
}

static struct urcu_atfork atfork = {
	.before_fork = atfork_noop,
	.after_fork_parent = atfork_noop,
	.after_fork_child = atfork_noop,
};

static int *shared_ptr;

static void pointers(void)
{
	static int a = 1, b = 2, c = 3;
	int *p;

	rcu_assign_pointer(shared_ptr, &a);
	rcu_set_pointer(&shared_ptr, &b);
	p = rcu_xchg_pointer(&shared_ptr, &c);
	CHECK(p == &b);
	p = rcu_cmpxchg_pointer(&shared_ptr, &c, &a);
	CHECK(p == &c);
	rcu_read_lock();
	CHECK(rcu_dereference(shared_ptr) == &a);
	rcu_read_unlock();
	/* liburcu-memb's suffixed spellings */
	rcu_set_pointer_memb(&shared_ptr, &b);
	p = rcu_xchg_pointer_memb(&shared_ptr, &c);
	CHECK(p == &b);
	p = rcu_cmpxchg_pointer_memb(&shared_ptr, &c, &a);
	CHECK(p == &c);
	rcu_read_lock_memb();
	CHECK(rcu_dereference_memb(shared_ptr) == &a);
	rcu_read_unlock_memb();
}

static void read_side(void)
{
	rcu_read_lock();
	CHECK(rcu_read_ongoing());
	rcu_read_unlock();
	CHECK(!rcu_read_ongoing());
	rcu_read_lock_memb();
	CHECK(rcu_read_ongoing_memb());
	rcu_read_unlock_memb();
#ifdef _LGPL_SOURCE
	_rcu_read_lock();
	CHECK(_rcu_read_ongoing());
	_rcu_read_unlock();
	_rcu_read_lock_memb();
	CHECK(_rcu_read_ongoing_memb());
	_rcu_read_unlock_memb();
#endif
	rcu_quiescent_state();
	_rcu_quiescent_state();
	rcu_thread_offline();
	rcu_thread_online();
}

static void update_side(void)
{
	struct urcu_gp_poll_state cookie;
	struct rcu_head h[4];

	synchronize_rcu();
	synchronize_rcu_memb();
	call_rcu(&h[0], cb);
	call_rcu_memb(&h[1], cb);
	rcu_barrier();
	rcu_barrier_memb();
	CHECK(uatomic_read(&ran) == 2);
	cookie = start_poll_synchronize_rcu();
	while (!poll_state_synchronize_rcu(cookie))
		usleep(1000);
	(void) h;
}

static void workers(void)
{
	struct call_rcu_data *crd = create_call_rcu_data(0, -1);
	struct call_rcu_data *crd2 = create_call_rcu_data_memb(URCU_CALL_RCU_RT, -1);
	struct rcu_head h[2];

	CHECK(crd && crd2);
	CHECK(get_default_call_rcu_data() == get_default_call_rcu_data_memb());
	set_thread_call_rcu_data(crd);
	CHECK(get_thread_call_rcu_data() == crd);
	CHECK(get_call_rcu_data() == crd);
	call_rcu(&h[0], cb);
	set_thread_call_rcu_data_memb(crd2);
	CHECK(get_thread_call_rcu_data_memb() == crd2);
	CHECK(get_call_rcu_data_memb() == crd2);
	call_rcu(&h[1], cb);
	set_thread_call_rcu_data(NULL);
	rcu_barrier();
	CHECK(!pthread_equal(get_call_rcu_thread(crd), get_call_rcu_thread_memb(crd2)));
	call_rcu_data_free(crd);
	call_rcu_data_free_memb(crd2);
	CHECK(create_all_cpu_call_rcu_data(0) == 0);
	CHECK(get_cpu_call_rcu_data(0) != NULL);
	CHECK(set_cpu_call_rcu_data(0, get_default_call_rcu_data()) == -EEXIST);
	free_all_cpu_call_rcu_data();
	CHECK(create_all_cpu_call_rcu_data_memb(0) == 0);
	CHECK(get_cpu_call_rcu_data_memb(0) != NULL);
	CHECK(set_cpu_call_rcu_data_memb(-1, NULL) == -EINVAL);
	free_all_cpu_call_rcu_data_memb();
}

static void defer(void)
{
	CHECK(rcu_defer_register_thread() == 0);
	defer_rcu(defer_fn, NULL);
	rcu_defer_barrier_thread();
	defer_rcu_memb(defer_fn, NULL);
	rcu_defer_barrier_thread_memb();
	defer_rcu(defer_fn, NULL);
	rcu_defer_barrier();
	defer_rcu(defer_fn, NULL);
	rcu_defer_barrier_memb();
	rcu_defer_unregister_thread();
	CHECK(uatomic_read(&deferred) == 4);
	CHECK(rcu_defer_register_thread_memb() == 0);
	rcu_defer_unregister_thread_memb();
	rcu_defer_exit();
	rcu_defer_exit_memb();
}

static void forks(void)
{
	int st;
	pid_t pid;

	/* The manual hooks of liburcu, each spelling; they nest with the
	 * automatic ones. */
	call_rcu_before_fork();
	rcu_memb_before_fork();
	call_rcu_before_fork_memb();
	pid = fork();
	if (pid == 0) {
		call_rcu_after_fork_child_memb();
		rcu_memb_after_fork_child();
		call_rcu_after_fork_child();
		synchronize_rcu();
		_exit(0);
	}
	call_rcu_after_fork_parent_memb();
	rcu_memb_after_fork_parent();
	call_rcu_after_fork_parent();
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	urcu_register_rculfhash_atfork(&atfork);
	urcu_unregister_rculfhash_atfork(&atfork);
	urcu_register_rculfhash_atfork_memb(&atfork);
	urcu_unregister_rculfhash_atfork_memb(&atfork);
}

static void flavor(void)
{
	const struct rcu_flavor_struct *f = &rcu_flavor;

	CHECK(f == &rcu_flavor_memb);
	f->read_lock();
	CHECK(f->read_ongoing());
	f->read_unlock();
	f->update_synchronize_rcu();
	f->barrier();
}

/* liburcu's explicit memb API: every urcu_memb_ name, called. */
static void explicit_memb(void)
{
	static int a = 1, b = 2;
	struct urcu_gp_poll_state cookie;
	struct call_rcu_data *crd;
	struct rcu_head h;
	int *p;
	pid_t pid;
	int st;

	urcu_memb_init();
	urcu_memb_register_thread();
	urcu_memb_read_lock();
	CHECK(urcu_memb_read_ongoing());
	urcu_memb_read_unlock();
#ifdef _LGPL_SOURCE
	_urcu_memb_read_lock();
	CHECK(_urcu_memb_read_ongoing());
	_urcu_memb_read_unlock();
#endif
	urcu_memb_set_pointer(&shared_ptr, &a);
	p = urcu_memb_xchg_pointer(&shared_ptr, &b);
	CHECK(p == &a);
	p = urcu_memb_cmpxchg_pointer(&shared_ptr, &b, &a);
	CHECK(p == &b);
	urcu_memb_read_lock();
	CHECK(urcu_memb_dereference(shared_ptr) == &a);
	urcu_memb_read_unlock();
	urcu_memb_quiescent_state();
	urcu_memb_thread_offline();
	urcu_memb_thread_online();
	urcu_memb_synchronize_rcu();
	cookie = urcu_memb_start_poll_synchronize_rcu();
	while (!urcu_memb_poll_state_synchronize_rcu(cookie))
		usleep(1000);

	ran = 0;
	crd = urcu_memb_create_call_rcu_data(0, -1);
	CHECK(crd != NULL);
	urcu_memb_set_thread_call_rcu_data(crd);
	CHECK(urcu_memb_get_thread_call_rcu_data() == crd);
	CHECK(urcu_memb_get_call_rcu_data() == crd);
	urcu_memb_call_rcu(&h, cb);
	urcu_memb_set_thread_call_rcu_data(NULL);
	urcu_memb_barrier();
	CHECK(uatomic_read(&ran) == 1);
	CHECK(!pthread_equal(urcu_memb_get_call_rcu_thread(crd), pthread_self()));
	urcu_memb_call_rcu_data_free(crd);
	CHECK(urcu_memb_get_default_call_rcu_data() != NULL);
	CHECK(urcu_memb_create_all_cpu_call_rcu_data(0) == 0);
	CHECK(urcu_memb_get_cpu_call_rcu_data(0) != NULL);
	CHECK(urcu_memb_set_cpu_call_rcu_data(-1, NULL) == -EINVAL);
	urcu_memb_free_all_cpu_call_rcu_data();

	deferred = 0;
	CHECK(urcu_memb_defer_register_thread() == 0);
	urcu_memb_defer_rcu(defer_fn, NULL);
	urcu_memb_defer_barrier_thread();
	urcu_memb_defer_rcu(defer_fn, NULL);
	urcu_memb_defer_barrier();
	urcu_memb_defer_unregister_thread();
	CHECK(uatomic_read(&deferred) == 2);
	urcu_memb_defer_exit();

	urcu_memb_before_fork();
	urcu_memb_call_rcu_before_fork();
	pid = fork();
	if (pid == 0) {
		urcu_memb_call_rcu_after_fork_child();
		urcu_memb_after_fork_child();
		urcu_memb_synchronize_rcu();
		_exit(0);
	}
	urcu_memb_call_rcu_after_fork_parent();
	urcu_memb_after_fork_parent();
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	urcu_memb_register_rculfhash_atfork(&atfork);
	urcu_memb_unregister_rculfhash_atfork(&atfork);
	CHECK(&urcu_memb_flavor == &rcu_flavor);
	urcu_memb_unregister_thread();
	urcu_memb_exit();
}

int main(void)
{
	rcu_init();
	rcu_init_memb();
	rcu_register_thread();
	read_side();
	pointers();
	update_side();
	workers();
	defer();
	forks();
	flavor();
	rcu_unregister_thread();
	explicit_memb();
	rcu_register_thread_memb();
	rcu_unregister_thread_memb();
	rcu_exit();
	rcu_exit_memb();
	printf("classic names: every one reached\n");
	return 0;
}
