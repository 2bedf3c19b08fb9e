/*
 * test-stall.c: stall warnings (a reader holding a grace period up, a
 * thread blocking the signal mechanism's signal, a growing call_rcu
 * backlog), their lines on stderr and their hook, the stall timeout, and
 * the gauges of urcu_tlb_get_stats().
 */
#define _LGPL_SOURCE
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "testutil.h"

static char out[16384];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- what the hook receives ---------------------------------------------- */

#define MAX_RECORDS	64

static struct {
	pthread_mutex_t mutex;
	int n;
	struct urcu_tlb_stall s[MAX_RECORDS];
} rec = { .mutex = PTHREAD_MUTEX_INITIALIZER };

static void record(const struct urcu_tlb_stall *s, void *arg)
{
	ck_assert_ptr_eq(arg, &rec);
	pthread_mutex_lock(&rec.mutex);
	if (rec.n < MAX_RECORDS)
		rec.s[rec.n] = *s;
	rec.n++;
	pthread_mutex_unlock(&rec.mutex);
}

static int count_kind(enum urcu_tlb_stall_kind k)
{
	int i, n = 0;

	for (i = 0; i < rec.n && i < MAX_RECORDS; i++)
		n += rec.s[i].kind == k;
	return n;
}

/* ---- a named reader that stays in its section ---------------------------- */

struct named_reader {
	const char *name;
	long hold_ms;
	int nesting;
	pid_t tid;
	int inside;
	unsigned long calls;	/* synchronize_calls before ours */
	pthread_t thread;
};

static unsigned long synchronize_calls(void)
{
	struct urcu_tlb_stats st;

	urcu_tlb_get_stats(&st);
	return st.synchronize_calls;
}

static void *named_reader_main(void *arg)
{
	struct named_reader *r = arg;
	int i;

	pthread_setname_np(pthread_self(), r->name);
	urcu_tlb_register_thread();
	r->tid = gettid();
	for (i = 0; i < r->nesting; i++)
		urcu_tlb_read_lock();
	uatomic_set(&r->inside, 1);
	/* Hold from when the grace period is asked for, however late the
	 * asking thread was scheduled. */
	while (synchronize_calls() == r->calls)
		sleep_ms(1);
	sleep_ms(r->hold_ms);
	for (i = 0; i < r->nesting; i++)
		urcu_tlb_read_unlock();
	urcu_tlb_unregister_thread();
	return NULL;
}

/* Start the reader, wait until it is inside, and run one grace period:
 * returns how long it took in seconds. */
static double grace_period_behind(struct named_reader *r)
{
	double t0;

	r->calls = synchronize_calls();
	pthread_create(&r->thread, NULL, named_reader_main, r);
	wait_flag(&r->inside);
	t0 = now_s();
	urcu_tlb_synchronize_rcu();
	t0 = now_s() - t0;
	pthread_join(r->thread, NULL);
	return t0;
}

/* ---- a reader's stall ---------------------------------------------------- */

START_TEST(test_reader_stall_reaches_the_hook)
{
	struct named_reader r = { .name = "stall-reader", .hold_ms = 700,
				  .nesting = 2 };
	struct urcu_tlb_stats before, after;
	int i, readers;
	double took;

	ck_assert_int_eq(urcu_tlb_set_stall_timeout(0.2), 0);
	urcu_tlb_set_stall_hook(record, &rec);
	urcu_tlb_get_stats(&before);
	took = grace_period_behind(&r);
	urcu_tlb_get_stats(&after);

	/* 0.2 s, 0.4 s, (0.8 s only if the machine made us that late). */
	readers = count_kind(URCU_TLB_STALL_READER);
	/* Under valgrind the first report can be late enough that the
	 * doubled one falls after the reader left. */
	ck_assert_msg(readers >= (under_valgrind() ? 1 : 2) && readers <= 3,
		      "%d reader reports over a %.2f s grace period", readers,
		      took);
	ck_assert_int_eq(rec.n, readers + 1);
	for (i = 0; i < readers; i++) {
		const struct urcu_tlb_stall *s = &rec.s[i];

		ck_assert_int_eq(s->kind, URCU_TLB_STALL_READER);
		ck_assert_int_eq(s->tid, r.tid);
		ck_assert_str_eq(s->name, "stall-reader");
		ck_assert_uint_eq(s->nesting, 2);
		ck_assert_msg(s->gp_sequence > s->sequence,
			      "grace period %lu waits for a section of %lu",
			      s->gp_sequence, s->sequence);
		ck_assert_str_eq(s->mechanism, urcu_tlb_mechanism_name());
		/* Each report no earlier than due: 0.2 s, then doubled. */
		ck_assert_msg(s->waited >= 0.2 * (1 << i) - 0.001 &&
			      s->waited < took,
			      "report %d after %.3f s of %.3f", i, s->waited, took);
	}
	ck_assert_int_eq(rec.s[readers].kind, URCU_TLB_STALL_ENDED);
	ck_assert_int_eq(rec.s[readers].what_ended, URCU_TLB_STALL_READER);
	ck_assert_msg(rec.s[readers].waited >= 0.69 &&
		      rec.s[readers].waited <= took + 0.001,
		      "ended after %.3f s, the grace period took %.3f s",
		      rec.s[readers].waited, took);
	ck_assert_uint_eq(after.stalls - before.stalls, readers);
	ck_assert_msg(after.gp_max_ns >= 690000000ULL, "gp_max_ns %llu",
		      after.gp_max_ns);
}
END_TEST

/* Every line the child wrote matches re; returns how many did. */
static int lines_matching(const char *text, const char *re_text, int *others)
{
	char line[1024];
	const char *p = text;
	regex_t re;
	int n = 0;

	ck_assert_int_eq(regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB), 0);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t) (nl - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int) len, p);
		if (!regexec(&re, line, 0, NULL, 0))
			n++;
		else
			(*others)++;
		p += len + (nl != NULL);
	}
	regfree(&re);
	return n;
}

static void stall_on_stderr(void *arg)
{
	struct named_reader r = { .name = "stall-reader", .hold_ms = 500,
				  .nesting = 1 };

	(void) arg;
	grace_period_behind(&r);
}

static void check_stall_lines(const char *text)
{
	int others = 0, stall, over;

	stall = lines_matching(text,
		"^liburcu-tlb: stall: grace period [0-9]+ has waited [0-9]+\\.[0-9] s "
		"for thread [0-9]+ \\(stall-reader\\), inside a read-side "
		"critical section since grace period [0-9]+, nested 1 deep "
		"\\(mechanism (membarrier|mprotect|signal)\\)$", &others);
	ck_assert_msg(stall >= 1 && stall <= 3, "%d stall lines: %s", stall,
		      text);
	others = 0;
	over = lines_matching(text,
		"^liburcu-tlb: stall over: the grace period ended after "
		"[0-9]+\\.[0-9] s$", &others);
	ck_assert_msg(over == 1 && others == stall,
		      "want one 'stall over' line and nothing else: %s", text);
}

START_TEST(test_reader_stall_line_on_stderr)
{
	const char *phase = NULL;
	int st;

	setenv("URCU_TLB_STALL_TIMEOUT", "0.2", 1);
	st = run_deadline(stall_on_stderr, NULL, test_seconds(20), out,
			  sizeof(out), &phase);
	assert_finished(st, out, phase);
	check_stall_lines(out);
}
END_TEST

START_TEST(test_bad_timeout_is_said_and_ignored)
{
	ck_assert_int_eq(urcu_tlb_set_stall_timeout(-1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(urcu_tlb_set_stall_timeout(NAN), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(urcu_tlb_set_stall_timeout(1e10), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static void bad_env(void *arg)
{
	struct named_reader r = { .name = "stall-reader", .hold_ms = 300,
				  .nesting = 1 };

	(void) arg;
	/* The default 21 s applies: a 0.3 s wait is not reported. */
	grace_period_behind(&r);
}

START_TEST(test_bad_env_is_said_and_ignored)
{
	const char *phase = NULL;
	int st;

	setenv("URCU_TLB_STALL_TIMEOUT", "soon", 1);
	st = run_deadline(bad_env, NULL, test_seconds(20), out, sizeof(out),
			  &phase);
	assert_finished(st, out, phase);
	ck_assert_str_eq(out,
		"liburcu-tlb: URCU_TLB_STALL_TIMEOUT=soon is not a number of seconds (0 disables stall warnings); using 21 s\n");
}
END_TEST

/* A wait shorter than the timeout, or any wait with warnings off, is not
 * reported. */
START_TEST(test_no_report_in_time_or_when_off)
{
	struct named_reader r = { .name = "quick-reader", .hold_ms = 100,
				  .nesting = 1 };
	struct named_reader r2 = { .name = "slow-reader", .hold_ms = 400,
				   .nesting = 1 };
	struct urcu_tlb_stats before, after;

	urcu_tlb_set_stall_hook(record, &rec);
	urcu_tlb_get_stats(&before);
	ck_assert_int_eq(urcu_tlb_set_stall_timeout(test_seconds(1.0)), 0);
	grace_period_behind(&r);
	ck_assert_int_eq(urcu_tlb_set_stall_timeout(0), 0);
	grace_period_behind(&r2);
	urcu_tlb_get_stats(&after);
	ck_assert_int_eq(rec.n, 0);
	ck_assert_uint_eq(after.stalls, before.stalls);
}
END_TEST

/* The hook can be taken back: reports go to stderr again. */
static void hook_then_stderr(void *arg)
{
	struct named_reader r = { .name = "stall-reader", .hold_ms = 500,
				  .nesting = 1 };

	(void) arg;
	urcu_tlb_set_stall_timeout(0.2);
	urcu_tlb_set_stall_hook(record, &rec);
	urcu_tlb_set_stall_hook(NULL, NULL);
	grace_period_behind(&r);
	if (rec.n)
		_exit(2);
}

START_TEST(test_hook_null_restores_stderr)
{
	const char *phase = NULL;
	int st = run_deadline(hook_then_stderr, NULL, test_seconds(20), out,
			      sizeof(out), &phase);

	assert_finished(st, out, phase);
	check_stall_lines(out);
}
END_TEST

/* ---- a thread that blocks the signal mechanism's signal ------------------ */

struct spinner {
	int ready, done;
	pid_t tid;
	int cpu;
	double spin_s;
};

static void *spin_blocking_the_signal(void *arg)
{
	struct spinner *sp = arg;
	struct sched_param prio = { .sched_priority = 1 };
	cpu_set_t cpus;
	sigset_t set;
	double end;

	pthread_setname_np(pthread_self(), "blocker");
	urcu_tlb_register_thread();
	sp->tid = gettid();
	sigemptyset(&set);
	sigaddset(&set, urcu_tlb_mechanism_signal());
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	CPU_ZERO(&cpus);
	CPU_SET(sp->cpu, &cpus);
	/* Alone on its CPU and above every normal thread: not preempted, so
	 * only the end of its spin lets a fence cover it. */
	if (pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus) ||
	    pthread_setschedparam(pthread_self(), SCHED_FIFO, &prio)) {
		uatomic_set(&sp->ready, -1);
		urcu_tlb_unregister_thread();
		return NULL;
	}
	uatomic_set(&sp->ready, 1);
	end = now_s() + sp->spin_s;
	while (now_s() < end)
		;		/* clock_gettime: the vDSO, no system call */
	urcu_tlb_unregister_thread();
	return NULL;
}

START_TEST(test_blocked_signal_stall)
{
	struct spinner sp = { .cpu = 1, .spin_s = 0.7 };
	cpu_set_t cpus;
	pthread_t t;
	double took;
	int i, blocked;

	if (under_valgrind() || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
	    !urcu_tlb_mechanism_usable(URCU_TLB_MECHANISM_SIGNAL, NULL)) {
		printf("skipped: needs 2 CPUs, the signal mechanism, no valgrind\n");
		return;
	}
	ck_assert_int_eq(urcu_tlb_set_mechanism(URCU_TLB_MECHANISM_SIGNAL), 0);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ck_assert_int_eq(pthread_setaffinity_np(pthread_self(), sizeof(cpus),
						&cpus), 0);
	ck_assert_int_eq(urcu_tlb_set_stall_timeout(0.2), 0);
	urcu_tlb_set_stall_hook(record, &rec);
	pthread_create(&t, NULL, spin_blocking_the_signal, &sp);
	while (!uatomic_read(&sp.ready))
		sleep_ms(1);
	if (sp.ready < 0) {
		pthread_join(t, NULL);
		printf("skipped: SCHED_FIFO not permitted\n");
		return;
	}
	took = now_s();
	urcu_tlb_synchronize_rcu();
	took = now_s() - took;
	pthread_join(t, NULL);

	blocked = count_kind(URCU_TLB_STALL_SIGNAL_BLOCKED);
	ck_assert_msg(blocked >= 1 && blocked <= 3,
		      "%d blocked-signal reports over %.3f s (%d reports)",
		      blocked, took, rec.n);
	ck_assert_int_eq(rec.n, blocked + 1);
	for (i = 0; i < blocked; i++) {
		ck_assert_int_eq(rec.s[i].kind, URCU_TLB_STALL_SIGNAL_BLOCKED);
		ck_assert_int_eq(rec.s[i].tid, sp.tid);
		ck_assert_str_eq(rec.s[i].name, "blocker");
		ck_assert_int_eq(rec.s[i].signal, urcu_tlb_mechanism_signal());
		ck_assert_str_eq(rec.s[i].mechanism, "signal");
		ck_assert(rec.s[i].waited >= 0.2 * (1 << i) - 0.001);
	}
	ck_assert_int_eq(rec.s[blocked].kind, URCU_TLB_STALL_ENDED);
	ck_assert_int_eq(rec.s[blocked].what_ended,
			 URCU_TLB_STALL_SIGNAL_BLOCKED);
}
END_TEST

/* ---- a growing call_rcu backlog ------------------------------------------ */

static int slow_callbacks = 1;

static void slow_callback(struct rcu_head *head)
{
	if (uatomic_read(&slow_callbacks))
		usleep(1000);
	free(head);
}

START_TEST(test_callback_backlog_stall)
{
	struct urcu_tlb_stats st;
	unsigned long queued = 0;
	double start, end, t;
	int i, grew;

	ck_assert_int_eq(urcu_tlb_set_stall_timeout(0.3), 0);
	urcu_tlb_set_stall_hook(record, &rec);
	urcu_tlb_register_thread();
	/* Four callbacks a millisecond (caught up after any delay), each
	 * taking one: each batch about four times the one before, for 2 s. */
	start = now_s();
	end = start + test_seconds(2.0);
	while ((t = now_s()) < end) {
		while (queued < (unsigned long) ((t - start) * 4000)) {
			urcu_tlb_call_rcu(malloc(sizeof(struct rcu_head)),
					  slow_callback);
			queued++;
		}
		usleep(1000);
	}
	urcu_tlb_get_stats(&st);
	ck_assert_msg(st.callbacks_pending > 0, "no backlog");
	uatomic_set(&slow_callbacks, 0);
	urcu_tlb_barrier();
	urcu_tlb_unregister_thread();
	/* The worker sees the backlog gone after the batch the barrier's
	 * callback was in. */
	end = now_s() + test_seconds(5.0);
	while (count_kind(URCU_TLB_STALL_ENDED) == 0 && now_s() < end)
		sleep_ms(1);

	grew = count_kind(URCU_TLB_STALL_CALLBACK_BACKLOG);
	ck_assert_msg(grew >= 1, "%d reports", rec.n);
	for (i = 0; i < grew; i++) {
		const struct urcu_tlb_stall *s = &rec.s[i];

		ck_assert_int_eq(s->kind, URCU_TLB_STALL_CALLBACK_BACKLOG);
		ck_assert(s->waited >= 0.3);
		ck_assert_uint_ge(s->grace_periods, 4);
		ck_assert_uint_gt(s->pending, 0);
		ck_assert_msg(s->rate_in > s->rate_out && s->rate_out > 0,
			      "in %.0f/s, out %.0f/s", s->rate_in, s->rate_out);
	}
	ck_assert_int_eq(rec.n, grew + 1);
	ck_assert_int_eq(rec.s[grew].kind, URCU_TLB_STALL_ENDED);
	ck_assert_int_eq(rec.s[grew].what_ended,
			 URCU_TLB_STALL_CALLBACK_BACKLOG);
}
END_TEST

/* ---- the gauges of urcu_tlb_get_stats() ---------------------------------- */

START_TEST(test_gauges)
{
	struct urcu_tlb_stats st;
	unsigned long sum, ran = 0;
	struct holder h;
	int i, b;

	urcu_tlb_get_stats(&st);
	ck_assert_uint_eq(st.readers_in_section, 0);
	ck_assert_uint_eq(st.callbacks_pending, 0);
	ck_assert_uint_eq(st.callbacks_oldest_wait_ns, 0);
	ck_assert_uint_eq(st.mechanisms_retired, 0);

	hold(&h);
	urcu_tlb_register_thread();
	queue_counted(&ran, 10);
	sleep_ms(200);
	urcu_tlb_read_lock();
	urcu_tlb_read_lock();
	urcu_tlb_get_stats(&st);
	urcu_tlb_read_unlock();
	urcu_tlb_read_unlock();
	ck_assert_uint_eq(st.readers_in_section, 2);
	ck_assert_uint_eq(st.callbacks_pending, 10);
	/* The worker took the batch and waits for its grace period. */
	ck_assert_msg(st.callbacks_oldest_wait_ns >= 100000000ULL,
		      "oldest wait %llu ns", st.callbacks_oldest_wait_ns);
	let_go(&h);
	urcu_tlb_barrier();
	urcu_tlb_unregister_thread();
	ck_assert_uint_eq(ran, 10);

	urcu_tlb_get_stats(&st);
	ck_assert_uint_eq(st.readers_in_section, 0);
	ck_assert_uint_eq(st.callbacks_pending, 0);
	ck_assert_uint_eq(st.callbacks_oldest_wait_ns, 0);
	ck_assert_msg(st.gp_max_ns >= 100000000ULL && st.gp_last_ns <= st.gp_max_ns,
		      "last %llu max %llu", st.gp_last_ns, st.gp_max_ns);
	for (sum = 0, i = 0; i < URCU_TLB_GP_HISTOGRAM; i++)
		sum += st.gp_histogram[i];
	ck_assert_uint_eq(sum, st.grace_periods);
	/* The long one is in its bucket: below 16 us * 4^b. */
	for (b = 0; b < URCU_TLB_GP_HISTOGRAM - 1 &&
		    st.gp_max_ns >= 16000ULL << (2 * b); b++)
		;
	ck_assert_uint_ge(st.gp_histogram[b], 1);
}
END_TEST

static Suite *stall_suite(void)
{
	Suite *s = suite_create("stall");
	TCase *tc = tcase_create("stall warnings and gauges");

	tcase_set_timeout(tc, under_valgrind() ? 600 : 60);
	tcase_add_test(tc, test_reader_stall_reaches_the_hook);
	tcase_add_test(tc, test_reader_stall_line_on_stderr);
	tcase_add_test(tc, test_bad_timeout_is_said_and_ignored);
	tcase_add_test(tc, test_bad_env_is_said_and_ignored);
	tcase_add_test(tc, test_no_report_in_time_or_when_off);
	tcase_add_test(tc, test_hook_null_restores_stderr);
	tcase_add_test(tc, test_blocked_signal_stall);
	tcase_add_test(tc, test_callback_backlog_stall);
	tcase_add_test(tc, test_gauges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(stall_suite());
}
