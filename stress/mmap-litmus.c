/*
 * mmap-litmus.c: the mapping-replacement litmus test; see mmap-litmus.h.
 *
 * The parent makes the two files and a shared page for the results, forks,
 * and watches: it prints progress, and kills a child that overruns its
 * duration by HANG_S.  The child runs the replacer on its main thread and
 * one reader thread, in rounds like the other litmus tests: the replacer
 * resets the mapping to the old file while the reader waits, opens the
 * round, waits a random moment and replaces the mapping; the reader reads
 * pairs until it sees both pages new and closes the round.
 */
#define _LGPL_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include "mmap-litmus.h"
#include "util.h"

#define HANG_S		10.0	/* grace before a child is killed */
#define ROUND_TIMEOUT_S	5.0	/* a round the reader never closes */
#define MAX_REPLACE_DELAY	20000	/* delay_loop() iterations */
#define MAX_READ_DELAY		2000	/* between the two reads */

/* Shared between the parent and the child. */
struct shared_state {
	struct mmap_result res;
	int finished;		/* the child wrote its final counts */
};

struct child {
	const struct mmap_config *cfg;
	struct shared_state *st;
	size_t page;
	int fd[2];		/* [0]: zero bytes (old), [1]: one bytes (new) */
	unsigned char *fixed;	/* MAP_FIXED: the one address */
	unsigned char *cur;	/* RCU: the published mapping */
	unsigned long go, done;	/* round opened, round closed */
	unsigned long reading;	/* round in which the reader has read a pair */
};

static const char *const names[MMAP_NR] = {
	[MMAP_FIXED] = "MAP_FIXED",
	[MMAP_RCU] = "RCU",
	[MMAP_RCU_CONTROL] = "RCU-control",
};

const char *mmap_variant_name(enum mmap_variant v)
{
	return name_at(names, MMAP_NR, v);
}

int mmap_variant_parse(const char *name)
{
	return name_index(names, MMAP_NR, name);
}

/* ---- the reader --------------------------------------------------------- */

static __thread sigjmp_buf fault_env;
static __thread volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (fault_armed)
		siglongjmp(fault_env, sig);
	signal(sig, SIG_DFL);	/* not the reader: die of it */
	raise(sig);
}

/* One pair of reads; -1 if it faulted. */
static int read_pair(struct child *c, uint64_t *rng, unsigned char v[2])
{
	volatile bool in_section = false;
	unsigned int delay = random_below(rng, MAX_READ_DELAY);
	const unsigned char *p;

	/* No mask saved (a system call each time): SA_NODEFER leaves the
	 * signal unblocked when the handler jumps back here. */
	if (sigsetjmp(fault_env, 0)) {
		fault_armed = 0;
		if (in_section)
			urcu_tlb_read_unlock();
		return -1;
	}
	fault_armed = 1;
	if (c->cfg->variant == MMAP_FIXED) {
		p = c->fixed;
	} else {
		urcu_tlb_read_lock();
		in_section = true;
		p = rcu_dereference(c->cur);
	}
	v[0] = CMM_LOAD_SHARED(p[0]);
	cmm_smp_rmb();		/* page 0 is read first, on any CPU */
	delay_loop(delay);
	v[1] = CMM_LOAD_SHARED(p[c->page]);
	if (in_section) {
		in_section = false;
		urcu_tlb_read_unlock();
	}
	fault_armed = 0;
	return 0;
}

static void count(struct child *c, unsigned long round, const unsigned char v[2])
{
	struct mmap_result *r = &c->st->res;

	if (v[0] == v[1])
		return;
	if (v[0])
		CMM_STORE_SHARED(r->new_then_old, r->new_then_old + 1);
	else
		CMM_STORE_SHARED(r->old_then_new, r->old_then_new + 1);
	if (!r->first_bad_round &&
	    (v[0] || c->cfg->variant != MMAP_FIXED))
		r->first_bad_round = round;
}

static void *reader_thread(void *arg)
{
	struct child *c = arg;
	struct mmap_result *r = &c->st->res;
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	unsigned long round = 0, go;
	unsigned char v[2];

	urcu_tlb_register_thread();
	for (;;) {
		while ((go = CMM_LOAD_SHARED(c->go)) == round)
			caa_cpu_relax();
		if (go == ~0UL)
			break;
		round = go;
		cmm_smp_mb();	/* the reset mapping before our reads */
		do {
			if (read_pair(c, &rng, v)) {
				CMM_STORE_SHARED(r->faults, r->faults + 1);
				if (!r->first_bad_round)
					r->first_bad_round = round;
				v[0] = v[1] = 0;
				continue;
			}
			CMM_STORE_SHARED(r->reads, r->reads + 1);
			CMM_STORE_SHARED(c->reading, round);
			count(c, round, v);
		} while (!(v[0] && v[1]));
		cmm_smp_mb();
		CMM_STORE_SHARED(c->done, round);
	}
	urcu_tlb_unregister_thread();
	return NULL;
}

/* ---- the replacer ------------------------------------------------------- */

static int map_file(struct child *c, int which, void *at)
{
	void *p = mmap(at, 2 * c->page, PROT_READ,
		       MAP_SHARED | (at ? MAP_FIXED : 0), c->fd[which], 0);

	if (p == MAP_FAILED)
		return -1;
	if (at)
		return 0;
	/* RCU: publish the new mapping, then retire the old one. */
	p = rcu_xchg_pointer(&c->cur, (unsigned char *) p);
	if (p) {
		if (c->cfg->variant == MMAP_RCU)
			urcu_tlb_synchronize_rcu();
		munmap(p, 2 * c->page);
	}
	return 0;
}

static int replace(struct child *c, int which)
{
	return map_file(c, which, c->cfg->variant == MMAP_FIXED ? c->fixed : NULL);
}

static void say(struct child *c, const char *what)
{
	snprintf(c->st->res.error, sizeof(c->st->res.error), "%s: %s",
		 what, strerror(errno));
}

/* Wait until the reader has written round into *what. */
static int wait_for(struct child *c, unsigned long *what, unsigned long round,
		    const char *doing)
{
	double t = now_s();
	unsigned long spins;

	for (spins = 0; CMM_LOAD_SHARED(*what) != round; spins++) {
		caa_cpu_relax();
		if (spins % 1024)
			continue;
		if (now_s() - t > ROUND_TIMEOUT_S) {
			snprintf(c->st->res.error, sizeof(c->st->res.error),
				 "round %lu: the reader had not %s after %.0f s",
				 round, doing, ROUND_TIMEOUT_S);
			return -1;
		}
		sched_yield();
	}
	return 0;
}

static unsigned long grace_periods(void)
{
	struct urcu_tlb_stats st;

	urcu_tlb_get_stats(&st);
	return st.grace_periods;
}

static int run_rounds(struct child *c)
{
	struct mmap_result *r = &c->st->res;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	unsigned long round, gp0 = grace_periods();
	double t0 = now_s();

	for (round = 1; !c->cfg->rounds || round <= c->cfg->rounds; round++) {
		if (replace(c, 0)) {
			say(c, "mmap of the old file");
			return -1;
		}
		cmm_smp_mb();
		CMM_STORE_SHARED(c->go, round);
		/* Replace while the reader reads, even on a busy machine. */
		if (wait_for(c, &c->reading, round, "started reading"))
			return -1;
		delay_loop(random_below(&rng, MAX_REPLACE_DELAY));
		if (replace(c, 1)) {
			say(c, "mmap of the new file");
			return -1;
		}
		if (wait_for(c, &c->done, round, "seen both pages new"))
			return -1;
		CMM_STORE_SHARED(r->rounds, round);
		CMM_STORE_SHARED(r->grace_periods, grace_periods() - gp0);
		r->elapsed = now_s() - t0;
		if (r->elapsed >= c->cfg->duration)
			break;
	}
	return 0;
}

static int child_main(struct child *c)
{
	struct sigaction sa;
	pthread_t reader;
	int err, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (c->cfg->variant == MMAP_FIXED) {
		c->fixed = mmap(NULL, 2 * c->page, PROT_READ, MAP_SHARED,
				c->fd[0], 0);
		if (c->fixed == MAP_FAILED) {
			say(c, "mmap");
			return 1;
		}
	} else if (c->cfg->variant == MMAP_RCU) {
		snprintf(c->st->res.mechanism, sizeof(c->st->res.mechanism),
			 "%s", urcu_tlb_mechanism_name());
	}
	err = pthread_create(&reader, NULL, reader_thread, c);
	if (err) {
		errno = err;
		say(c, "pthread_create");
		return 1;
	}
	rc = run_rounds(c);
	CMM_STORE_SHARED(c->go, ~0UL);
	if (rc)
		_exit(1);	/* the reader may be stuck: do not join */
	pthread_join(reader, NULL);
	return 0;
}

/* ---- the parent --------------------------------------------------------- */

static int make_file(int fill, size_t size)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	unsigned char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/urcu-tlb-mmap-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	buf = malloc(size);
	if (!buf || (memset(buf, fill, size), write(fd, buf, size)) != (ssize_t) size) {
		free(buf);
		close(fd);
		if (!errno)
			errno = EIO;
		return -1;
	}
	free(buf);
	return fd;
}

static void name_fs(int fd, char *out, size_t len)
{
	static const struct { long magic; const char *name; } known[] = {
		{ 0x01021994, "tmpfs" }, { 0xef53, "ext4" },
		{ 0x58465342, "xfs" }, { 0x9123683e, "btrfs" },
		{ 0x794c7630, "overlayfs" }, { 0x6969, "nfs" },
	};
	struct statfs sf;
	size_t i;

	if (fstatfs(fd, &sf)) {
		snprintf(out, len, "?");
		return;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if ((long) sf.f_type == known[i].magic) {
			snprintf(out, len, "%s", known[i].name);
			return;
		}
	snprintf(out, len, "fs %#lx", (unsigned long) sf.f_type);
}

static void watch(const struct mmap_config *cfg, struct shared_state *st,
		  pid_t pid)
{
	double t0 = now_s(), next = 1, t;
	int status;

	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			snprintf(st->res.error, sizeof(st->res.error),
				 "waitpid: %s", strerror(errno));
			status = 0;
			break;
		}
		t = now_s() - t0;
		if (t > cfg->duration + HANG_S && !st->res.timed_out) {
			st->res.timed_out = true;
			kill(pid, SIGKILL);
		}
		if (cfg->progress && t >= next) {
			cfg->progress(t, &st->res, cfg->progress_arg);
			next += 1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	st->res.child_status = status;
	if (!st->res.elapsed || st->res.timed_out)
		st->res.elapsed = now_s() - t0;
}

int mmap_litmus_run(const struct mmap_config *cfg, struct mmap_result *res)
{
	struct child c = { .cfg = cfg, .fd = { -1, -1 } };
	struct shared_state *st;
	int i, saved;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if ((unsigned) cfg->variant >= MMAP_NR) {
		errno = EINVAL;
		return -1;
	}
	c.page = sysconf(_SC_PAGESIZE);
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED) {
		snprintf(res->error, sizeof(res->error), "mmap: %s", strerror(errno));
		return -1;
	}
	memset(st, 0, sizeof(*st));
	c.st = st;
	for (i = 0; i < 2; i++) {
		c.fd[i] = make_file(i, 2 * c.page);
		if (c.fd[i] < 0) {
			snprintf(res->error, sizeof(res->error),
				 "cannot make a file in %s: %s",
				 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
				 strerror(errno));
			goto fail;
		}
	}
	name_fs(c.fd[0], st->res.fs, sizeof(st->res.fs));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(res->error, sizeof(res->error), "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int rc = child_main(&c);

		CMM_STORE_SHARED(st->finished, 1);
		_exit(rc);
	}
	watch(cfg, st, pid);
	*res = st->res;
	if (!st->finished && !res->error[0])
		snprintf(res->error, sizeof(res->error), "the child did not finish");
	close(c.fd[0]);
	close(c.fd[1]);
	munmap(st, sizeof(*st));
	return 0;
fail:
	saved = errno;
	for (i = 0; i < 2; i++)
		if (c.fd[i] >= 0)
			close(c.fd[i]);
	munmap(st, sizeof(*st));
	errno = saved;
	return -1;
}

unsigned long mmap_bad(enum mmap_variant v, const struct mmap_result *res)
{
	unsigned long bad = res->new_then_old + res->faults;

	if (v != MMAP_FIXED)
		bad += res->old_then_new;
	if (res->timed_out || !WIFEXITED(res->child_status) ||
	    WEXITSTATUS(res->child_status))
		bad++;
	return bad;
}

const char *mmap_child_fate(const struct mmap_result *res, char *buf,
			    size_t len)
{
	if (res->timed_out)
		snprintf(buf, len, "hung after %lu rounds and was killed",
			 res->rounds);
	else if (WIFSIGNALED(res->child_status))
		snprintf(buf, len, "died of signal %d (%s) after %lu rounds",
			 WTERMSIG(res->child_status),
			 strsignal(WTERMSIG(res->child_status)), res->rounds);
	else if (!WIFEXITED(res->child_status) || WEXITSTATUS(res->child_status))
		snprintf(buf, len, "failed after %lu rounds: %s", res->rounds,
			 res->error[0] ? res->error : "no reason given");
	else
		return NULL;
	return buf;
}

void mmap_print(FILE *out, const struct mmap_config *cfg,
		const struct mmap_result *res)
{
	char fate[160];

	fprintf(out, "mmap-litmus %s%s%s: %lu rounds, %lu reads, %lu grace periods in %.2f s (files on %s): new-then-old %lu, old-then-new %lu, faults %lu\n",
		mmap_variant_name(cfg->variant),
		res->mechanism[0] ? " with " : "", res->mechanism,
		res->rounds, res->reads, res->grace_periods, res->elapsed,
		res->fs, res->new_then_old, res->old_then_new, res->faults);
	if (mmap_child_fate(res, fate, sizeof(fate)))
		fprintf(out, "  the child %s\n", fate);
}
