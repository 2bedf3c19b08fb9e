/*
 * bench.c: one benchmark source, compiled once per flavor (flavor.h).
 *
 * Each run measures one thing and prints one line of key=value pairs on
 * stdout, which urcu-tlb-bench (driver.c) collects:
 *
 *   read    --readers N --updaters 0|1 --duration S
 *           reader threads run read_lock + rcu_dereference + a load +
 *           read_unlock in a loop; the updater, if any, replaces the object
 *           and calls synchronize_rcu in a loop.  ns_per_read is the CPU time a
 *           reader thread spends per read, reads_per_s the total rate.
 *   gp      --readers N --duration S
 *           one updater times each replace + synchronize_rcu while N
 *           readers run: p50_ns, p99_ns.
 *   update  --updaters N --readers N --duration S
 *           N updaters replace + synchronize_rcu concurrently: syncs_per_s.
 *   callrcu --enqueuers N --count C
 *           each enqueuer queues C callbacks (each frees a 64-byte node);
 *           then rcu_barrier.  cb_per_s counts from the start to the return
 *           of rcu_barrier; peak_pending is the most callbacks queued and
 *           not yet run, peak_rss_kb the growth of the resident set,
 *           process_cpu_ns the CPU time of every thread meanwhile.
 *   probe   (liburcu-tlb only) one line per mechanism: "name ok" or
 *           "name no <why>".
 *
 * With --pin, worker thread k (updaters first, then readers or enqueuers)
 * is bound to the k-th CPU the process may use, round robin: with one
 * updater and one reader they run on two different CPUs, so a grace
 * period really has a running reader to interrupt.
 *
 * The liburcu-tlb build adds the mechanism in use and its counters over the
 * run (urcu_tlb_get_stats): tlb_syncs, tlb_gps, tlb_fences, tlb_batches.
 */
#include "flavor.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Reads between two looks at the stop flag (and QSBR quiescent states). */
#define READ_BATCH		1024
/* Callbacks between two looks at the number pending. */
#define CB_SAMPLE		64
/* At most this many grace-period latencies are kept per run. */
#define MAX_SAMPLES		(1UL << 20)
#define MAX_THREADS		64

struct options {
	const char *measure;
	int readers, updaters, enqueuers;
	double seconds;
	unsigned long count;
};

/* One per thread, on its own cache line. */
struct worker {
	pthread_t tid;
	struct bench_obj *spare;	/* updaters: the object they publish next */
	unsigned long ops;		/* reads, updates or callbacks done */
	unsigned long cpu_ns;		/* readers, updaters: CPU time in the loop */
	unsigned long sink;		/* readers: sum of the values read */
	unsigned long peak;		/* enqueuers: most callbacks pending seen */
	unsigned long *samples;		/* gp updater: latencies in ns */
	unsigned long nsamples;
	unsigned long count;		/* enqueuers: callbacks to queue */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

static struct bench_obj objs[MAX_THREADS + 1];
static struct bench_obj *shared = &objs[0];
static struct worker workers[MAX_THREADS];
static int stop;
static pthread_barrier_t start_barrier;

#if FLAVOR_RWLOCK
pthread_rwlock_t bench_rwlock;

static void flavor_init(void)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&bench_rwlock, &attr);
	pthread_rwlockattr_destroy(&attr);
}
#else
static void flavor_init(void)
{
}
#endif

static unsigned long clock_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (unsigned long) t.tv_sec * 1000000000UL + t.tv_nsec;
}

static unsigned long now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of the calling thread: what it ran, not what it waited. */
static unsigned long thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}


static void die(const char *what)
{
	fprintf(stderr, "bench-%s: %s\n", FLAVOR_NAME, what);
	exit(1);
}

static void *reader(void *arg)
{
	struct worker *w = arg;
	unsigned long n = 0, sum = 0, cpu0;
	int i;

	flavor_thread_online();
	pthread_barrier_wait(&start_barrier);
	cpu0 = thread_cpu_ns();
	while (!CMM_LOAD_SHARED(stop)) {
		for (i = 0; i < READ_BATCH; i++)
			sum += flavor_read(&shared);
		n += READ_BATCH;
		flavor_batch_done();
	}
	w->cpu_ns = thread_cpu_ns() - cpu0;
	w->ops = n;
	w->sink = sum;
	flavor_thread_offline();
	return NULL;
}

/* Replace the shared object with our spare and take the old one back as
 * the next spare: after the grace period no reader can hold it. */
static void *updater(void *arg)
{
	struct worker *w = arg;
	struct bench_obj *spare = w->spare;
	unsigned long n = 0, t0, cpu0;

	pthread_barrier_wait(&start_barrier);
	cpu0 = thread_cpu_ns();
	while (!CMM_LOAD_SHARED(stop)) {
		spare->value = n;
		if (w->samples) {
			t0 = now_ns();
			spare = flavor_replace(&shared, spare);
			w->samples[w->nsamples++] = now_ns() - t0;
			if (w->nsamples == MAX_SAMPLES)
				break;
		} else {
			spare = flavor_replace(&shared, spare);
		}
		n++;
	}
	w->cpu_ns = thread_cpu_ns() - cpu0;
	w->ops = n;
	return NULL;
}

#if !FLAVOR_RWLOCK
struct cb_node {
	struct rcu_head head;
	char payload[64 - sizeof(struct rcu_head)];
};

static unsigned long cb_queued, cb_invoked;

static void cb_free(struct rcu_head *head)
{
	free(caa_container_of(head, struct cb_node, head));
	uatomic_inc(&cb_invoked);
}

static void *enqueuer(void *arg)
{
	struct worker *w = arg;
	unsigned long i, pending;

	flavor_thread_online();
	pthread_barrier_wait(&start_barrier);
	for (i = 1; i <= w->count; i++) {
		struct cb_node *node = malloc(sizeof(*node));

		if (!node)
			die("out of memory");
		call_rcu(&node->head, cb_free);
		if (i % CB_SAMPLE == 0) {
			pending = uatomic_add_return(&cb_queued, CB_SAMPLE) -
				  uatomic_read(&cb_invoked);
			if ((long) pending > (long) w->peak)
				w->peak = pending;
			flavor_batch_done();
		}
	}
	w->ops = w->count;
	flavor_thread_offline();
	return NULL;
}
#endif

#if defined(BENCH_FLAVOR_TLB)
static struct urcu_tlb_stats stats0;

static void stats_begin(void)
{
	urcu_tlb_get_stats(&stats0);
}

static void stats_print(void)
{
	struct urcu_tlb_stats s;

	urcu_tlb_get_stats(&s);
	printf(" tlb_syncs=%lu tlb_gps=%lu tlb_fences=%lu tlb_batches=%lu tlb_fallbacks=%lu",
	       s.synchronize_calls - stats0.synchronize_calls,
	       s.grace_periods - stats0.grace_periods,
	       s.heavy_fences - stats0.heavy_fences,
	       s.callback_batches - stats0.callback_batches,
	       s.mechanism_fallbacks - stats0.mechanism_fallbacks);
}

static const char *mechanism_name(void)
{
	return urcu_tlb_mechanism_name();
}

static int probe(void)
{
	enum urcu_tlb_mechanism m;

	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m <= URCU_TLB_MECHANISM_SIGNAL; m++) {
		const char *why = NULL;

		if (urcu_tlb_mechanism_usable(m, &why))
			printf("%s ok\n", urcu_tlb_mechanism_string(m));
		else
			printf("%s no %s\n", urcu_tlb_mechanism_string(m), why);
	}
	return 0;
}
#else
static void stats_begin(void)
{
}

static void stats_print(void)
{
}

static const char *mechanism_name(void)
{
	return "-";
}

static int probe(void)
{
	return 0;
}
#endif

/* --pin: the CPUs this process may use; worker k runs on cpus[k % ncpus]. */
static int pin, ncpus, cpus[CPU_SETSIZE];

static void find_cpus(void)
{
	cpu_set_t set;
	int c;

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity failed");
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[ncpus++] = c;
}

static pthread_t start(void *(*fn)(void *), struct worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	pthread_attr_init(&attr);
	if (pin) {
		CPU_ZERO(&set);
		CPU_SET(cpus[(w - workers) % ncpus], &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	err = pthread_create(&w->tid, &attr, fn, w);
	pthread_attr_destroy(&attr);
	if (err) {
		errno = err;
		die(strerror(err));
	}
	return w->tid;
}

/*
 * Start readers and updaters, let them run for o->seconds, stop them.
 * Workers 0..updaters-1 are the updaters.  Returns the elapsed ns.
 */
static unsigned long run_timed(const struct options *o, int nreaders,
			       int nupdaters)
{
	struct timespec d;
	unsigned long t0, t1;
	int i, n = nreaders + nupdaters;

	if (n > MAX_THREADS)
		die("too many threads");
	pthread_barrier_init(&start_barrier, NULL, n + 1);
	for (i = 0; i < nupdaters; i++) {
		workers[i].spare = &objs[i + 1];
		start(updater, &workers[i]);
	}
	for (; i < n; i++)
		start(reader, &workers[i]);
	pthread_barrier_wait(&start_barrier);
	t0 = now_ns();
	d.tv_sec = (time_t) o->seconds;
	d.tv_nsec = (long) ((o->seconds - (double) d.tv_sec) * 1e9);
	while (nanosleep(&d, &d) && errno == EINTR)
		;
	CMM_STORE_SHARED(stop, 1);
	t1 = now_ns();
	for (i = 0; i < n; i++)
		pthread_join(workers[i].tid, NULL);
	pthread_barrier_destroy(&start_barrier);
	return t1 - t0;
}

static unsigned long sum_ops(int from, int to)
{
	unsigned long s = 0;
	int i;

	for (i = from; i < to; i++)
		s += workers[i].ops;
	return s;
}

/*
 * ns_per_read divides the readers' CPU time by their reads, so that time
 * spent preempted by other processes does not count, while interrupts
 * (the IPIs of a heavy fence, signal handlers) do.  ns_per_read_wall
 * divides wall time instead.
 */
static int measure_read(const struct options *o)
{
	unsigned long ns = run_timed(o, o->readers, o->updaters);
	unsigned long reads = sum_ops(o->updaters, o->updaters + o->readers);
	unsigned long updates = sum_ops(0, o->updaters), cpu = 0;
	int i;

	if (!reads)
		die("no read completed");
	for (i = o->updaters; i < o->updaters + o->readers; i++)
		cpu += workers[i].cpu_ns;
	printf(" readers=%d updaters=%d elapsed_ns=%lu reads=%lu updates=%lu"
	       " reader_cpu_ns=%lu ns_per_read=%.3f ns_per_read_wall=%.3f"
	       " reads_per_s=%.0f",
	       o->readers, o->updaters, ns, reads, updates, cpu,
	       (double) cpu / (double) reads,
	       (double) ns * o->readers / (double) reads,
	       (double) reads * 1e9 / (double) ns);
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *) a, y = *(const unsigned long *) b;

	return x < y ? -1 : x > y;
}

static int measure_gp(const struct options *o)
{
	struct worker *w = &workers[0];
	unsigned long ns, n, sum = 0, i;

	w->samples = malloc(MAX_SAMPLES * sizeof(*w->samples));
	if (!w->samples)
		die("out of memory");
	ns = run_timed(o, o->readers, 1);
	n = w->nsamples;
	if (!n)
		die("no grace period completed");
	for (i = 0; i < n; i++)
		sum += w->samples[i];
	qsort(w->samples, n, sizeof(*w->samples), cmp_ulong);
	printf(" readers=%d elapsed_ns=%lu samples=%lu mean_ns=%.0f"
	       " p50_ns=%lu p99_ns=%lu max_ns=%lu",
	       o->readers, ns, n, (double) sum / (double) n,
	       w->samples[n / 2], w->samples[n * 99 / 100], w->samples[n - 1]);
	free(w->samples);
	return 0;
}

/* updater_cpu_ns: the updaters' CPU time (spinning included, sleeping
 * not), a cost that the machine's other load does not move. */
static int measure_update(const struct options *o)
{
	unsigned long ns = run_timed(o, o->readers, o->updaters);
	unsigned long syncs = sum_ops(0, o->updaters), cpu = 0;
	int i;

	for (i = 0; i < o->updaters; i++)
		cpu += workers[i].cpu_ns;
	printf(" updaters=%d readers=%d elapsed_ns=%lu syncs=%lu syncs_per_s=%.0f"
	       " updater_cpu_ns=%lu",
	       o->updaters, o->readers, ns, syncs,
	       (double) syncs * 1e9 / (double) ns, cpu);
	return 0;
}

#if !FLAVOR_RWLOCK
/* CPU time of the whole process, library threads included. */
static unsigned long process_cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* Resident set size now, in kB. */
static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}
#endif

static int measure_callrcu(const struct options *o)
{
#if FLAVOR_RWLOCK
	(void) o;
	printf(" unsupported=1");
	return 0;
#else
	unsigned long t0, ns, cpu0, cpu, total = 0, peak = 0;
	struct cb_node *warm = malloc(sizeof(*warm));
	struct rusage ru;
	long rss0 = rss_kb();
	int i;

	if (o->enqueuers > MAX_THREADS)
		die("too many threads");
	/* Start the call_rcu worker before the clock does. */
	if (!warm)
		die("out of memory");
	flavor_thread_online();
	call_rcu(&warm->head, cb_free);
	flavor_thread_offline();
	rcu_barrier();
	uatomic_set(&cb_invoked, 0);
	pthread_barrier_init(&start_barrier, NULL, o->enqueuers + 1);
	for (i = 0; i < o->enqueuers; i++) {
		workers[i].count = o->count;
		start(enqueuer, &workers[i]);
	}
	pthread_barrier_wait(&start_barrier);
	t0 = now_ns();
	cpu0 = process_cpu_ns();
	for (i = 0; i < o->enqueuers; i++) {
		pthread_join(workers[i].tid, NULL);
		total += workers[i].ops;
		if (workers[i].peak > peak)
			peak = workers[i].peak;
	}
	rcu_barrier();
	ns = now_ns() - t0;
	cpu = process_cpu_ns() - cpu0;
	pthread_barrier_destroy(&start_barrier);
	if (uatomic_read(&cb_invoked) != total)
		die("rcu_barrier returned before every callback ran");
	getrusage(RUSAGE_SELF, &ru);
	printf(" enqueuers=%d elapsed_ns=%lu callbacks=%lu cb_per_s=%.0f"
	       " peak_pending=%lu peak_rss_kb=%ld process_cpu_ns=%lu",
	       o->enqueuers, ns, total, (double) total * 1e9 / (double) ns,
	       peak, ru.ru_maxrss > rss0 ? ru.ru_maxrss - rss0 : 0, cpu);
	return 0;
#endif
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench-%s read|gp|update|callrcu|probe [--readers N] [--updaters N]\n"
		"       [--enqueuers N] [--duration SECONDS] [--count CALLBACKS] [--pin]\n"
		"Prints one line of key=value pairs.  Run by urcu-tlb-bench.\n"
		"--pin: thread k (updaters first, then readers or enqueuers) runs on\n"
		"the k-th usable CPU, round robin.\n",
		FLAVOR_NAME);
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < min || v > max)
		return -1;
	*out = (int) v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "readers", required_argument, NULL, 'r' },
		{ "updaters", required_argument, NULL, 'u' },
		{ "enqueuers", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "pin", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .readers = 1, .updaters = 0, .enqueuers = 1,
			     .seconds = 0.5, .count = 100000 };
	char *end;
	int c, ret;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	o.measure = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "r:u:e:d:c:ph", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'r':
			bad = parse_int(optarg, 0, MAX_THREADS, &o.readers);
			break;
		case 'u':
			bad = parse_int(optarg, 0, MAX_THREADS, &o.updaters);
			break;
		case 'e':
			bad = parse_int(optarg, 1, MAX_THREADS, &o.enqueuers);
			break;
		case 'd':
			o.seconds = strtod(optarg, &end);
			bad = *end || !(o.seconds > 0 && o.seconds < 3600);
			break;
		case 'c':
			o.count = strtoul(optarg, &end, 10);
			bad = *end || !o.count;
			break;
		case 'p':
			pin = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "bench-%s: bad value '%s'\n", FLAVOR_NAME, optarg);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(o.measure, "probe"))
		return probe();
	flavor_init();
	find_cpus();
	stats_begin();
	printf("flavor=%s measure=%s pinned=%d cpus=%d", FLAVOR_NAME, o.measure,
	       pin, ncpus);
	if (!strcmp(o.measure, "read"))
		ret = measure_read(&o);
	else if (!strcmp(o.measure, "gp"))
		ret = measure_gp(&o);
	else if (!strcmp(o.measure, "update"))
		ret = measure_update(&o);
	else if (!strcmp(o.measure, "callrcu"))
		ret = measure_callrcu(&o);
	else {
		fprintf(stderr, "bench-%s: unknown measure '%s'\n", FLAVOR_NAME, o.measure);
		usage(stderr);
		return 2;
	}
	printf(" mechanism=%s", mechanism_name());
	stats_print();
	printf("\n");
	return ret;
}
