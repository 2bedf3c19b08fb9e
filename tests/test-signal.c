/*
 * test-signal.c: the signal mechanism with threads that block its signal,
 * sleep, sit in posix_spawn, or run where signals cannot be queued or
 * /proc cannot be read, and with a program that takes its signal.
 *
 * Every test forces the signal mechanism and runs in a child process
 * (run_captured) with an alarm, so that an abort or a hang is a failure
 * with the child's stderr to show, not a stuck test.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include <urcu-tlb/testing.h>
#include "litmus.h"
#include "testutil.h"
#include "torture.h"

static char out[8192];

/* Exit codes of the children, to say what went wrong. */
enum { OK = 0, E_MECH = 10, E_THREAD, E_GP, E_SLEEP, E_RLIMIT, E_RETIRED,
       E_PENDING, E_SPAWN, E_SIGNAL, E_TORTURE, E_CONTROL };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec t = { .tv_sec = (time_t) s,
			      .tv_nsec = (long) ((s - (time_t) s) * 1e9) };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/* Child: the signal mechanism, its handler installed; a hang ends in
 * SIGALRM. */
static int use_signal_mechanism(unsigned int alarm_s)
{
	signal(SIGALRM, SIG_DFL);	/* not Check's handler, which kills its group */
	alarm(alarm_s);
	if (urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_SIGNAL))
		_exit(E_MECH);
	synchronize_rcu();	/* the handler is installed by now */
	return urcu_tlb_mechanism_signal();
}

static void block_signal(int s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, s);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void expect_exit(int status, int code)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == code,
		      "child status %#x (exit %d, signal %d), expected exit %d; stderr: %s",
		      status, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0, code, out);
}

/* Grace periods for `seconds`; returns how many. */
static unsigned long grace_periods_for(double seconds)
{
	double end = now() + seconds;
	unsigned long n = 0;

	while (now() < end) {
		synchronize_rcu();
		n++;
	}
	return n;
}

/* One /proc/self/task/<tid> file of ours, or "" if it cannot be read. */
static void task_file(pid_t tid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int) tid, name);
	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* ---- registered threads that spin, in and out of sections ---------------- */

struct spinner {
	pthread_t thread;
	bool block;		/* blocks the barrier signal */
	int signo;
	int stop;
	pid_t tid;		/* set once registered */
};

static void *spinner_thread(void *arg)
{
	struct spinner *sp = arg;
	volatile unsigned long x = 0;
	int i;

	if (sp->block)
		block_signal(sp->signo);
	rcu_register_thread();
	uatomic_set(&sp->tid, (pid_t) syscall(SYS_gettid));
	while (!uatomic_read(&sp->stop)) {
		rcu_read_lock();
		for (i = 0; i < 200; i++)
			x += i;
		rcu_read_unlock();
		for (i = 0; i < 200; i++)
			x += i;
	}
	rcu_unregister_thread();
	return NULL;
}

static void start_spinners(struct spinner *sp, int n, int nblocked, int s)
{
	int i;

	for (i = 0; i < n; i++) {
		sp[i].block = i < nblocked;
		sp[i].signo = s;
		sp[i].stop = 0;
		sp[i].tid = 0;
		if (pthread_create(&sp[i].thread, NULL, spinner_thread, &sp[i]))
			_exit(E_THREAD);
	}
	for (i = 0; i < n; i++)
		while (!uatomic_read(&sp[i].tid))
			sleep_s(0.001);
}

static void stop_spinners(struct spinner *sp, int n)
{
	int i;

	for (i = 0; i < n; i++)
		uatomic_set(&sp[i].stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(sp[i].thread, NULL);
}

/* ---- a registered thread that blocks the signal and sleeps --------------- */

static int sleeper_stop;

static void *blocked_sleeper(void *arg)
{
	block_signal(*(int *) arg);
	rcu_register_thread();
	while (!uatomic_read(&sleeper_stop)) {
		rcu_read_lock();
		rcu_read_unlock();
		sleep_s(0.01);
	}
	rcu_unregister_thread();
	return NULL;
}

/*
 * Three registered threads spinning with the signal blocked, on two CPUs
 * or fewer, so that each is preempted now and then; one that blocks it and
 * sleeps.  Grace periods complete, nothing aborts.
 */
static void blocked_threads(void *arg)
{
	struct spinner sp[3];
	unsigned long n;
	pthread_t sleeper;
	int s = use_signal_mechanism(60);

	(void) arg;
	start_spinners(sp, 3, 3, s);
	if (pthread_create(&sleeper, NULL, blocked_sleeper, &s))
		_exit(E_THREAD);
	n = grace_periods_for(test_seconds(1.5));
	uatomic_set(&sleeper_stop, 1);
	pthread_join(sleeper, NULL);
	stop_spinners(sp, 3);
	printf("%lu grace periods with 3 spinning and 1 sleeping thread blocking signal %d\n",
	       n, s);
	fflush(stdout);
	_exit(n > 0 && urcu_tlb_mechanism() == URCU_TLB_MECHANISM_SIGNAL ?
	      OK : E_GP);
}

START_TEST(test_blocked_signal_busy_and_sleeping)
{
	expect_exit(run_captured(blocked_threads, NULL, out, sizeof(out)), OK);
}
END_TEST

/* Torture with every reader blocking the signal: no violation; the
 * control (no grace period) shows the test can fail. */
static void torture_blocked(void *arg)
{
	struct torture_config cfg;
	struct torture_result res;
	int s = use_signal_mechanism(120);

	(void) arg;
	block_signal(s);	/* the readers inherit the mask */
	torture_default_config(&cfg);
	cfg.nesting = 2;
	cfg.delay_ns = 2000;
	cfg.long_delay_us = 500;	/* the readers sleep now and then */
	cfg.duration = test_seconds(1.0);
	if (torture_run(&cfg, &res))
		_exit(E_THREAD);
	torture_print(stdout, &cfg, &res);
	fflush(stdout);
	if (res.errors || !res.grace_periods)
		_exit(E_TORTURE);
	cfg.reclaim = TORTURE_RECLAIM_NONE;
	cfg.extend = test_seconds(5);
	if (torture_run(&cfg, &res))
		_exit(E_THREAD);
	torture_print(stdout, &cfg, &res);
	fflush(stdout);
	_exit(res.errors ? OK : E_CONTROL);
}

START_TEST(test_torture_with_blocked_readers)
{
	expect_exit(run_captured(torture_blocked, NULL, out, sizeof(out)), OK);
}
END_TEST

/* ---- the RCU store-buffering litmus test with P0 blocking the signal ---- */

static int nudge_stop;

/* Wakes up every 200 us on its CPU: P0, which blocks the signal and spins
 * between rounds, is preempted now and then (Claim S3 covers it then). */
static void *nudger(void *arg)
{
	(void) arg;
	while (!uatomic_read(&nudge_stop))
		sleep_s(0.0002);
	return NULL;
}

/* Start a nudger on each of the first two CPUs we may use (P0 runs on one
 * of them); false if there are fewer than two. */
static bool start_nudgers(pthread_t nudge[2])
{
	pthread_attr_t attr;
	cpu_set_t set, one;
	int c, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 2)
		return false;
	for (c = 0; c < CPU_SETSIZE && n < 2; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		if (pthread_create(&nudge[n++], &attr, nudger, NULL))
			_exit(E_THREAD);
		pthread_attr_destroy(&attr);
	}
	return true;
}

static void litmus_blocked(void *arg)
{
	struct litmus_config cfg = { .test = LITMUS_RCU_SB, .stuff = 16 };
	struct litmus_result res;
	pthread_t nudge[2];
	int attempt, s = use_signal_mechanism(120);

	(void) arg;
	if (!start_nudgers(nudge)) {
		printf("litmus with a blocked P0 skipped: fewer than two CPUs\n");
		_exit(OK);
	}
	block_signal(s);	/* P0 inherits the mask */
	cfg.protected = true;
	cfg.rounds = under_valgrind() ? 100 : 3000;
	cfg.max_seconds = test_seconds(3);
	if (litmus_run(&cfg, &res))
		_exit(E_THREAD);
	litmus_print(stdout, &cfg, &res);
	fflush(stdout);
	if (res.forbidden || !res.rounds)
		_exit(E_TORTURE);
	/* Control: the same without heavy fences (litmus.h), which need no
	 * nudging (and whose rounds it would only make late). */
	uatomic_set(&nudge_stop, 1);
	pthread_join(nudge[0], NULL);
	pthread_join(nudge[1], NULL);
	cfg.protected = false;
	cfg.rounds = 2000000;
	cfg.max_seconds = 2;
	cfg.stop_after = 1;
	for (attempt = 0; attempt < (under_valgrind() ? 0 : 5); attempt++) {
		if (litmus_run(&cfg, &res))
			_exit(E_THREAD);
		litmus_print(stdout, &cfg, &res);
		fflush(stdout);
		if (res.forbidden)
			break;
	}
	if (under_valgrind()) {
		printf("control not asserted under valgrind\n");
		_exit(OK);
	}
	_exit(res.forbidden ? OK : E_CONTROL);
}

START_TEST(test_litmus_with_blocked_reader)
{
	expect_exit(run_captured(litmus_blocked, NULL, out, sizeof(out)), OK);
}
END_TEST

/* ---- sleeping registered threads are not cut short ----------------------- */

struct sleeper {
	bool use_sleep;		/* sleep(1), else nanosleep(2 s) */
	pid_t tid;
	int done;
	int rc, err;
	double elapsed;
};

static void *registered_sleeper(void *arg)
{
	struct sleeper *sl = arg;
	struct timespec two = { .tv_sec = 2 };
	double t0;

	rcu_register_thread();
	uatomic_set(&sl->tid, (pid_t) syscall(SYS_gettid));
	t0 = now();
	if (sl->use_sleep) {
		sl->rc = (int) sleep(1);
	} else {
		sl->rc = nanosleep(&two, NULL);
		sl->err = errno;
	}
	sl->elapsed = now() - t0;
	rcu_unregister_thread();
	uatomic_set(&sl->done, 1);
	return NULL;
}

/* Whether thread tid sits in a system call (the sleep), not running. */
static bool in_syscall(pid_t tid)
{
	char buf[256];

	task_file(tid, "syscall", buf, sizeof(buf));
	return buf[0] >= '0' && buf[0] <= '9';
}

static void sleep_through_grace_periods(void *arg)
{
	struct sleeper sl = { .use_sleep = *(bool *) arg };
	unsigned long n = 0;
	pthread_t t;

	use_signal_mechanism(60);
	if (pthread_create(&t, NULL, registered_sleeper, &sl))
		_exit(E_THREAD);
	/* Start once it sleeps: a signal that lands as a thread enters a
	 * sleep interrupts it (documented), which is not what this tests. */
	while (!uatomic_read(&sl.tid) || !in_syscall(sl.tid))
		sleep_s(0.0005);
	while (!uatomic_read(&sl.done)) {
		synchronize_rcu();
		n++;
	}
	pthread_join(t, NULL);
	printf("%s returned %d (%s) after %.3f s; %lu grace periods meanwhile\n",
	       sl.use_sleep ? "sleep(1)" : "nanosleep(2 s)", sl.rc,
	       sl.rc < 0 ? strerror(sl.err) : "", sl.elapsed, n);
	fflush(stdout);
	if (sl.rc != 0 || sl.elapsed < (sl.use_sleep ? 0.99 : 1.99))
		_exit(E_SLEEP);
	_exit(n > 0 ? OK : E_GP);
}

START_TEST(test_nanosleep_not_cut_short)
{
	bool use_sleep = false;

	expect_exit(run_captured(sleep_through_grace_periods, &use_sleep,
				 out, sizeof(out)), OK);
}
END_TEST

START_TEST(test_sleep_not_cut_short)
{
	bool use_sleep = true;

	expect_exit(run_captured(sleep_through_grace_periods, &use_sleep,
				 out, sizeof(out)), OK);
}
END_TEST

/* ---- RLIMIT_SIGPENDING at 0 ---------------------------------------------- */

static bool signal_pending_in(pid_t tid, int s)
{
	char buf[4096], *p;
	uint64_t mask;

	task_file(tid, "status", buf, sizeof(buf));
	p = strstr(buf, "\nSigPnd:");
	return p && sscanf(p + 8, "%" SCNx64, &mask) == 1 &&
	       (mask & (UINT64_C(1) << (s - 1)));
}

static void sigpending_zero(void *arg)
{
	struct rlimit zero = { 0, 0 }, saved;
	struct urcu_tlb_stats st;
	struct spinner sp[3];
	double end;
	int s = use_signal_mechanism(60), e;

	(void) arg;
	/* Root too: a real-time signal from tgkill() is not queued past the
	 * limit (kernel/signal.c), pthread_kill() says EAGAIN. */
	if (getrlimit(RLIMIT_SIGPENDING, &saved))
		_exit(E_RLIMIT);
	zero.rlim_max = saved.rlim_max;	/* to restore it without privilege */
	if (setrlimit(RLIMIT_SIGPENDING, &zero))
		_exit(E_RLIMIT);
	block_signal(s);
	e = pthread_kill(pthread_self(), s);
	printf("uid %d, RLIMIT_SIGPENDING 0: pthread_kill: %s\n", (int) getuid(),
	       e ? strerror(e) : "sent");
	fflush(stdout);
	if (e != EAGAIN)
		_exit(E_RLIMIT);
	/* Two threads that take the signal, one that blocks it: on two CPUs
	 * or fewer each is preempted now and then. */
	start_spinners(sp, 3, 1, s);
	printf("%lu grace periods with signals refused\n",
	       grace_periods_for(test_seconds(1.0)));
	urcu_tlb_get_stats(&st);
	if (urcu_tlb_mechanism() != URCU_TLB_MECHANISM_SIGNAL ||
	    st.mechanism_fallbacks)
		_exit(E_RETIRED);
	if (signal_pending_in(sp[0].tid, s))
		_exit(E_PENDING);	/* nothing could be queued */
	/* The limit back: signals are sent again, and the one to the thread
	 * that blocks it stays pending there. */
	if (setrlimit(RLIMIT_SIGPENDING, &saved))
		_exit(E_RLIMIT);
	for (end = now() + 10; now() < end && !signal_pending_in(sp[0].tid, s);)
		synchronize_rcu();
	e = signal_pending_in(sp[0].tid, s);
	stop_spinners(sp, 3);
	fflush(stdout);
	_exit(e ? OK : E_PENDING);
}

START_TEST(test_sigpending_limit_zero)
{
	expect_exit(run_captured(sigpending_zero, NULL, out, sizeof(out)), OK);
}
END_TEST

/* ---- a registered thread in posix_spawn for over a second ---------------- */

struct spawner {
	const char *fifo;
	int err;
	pid_t child;
	int done;
};

/* posix_spawn whose child blocks opening a FIFO nobody writes to yet:
 * glibc blocks every signal in this thread meanwhile.  The child keeps no
 * descriptor of ours (the test's stderr pipe among them). */
static void *spawner_thread(void *arg)
{
	struct spawner *sp = arg;
	posix_spawn_file_actions_t fa;
	char *const argv[] = { "true", NULL };
	extern char **environ;

	rcu_register_thread();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawn_file_actions_addopen(&fa, 0, sp->fifo, O_RDONLY, 0);
	sp->err = posix_spawn(&sp->child, "/bin/true", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	rcu_unregister_thread();
	uatomic_set(&sp->done, 1);
	return NULL;
}

static void spawn_during_grace_periods(void *arg)
{
	struct spawner sp = { .fifo = arg };
	unsigned long n;
	double end;
	pthread_t t;
	int fd, st;

	use_signal_mechanism(60);
	if (pthread_create(&t, NULL, spawner_thread, &sp))
		_exit(E_THREAD);
	n = grace_periods_for(1.5);
	/* Let the child's open go on (it has the FIFO open for reading by
	 * now, or something is wrong: do not wait for ever). */
	for (end = now() + 30;
	     (fd = open(sp.fifo, O_WRONLY | O_NONBLOCK)) < 0 && now() < end;)
		sleep_s(0.01);
	if (fd < 0)
		_exit(E_SPAWN);
	pthread_join(t, NULL);
	if (fd >= 0)
		close(fd);
	printf("%lu grace periods while a registered thread sat in posix_spawn\n", n);
	fflush(stdout);
	if (sp.err || waitpid(sp.child, &st, 0) != sp.child ||
	    !WIFEXITED(st) || WEXITSTATUS(st))
		_exit(E_SPAWN);
	_exit(n > 0 ? OK : E_GP);
}

START_TEST(test_posix_spawn_over_a_second)
{
	char dir[] = "/tmp/urcu-tlb-spawn.XXXXXX", fifo[64];
	int st, fd;

	if (under_valgrind()) {
		/* valgrind runs posix_spawn's clone(CLONE_VM | CLONE_VFORK) as a
		 * fork: the thread would not sit in posix_spawn at all. */
		printf("posix_spawn test skipped under valgrind\n");
		return;
	}
	ck_assert(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	st = run_captured(spawn_during_grace_periods, fifo, out, sizeof(out));
	/* If the child died first, its own child still waits on the FIFO. */
	fd = open(fifo, O_WRONLY | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
	unlink(fifo);
	rmdir(dir);
	expect_exit(st, OK);
}
END_TEST

/* ---- /proc unreadable ------------------------------------------------------- */

/* The signal the child's mechanism chose: it forked from this process. */
static int highest_free_rt_signal(void)
{
	struct sigaction sa;
	int s;

	for (s = SIGRTMAX; s >= SIGRTMIN; s--)
		if (!sigaction(s, NULL, &sa) && !(sa.sa_flags & SA_SIGINFO) &&
		    sa.sa_handler == SIG_DFL)
			return s;
	return 0;
}

static void proc_hidden(void *arg)
{
	struct spinner sp[1];
	int s;

	(void) arg;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", "/proc", "tmpfs", 0, NULL)) {
		printf("cannot hide /proc: %s\n", strerror(errno));
		fflush(stdout);
		_exit(99);
	}
	s = use_signal_mechanism(60);
	start_spinners(sp, 1, 1, s);
	synchronize_rcu();	/* must abort, saying why */
	_exit(OK);
}

START_TEST(test_proc_unreadable_aborts_saying_why)
{
	char sig[32];
	const char *fragments[] = { "registered thread", sig,
		"/proc/self/task/", "cannot be read",
		"unblock signal", NULL };
	int st;

	if (geteuid() != 0) {
		printf("/proc test skipped: not root (it mounts a tmpfs over /proc in a mount namespace)\n");
		return;
	}
	st = run_captured(proc_hidden, NULL, out, sizeof(out));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 99) {
		printf("/proc test skipped: %s\n", out);
		return;
	}
	snprintf(sig, sizeof(sig), "signal %d", highest_free_rt_signal());
	assert_died_saying(st, out, fragments);
	printf("%s", out);
}
END_TEST

/* ---- a program that installs its own handler on the library's signal ----- */

static int stolen_count;

static void program_handler(int sig)
{
	(void) sig;
	uatomic_inc(&stolen_count);
}

static void steal_signal(void *arg)
{
	struct spinner sp[1];
	unsigned long n;
	int s = use_signal_mechanism(60), s2;

	(void) arg;
	start_spinners(sp, 1, 0, s);
	synchronize_rcu();
	signal(s, program_handler);
	n = grace_periods_for(0.5);
	s2 = urcu_tlb_mechanism_signal();
	stop_spinners(sp, 1);
	printf("signal %d taken by the program (its handler ran %d times); now %d; %lu grace periods\n",
	       s, uatomic_read(&stolen_count), s2, n);
	fflush(stdout);
	if (s2 == s || s2 < SIGRTMIN || s2 > SIGRTMAX ||
	    urcu_tlb_mechanism() != URCU_TLB_MECHANISM_SIGNAL)
		_exit(E_SIGNAL);
	_exit(n > 0 ? OK : E_GP);
}

START_TEST(test_stolen_signal)
{
	char line[160];
	int st;

	/* valgrind runs one thread at a time: the spinner is then mostly off
	 * its CPU and covered without a signal, so no acknowledgement is late
	 * and the theft may go unseen for the whole run. */
	if (under_valgrind()) {
		printf("stolen-signal test skipped under valgrind\n");
		return;
	}
	st = run_captured(steal_signal, NULL, out, sizeof(out));

	expect_exit(st, OK);
	snprintf(line, sizeof(line), "liburcu-tlb: signal ");
	ck_assert_msg(!strncmp(out, line, strlen(line)) &&
		      strstr(out, "now has another handler") &&
		      strstr(out, "moves to signal") &&
		      strchr(out, '\n') == out + strlen(out) - 1,
		      "expected one line saying the signal moved; stderr: %s", out);
	printf("%s", out);
}
END_TEST

/* ---- urcu_tlb_mechanism_signal() ------------------------------------------ */

static void which_signal(void *arg)
{
	struct sigaction sa;
	int before, s;

	(void) arg;
	before = urcu_tlb_mechanism() == URCU_TLB_MECHANISM_SIGNAL ? -1 :
		 urcu_tlb_mechanism_signal();
	if (urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_SIGNAL))
		_exit(E_MECH);
	s = urcu_tlb_mechanism_signal();
	printf("before choosing the signal mechanism: %d; after: %d\n", before, s);
	fflush(stdout);
	if (before > 0 || s < SIGRTMIN || s > SIGRTMAX ||
	    sigaction(s, NULL, &sa) || !(sa.sa_flags & SA_SIGINFO))
		_exit(E_SIGNAL);
	_exit(OK);
}

START_TEST(test_mechanism_signal)
{
	expect_exit(run_captured(which_signal, NULL, out, sizeof(out)), OK);
}
END_TEST

static Suite *signal_suite(void)
{
	Suite *s = suite_create("signal");
	TCase *tc = tcase_create("signal mechanism");

	tcase_set_timeout(tc, under_valgrind() ? 900 : 120);
	tcase_add_test(tc, test_mechanism_signal);
	tcase_add_test(tc, test_blocked_signal_busy_and_sleeping);
	tcase_add_test(tc, test_torture_with_blocked_readers);
	tcase_add_test(tc, test_litmus_with_blocked_reader);
	tcase_add_test(tc, test_nanosleep_not_cut_short);
	tcase_add_test(tc, test_sleep_not_cut_short);
	tcase_add_test(tc, test_sigpending_limit_zero);
	tcase_add_test(tc, test_posix_spawn_over_a_second);
	tcase_add_test(tc, test_proc_unreadable_aborts_saying_why);
	tcase_add_test(tc, test_stolen_signal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(signal_suite());
}
