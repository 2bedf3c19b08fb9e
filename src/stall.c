/*
 * stall.c: saying what holds a grace period up.
 *
 * Three waits can last: a grace period waiting for a reader inside a
 * read-side critical section (gp.c), the signal mechanism's fence waiting
 * for a thread that blocks its signal and stays on its CPU (mech-signal.c),
 * and a call_rcu backlog that grows over grace periods (call_rcu.c).  When
 * one has lasted longer than the stall timeout (21 s by default, as the
 * Linux kernel's RCU; URCU_TLB_STALL_TIMEOUT=seconds, 0 to disable, or
 * urcu_tlb_set_stall_timeout()), each waiter reports it here: one line per
 * thread on stderr, or the program's hook; again at doubling intervals
 * while it lasts, and once when it ends.
 *
 * Nothing here is on the read side, and a wait that ends in time costs no
 * clock read per scan: the waiters read the clock only when they are about
 * to sleep or wake (the sleep's timeout is the time left to the next
 * report).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define DEFAULT_TIMEOUT_NS	21000000000ULL	/* the kernel's 21 s */

static uint64_t timeout_ns = DEFAULT_TIMEOUT_NS;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t hook_mutex = PTHREAD_MUTEX_INITIALIZER;
static urcu_tlb_stall_hook_t hook;
static void *hook_arg;

static void read_env(void)
{
	const char *env = getenv("URCU_TLB_STALL_TIMEOUT");
	char *end;
	double s;

	if (!env || !*env)
		return;
	errno = 0;
	s = strtod(env, &end);
	if (errno || *end || s < 0 || s > 1e9) {
		tlb_say("URCU_TLB_STALL_TIMEOUT=%s is not a number of seconds (0 disables stall warnings); using %.0f s",
			env, DEFAULT_TIMEOUT_NS / 1e9);
		return;
	}
	uatomic_set(&timeout_ns, (uint64_t) (s * 1e9));
}

uint64_t tlb_stall_timeout_ns(void)
{
	pthread_once(&env_once, read_env);
	return uatomic_read(&timeout_ns);
}

int urcu_tlb_set_stall_timeout(double seconds)
{
	if (!(seconds >= 0) || seconds > 1e9) {
		errno = EINVAL;
		return -1;
	}
	pthread_once(&env_once, read_env);
	uatomic_set(&timeout_ns, (uint64_t) (seconds * 1e9));
	return 0;
}

void urcu_tlb_set_stall_hook(urcu_tlb_stall_hook_t fn, void *arg)
{
	pthread_mutex_lock(&hook_mutex);
	hook = fn;
	hook_arg = arg;
	pthread_mutex_unlock(&hook_mutex);
}

/*
 * Kernel thread tid's name, "?" if it cannot be read: from /proc (as
 * pthread_getname_np does for another thread), by kernel thread id, since
 * the thread may have exited meanwhile and its pthread_t with it.  Callers
 * have cancellation off (internal.h).
 */
void tlb_stall_thread_name(pid_t tid, char *name, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int) tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, name, len - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(name, len, "?");
		return;
	}
	if (name[n - 1] == '\n')
		n--;
	name[n] = '\0';
}

static void say_line(const struct urcu_tlb_stall *s)
{
	switch (s->kind) {
	case URCU_TLB_STALL_READER:
		tlb_say("stall: grace period %lu has waited %.1f s for thread %d (%s), inside a read-side critical section since grace period %lu, nested %lu deep (mechanism %s)",
			s->gp_sequence, s->waited, (int) s->tid, s->name,
			s->sequence, s->nesting, s->mechanism);
		break;
	case URCU_TLB_STALL_SIGNAL_BLOCKED:
		tlb_say("stall: a heavy fence has waited %.1f s for thread %d (%s), which blocks signal %d (the signal mechanism's) and has not left its CPU; it is covered at its next context switch (unblock the signal in it to avoid the wait)",
			s->waited, (int) s->tid, s->name, s->signal);
		break;
	case URCU_TLB_STALL_CALLBACK_BACKLOG:
		tlb_say("stall: the call_rcu backlog has grown for %.1f s over %lu grace periods, to %lu callbacks pending: %.0f/s queued, %.0f/s run",
			s->waited, s->grace_periods, s->pending, s->rate_in,
			s->rate_out);
		break;
	case URCU_TLB_STALL_ENDED:
		tlb_say("stall over: %s ended after %.1f s",
			s->what_ended == URCU_TLB_STALL_CALLBACK_BACKLOG ?
				"the call_rcu backlog's growth" :
			s->what_ended == URCU_TLB_STALL_SIGNAL_BLOCKED ?
				"the heavy fence's wait" : "the grace period",
			s->waited);
		break;
	}
}

void tlb_stall_report(const struct urcu_tlb_stall *s)
{
	urcu_tlb_stall_hook_t fn;
	void *arg;

	if (s->kind != URCU_TLB_STALL_ENDED)
		uatomic_inc(&tlb_counters.stalls);
	pthread_mutex_lock(&hook_mutex);
	fn = hook;
	arg = hook_arg;
	pthread_mutex_unlock(&hook_mutex);
	if (fn)
		fn(s, arg);
	else
		say_line(s);
}

/* ---- one wait's reports -------------------------------------------------- */

void tlb_stall_watch_start(struct tlb_stall_watch *w, uint64_t began_ns)
{
	w->began_ns = began_ns;
	w->next_ns = 0;
	w->reported = false;
}

uint64_t tlb_stall_watch_sleep_ns(struct tlb_stall_watch *w, uint64_t now_ns)
{
	uint64_t timeout = tlb_stall_timeout_ns();

	if (!timeout)
		return UINT64_MAX;
	if (!w->next_ns)
		w->next_ns = w->began_ns + timeout;
	return now_ns >= w->next_ns ? 0 : w->next_ns - now_ns;
}

bool tlb_stall_watch_fire(struct tlb_stall_watch *w, uint64_t now_ns)
{
	if (tlb_stall_watch_sleep_ns(w, now_ns))
		return false;
	/* Doubling intervals: the next report when the wait has doubled. */
	w->next_ns = w->began_ns + 2 * (now_ns - w->began_ns);
	w->reported = true;
	return true;
}

void tlb_stall_watch_end(struct tlb_stall_watch *w, enum urcu_tlb_stall_kind what,
			 uint64_t now_ns)
{
	struct urcu_tlb_stall s;

	if (!w->reported)
		return;
	memset(&s, 0, sizeof(s));
	s.kind = URCU_TLB_STALL_ENDED;
	s.what_ended = what;
	s.waited = (now_ns - w->began_ns) / 1e9;
	tlb_stall_report(&s);
	w->reported = false;
}
