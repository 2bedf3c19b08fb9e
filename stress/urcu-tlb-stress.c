/*
 * urcu-tlb-stress: does liburcu-tlb's forced barrier really order readers
 * on this machine?  The self-check ("all") reports which mechanisms are
 * valid here and why, the one chosen, and for every valid mechanism a
 * short torture test and the store-buffering litmus test with its control.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-tlb.h>
#include "litmus.h"
#include "torture.h"

#define EXIT_VIOLATION	1
#define EXIT_USAGE	2

struct options {
	double seconds;		/* torture duration per mechanism */
	unsigned long rounds;	/* litmus rounds with the heavy fence */
};

struct verdict {
	enum urcu_tlb_mechanism m;
	double fence_us;	/* mean cost of one heavy fence */
	struct torture_result torture;
	struct litmus_result sb, sb_control;
	bool ok;
};

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
		"usage: %s all [--duration SECONDS] [--iterations ROUNDS]\n"
		"\n"
		"  all   self-check: which mechanisms are valid here and why, the one\n"
		"        chosen, then per valid mechanism a torture test and the\n"
		"        store-buffering litmus test with its control run.\n"
		"\n"
		"  --duration S     torture seconds per mechanism (default 2)\n"
		"  --iterations N   litmus rounds with the heavy fence (default 20000)\n"
		"\n"
		"Exit status: 0 no violation, 1 a violation was seen, 2 bad usage.\n",
		argv0);
}

static int peer_stop;

/* A registered thread that keeps its CPU busy in and out of sections, so
 * that a heavy fence has somebody to interrupt. */
static void *busy_peer(void *arg)
{
	(void) arg;
	urcu_tlb_register_thread();
	while (!uatomic_read(&peer_stop)) {
		urcu_tlb_read_lock();
		urcu_tlb_read_unlock();
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Mean cost of urcu_tlb_fence_heavy() with one busy registered peer. */
static double fence_cost_us(void)
{
	const int n = 1000;
	pthread_t peer;
	double t0, t1;
	int i;

	uatomic_set(&peer_stop, 0);
	if (pthread_create(&peer, NULL, busy_peer, NULL))
		return -1;
	urcu_tlb_fence_heavy();		/* warm up */
	t0 = now_s();
	for (i = 0; i < n; i++)
		urcu_tlb_fence_heavy();
	t1 = now_s();
	uatomic_set(&peer_stop, 1);
	pthread_join(peer, NULL);
	return (t1 - t0) * 1e6 / n;
}

static void check_mechanism(enum urcu_tlb_mechanism m,
			    const struct options *o, struct verdict *v)
{
	struct torture_config tc;
	struct litmus_config lc = { .test = LITMUS_SB };

	v->m = m;
	urcu_tlb_set_mechanism(m);
	v->fence_us = fence_cost_us();
	printf("[%s] heavy fence: %.1f us each (mean of 1000, one busy registered peer)\n",
	       urcu_tlb_mechanism_string(m), v->fence_us);
	torture_default_config(&tc);
	tc.duration = o->seconds;
	tc.nesting = 2;
	tc.delay_ns = 1000;
	if (torture_run(&tc, &v->torture))
		fprintf(stderr, "torture: %s\n", strerror(errno));
	printf("[%s] ", urcu_tlb_mechanism_string(m));
	torture_print(stdout, &tc, &v->torture);

	lc.protected = true;
	lc.rounds = o->rounds;
	lc.max_seconds = 10;
	litmus_run(&lc, &v->sb);
	printf("[%s] ", urcu_tlb_mechanism_string(m));
	litmus_print(stdout, &lc, &v->sb);

	lc.protected = false;
	lc.rounds = 100 * o->rounds;
	lc.max_seconds = 3;
	litmus_run(&lc, &v->sb_control);
	printf("[%s] ", urcu_tlb_mechanism_string(m));
	litmus_print(stdout, &lc, &v->sb_control);
	v->ok = !v->torture.errors && v->torture.grace_periods && !v->sb.forbidden;
	fflush(stdout);
}

static int run_all(const struct options *o)
{
	struct verdict v[URCU_TLB_MECHANISM_SIGNAL + 1];
	enum urcu_tlb_mechanism chosen = urcu_tlb_mechanism();
	int m, n = 0, bad = 0;

	printf("liburcu-tlb self-check\n\nmechanisms on this machine:\n");
	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m <= URCU_TLB_MECHANISM_SIGNAL; m++) {
		const char *why = NULL;
		int ok = urcu_tlb_mechanism_usable(m, &why);

		printf("  %-10s %s%s%s\n", urcu_tlb_mechanism_string(m),
		       ok ? "valid" : "not valid: ", ok ? "" : why,
		       m == (int) chosen ? "  <- chosen" : "");
	}
	printf("\n");
	for (m = URCU_TLB_MECHANISM_MEMBARRIER; m <= URCU_TLB_MECHANISM_SIGNAL; m++)
		if (urcu_tlb_mechanism_usable(m, NULL))
			check_mechanism(m, o, &v[n++]);
	urcu_tlb_set_mechanism(chosen);

	printf("\n%-10s  %9s  %12s  %8s  %8s  %16s  %16s  %s\n", "mechanism",
	       "fence us", "reads", "GPs", "errors", "SB forbidden",
	       "SB control", "verdict");
	for (m = 0; m < n; m++) {
		printf("%-10s  %9.1f  %12lu  %8lu  %8lu  %8lu/%-7lu  %8lu/%-7lu  %s\n",
		       urcu_tlb_mechanism_string(v[m].m), v[m].fence_us,
		       v[m].torture.reads,
		       v[m].torture.grace_periods, v[m].torture.errors,
		       v[m].sb.forbidden, v[m].sb.rounds,
		       v[m].sb_control.forbidden, v[m].sb_control.rounds,
		       v[m].ok ? "ok" : "VIOLATION");
		if (!v[m].ok)
			bad++;
		if (!v[m].sb_control.forbidden)
			printf("%-10s  note: the control never showed store buffering in %lu rounds; the litmus test proved little here\n",
			       "", v[m].sb_control.rounds);
	}
	printf("\n%s: %s\n", bad ? "FAIL" : "PASS",
	       bad ? "a forced barrier did not order the readers (see above)"
		   : "every valid mechanism ordered the readers");
	return bad ? EXIT_VIOLATION : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .seconds = 2, .rounds = 20000 };
	char *end;
	int c;

	if (argc < 2 || strcmp(argv[1], "all")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			usage(stdout, argv[0]);
			return 0;
		}
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.seconds = strtod(optarg, &end);
			if (*end || o.seconds <= 0) {
				fprintf(stderr, "%s: bad --duration '%s'\n", argv[0], optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			o.rounds = strtoul(optarg, &end, 10);
			if (*end || !o.rounds) {
				fprintf(stderr, "%s: bad --iterations '%s'\n", argv[0], optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	return run_all(&o);
}
