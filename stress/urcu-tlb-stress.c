/*
 * urcu-tlb-stress: does liburcu-tlb's forced barrier really order readers
 * on this machine, and does the library survive threads and processes
 * that come and go?  Torture, litmus and lifecycle tests, each with its
 * control run, and the self-check the README's first command runs
 * ("all").  See docs/stress.md.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include <urcu-tlb/testing.h>
#include "litmus.h"
#include "mmap-litmus.h"
#include "report.h"
#include "torture.h"
#include "util.h"

#define EXIT_VIOLATION	1
#define EXIT_USAGE	2
#define EXIT_CANNOT_RUN	3

#define MECH_ALL	(-1)
/*
 * A control that can fail here runs for --duration if it has shown its
 * violation by then (a litmus control stops at once after CONTROL_ENOUGH
 * forbidden outcomes), else until it does, for up to the longer of twice
 * --duration and CONTROL_MAX_S.  A busy machine seldom runs the threads at
 * once, and that is when the control needs the time.
 */
#define CONTROL_ENOUGH	1000
#define CONTROL_MAX_S	10.0

enum command { CMD_TORTURE, CMD_LITMUS, CMD_MMAP, CMD_LIFECYCLE, CMD_ALL,
	       CMD_NR };

static const char *const command_names[CMD_NR] = {
	[CMD_TORTURE] = "torture",
	[CMD_LITMUS] = "litmus",
	[CMD_MMAP] = "mmap-litmus",
	[CMD_LIFECYCLE] = "lifecycle",
	[CMD_ALL] = "all",
};

/* Seconds per run when --duration is not given. */
static const double default_duration[CMD_NR] = {
	[CMD_TORTURE] = 5,
	[CMD_LITMUS] = 2,
	[CMD_MMAP] = 2,
	[CMD_LIFECYCLE] = 3,
	[CMD_ALL] = 1,
};

struct options {
	enum command cmd;
	int mechanism;		/* MECH_ALL, AUTO (the library's), or one */
	double duration;	/* per run */
	unsigned long iterations;	/* per run; 0: no limit */
	bool json, quiet, no_control;
	bool sabotage;		/* protected runs without heavy fences */
	struct torture_config torture;
	struct lifecycle_config lifecycle;
	bool tests[LITMUS_NR];
	unsigned int stuff;
	bool variants[MMAP_NR];
};

static const char *argv0 = "urcu-tlb-stress";
static double t_start;
static struct report report;

static void usage(FILE *out)
{
	fprintf(out,
"usage: %s COMMAND [OPTIONS]\n"
"\n"
"Does liburcu-tlb's forced memory barrier order readers on this machine, and\n"
"does the library survive threads and processes that come and go?\n"
"\n"
"commands:\n"
"  all          the self-check: which mechanisms are valid here and why, then\n"
"               for each valid one a torture run, a lifecycle run and the\n"
"               litmus set, then the control runs and the mmap litmus test\n"
"               (about 40 s)\n"
"  torture      rcutorture-style: readers check that nothing they hold is\n"
"               reclaimed; updaters retire objects by synchronize_rcu, call_rcu\n"
"               or both; then the controls, without heavy fences and without\n"
"               grace periods\n"
"  litmus       SB, MP, RCU-SB, RCU-MP, each with the heavy side protected\n"
"               and as a control without the heavy fence\n"
"  mmap-litmus  is replacing a file mapping atomic for other threads?\n"
"               MAP_FIXED, then liburcu-tlb's way, then its control\n"
"  lifecycle    threads created and ended every way (return, pthread_exit,\n"
"               cancellation, exit destructors that read), fork, fork+exec\n"
"               and posix_spawn, while readers read and updaters retire\n"
"               through every API; a hang detector names what hangs; then\n"
"               the control, without grace periods\n"
"\n"
"options (every command):\n"
"  --mechanism M     membarrier, mprotect, signal, auto (the library's choice)\n"
"                    or all (every valid one); default: all for 'all', else auto\n"
"  --duration S      seconds per run (defaults: all 1, torture 5, litmus 2,\n"
"                    mmap-litmus 2, lifecycle 3); a control that has not shown\n"
"                    its violation yet goes on up to max(2 S, 10 s)\n"
"  --iterations N    end a run after N rounds (litmus, mmap-litmus) or about\n"
"                    N updates (torture, lifecycle, which look every 5 ms)\n"
"  --json            the report as JSON on stdout\n"
"  --quiet           no status lines on stderr\n"
"  --sabotage        run the protected runs without heavy fences too, to see\n"
"                    what a failure looks like (it should exit 1)\n"
"torture:\n"
"  --readers N (usable CPUs - 1, 1 to 8)  --updaters N (1)\n"
"  --flooders N (1, threads flooding call_rcu)\n"
"  --reclaim sync|call_rcu|both (both)  --nesting N (2)  --objects N (64)\n"
"  --delay-ns N (1000, inside each section)  --long-delay-us N (200, one\n"
"  section in 1024 sleeps that long)  --churn (readers re-register)\n"
"  --stuff N (8 cold lines stored before each section)  --no-control\n"
"  --no-pin (threads are pinned to CPUs round robin by default)\n"
"litmus:\n"
"  --test LIST (SB,MP,RCU-SB,RCU-MP)  --stuff N (16 cold lines)  --no-control\n"
"mmap-litmus:\n"
"  --variant LIST (MAP_FIXED,RCU,RCU-control)\n"
"lifecycle:\n"
"  --readers N (2, every other one blocking every signal)  --updaters N (2)\n"
"  --spawners N (2, threads that create and end threads)  --forkers N (1)\n"
"  --objects N (16)  --hang S (5: an operation waiting longer is a hang)\n"
"  --no-control  --fault stuck-reader|stuck-child|child-abort (fail on\n"
"  purpose: the detector must name it; exits 1)\n"
"  --no-cancel-updaters (cancelled threads do not also update; by default\n"
"  the cancellation may strike inside synchronize_rcu)  --exec-registered\n"
"  (children that call call_rcu exec without unregistering first: under\n"
"  the signal mechanism the new program may die of the barrier signal)\n"
"\n"
"Exit status: 0 no violation, 1 a violation (described), 2 bad usage,\n"
"3 a test could not run.  Details: docs/stress.md.\n",
		argv0);
}

static void bad_usage(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s all|torture|litmus|mmap-litmus|lifecycle [OPTIONS]; '%s --help' lists them\n",
		argv0, argv0);
	exit(EXIT_USAGE);
}

static unsigned long grace_periods(void)
{
	struct urcu_tlb_stats st;

	urcu_tlb_get_stats(&st);
	return st.grace_periods;
}

/* ---- status lines and per-run lines ------------------------------------- */

struct progress {
	const struct options *o;
	char what[64];
	unsigned long gp0;
};

static void status(const struct progress *p, double elapsed,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void status(const struct progress *p, double elapsed,
		   const char *fmt, ...)
{
	va_list ap;

	if (p->o->quiet)
		return;
	fprintf(stderr, "[%6.1f s] %s, %.0f s: ", now_s() - t_start, p->what,
		elapsed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void progress_init(struct progress *p, const struct options *o,
			  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void progress_init(struct progress *p, const struct options *o,
			  const char *fmt, ...)
{
	va_list ap;

	p->o = o;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	p->gp0 = grace_periods();
}

static void torture_progress(double elapsed, unsigned long reads,
			     unsigned long updates, unsigned long errors,
			     void *arg)
{
	struct progress *p = arg;

	status(p, elapsed, "%lu reads, %lu updates, %lu grace periods, %lu errors",
	       reads, updates, grace_periods() - p->gp0, errors);
}

static void litmus_progress(double elapsed, const struct litmus_result *r,
			    void *arg)
{
	struct progress *p = arg;

	status(p, elapsed, "%lu rounds, %lu grace periods, %lu forbidden outcomes",
	       r->rounds, grace_periods() - p->gp0, r->forbidden);
}

static void mmap_progress(double elapsed, const struct mmap_result *r,
			  void *arg)
{
	struct progress *p = arg;

	status(p, elapsed, "%lu rounds, %lu reads, %lu grace periods, %lu new-then-old, %lu old-then-new, %lu faults",
	       r->rounds, r->reads, r->grace_periods, r->new_then_old,
	       r->old_then_new, r->faults);
}

static void lifecycle_progress(double elapsed, const struct lifecycle_result *r,
			       void *arg)
{
	struct progress *p = arg;

	status(p, elapsed, "%lu reads, %lu updates, %lu threads ended, %lu children, %lu grace periods, %lu errors",
	       r->reads, r->updates, lifecycle_threads_ended(r),
	       lifecycle_children(r), r->grace_periods, r->errors);
}

/* For people: one block per run, on stdout (not with --json). */
static FILE *human(const struct options *o)
{
	return o->json ? NULL : stdout;
}

static void failed(const char *what, const char *why)
{
	if (!report.failures++)
		snprintf(report.failure, sizeof(report.failure), "%s: %s",
			 what, why);
	fprintf(stderr, "%s: %s: %s\n", argv0, what, why);
}

/* ---- mechanisms ---------------------------------------------------------- */

static void survey_mechanisms(void)
{
	int chosen = urcu_tlb_mechanism(), m;

	for (m = 1; m < NR_MECH; m++) {
		struct mech_info *mi = &report.mech[m];
		const char *why = NULL;

		mi->valid = urcu_tlb_mechanism_usable(m, &why);
		if (!mi->valid)
			snprintf(mi->why, sizeof(mi->why), "%s", why ? why : "?");
		mi->chosen = m == chosen;
		mi->fence_us = -1;
	}
}

/* The mechanisms to test, in order; exits if a forced one is not valid. */
static int select_mechanisms(const struct options *o, int list[NR_MECH])
{
	int m, n = 0;

	if (o->mechanism == MECH_ALL) {
		for (m = 1; m < NR_MECH; m++)
			if (report.mech[m].valid)
				list[n++] = m;
		return n;
	}
	m = o->mechanism == URCU_TLB_MECHANISM_AUTO ? (int) urcu_tlb_mechanism()
						    : o->mechanism;
	if (!report.mech[m].valid) {
		fprintf(stderr, "%s: mechanism %s is not valid here: %s\n",
			argv0, urcu_tlb_mechanism_string(m), report.mech[m].why);
		exit(EXIT_CANNOT_RUN);
	}
	list[n++] = m;
	return n;
}

/* Before a protected run: --sabotage takes the heavy fences away (the
 * RCU litmus controls give them back when they end). */
static void protect(const struct options *o)
{
	if (o->sabotage)
		urcu_tlb_testing_skip_heavy_fence(1);
}

static bool use_mechanism(int m)
{
	if (report.hung)
		return false;	/* threads are stuck in the library */
	if (urcu_tlb_set_mechanism(m)) {
		failed(urcu_tlb_mechanism_string(m), strerror(errno));
		return false;
	}
	report.mech[m].tested = true;
	return true;
}

static void print_mechanisms(FILE *out)
{
	int m;

	fprintf(out, "mechanisms on this machine:\n");
	for (m = 1; m < NR_MECH; m++) {
		const struct mech_info *mi = &report.mech[m];

		fprintf(out, "  %-10s %s%s%s\n", urcu_tlb_mechanism_string(m),
			mi->valid ? "valid" : "not valid: ",
			mi->valid ? "" : mi->why,
			mi->chosen ? "  <- chosen" : "");
	}
	fputc('\n', out);
}

static int peer_stop, peer_ready;

/* A registered thread that keeps its CPU busy in and out of sections, so
 * that a heavy fence has somebody to interrupt. */
static void *busy_peer(void *arg)
{
	(void) arg;
	urcu_tlb_register_thread();
	uatomic_set(&peer_ready, 1);
	while (!uatomic_read(&peer_stop)) {
		urcu_tlb_read_lock();
		urcu_tlb_read_unlock();
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/* Mean cost of urcu_tlb_fence_heavy() with one busy registered peer: of
 * 1000 fences, or of as many as FENCE_MAX_S allows. */
#define FENCE_MAX_S	0.5

static void measure_fence(const struct options *o, int m)
{
	const int n = 1000;
	pthread_t peer;
	double t0;
	int i;

	uatomic_set(&peer_stop, 0);
	uatomic_set(&peer_ready, 0);
	if (pthread_create(&peer, NULL, busy_peer, NULL)) {
		failed("fence cost", "cannot start a thread");
		return;
	}
	while (!uatomic_read(&peer_ready))	/* time it with the peer there */
		sched_yield();
	urcu_tlb_fence_heavy();		/* warm up */
	t0 = now_s();
	for (i = 0; i < n && (i % 16 || now_s() - t0 < FENCE_MAX_S); i++)
		urcu_tlb_fence_heavy();
	report.mech[m].fence_us = (now_s() - t0) * 1e6 / i;
	uatomic_set(&peer_stop, 1);
	pthread_join(peer, NULL);
	if (human(o))
		printf("[%s] heavy fence: %.1f us each (mean of %d, one busy registered peer)\n",
		       urcu_tlb_mechanism_string(m), report.mech[m].fence_us, i);
}

/* ---- runs ---------------------------------------------------------------- */

static int usable_cpus(void);

/* How long a control that has not failed yet may go on: not at all on one
 * CPU, where its threads never run at once and it cannot fail. */
static double control_max(double seconds)
{
	if (usable_cpus() < 2)
		return seconds;
	return 2 * seconds > CONTROL_MAX_S ? 2 * seconds : CONTROL_MAX_S;
}

static bool room(int n)
{
	if (n < REPORT_MAX)
		return true;
	failed("report", "too many runs for one report");
	return false;
}

/*
 * A mechanism's run; or a control: NO_FENCE retires through
 * synchronize_rcu() with every heavy fence skipped, NO_GP without any
 * grace period.
 */
static void run_torture(const struct options *o, int row, double seconds)
{
	struct torture_entry *e = &report.torture[report.ntorture];
	struct progress p;
	int err;

	if (report.hung || !room(report.ntorture))
		return;
	e->row = row;
	e->cfg = o->torture;
	if (row == NO_FENCE)
		e->cfg.reclaim = TORTURE_RECLAIM_SYNC;
	else if (row == NO_GP)
		e->cfg.reclaim = TORTURE_RECLAIM_NONE;
	e->cfg.duration = seconds;
	if (is_control(row))
		e->cfg.extend = control_max(seconds);
	e->cfg.max_updates = o->iterations;
	progress_init(&p, o, "torture %s", report_row_name(row));
	if (row == NO_FENCE)
		urcu_tlb_testing_skip_heavy_fence(1);
	else if (!is_control(row))
		protect(o);
	e->cfg.progress = torture_progress;
	e->cfg.progress_arg = &p;
	err = torture_run(&e->cfg, &e->res) ? errno : 0;
	if (row == NO_FENCE)
		urcu_tlb_testing_skip_heavy_fence(0);
	if (err) {
		failed("torture", strerror(err));
		return;
	}
	e->cfg.progress = NULL;
	e->cfg.progress_arg = NULL;
	report.ntorture++;
	if (human(o)) {
		printf("[%s] ", report_row_name(row));
		torture_print(stdout, &e->cfg, &e->res);
		fflush(stdout);
	}
}

/* A mechanism's run, or the NO_FENCE control. */
static void run_litmus(const struct options *o, int row,
		       enum litmus_test t, double seconds)
{
	struct litmus_entry *e = &report.litmus[report.nlitmus];
	struct progress p;

	if (report.hung || !room(report.nlitmus))
		return;
	memset(e, 0, sizeof(*e));
	e->row = row;
	e->cfg.test = t;
	e->cfg.protected = !is_control(row);
	e->cfg.rounds = o->iterations ? o->iterations : ~0UL;
	e->cfg.max_seconds = seconds;
	if (!e->cfg.protected && litmus_control_can_fail(t)) {
		e->cfg.max_seconds = control_max(seconds);
		e->cfg.seconds_once_seen = seconds;
		e->cfg.stop_after = CONTROL_ENOUGH;
	}
	e->cfg.stuff = o->stuff;
	progress_init(&p, o, "litmus %s %s", litmus_name(t),
		      report_row_name(row));
	if (e->cfg.protected)
		protect(o);
	e->cfg.progress = litmus_progress;
	e->cfg.progress_arg = &p;
	if (litmus_run(&e->cfg, &e->res)) {
		failed("litmus", strerror(errno));
		return;
	}
	e->cfg.progress = NULL;
	e->cfg.progress_arg = NULL;
	report.nlitmus++;
	if (human(o)) {
		printf("[%s] ", report_row_name(row));
		litmus_print(stdout, &e->cfg, &e->res);
		fflush(stdout);
	}
}

/* MAP_FIXED (NO_ROW), RCU with a mechanism, or RCU-control (NO_GP). */
static void run_mmap(const struct options *o, int row, enum mmap_variant v,
		     double seconds)
{
	struct mmap_entry *e = &report.mmap[report.nmmap];
	struct progress p;

	if (report.hung || !room(report.nmmap))
		return;
	memset(e, 0, sizeof(*e));
	e->row = row;
	e->cfg.variant = v;
	e->cfg.duration = seconds;
	e->cfg.rounds = o->iterations;
	progress_init(&p, o, "mmap-litmus %s%s%s", mmap_variant_name(v),
		      v == MMAP_RCU ? " " : "",
		      v == MMAP_RCU ? report_row_name(row) : "");
	if (v == MMAP_RCU)
		protect(o);
	e->cfg.progress = mmap_progress;
	e->cfg.progress_arg = &p;
	if (mmap_litmus_run(&e->cfg, &e->res)) {
		failed("mmap-litmus", e->res.error[0] ? e->res.error : strerror(errno));
		return;
	}
	e->cfg.progress = NULL;
	e->cfg.progress_arg = NULL;
	report.nmmap++;
	if (human(o)) {
		mmap_print(stdout, &e->cfg, &e->res);
		fflush(stdout);
	}
}

/* The mechanism the library chose by itself (survey_mechanisms). */
static int library_choice(void)
{
	int m;

	for (m = 1; m < NR_MECH; m++)
		if (report.mech[m].chosen)
			return m;
	return URCU_TLB_MECHANISM_AUTO;
}

/*
 * A mechanism's run (with --fault, if given), or the NO_GP control, which
 * runs on the library's own choice: its grace periods (barriers, polls)
 * only pace it, and the fastest one shows its violations soonest.
 */
static void run_lifecycle(const struct options *o, int row, double seconds)
{
	struct lifecycle_entry *e = &report.lifecycle[report.nlifecycle];
	struct progress p;
	char label[64];
	int err;

	if (report.hung || !room(report.nlifecycle))
		return;
	memset(e, 0, sizeof(*e));
	e->row = row;
	e->cfg = o->lifecycle;
	e->cfg.duration = seconds;
	e->cfg.max_updates = o->iterations;
	e->cfg.control = row == NO_GP;
	if (e->cfg.control) {
		e->cfg.extend = control_max(seconds);
		e->cfg.fault = LC_FAULT_NONE;
		urcu_tlb_set_mechanism(library_choice());
	}
	snprintf(label, sizeof(label), "lifecycle %s", report_row_name(row));
	e->cfg.label = label;
	progress_init(&p, o, "%s", label);
	if (!is_control(row))
		protect(o);
	e->cfg.progress = lifecycle_progress;
	e->cfg.progress_arg = &p;
	err = lifecycle_run(&e->cfg, &e->res) ? errno : 0;
	e->cfg.progress = NULL;
	e->cfg.progress_arg = NULL;
	e->cfg.label = NULL;
	if (err) {
		failed("lifecycle", strerror(err));
		return;
	}
	report.nlifecycle++;
	report.hung = e->res.hung;
	if (human(o)) {
		printf("[%s] ", report_row_name(row));
		lifecycle_print(stdout, &e->cfg, &e->res);
		fflush(stdout);
	}
}

/* ---- commands ------------------------------------------------------------ */

static void torture_controls(const struct options *o, double seconds)
{
	if (o->no_control)
		return;
	run_torture(o, NO_FENCE, seconds);
	run_torture(o, NO_GP, seconds);
}

static void cmd_torture(const struct options *o, const int *mechs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (use_mechanism(mechs[i]))
			run_torture(o, mechs[i], o->duration);
	torture_controls(o, o->duration);
}

static void litmus_set(const struct options *o, const int *mechs, int n)
{
	int i, t;

	for (i = 0; i < n; i++) {
		if (!use_mechanism(mechs[i]))
			continue;
		for (t = 0; t < LITMUS_NR; t++)
			if (o->tests[t])
				run_litmus(o, mechs[i], t, o->duration);
	}
	if (o->no_control)
		return;
	for (t = 0; t < LITMUS_NR; t++)
		if (o->tests[t])
			run_litmus(o, NO_FENCE, t, o->duration);
}

static void cmd_lifecycle(const struct options *o, const int *mechs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (use_mechanism(mechs[i]))
			run_lifecycle(o, mechs[i], o->duration);
	if (!o->no_control)
		run_lifecycle(o, NO_GP, o->duration);
}

static void mmap_set(const struct options *o, const int *mechs, int n)
{
	int i;

	if (o->variants[MMAP_FIXED])
		run_mmap(o, NO_ROW, MMAP_FIXED, o->duration);
	if (o->variants[MMAP_RCU])
		for (i = 0; i < n; i++)
			if (use_mechanism(mechs[i]))
				run_mmap(o, mechs[i], MMAP_RCU, o->duration);
	if (o->variants[MMAP_RCU_CONTROL])
		run_mmap(o, NO_GP, MMAP_RCU_CONTROL, o->duration);
}

static void cmd_all(const struct options *o, const int *mechs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!use_mechanism(mechs[i]))
			continue;
		measure_fence(o, mechs[i]);
		run_torture(o, mechs[i], 2 * o->duration);
		run_lifecycle(o, mechs[i], 2 * o->duration);
	}
	litmus_set(o, mechs, n);	/* its controls included */
	torture_controls(o, o->duration);
	run_lifecycle(o, NO_GP, o->duration);
	mmap_set(o, mechs, n);
}

/* ---- options ------------------------------------------------------------- */

enum {
	OPT_MECHANISM = 256, OPT_DURATION, OPT_ITERATIONS, OPT_JSON, OPT_QUIET,
	OPT_READERS, OPT_UPDATERS, OPT_FLOODERS, OPT_RECLAIM, OPT_NESTING,
	OPT_OBJECTS, OPT_DELAY_NS, OPT_LONG_DELAY_US, OPT_CHURN,
	OPT_TEST, OPT_STUFF, OPT_NO_CONTROL, OPT_VARIANT, OPT_SABOTAGE,
	OPT_NO_PIN, OPT_SPAWNERS, OPT_FORKERS, OPT_HANG, OPT_FAULT,
	OPT_CANCEL_UPDATERS, OPT_EXEC_AFTER_CALL_RCU,
};

/* Which commands take an option (bit per command). */
#define FOR(c)		(1u << (c))
#define EVERY		(FOR(CMD_TORTURE) | FOR(CMD_LITMUS) | FOR(CMD_MMAP) | \
			 FOR(CMD_LIFECYCLE) | FOR(CMD_ALL))
#define TORTURE_LIFECYCLE	(FOR(CMD_TORTURE) | FOR(CMD_LIFECYCLE))

static const struct {
	struct option opt;
	unsigned int commands;
} options[] = {
	{ { "mechanism", required_argument, NULL, OPT_MECHANISM }, EVERY },
	{ { "duration", required_argument, NULL, OPT_DURATION }, EVERY },
	{ { "iterations", required_argument, NULL, OPT_ITERATIONS }, EVERY },
	{ { "json", no_argument, NULL, OPT_JSON }, EVERY },
	{ { "quiet", no_argument, NULL, OPT_QUIET }, EVERY },
	{ { "sabotage", no_argument, NULL, OPT_SABOTAGE }, EVERY },
	{ { "readers", required_argument, NULL, OPT_READERS }, TORTURE_LIFECYCLE },
	{ { "updaters", required_argument, NULL, OPT_UPDATERS }, TORTURE_LIFECYCLE },
	{ { "flooders", required_argument, NULL, OPT_FLOODERS }, FOR(CMD_TORTURE) },
	{ { "reclaim", required_argument, NULL, OPT_RECLAIM }, FOR(CMD_TORTURE) },
	{ { "nesting", required_argument, NULL, OPT_NESTING }, FOR(CMD_TORTURE) },
	{ { "objects", required_argument, NULL, OPT_OBJECTS }, TORTURE_LIFECYCLE },
	{ { "delay-ns", required_argument, NULL, OPT_DELAY_NS }, FOR(CMD_TORTURE) },
	{ { "long-delay-us", required_argument, NULL, OPT_LONG_DELAY_US }, FOR(CMD_TORTURE) },
	{ { "churn", no_argument, NULL, OPT_CHURN }, FOR(CMD_TORTURE) },
	{ { "no-pin", no_argument, NULL, OPT_NO_PIN }, FOR(CMD_TORTURE) },
	{ { "test", required_argument, NULL, OPT_TEST }, FOR(CMD_LITMUS) },
	{ { "stuff", required_argument, NULL, OPT_STUFF }, FOR(CMD_TORTURE) | FOR(CMD_LITMUS) },
	{ { "no-control", no_argument, NULL, OPT_NO_CONTROL }, FOR(CMD_TORTURE) | FOR(CMD_LITMUS) | FOR(CMD_LIFECYCLE) },
	{ { "variant", required_argument, NULL, OPT_VARIANT }, FOR(CMD_MMAP) },
	{ { "spawners", required_argument, NULL, OPT_SPAWNERS }, FOR(CMD_LIFECYCLE) },
	{ { "forkers", required_argument, NULL, OPT_FORKERS }, FOR(CMD_LIFECYCLE) },
	{ { "hang", required_argument, NULL, OPT_HANG }, FOR(CMD_LIFECYCLE) },
	{ { "fault", required_argument, NULL, OPT_FAULT }, FOR(CMD_LIFECYCLE) },
	{ { "no-cancel-updaters", no_argument, NULL, OPT_CANCEL_UPDATERS }, FOR(CMD_LIFECYCLE) },
	{ { "exec-registered", no_argument, NULL, OPT_EXEC_AFTER_CALL_RCU }, FOR(CMD_LIFECYCLE) },
};
#define NR_OPTIONS	(sizeof(options) / sizeof(options[0]))

static unsigned long parse_ulong(const char *opt, const char *arg,
				 unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max)
		bad_usage("--%s wants a whole number from %lu to %lu, not '%s'",
			  opt, min, max, arg);
	return v;
}

static double parse_seconds(const char *opt, const char *arg)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 86400 * 365)
		bad_usage("--%s wants a positive number of seconds, not '%s'",
			  opt, arg);
	return v;
}

/* A comma-separated list of names, each parsed by parse(); "all" for all. */
static void parse_list(const char *opt, const char *arg, bool *set, int n,
		       int (*parse)(const char *))
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int i;

	if (!copy)
		exit(EXIT_CANNOT_RUN);
	memset(set, 0, n * sizeof(*set));
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			for (i = 0; i < n; i++)
				set[i] = true;
			continue;
		}
		i = parse(tok);
		if (i < 0)
			bad_usage("--%s: unknown name '%s'", opt, tok);
		set[i] = true;
	}
	free(copy);
	for (i = 0; i < n && !set[i]; i++)
		;
	if (i == n)
		bad_usage("--%s: nothing selected in '%s'", opt, arg);
}

static int parse_test(const char *name)
{
	return litmus_parse(name);
}

static int parse_variant(const char *name)
{
	return mmap_variant_parse(name);
}

static int parse_mechanism(const char *arg)
{
	int m;

	if (!strcmp(arg, "all"))
		return MECH_ALL;
	for (m = URCU_TLB_MECHANISM_AUTO; m < NR_MECH; m++)
		if (!strcmp(arg, urcu_tlb_mechanism_string(m)))
			return m;
	bad_usage("--mechanism wants membarrier, mprotect, signal, auto or all, not '%s'",
		  arg);
}

static int usable_cpus(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
}

static void defaults(struct options *o, enum command cmd)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->mechanism = cmd == CMD_ALL ? MECH_ALL : URCU_TLB_MECHANISM_AUTO;
	o->duration = default_duration[cmd];
	torture_default_config(&o->torture);
	/* One CPU for the updater, the others for readers: a control finds
	 * a missing fence only while the two really run at once. */
	o->torture.readers = usable_cpus() > 2 ? usable_cpus() - 1 : 1;
	if (o->torture.readers > 8)
		o->torture.readers = 8;
	o->torture.updaters = 1;
	o->torture.flooders = 1;
	o->torture.reclaim = TORTURE_RECLAIM_BOTH;
	o->torture.nesting = 2;
	o->torture.delay_ns = 1000;
	o->torture.long_delay_us = 200;
	o->torture.stuff = 8;
	o->torture.pin = true;
	lifecycle_default_config(&o->lifecycle);
	for (i = 0; i < LITMUS_NR; i++)
		o->tests[i] = true;
	o->stuff = 16;
	for (i = 0; i < MMAP_NR; i++)
		o->variants[i] = true;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct option longopts[NR_OPTIONS + 2];
	const char *name;
	size_t i;
	int c, cmd, idx;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "help"))) {
		usage(stdout);
		exit(0);
	}
	if (argc < 2)
		bad_usage("which command?");
	for (cmd = 0; cmd < CMD_NR; cmd++)
		if (!strcmp(argv[1], command_names[cmd]))
			break;
	if (cmd == CMD_NR)
		bad_usage("unknown command '%s'", argv[1]);
	defaults(o, cmd);
	for (i = 0; i < NR_OPTIONS; i++)
		longopts[i] = options[i].opt;
	longopts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[i] = (struct option){ NULL, 0, NULL, 0 };
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?' || c == ':')
			bad_usage("bad option '%s'", argv[optind - 1]);
		name = longopts[idx].name;
		if (!(options[idx].commands & FOR(cmd)))
			bad_usage("--%s does not apply to '%s'", name,
				  command_names[cmd]);
		switch (c) {
		case OPT_MECHANISM:
			o->mechanism = parse_mechanism(optarg);
			break;
		case OPT_DURATION:
			o->duration = parse_seconds(name, optarg);
			break;
		case OPT_ITERATIONS:
			o->iterations = parse_ulong(name, optarg, 1, ~0UL);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_SABOTAGE:
			o->sabotage = true;
			break;
		case OPT_READERS:
			o->torture.readers = parse_ulong(name, optarg, 1, 1024);
			o->lifecycle.readers = o->torture.readers;
			break;
		case OPT_UPDATERS:
			o->torture.updaters = parse_ulong(name, optarg, 1, 1024);
			o->lifecycle.updaters = o->torture.updaters;
			break;
		case OPT_FLOODERS:
			o->torture.flooders = parse_ulong(name, optarg, 0, 1024);
			break;
		case OPT_RECLAIM:
			c = torture_reclaim_parse(optarg);
			if (c < 0 || c == TORTURE_RECLAIM_NONE)
				bad_usage("--reclaim wants sync, call_rcu or both, not '%s' (the controls run by themselves)",
					  optarg);
			o->torture.reclaim = c;
			break;
		case OPT_NESTING:
			o->torture.nesting = parse_ulong(name, optarg, 1,
							 URCU_TLB_NEST_MAX);
			break;
		case OPT_OBJECTS:
			o->torture.objects = parse_ulong(name, optarg, 1, 1UL << 24);
			o->lifecycle.objects = o->torture.objects;
			break;
		case OPT_SPAWNERS:
			o->lifecycle.spawners = parse_ulong(name, optarg, 0, 64);
			break;
		case OPT_FORKERS:
			o->lifecycle.forkers = parse_ulong(name, optarg, 0, 64);
			break;
		case OPT_HANG:
			o->lifecycle.hang = parse_seconds(name, optarg);
			break;
		case OPT_FAULT:
			c = lifecycle_fault_parse(optarg);
			if (c <= LC_FAULT_NONE)
				bad_usage("--fault wants stuck-reader, stuck-child or child-abort, not '%s'",
					  optarg);
			o->lifecycle.fault = c;
			break;
		case OPT_CANCEL_UPDATERS:
			o->lifecycle.no_cancel_updaters = true;
			break;
		case OPT_EXEC_AFTER_CALL_RCU:
			o->lifecycle.exec_registered = true;
			break;
		case OPT_DELAY_NS:
			o->torture.delay_ns = parse_ulong(name, optarg, 0, 1000000000);
			break;
		case OPT_LONG_DELAY_US:
			o->torture.long_delay_us = parse_ulong(name, optarg, 0, 999999);
			break;
		case OPT_CHURN:
			o->torture.churn = true;
			break;
		case OPT_NO_PIN:
			o->torture.pin = false;
			break;
		case OPT_TEST:
			parse_list(name, optarg, o->tests, LITMUS_NR, parse_test);
			break;
		case OPT_STUFF:
			if (cmd == CMD_TORTURE)
				o->torture.stuff = parse_ulong(name, optarg, 0,
							       TORTURE_MAX_STUFF);
			else
				o->stuff = parse_ulong(name, optarg, 0,
						       LITMUS_MAX_STUFF);
			break;
		case OPT_NO_CONTROL:
			o->no_control = true;
			break;
		case OPT_VARIANT:
			parse_list(name, optarg, o->variants, MMAP_NR,
				   parse_variant);
			break;
		}
	}
	if (optind != argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
}

int main(int argc, char **argv)
{
	int mechs[NR_MECH], n, chosen;
	struct options o;

	if (argv[0] && *argv[0])
		argv0 = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	parse_options(argc, argv, &o);
	t_start = now_s();
	report.command = command_names[o.cmd];
	report.sabotaged = o.sabotage;
	survey_mechanisms();
	chosen = urcu_tlb_mechanism();
	n = select_mechanisms(&o, mechs);
	if (human(&o)) {
		printf("urcu-tlb-stress %s\n", report.command);
		report_machine(stdout);
		print_mechanisms(stdout);
		fflush(stdout);
	}
	switch (o.cmd) {
	case CMD_TORTURE:
		cmd_torture(&o, mechs, n);
		break;
	case CMD_LITMUS:
		litmus_set(&o, mechs, n);
		break;
	case CMD_MMAP:
		mmap_set(&o, mechs, n);
		break;
	case CMD_LIFECYCLE:
		cmd_lifecycle(&o, mechs, n);
		break;
	default:
		cmd_all(&o, mechs, n);
		break;
	}
	if (!report.hung) {
		urcu_tlb_set_mechanism(chosen);
		urcu_tlb_testing_skip_heavy_fence(0);
	}
	report.elapsed = now_s() - t_start;
	if (o.json)
		report_json(stdout, &report);
	else
		report_summary(stdout, &report);
	if (report.hung) {
		/* Threads are stuck in the library, maybe holding its locks:
		 * leave without running anything more (atexit handlers). */
		fflush(stdout);
		_exit(EXIT_VIOLATION);
	}
	if (report_violations(&report))
		return EXIT_VIOLATION;
	return report.failures ? EXIT_CANNOT_RUN : 0;
}
