/*
 * driver.c: urcu-tlb-bench, liburcu-tlb against liburcu's flavors and
 * pthread_rwlock, measured side by side in one run.
 *
 * Every measure runs every flavor's build of bench.c (bench-<flavor>) in a
 * fresh process, once per repetition.  Within a repetition the flavors
 * alternate, starting from a different one each time, so that a machine
 * whose speed drifts (other jobs, frequency, the host) affects all alike.
 * Each table cell is the median over the repetitions, with its ratio to
 * urcu-memb and to urcu-signal measured in the same run.  liburcu-tlb
 * appears once per mechanism (URCU_TLB_MECHANISM in the child's
 * environment); a mechanism not valid here is shown as such.
 *
 * Output: the tables on stdout (Markdown), and in the output directory
 * raw.csv (every key of every run), summary.csv (medians), tables.md, and
 * reader-scaling.dat and gp-latency.dat for the gnuplot scripts.  With
 * --doc, the tables also replace the block between the markers
 * "<!-- bench-tables:begin -->" and "<!-- bench-tables:end -->" of that
 * file.
 *
 * Exit status: 0, or 1 if any run failed (crashed, timed out, printed
 * nothing usable, or ran another mechanism than asked), 2 on bad usage.
 * Nothing about speed is ever asserted.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS	24
#define KEY_LEN		24
#define MAX_REPS	101

#define BEGIN_MARK	"<!-- bench-tables:begin -->"
#define END_MARK	"<!-- bench-tables:end -->"

struct flavor {
	const char *label;	/* the row */
	const char *program;	/* bench-<x> in the program directory */
	const char *mechanism;	/* URCU_TLB_MECHANISM, or NULL */
	bool available;
	char why[256];		/* why not available */
};

static struct flavor flavors[] = {
	{ .label = "urcu-memb", .program = "bench-memb" },
	{ .label = "urcu-mb", .program = "bench-mb" },
	{ .label = "urcu-signal", .program = "bench-signal" },
	{ .label = "urcu-qsbr", .program = "bench-qsbr" },
	{ .label = "urcu-bp", .program = "bench-bp" },
	{ .label = "rwlock", .program = "bench-rwlock" },
	{ .label = "tlb-membarrier", .program = "bench-tlb", .mechanism = "membarrier" },
	{ .label = "tlb-mprotect", .program = "bench-tlb", .mechanism = "mprotect" },
	{ .label = "tlb-signal", .program = "bench-tlb", .mechanism = "signal" },
};
#define NFLAVORS	((int) (sizeof(flavors) / sizeof(flavors[0])))
#define MEMB		0	/* the reference rows */
#define SIGNAL		2

enum run_id {
	READ1, READ2, READ4, READ8, READ1_UPD,
	GP0, GP1, GP2,
	UPD1, UPD2, UPD4,
	CB1, CB2,
	NRUNS
};

/* One configuration: the arguments of bench-<flavor>. */
static const struct run {
	const char *id;		/* in the CSV files */
	const char *measure;
	int readers, updaters, enqueuers;
} runs[NRUNS] = {
	[READ1] = { "read-r1-u0", "read", 1, 0, 0 },
	[READ2] = { "read-r2-u0", "read", 2, 0, 0 },
	[READ4] = { "read-r4-u0", "read", 4, 0, 0 },
	[READ8] = { "read-r8-u0", "read", 8, 0, 0 },
	[READ1_UPD] = { "read-r1-u1", "read", 1, 1, 0 },
	[GP0] = { "gp-r0", "gp", 0, 1, 0 },
	[GP1] = { "gp-r1", "gp", 1, 1, 0 },
	[GP2] = { "gp-r2", "gp", 2, 1, 0 },
	[UPD1] = { "update-u1-r1", "update", 1, 1, 0 },
	[UPD2] = { "update-u2-r1", "update", 1, 2, 0 },
	[UPD4] = { "update-u4-r1", "update", 1, 4, 0 },
	[CB1] = { "callrcu-e1", "callrcu", 0, 0, 1 },
	[CB2] = { "callrcu-e2", "callrcu", 0, 0, 2 },
};

/* What one run printed. */
struct sample {
	bool ok;
	int nkeys;
	char key[MAX_KEYS][KEY_LEN];
	double val[MAX_KEYS];
	char mechanism[KEY_LEN];
};

struct settings {
	int reps;
	bool pin;
	double seconds;
	unsigned long count;
	const char *bindir, *out, *doc, *liburcu;
	char command[512];
};

/* results[run][flavor][rep] */
static struct sample *results;
static int nreps;

static struct sample *result(int run, int f, int rep)
{
	return &results[((size_t) run * NFLAVORS + f) * nreps + rep];
}

static double get(const struct sample *s, const char *key)
{
	int i;

	for (i = 0; i < s->nkeys; i++)
		if (!strcmp(s->key[i], key))
			return s->val[i];
	return NAN;
}

/* "key=value key=value ...": numbers into keys, mechanism kept as text. */
static int parse(char *line, struct sample *s)
{
	char *save = NULL, *tok;

	s->nkeys = 0;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '='), *end;
		double v;

		if (!eq || eq == tok || eq - tok >= KEY_LEN)
			return -1;
		*eq = '\0';
		if (!strcmp(tok, "mechanism")) {
			snprintf(s->mechanism, sizeof(s->mechanism), "%s", eq + 1);
			continue;
		}
		v = strtod(eq + 1, &end);
		if (*end || end == eq + 1)
			continue;	/* text: flavor=, measure= */
		if (s->nkeys == MAX_KEYS)
			return -1;
		snprintf(s->key[s->nkeys], KEY_LEN, "%s", tok);
		s->val[s->nkeys++] = v;
	}
	return 0;
}

/* Copy src into dst[len], truncated if need be. */
static void set_text(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/*
 * Run bindir/program with argv and the mechanism in its environment; its
 * stdout into buf.  Killed after timeout seconds.  Returns 0 when it
 * exited with status 0, else -1 with a reason in why.
 */
static int spawn(const struct settings *s, const struct flavor *f,
		 char *const argv[], double timeout, char *buf, size_t len,
		 char *why, size_t whylen)
{
	char path[1024];
	int fd[2], status;
	size_t got = 0;
	double deadline = now_s() + timeout;
	bool killed = false;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", s->bindir, f->program);
	if (pipe(fd)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		if (f->mechanism)
			setenv("URCU_TLB_MECHANISM", f->mechanism, 1);
		else
			unsetenv("URCU_TLB_MECHANISM");
		execv(path, argv);
		fprintf(stderr, "urcu-tlb-bench: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		struct pollfd p = { .fd = fd[0], .events = POLLIN };
		double left = deadline - now_s();
		ssize_t n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(&p, 1, (int) (left * 1000) + 1) <= 0)
			continue;
		n = read(fd[0], buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t) n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed) {
		snprintf(why, whylen, "killed after %.0f s", timeout);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "died of signal %d", WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status)) {
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

/* Which flavors can run here: the program exists; for liburcu-tlb, the
 * mechanism is valid (bench-tlb probe). */
static void find_flavors(const struct settings *s)
{
	char probe[2048] = "", why[256], path[1024];
	int i;

	for (i = 0; i < NFLAVORS; i++) {
		struct flavor *f = &flavors[i];

		snprintf(path, sizeof(path), "%s/%s", s->bindir, f->program);
		f->available = access(path, X_OK) == 0;
		if (!f->available) {
			set_text(f->why, sizeof(f->why), i == SIGNAL ?
				 "not built: this liburcu has no signal flavor" :
				 "not built");
			continue;
		}
		if (!f->mechanism)
			continue;
		if (!probe[0]) {
			char *argv[] = { path, "probe", NULL };

			if (spawn(s, f, argv, 30, probe, sizeof(probe), why, sizeof(why))) {
				fprintf(stderr, "urcu-tlb-bench: %s probe: %s\n", path, why);
				exit(1);
			}
		}
		{
			const char *line = probe;
			size_t ml = strlen(f->mechanism);

			f->available = false;
			snprintf(f->why, sizeof(f->why), "not reported by bench-tlb probe");
			while (line && *line) {
				if (!strncmp(line, f->mechanism, ml) && line[ml] == ' ') {
					const char *rest = line + ml + 1;
					size_t n = strcspn(rest, "\n");

					f->available = !strncmp(rest, "ok", 2);
					if (!f->available)
						snprintf(f->why, sizeof(f->why), "not valid here: %.*s",
							 (int) (n > 3 ? n - 3 : 0), rest + 3);
					break;
				}
				line = strchr(line, '\n');
				if (line)
					line++;
			}
		}
	}
}

static int run_one(const struct settings *s, int run, int fi, int rep)
{
	const struct run *r = &runs[run];
	const struct flavor *f = &flavors[fi];
	struct sample *out = result(run, fi, rep);
	char path[1024], a[4][32], buf[4096], why[256];
	char *argv[16];
	int n = 0;
	double timeout = 30 + 10 * s->seconds;

	snprintf(path, sizeof(path), "%s/%s", s->bindir, f->program);
	argv[n++] = path;
	argv[n++] = (char *) r->measure;
	if (!strcmp(r->measure, "callrcu")) {
		snprintf(a[0], sizeof(a[0]), "%d", r->enqueuers);
		snprintf(a[1], sizeof(a[1]), "%lu", s->count);
		argv[n++] = "--enqueuers";
		argv[n++] = a[0];
		argv[n++] = "--count";
		argv[n++] = a[1];
		timeout = 60 + s->count * 2e-5;
	} else {
		snprintf(a[0], sizeof(a[0]), "%d", r->readers);
		snprintf(a[1], sizeof(a[1]), "%d", r->updaters);
		snprintf(a[2], sizeof(a[2]), "%g", s->seconds);
		argv[n++] = "--readers";
		argv[n++] = a[0];
		if (strcmp(r->measure, "gp")) {
			argv[n++] = "--updaters";
			argv[n++] = a[1];
		}
		argv[n++] = "--duration";
		argv[n++] = a[2];
	}
	if (s->pin)
		argv[n++] = "--pin";
	argv[n] = NULL;

	if (spawn(s, f, argv, timeout, buf, sizeof(buf), why, sizeof(why)) == 0) {
		if (parse(buf, out) || !out->nkeys)
			snprintf(why, sizeof(why), "unreadable output '%.100s'", buf);
		else if (f->mechanism && strcmp(out->mechanism, f->mechanism))
			snprintf(why, sizeof(why), "ran mechanism %s instead of %s",
				 out->mechanism, f->mechanism);
		else
			out->ok = true;
	}
	if (!out->ok)
		fprintf(stderr, "urcu-tlb-bench: %s %s (repetition %d): %s\n",
			f->label, r->id, rep + 1, why);
	return out->ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/*
 * Median over the repetitions of key (divided by per, if given, in each
 * repetition), times scale; NAN if no repetition has it.  min and max
 * likewise when not NULL.
 */
static double median(int run, int f, const char *key, const char *per,
		     double scale, double *min, double *max)
{
	double v[MAX_REPS];
	int i, n = 0;

	for (i = 0; i < nreps; i++) {
		const struct sample *s = result(run, f, i);
		double x;

		if (!s->ok)
			continue;
		x = get(s, key);
		if (per)
			x /= get(s, per);
		if (!isnan(x) && !isinf(x))
			v[n++] = x * scale;
	}
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	if (min)
		*min = v[0];
	if (max)
		*max = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Whether the flavor's benchmark said it has no such operation (call_rcu
 * for rwlock). */
static bool unsupported(int run, int f)
{
	int i;

	for (i = 0; i < nreps; i++)
		if (result(run, f, i)->ok && get(result(run, f, i), "unsupported") == 1)
			return true;
	return false;
}

/* ---- tables ------------------------------------------------------------- */

struct column {
	const char *head;
	int run;
	const char *key, *per;	/* value = key / per * scale */
	double scale;
	const char *fmt;
	bool ratios;		/* followed by x memb, x signal */
};

struct table {
	const char *title;
	const char *note;
	bool tlb_only;
	struct column cols[12];
};

static const struct table tables[] = {
	{ "1. Read-side cost: ns per read_lock + rcu_dereference + read_unlock",
	  "One reader thread; lower is better. The reader's CPU time divided by its reads: time preempted by other processes does not count, interrupts (IPIs, signal handlers) do. \"updater GP/s\": grace periods the updater completed per second meanwhile.",
	  false, {
		{ "no updater, ns", READ1, "ns_per_read", NULL, 1, NULL, true },
		{ "1 updater, ns", READ1_UPD, "ns_per_read", NULL, 1, NULL, true },
		{ "updater GP/s", READ1_UPD, "updates", "elapsed_ns", 1e9, "%.0f", false },
	} },
	{ "2. Reader scaling: total reads per second, millions (no updater)",
	  "Higher is better. The machine's CPU count is in the header: more readers than CPUs is part of the measure.",
	  false, {
		{ "1 reader", READ1, "reads_per_s", NULL, 1e-6, NULL, true },
		{ "2 readers", READ2, "reads_per_s", NULL, 1e-6, NULL, true },
		{ "4 readers", READ4, "reads_per_s", NULL, 1e-6, NULL, true },
		{ "8 readers", READ8, "reads_per_s", NULL, 1e-6, NULL, true },
	} },
	{ "2b. Reader scaling per CPU: millions of reads per second of reader CPU time (same runs)",
	  "Higher is better. Reads divided by the readers' CPU time: what the threads did while they ran, whatever else the machine was running. Flat means the readers do not slow each other down.",
	  false, {
		{ "1 reader", READ1, "reads", "reader_cpu_ns", 1e3, NULL, true },
		{ "2 readers", READ2, "reads", "reader_cpu_ns", 1e3, NULL, true },
		{ "4 readers", READ4, "reads", "reader_cpu_ns", 1e3, NULL, true },
		{ "8 readers", READ8, "reads", "reader_cpu_ns", 1e3, NULL, true },
	} },
	{ "3. Grace-period latency: one updater's replace + synchronize_rcu, microseconds",
	  "Lower is better. Median (p50) and 99th percentile (p99) of one run, then the median over the repetitions; ratios on p50.",
	  false, {
		{ "0 readers p50", GP0, "p50_ns", NULL, 1e-3, NULL, true },
		{ "p99", GP0, "p99_ns", NULL, 1e-3, NULL, false },
		{ "1 reader p50", GP1, "p50_ns", NULL, 1e-3, NULL, true },
		{ "p99", GP1, "p99_ns", NULL, 1e-3, NULL, false },
		{ "2 readers p50", GP2, "p50_ns", NULL, 1e-3, NULL, true },
		{ "p99", GP2, "p99_ns", NULL, 1e-3, NULL, false },
	} },
	{ "4. Update throughput: synchronize_rcu calls per second, thousands (one reader running)",
	  "Higher is better. Each updater replaces the object and calls synchronize_rcu in a loop; concurrent calls may share grace periods. \"CPU us/call\": the updaters' CPU time per call with 1, 2, 4 updaters (lower is better), which the machine's other load moves less.",
	  false, {
		{ "1 updater", UPD1, "syncs_per_s", NULL, 1e-3, NULL, true },
		{ "2 updaters", UPD2, "syncs_per_s", NULL, 1e-3, NULL, true },
		{ "4 updaters", UPD4, "syncs_per_s", NULL, 1e-3, NULL, true },
		{ "CPU us/call, 1", UPD1, "updater_cpu_ns", "syncs", 1e-3, NULL, false },
		{ "2", UPD2, "updater_cpu_ns", "syncs", 1e-3, NULL, false },
		{ "4", UPD4, "updater_cpu_ns", "syncs", 1e-3, NULL, false },
	} },
	{ "5. call_rcu: callbacks per second (millions) until rcu_barrier returns, and memory held",
	  "Each enqueuer queues COUNT callbacks that free a 64-byte node. Higher is better for Mcb/s; \"pending\": most callbacks queued and not yet run; \"RSS MB\": growth of the resident set; \"CPU ns/cb\": the CPU time of all the process's threads per callback, with 1 and 2 enqueuers (lower is better).",
	  false, {
		{ "1 enqueuer Mcb/s", CB1, "cb_per_s", NULL, 1e-6, NULL, true },
		{ "pending", CB1, "peak_pending", NULL, 1, "%.0f", false },
		{ "RSS MB", CB1, "peak_rss_kb", NULL, 1.0 / 1024, NULL, false },
		{ "2 enqueuers Mcb/s", CB2, "cb_per_s", NULL, 1e-6, NULL, true },
		{ "pending", CB2, "peak_pending", NULL, 1, "%.0f", false },
		{ "RSS MB", CB2, "peak_rss_kb", NULL, 1.0 / 1024, NULL, false },
		{ "CPU ns/cb, 1", CB1, "process_cpu_ns", "callbacks", 1, NULL, false },
		{ "2", CB2, "process_cpu_ns", "callbacks", 1, NULL, false },
	} },
	{ "6. liburcu-tlb's counters (urcu_tlb_get_stats) during the runs above",
	  "Heavy fences per grace period (1 means the updater never had to sleep); synchronize_rcu calls per grace period (above 1: calls shared grace periods); callbacks per worker batch.",
	  true, {
		{ "fences/GP, 2 readers", GP2, "tlb_fences", "tlb_gps", 1, "%.2f", false },
		{ "fences/GP, 1 reader + updater", READ1_UPD, "tlb_fences", "tlb_gps", 1, "%.2f", false },
		{ "syncs/GP, 4 updaters", UPD4, "tlb_syncs", "tlb_gps", 1, "%.2f", false },
		{ "callbacks/batch, 1 enqueuer", CB1, "callbacks", "tlb_batches", 1, "%.0f", false },
	} },
};
#define NTABLES	((int) (sizeof(tables) / sizeof(tables[0])))

#define MAX_COLS	40
#define CELL		40

/* fmt NULL: three significant digits, at most two decimals (two
 * significant digits below 0.01). */
static void cell_value(char *c, double v, const char *fmt)
{
	double a = fabs(v);

	if (isnan(v) || isinf(v))
		snprintf(c, CELL, "-");
	else if (fmt)
		snprintf(c, CELL, fmt, v);
	else if (a > 0 && a < 0.01)
		snprintf(c, CELL, "%.2g", v);
	else
		snprintf(c, CELL, a < 10 ? "%.2f" : a < 100 ? "%.1f" : "%.0f", v);
}

/* One table in Markdown, its columns padded. */
static void print_table(FILE *out, const struct table *t)
{
	char cells[NFLAVORS + 1][MAX_COLS][CELL];
	int width[MAX_COLS] = { 0 };
	int ncols = 0, nrows = 0, i, j, k;

	snprintf(cells[0][ncols++], CELL, "flavor");
	for (j = 0; j < 12 && t->cols[j].head; j++) {
		snprintf(cells[0][ncols++], CELL, "%s", t->cols[j].head);
		if (t->cols[j].ratios) {
			snprintf(cells[0][ncols++], CELL, "x memb");
			if (flavors[SIGNAL].available)
				snprintf(cells[0][ncols++], CELL, "x signal");
		}
	}
	nrows = 1;
	for (i = 0; i < NFLAVORS; i++) {
		const struct flavor *f = &flavors[i];
		int c = 0;

		if (t->tlb_only && !f->mechanism)
			continue;
		if (!t->tlb_only && !f->available && i == SIGNAL)
			continue;
		snprintf(cells[nrows][c++], CELL, "%s", f->label);
		for (j = 0; j < 12 && t->cols[j].head; j++) {
			const struct column *col = &t->cols[j];
			bool na = !f->available || unsupported(col->run, i);
			int nratios = !col->ratios ? 0 :
				      flavors[SIGNAL].available ? 2 : 1;
			double v = NAN;

			if (na) {
				for (k = 0; k <= nratios; k++)
					snprintf(cells[nrows][c++], CELL, "n/a");
				continue;
			}
			v = median(col->run, i, col->key, col->per, col->scale,
				   NULL, NULL);
			cell_value(cells[nrows][c++], v, col->fmt);
			for (k = 0; k < nratios; k++) {
				int ref = k ? SIGNAL : MEMB;

				cell_value(cells[nrows][c++], v / median(col->run,
					   ref, col->key, col->per, col->scale,
					   NULL, NULL), NULL);
			}
		}
		nrows++;
	}
	for (i = 0; i < nrows; i++)
		for (j = 0; j < ncols; j++) {
			int w = (int) strlen(cells[i][j]);

			if (w > width[j])
				width[j] = w;
		}
	fprintf(out, "### %s\n\n%s\n\n", t->title, t->note);
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < ncols; j++)
			fprintf(out, j ? " %*s |" : "| %-*s |", width[j], cells[i][j]);
		fputc('\n', out);
		if (i == 0) {
			for (j = 0; j < ncols; j++) {
				fputs(j ? " " : "| ", out);
				for (k = 0; k < width[j] - (j ? 1 : 0); k++)
					fputc('-', out);
				fputs(j ? ": |" : " |", out);
			}
			fputc('\n', out);
		}
	}
	fputc('\n', out);
}

static void read_first_line(const char *path, const char *prefix, char *out,
			    size_t len)
{
	char line[512], *value;
	FILE *f = fopen(path, "re");

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (prefix && strncmp(line, prefix, strlen(prefix)))
			continue;
		line[strcspn(line, "\n")] = '\0';
		value = prefix ? strchr(line, ':') : NULL;
		set_text(out, len, value ? value + 1 + strspn(value + 1, " \t") : line);
		break;
	}
	fclose(f);
}

static char load_start[64], load_end[64], started[64];

static void print_header(FILE *out, const struct settings *s)
{
	struct utsname u;
	char cpu[256];
	int i;

	uname(&u);
	read_first_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	fprintf(out,
		"Generated by `%s` on %s.\n\n"
		"- Machine: %s, %ld CPUs online, Linux %s (%s).\n"
		"- liburcu %s; load average (1, 5, 15 min) %s at the start, %s at the end.\n"
		"- Each cell is the median of %d runs (%g s each; call_rcu: %lu callbacks per enqueuer);"
		" the flavors alternate within each repetition. Ratios divide a flavor's median"
		" by urcu-memb's or urcu-signal's from the same run.\n"
		"- %s\n",
		s->command, started, cpu, sysconf(_SC_NPROCESSORS_ONLN),
		u.release, u.machine, s->liburcu, load_start, load_end,
		nreps, s->seconds, s->count,
		s->pin ? "Benchmark threads pinned round robin to the CPUs, updaters first (bench --pin)."
		       : "Benchmark threads not pinned (--no-pin).");
	for (i = 0; i < NFLAVORS; i++)
		if (!flavors[i].available)
			fprintf(out, "- %s: %s.\n", flavors[i].label, flavors[i].why);
	fputc('\n', out);
}

static void print_tables(FILE *out)
{
	int t;

	for (t = 0; t < NTABLES; t++)
		print_table(out, &tables[t]);
}

/* ---- files -------------------------------------------------------------- */

static FILE *open_out(const struct settings *s, const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->out, name);
	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "urcu-tlb-bench: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static int close_out(FILE *f)
{
	int err = ferror(f);

	if (fclose(f) || err) {
		fprintf(stderr, "urcu-tlb-bench: write error\n");
		return -1;
	}
	return 0;
}

static int write_csv(const struct settings *s)
{
	FILE *raw = open_out(s, "raw.csv"), *sum = open_out(s, "summary.csv");
	int run, f, rep, k;

	fprintf(raw, "repetition,run,flavor,key,value\n");
	fprintf(sum, "run,flavor,key,median,min,max,runs\n");
	for (run = 0; run < NRUNS; run++)
		for (f = 0; f < NFLAVORS; f++) {
			const struct sample *first = NULL;
			int ok = 0;

			for (rep = 0; rep < nreps; rep++) {
				const struct sample *x = result(run, f, rep);

				if (!x->ok)
					continue;
				ok++;
				if (!first)
					first = x;
				for (k = 0; k < x->nkeys; k++)
					fprintf(raw, "%d,%s,%s,%s,%.17g\n", rep + 1,
						runs[run].id, flavors[f].label,
						x->key[k], x->val[k]);
				fprintf(raw, "%d,%s,%s,mechanism,%s\n", rep + 1,
					runs[run].id, flavors[f].label, x->mechanism);
			}
			for (k = 0; first && k < first->nkeys; k++) {
				double lo = NAN, hi = NAN;
				double m = median(run, f, first->key[k], NULL, 1, &lo, &hi);

				fprintf(sum, "%s,%s,%s,%.17g,%.17g,%.17g,%d\n",
					runs[run].id, flavors[f].label, first->key[k],
					m, lo, hi, ok);
			}
		}
	return close_out(raw) | close_out(sum);
}

/* Data for stress/bench/reader-scaling.gp and gp-latency.gp. */
static int write_plot_data(const struct settings *s)
{
	static const int scaling[] = { READ1, READ2, READ4, READ8 };
	static const int gp[] = { GP0, GP1, GP2 };
	FILE *sc = open_out(s, "reader-scaling.dat"), *gl = open_out(s, "gp-latency.dat");
	int f, i;

	fprintf(sc, "readers");
	for (f = 0; f < NFLAVORS; f++)
		if (flavors[f].available)
			fprintf(sc, " %s", flavors[f].label);
	fputc('\n', sc);
	for (i = 0; i < 4; i++) {
		fprintf(sc, "%d", runs[scaling[i]].readers);
		for (f = 0; f < NFLAVORS; f++)
			if (flavors[f].available)
				fprintf(sc, " %.6g", median(scaling[i], f, "reads_per_s",
							    NULL, 1e-6, NULL, NULL));
		fputc('\n', sc);
	}

	fprintf(gl, "flavor p50_r0 p99_r0 p50_r1 p99_r1 p50_r2 p99_r2\n");
	for (f = 0; f < NFLAVORS; f++) {
		if (!flavors[f].available)
			continue;
		fprintf(gl, "%s", flavors[f].label);
		for (i = 0; i < 3; i++)
			fprintf(gl, " %.6g %.6g",
				median(gp[i], f, "p50_ns", NULL, 1e-3, NULL, NULL),
				median(gp[i], f, "p99_ns", NULL, 1e-3, NULL, NULL));
		fputc('\n', gl);
	}
	return close_out(sc) | close_out(gl);
}

/* Replace the marked block of the document with the header and tables. */
static int update_doc(const struct settings *s)
{
	char tmp[1024], *text, *begin, *end;
	FILE *in = fopen(s->doc, "re"), *out;
	long len;

	if (!in || fseek(in, 0, SEEK_END) || (len = ftell(in)) < 0 ||
	    fseek(in, 0, SEEK_SET)) {
		fprintf(stderr, "urcu-tlb-bench: cannot read %s: %s\n", s->doc, strerror(errno));
		return -1;
	}
	text = malloc((size_t) len + 1);
	if (!text || fread(text, 1, (size_t) len, in) != (size_t) len) {
		fprintf(stderr, "urcu-tlb-bench: cannot read %s\n", s->doc);
		return -1;
	}
	text[len] = '\0';
	fclose(in);
	begin = strstr(text, BEGIN_MARK);
	end = begin ? strstr(begin, END_MARK) : NULL;
	if (!end) {
		fprintf(stderr, "urcu-tlb-bench: %s has no %s ... %s block\n",
			s->doc, BEGIN_MARK, END_MARK);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->doc);
	out = fopen(tmp, "we");
	if (!out) {
		fprintf(stderr, "urcu-tlb-bench: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fwrite(text, 1, (size_t) (begin - text) + strlen(BEGIN_MARK), out);
	fputs("\n\n", out);
	print_header(out, s);
	print_tables(out);
	fputs(end, out);
	free(text);
	if (close_out(out) || rename(tmp, s->doc)) {
		fprintf(stderr, "urcu-tlb-bench: cannot update %s\n", s->doc);
		return -1;
	}
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: urcu-tlb-bench [--quick] [--reps N] [--duration SECONDS] [--count N]\n"
		"                      [--bindir DIR] [--out DIR] [--doc FILE] [--liburcu VERSION]\n"
		"                      [--no-pin]\n"
		"\n"
		"Runs liburcu-tlb (each mechanism), liburcu's flavors and pthread_rwlock\n"
		"side by side and prints one table per measure: the median over the\n"
		"repetitions and the ratios to urcu-memb and urcu-signal.\n"
		"\n"
		"  --quick       1 repetition of 0.05 s and 20000 callbacks (proves it works)\n"
		"  --reps N      repetitions (default 7)\n"
		"  --duration S  seconds per timed run (default 0.5)\n"
		"  --count N     callbacks per enqueuer in the call_rcu measure (default 500000)\n"
		"  --bindir DIR  where the bench-<flavor> programs are (default: next to this one)\n"
		"  --out DIR     where the CSV, tables.md and plot data go (default: bench-results)\n"
		"  --doc FILE    replace the tables between the bench-tables markers of FILE\n"
		"  --liburcu V   the liburcu version, for the header\n"
		"  --no-pin      let the scheduler place the threads (default: thread k of\n"
		"                a run on the k-th CPU, updaters first, round robin)\n");
}

static void loadavg(char *out, size_t len)
{
	char buf[128];
	int n;

	read_first_line("/proc/loadavg", NULL, buf, sizeof(buf));
	/* The first three fields. */
	n = 0;
	for (char *p = buf; *p; p++)
		if (*p == ' ' && ++n == 3) {
			*p = '\0';
			break;
		}
	set_text(out, len, buf);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "reps", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "bindir", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'o' },
		{ "doc", required_argument, NULL, 'D' },
		{ "liburcu", required_argument, NULL, 'L' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct settings s = { .reps = 7, .pin = true, .seconds = 0.5, .count = 500000,
			      .out = "bench-results", .liburcu = "(version not given)" };
	char bindir[1024], *end;
	size_t cl = 0;
	int c, rep, run, k, failed = 0;
	time_t t0;

	for (c = 0; c < argc && cl < sizeof(s.command); c++)
		cl += (size_t) snprintf(s.command + cl, sizeof(s.command) - cl, "%s%s",
					c ? " " : "", c ? argv[c] : "urcu-tlb-bench");
	snprintf(bindir, sizeof(bindir), "%s", argv[0]);
	end = strrchr(bindir, '/');
	if (end)
		*end = '\0';
	else
		snprintf(bindir, sizeof(bindir), ".");
	s.bindir = bindir;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			s.reps = 1;
			s.seconds = 0.05;
			s.count = 20000;
			break;
		case 'n':
			s.reps = (int) strtol(optarg, &end, 10);
			if (*end || s.reps < 1 || s.reps > MAX_REPS) {
				fprintf(stderr, "urcu-tlb-bench: --reps between 1 and %d\n", MAX_REPS);
				return 2;
			}
			break;
		case 'd':
			s.seconds = strtod(optarg, &end);
			if (*end || !(s.seconds > 0 && s.seconds <= 60)) {
				fprintf(stderr, "urcu-tlb-bench: --duration between 0 and 60 s\n");
				return 2;
			}
			break;
		case 'c':
			s.count = strtoul(optarg, &end, 10);
			if (*end || !s.count) {
				fprintf(stderr, "urcu-tlb-bench: bad --count\n");
				return 2;
			}
			break;
		case 'b':
			s.bindir = optarg;
			break;
		case 'o':
			s.out = optarg;
			break;
		case 'D':
			s.doc = optarg;
			break;
		case 'L':
			s.liburcu = optarg;
			break;
		case 'P':
			s.pin = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (mkdir(s.out, 0777) && errno != EEXIST) {
		fprintf(stderr, "urcu-tlb-bench: cannot create %s: %s\n", s.out, strerror(errno));
		return 1;
	}
	nreps = s.reps;
	results = calloc((size_t) NRUNS * NFLAVORS * nreps, sizeof(*results));
	if (!results) {
		fprintf(stderr, "urcu-tlb-bench: out of memory\n");
		return 1;
	}
	find_flavors(&s);
	t0 = time(NULL);
	strftime(started, sizeof(started), "%Y-%m-%d %H:%M UTC", gmtime(&t0));
	loadavg(load_start, sizeof(load_start));

	for (rep = 0; rep < nreps; rep++)
		for (run = 0; run < NRUNS; run++) {
			fprintf(stderr, "urcu-tlb-bench: repetition %d/%d, %s\n",
				rep + 1, nreps, runs[run].id);
			for (k = 0; k < NFLAVORS; k++) {
				int f = (k + rep + run) % NFLAVORS;

				if (flavors[f].available && run_one(&s, run, f, rep))
					failed++;
			}
		}

	loadavg(load_end, sizeof(load_end));
	print_header(stdout, &s);
	print_tables(stdout);
	{
		FILE *md = open_out(&s, "tables.md");

		print_header(md, &s);
		print_tables(md);
		if (close_out(md))
			failed++;
	}
	if (write_csv(&s) || write_plot_data(&s))
		failed++;
	if (s.doc && update_doc(&s))
		failed++;
	if (failed)
		fprintf(stderr, "urcu-tlb-bench: %d run(s) failed (see above)\n", failed);
	return failed ? 1 : 0;
}
