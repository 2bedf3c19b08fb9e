/*
 * testutil.c: see testutil.h.
 */
#define _LGPL_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int run_captured(void (*fn)(void *arg), void *arg, char *out, size_t len)
{
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < len && (n = read(fds[0], out + got, len - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(n, 0);
		got += n;
	}
	out[got] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* Shared with the children of run_deadline: what the child is doing. */
static char *phase_page;
#define PHASE_LEN	256

void test_phase(const char *fmt, ...)
{
	va_list ap;

	if (!phase_page)
		return;
	va_start(ap, fmt);
	vsnprintf(phase_page, PHASE_LEN, fmt, ap);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Read what is available on fd (non-blocking) into out[*got..len-1). */
static void drain(int fd, char *out, size_t len, size_t *got)
{
	ssize_t n;

	while (*got + 1 < len &&
	       (n = read(fd, out + *got, len - 1 - *got)) > 0)
		*got += n;
	out[*got] = '\0';
}

/*
 * Check's own handlers (its SIGALRM handler kills the test's process
 * group) must not run in the scenario's processes: give them the default
 * dispositions and an empty mask, as a fresh program has.
 */
static void reset_signals(void)
{
	sigset_t none;
	int s;

	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int run_deadline(void (*fn)(void *arg), void *arg, double seconds,
		 char *out, size_t len, const char **phase)
{
	static char last_phase[PHASE_LEN];
	int fds[2], status = 0;
	double deadline = now_s() + seconds;
	size_t got = 0;
	pid_t pid;

	if (!phase_page) {
		phase_page = mmap(NULL, PHASE_LEN, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ck_assert_ptr_ne(phase_page, MAP_FAILED);
	}
	strcpy(phase_page, "starting");
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		reset_signals();
		setpgid(0, 0);
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		fn(arg);
		_exit(0);
	}
	setpgid(pid, pid);	/* whichever of us gets there first */
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		drain(fds[0], out, len, &got);
		if (w == pid)
			break;
		if (now_s() > deadline) {
			memcpy(last_phase, phase_page, PHASE_LEN);
			last_phase[PHASE_LEN - 1] = '\0';
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			drain(fds[0], out, len, &got);
			close(fds[0]);
			if (phase)
				*phase = last_phase;
			return -1;
		}
		usleep(5000);
	}
	kill(-pid, SIGKILL);	/* anything the child left behind */
	drain(fds[0], out, len, &got);	/* what the child wrote is in the pipe */
	close(fds[0]);
	if (phase)
		*phase = NULL;
	return status;
}

void assert_finished(int status, const char *out, const char *phase)
{
	ck_assert_msg(status != -1, "hung while: %s; stderr: %s", phase, out);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s %d; stderr: %s",
		      WIFEXITED(status) ? "exited with" : "killed by signal",
		      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		      out);
}

void assert_died_saying(int status, const char *out,
			const char *const *fragments)
{
	const char *nl;

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "expected death by SIGABRT, got status %#x; stderr: %s",
		      status, out);
	nl = strchr(out, '\n');
	ck_assert_msg(nl && nl[1] == '\0',
		      "expected exactly one line on stderr, got: %s", out);
	ck_assert_msg(!strncmp(out, "liburcu-tlb: ", 13),
		      "message does not name the library: %s", out);
	for (; *fragments; fragments++)
		ck_assert_msg(strstr(out, *fragments),
			      "message lacks \"%s\": %s", *fragments, out);
}

#define ARG2 (offsetof(struct seccomp_data, args) + 2 * sizeof(__u64))

int deny_syscalls(int membarrier_errno, int mprotect_errno)
{
	struct sock_filter f[16];
	struct sock_fprog prog = { .filter = f };
	unsigned short n = 0;

	f[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
				AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				offsetof(struct seccomp_data, nr));
	if (membarrier_errno) {
		f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					__NR_membarrier, 0, 1);
		f[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K,
					SECCOMP_RET_ERRNO | (membarrier_errno & 0xffff));
	}
	if (mprotect_errno) {
		f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					__NR_mprotect, 0, 3);
		f[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2);
		f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					PROT_READ, 0, 1);
		f[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K,
					SECCOMP_RET_ERRNO | (mprotect_errno & 0xffff));
	}
	f[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int) syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_TSYNC, &prog) ? -1 : 0;
}

bool under_valgrind(void)
{
	const char *v = getenv("URCU_TLB_TEST_VALGRIND");

	return v && *v && strcmp(v, "0");
}

double test_seconds(double seconds)
{
	return under_valgrind() ? seconds * 2 : seconds;
}

/* ---- RCU helpers ------------------------------------------------------- */

void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

void wait_flag(int *flag)
{
	while (!uatomic_read(flag))
		sleep_ms(1);
}

static void *hold_section(void *arg)
{
	struct holder *h = arg;

	rcu_register_thread();
	rcu_read_lock();
	uatomic_set(&h->inside, 1);
	wait_flag(&h->release);
	rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

void hold(struct holder *h)
{
	memset(h, 0, sizeof(*h));
	if (pthread_create(&h->thread, NULL, hold_section, h)) {
		perror("hold: pthread_create");
		abort();
	}
	wait_flag(&h->inside);
}

void let_go(struct holder *h)
{
	uatomic_set(&h->release, 1);
	pthread_join(h->thread, NULL);
}

void *read_until_stopped(void *arg)
{
	int *stop = arg;

	rcu_register_thread();
	while (!uatomic_read(stop)) {
		rcu_read_lock();
		rcu_read_unlock();
	}
	rcu_unregister_thread();
	return NULL;
}

void count_and_free(struct rcu_head *head)
{
	struct counted *c = caa_container_of(head, struct counted, head);

	uatomic_inc(c->counter);
	free(c);
}

void queue_counted(unsigned long *counter, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct counted *c = malloc(sizeof(*c));

		if (!c)
			abort();
		c->counter = counter;
		call_rcu(&c->head, count_and_free);
	}
}
