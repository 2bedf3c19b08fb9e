/*
 * test-region.c: growable file mappings (urcu-tlb/region.h).
 *
 * - readers verify checksummed records through views while the region is
 *   doubled many times and writers append through reserve(); afterwards
 *   every record is there and no old mapping is left;
 * - a write through an old view during the grace period reaches the file;
 * - reserve() grows and moves the mapping while another thread stays in
 *   its section: it never waits for a grace period;
 * - a child appending and syncing is killed at a random moment: every
 *   record below the last mark it reported is intact, and a control that
 *   reports marks without sync's grace period is caught losing records;
 * - growing in place through the headroom and through mremap();
 * - reserve() grows less than its doubling when that does not fit
 *   (RLIMIT_AS), and fills a small file system without fallocate in a
 *   number of tries that does not grow with the number of records;
 * - every error leaves the region as it was (shrinking, RLIMIT_FSIZE with
 *   SIGXFSZ ignored, ENOSPC, no address space, bad paths, overflow);
 * - misuse inside a read-side critical section dies with one line;
 * - a control: unmapping the old mapping without a grace period makes a
 *   concurrent reader fault, in a child process.
 *
 * Files live in a fresh directory under $TMPDIR (or /tmp), removed at the
 * end of each test.
 */
#define URCU_TLB_DEBUG 1	/* the inline view checks it is inside a section */
#define _LGPL_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <urcu-tlb.h>
#include <urcu-tlb/testing.h>
#include "testutil.h"

static char out[4096];

/* call fails with errno err. */
#define EXPECT_FAIL(call, err)						\
	do {								\
		errno = 0;						\
		ck_assert_msg((call) == -1 && errno == (err),		\
			      #call ": expected errno %d, got %d", err, errno); \
	} while (0)
#define EXPECT_NULL(call, err)						\
	do {								\
		errno = 0;						\
		ck_assert_msg(!(call) && errno == (err),		\
			      #call ": expected NULL, errno %d, got %d", err, errno); \
	} while (0)

/* ---- scratch directory ---------------------------------------------------- */

static char dir[PATH_MAX];

static void make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/urcu-tlb-region.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(dir), "mkdtemp %s: %s", dir, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void) st;
	(void) type;
	(void) ftw;
	return remove(path);
}

static void remove_dir(void)
{
	if (dir[0])
		nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

/* A path in the scratch directory (static buffer: one at a time). */
static const char *in_dir(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static off_t file_size(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

/* Number of lines of /proc/self/maps that map `path` (a mapping grown in
 * place is one line: the kernel merges the pieces). */
static int mappings_of(const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	size_t n = strlen(path);
	int count = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && !strncmp(p, path, n) && (p[n] == '\n' || p[n] == ' '))
			count++;
	}
	fclose(f);
	return count;
}

/* The descriptor open on `path`, -1 if none. */
static int fd_of(const char *path)
{
	char link[64], target[PATH_MAX];
	int fd;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, path))
			return fd;
	}
	return -1;
}

static void sleep_us(long us)
{
	struct timespec t = { .tv_sec = us / 1000000,
			      .tv_nsec = (us % 1000000) * 1000 };

	nanosleep(&t, NULL);
}

static struct urcu_tlb_region_view view_now(struct urcu_tlb_region *r)
{
	struct urcu_tlb_region_view v;

	rcu_read_lock();
	v = urcu_tlb_region_view(r);
	rcu_read_unlock();
	return v;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- checksummed records ------------------------------------------------- */

/*
 * A record: a header, then a payload derived from (writer, seq).  commit is
 * written last, after a write barrier, as REC_MAGIC ^ offset: a record is
 * visible once committed, and one found at the wrong place does not pass.
 */
#define REC_MAGIC	0x7572637574726563ULL
#define REC_MIN		48
#define REC_MAX		560

struct rec {
	uint64_t commit;
	uint32_t len;		/* whole record, a multiple of 8 */
	uint32_t writer;
	uint64_t seq;
	uint64_t offset;
	uint64_t sum;		/* FNV-1a of len..offset and the payload */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static uint64_t rec_sum(const struct rec *rc)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, &rc->len,
			 offsetof(struct rec, sum) - offsetof(struct rec, len));

	return fnv(h, rc + 1, rc->len - sizeof(*rc));
}

/* Everything but the commit word. */
static void rec_fill(void *at, size_t off, uint32_t len, uint32_t writer,
		     uint64_t seq)
{
	struct rec *rc = at;
	uint64_t *p = (uint64_t *) (rc + 1), s = (seq + 1) * 0x9e3779b97f4a7c15ULL ^ writer;
	size_t i;

	rc->len = len;
	rc->writer = writer;
	rc->seq = seq;
	rc->offset = off;
	for (i = 0; i < (len - sizeof(*rc)) / 8; i++)
		p[i] = xorshift(&s);
	rc->sum = rec_sum(rc);
}

static void rec_commit(void *at, size_t off)
{
	cmm_smp_wmb();
	CMM_STORE_SHARED(((struct rec *) at)->commit, REC_MAGIC ^ off);
}

/* 1: a committed, valid record (*len set); 0: not committed yet; -1:
 * committed but wrong. */
static int rec_check(const void *at, size_t off, size_t avail, uint32_t *len)
{
	const struct rec *rc = at;

	if (avail < sizeof(*rc) || CMM_LOAD_SHARED(rc->commit) != (REC_MAGIC ^ off))
		return 0;
	cmm_smp_rmb();
	if (rc->len < REC_MIN || rc->len > avail || rc->len % 8 ||
	    rc->offset != off || rc->sum != rec_sum(rc))
		return -1;
	*len = rc->len;
	return 1;
}

/* ---- the contract in the common case ---------------------------------------- */

START_TEST(test_open_create_anon)
{
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view v;
	const char *path;
	struct stat st;
	int fd;

	make_dir();
	rcu_register_thread();
	umask(022);
	path = in_dir("a");
	r = urcu_tlb_region_open(path, 10000, URCU_TLB_REGION_CREATE, 0);
	ck_assert_msg(r, "open: %s", strerror(errno));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 10000);
	ck_assert_int_eq(st.st_mode & 0777, 0600);	/* mode 0: 0600 */
	ck_assert_int_ge(st.st_blocks * 512, 10000);	/* allocated, not sparse */
	fd = fd_of(path);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(mappings_of(path), 1);

	rcu_read_lock();
	v = urcu_tlb_region_view(r);
	ck_assert_ptr_nonnull(v.base);
	ck_assert_uint_eq(v.size, 10000);
	/* The exported function (no _LGPL_SOURCE) gives the same view. */
	ck_assert_ptr_eq((urcu_tlb_region_view)(r).base, v.base);
	memset(v.base, 0xab, v.size);
	rcu_read_unlock();
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	ck_assert_int_eq(mappings_of(path), 0);
	ck_assert_int_eq(fd_of(path), -1);

	/* Reopened smaller than the file: the whole file, data kept. */
	r = urcu_tlb_region_open(path, 100, 0, 0);
	ck_assert_ptr_nonnull(r);
	v = view_now(r);
	ck_assert_uint_eq(v.size, 10000);
	ck_assert_int_eq(((unsigned char *) v.base)[9999], 0xab);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);

	/* An explicit mode; an empty file and size 0: an empty view until
	 * the first grow. */
	path = in_dir("b");
	r = urcu_tlb_region_open(path, 0, URCU_TLB_REGION_CREATE, 0640);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	v = view_now(r);
	ck_assert_ptr_null(v.base);
	ck_assert_uint_eq(v.size, 0);
	ck_assert_int_eq(urcu_tlb_region_grow(r, 5000), 0);
	v = view_now(r);
	ck_assert_ptr_nonnull(v.base);
	ck_assert_uint_eq(v.size, 5000);
	((char *) v.base)[4999] = 1;
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	ck_assert_int_eq(file_size(path), 5000);

	/* Anonymous: a memfd, grown like a file. */
	r = urcu_tlb_region_anon(3 * 4096);
	ck_assert_ptr_nonnull(r);
	v = view_now(r);
	ck_assert_uint_eq(v.size, 3 * 4096);
	memset(v.base, 7, v.size);
	ck_assert_int_eq(urcu_tlb_region_grow(r, 1 << 20), 0);
	v = view_now(r);
	ck_assert_uint_eq(v.size, 1 << 20);
	ck_assert_int_eq(((char *) v.base)[3 * 4096 - 1], 7);
	ck_assert_int_eq(((char *) v.base)[(1 << 20) - 1], 0);
	ck_assert_int_eq(urcu_tlb_region_sync(r), 0);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

/* ---- writes through an old view ------------------------------------------- */

struct old_view {
	struct urcu_tlb_region *r;
	int inside;		/* the holder has its view */
	int grow_returned;
	int early;		/* the grow returned while the holder was inside */
};

static void *grow_thread(void *arg)
{
	struct old_view *o = arg;
	struct urcu_tlb_region_view v;

	rcu_register_thread();
	v = view_now(o->r);
	ck_assert_int_eq(urcu_tlb_region_grow(o->r, v.size * 4), 0);
	rcu_unregister_thread();
	uatomic_set(&o->grow_returned, 1);
	return NULL;
}

/*
 * A thread holds a view; another grows the region so that the mapping
 * moves.  The grow publishes the new view but does not return while the
 * holder is inside its section.  The holder writes through its old view:
 * the write shows through the new view at once (same file pages), and is
 * in the file after close.
 */
START_TEST(test_write_through_old_view)
{
	struct urcu_tlb_region_view old, cur;
	struct old_view o = { 0 };
	const char *path;
	pthread_t g;
	int fd;

	make_dir();
	rcu_register_thread();
	path = in_dir("old");
	o.r = urcu_tlb_region_open(path, 8192, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(o.r);
	urcu_tlb_testing_region(URCU_TLB_TESTING_REGION_MOVE);

	rcu_read_lock();
	old = urcu_tlb_region_view(o.r);
	ck_assert_int_eq(pthread_create(&g, NULL, grow_thread, &o), 0);
	do {
		sleep_us(100);
		cur = urcu_tlb_region_view(o.r);
	} while (cur.base == old.base);
	ck_assert_uint_eq(cur.size, 4 * 8192);
	strcpy((char *) old.base + 5000, "written through the old view");
	ck_assert_str_eq((char *) cur.base + 5000, "written through the old view");
	sleep_us(test_seconds(0.05) * 1e6);
	ck_assert_msg(!uatomic_read(&o.grow_returned),
		      "the grow returned (and unmapped the old mapping) while a reader still held its view");
	ck_assert_int_eq(mappings_of(path), 2);
	rcu_read_unlock();
	pthread_join(g, NULL);
	ck_assert_int_eq(mappings_of(path), 1);

	/* With DEFER, from inside a section: returns at once, the old
	 * mapping goes after the section and a barrier. */
	rcu_read_lock();
	old = urcu_tlb_region_view(o.r);
	ck_assert_int_eq(urcu_tlb_region_grow_flags(o.r, old.size * 2,
						    URCU_TLB_REGION_DEFER), 0);
	cur = urcu_tlb_region_view(o.r);
	ck_assert_ptr_ne(cur.base, old.base);
	strcpy((char *) old.base + 6000, "deferred");
	ck_assert_str_eq((char *) cur.base + 6000, "deferred");
	rcu_read_unlock();
	urcu_tlb_testing_region(0);
	urcu_tlb_barrier();
	ck_assert_int_eq(mappings_of(path), 1);
	ck_assert_int_eq(urcu_tlb_region_close(o.r), 0);

	/* In the file. */
	{
		char buf[64] = "";

		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_gt(pread(fd, buf, sizeof(buf) - 1, 5000), 0);
		ck_assert_str_eq(buf, "written through the old view");
		ck_assert_int_gt(pread(fd, buf, sizeof(buf) - 1, 6000), 0);
		ck_assert_str_eq(buf, "deferred");
		close(fd);
	}
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

/* ---- reserve never waits for a grace period -------------------------------- */

struct patient_holder {
	int inside;		/* in its section */
	int release;		/* may leave it */
	int gave_up;		/* left without being released */
};

/* Stays in one read-side critical section until released, or gives up
 * after 10 s: a reserve() that waits for a grace period fails the test
 * rather than hanging it. */
static void *hold_section(void *arg)
{
	struct patient_holder *h = arg;
	long ms, limit = (long) (test_seconds(10) * 1000);

	rcu_register_thread();
	rcu_read_lock();
	uatomic_set(&h->inside, 1);
	for (ms = 0; !uatomic_read(&h->release) && ms < limit; ms++)
		sleep_us(1000);
	uatomic_set(&h->gave_up, !uatomic_read(&h->release));
	rcu_read_unlock();
	rcu_unregister_thread();
	return NULL;
}

/*
 * reserve() grows the region without waiting for a grace period: while
 * another thread stays in its section, reserves (outside a section and
 * inside one in turn) grow the region and move its mapping each time, and
 * return; every old mapping is still mapped until that section ends.
 */
START_TEST(test_reserve_never_waits)
{
	enum { MOVES = 8 };
	struct urcu_tlb_region_view before, v;
	struct patient_holder h = { 0 };
	struct urcu_tlb_region *r;
	const char *path;
	pthread_t t;
	size_t off;
	int i;

	make_dir();
	rcu_register_thread();
	path = in_dir("nowait");
	r = urcu_tlb_region_open(path, 4096, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(r);
	urcu_tlb_testing_region(URCU_TLB_TESTING_REGION_MOVE);
	ck_assert_int_eq(pthread_create(&t, NULL, hold_section, &h), 0);
	while (!uatomic_read(&h.inside))
		sleep_us(100);
	for (i = 0; i < MOVES; i++) {
		before = view_now(r);
		if (i % 2)
			rcu_read_lock();
		/* One byte more than the region has: it must grow. */
		ck_assert_int_eq(urcu_tlb_region_reserve(r, before.size + 1 -
			urcu_tlb_region_reserved(r), &off), 0);
		if (i % 2)
			rcu_read_unlock();
		v = view_now(r);
		ck_assert_uint_gt(v.size, before.size);
		ck_assert_ptr_ne(v.base, before.base);
	}
	ck_assert_msg(!uatomic_read(&h.gave_up),
		      "reserve() returned only after a reader left its section: it waited for a grace period");
	ck_assert_int_eq(mappings_of(path), MOVES + 1);
	uatomic_set(&h.release, 1);
	pthread_join(t, NULL);
	urcu_tlb_testing_region(0);
	urcu_tlb_barrier();
	ck_assert_int_eq(mappings_of(path), 1);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

/* ---- readers, writers and a grower --------------------------------------- */

struct shared {
	struct urcu_tlb_region *r;
	int stop;
	unsigned long per_writer;	/* records each writer writes at most */
	int errors;
	char first_error[256];
	unsigned long verified;		/* records verified by readers */
};

struct writer {
	struct shared *s;
	pthread_t t;
	uint32_t id;
	unsigned long written;
};

static void report(struct shared *s, const char *fmt, unsigned long a,
		   unsigned long b)
{
	if (!uatomic_xchg(&s->errors, 1))
		snprintf(s->first_error, sizeof(s->first_error), fmt, a, b);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct shared *s = w->s;
	uint64_t rng = 0x1234567ULL * (w->id + 1);
	unsigned long seq;

	rcu_register_thread();
	for (seq = 0; seq < s->per_writer && !uatomic_read(&s->stop); seq++) {
		uint32_t len = REC_MIN + 8 * (xorshift(&rng) % ((REC_MAX - REC_MIN) / 8));
		struct urcu_tlb_region_view v;
		size_t off;

		/* Reserve and write in one section: sync covers it. */
		rcu_read_lock();
		if (urcu_tlb_region_reserve(s->r, len, &off)) {
			rcu_read_unlock();
			report(s, "reserve failed: errno %lu (record %lu)",
			       (unsigned long) errno, seq);
			break;
		}
		v = urcu_tlb_region_view(s->r);
		if (off + len > v.size) {
			report(s, "reservation ending at %lu beyond the view (%lu bytes)",
			       off + len, v.size);
		} else {
			rec_fill((char *) v.base + off, off, len, w->id, seq);
			rec_commit((char *) v.base + off, off);
		}
		rcu_read_unlock();
		if (seq % 8 == 7)
			sleep_us(50);	/* leave the grower some doubling to do */
	}
	w->written = seq;
	rcu_unregister_thread();
	return NULL;
}

/* Follows the records in order from the start, re-checks a random one it
 * has seen, and touches the last byte of the view, in every section. */
static void *reader_main(void *arg)
{
	struct shared *s = arg;
	size_t cursor = 0, seen[64];
	unsigned long nseen = 0, verified = 0;
	uint64_t rng = (uintptr_t) &cursor;

	rcu_register_thread();
	while (!uatomic_read(&s->stop)) {
		struct urcu_tlb_region_view v;
		size_t end;
		uint32_t len;
		int n, rc;

		rcu_read_lock();
		end = urcu_tlb_region_reserved(s->r);
		v = urcu_tlb_region_view(s->r);
		if (end > v.size)
			report(s, "reserved up to %lu but the view has %lu bytes",
			       end, v.size);
		for (n = 0; n < 64 && cursor < end; n++) {
			rc = rec_check((char *) v.base + cursor, cursor,
				       v.size - cursor, &len);
			if (rc < 0)
				report(s, "record at %lu corrupt (%lu)", cursor, 0);
			if (rc <= 0)
				break;
			seen[nseen++ % 64] = cursor;
			cursor += len;
			verified++;
		}
		if (nseen) {
			size_t at = seen[xorshift(&rng) % (nseen < 64 ? nseen : 64)];

			if (rec_check((char *) v.base + at, at, v.size - at, &len) != 1)
				report(s, "record at %lu no longer verifies (view of %lu bytes)",
				       at, v.size);
		}
		if (v.size)
			(void) ((volatile char *) v.base)[v.size - 1];
		rcu_read_unlock();
	}
	uatomic_add(&s->verified, verified);
	rcu_unregister_thread();
	return NULL;
}

START_TEST(test_readers_writers_grower)
{
	enum { WRITERS = 2, READERS = 2 };
	struct shared s = { .per_writer = under_valgrind() ? 1500 : 8000 };
	struct writer w[WRITERS];
	pthread_t rd[READERS];
	size_t cap = under_valgrind() ? 4 << 20 : 32 << 20;
	int i, doublings = 0, moved = 0, in_place = 0;
	unsigned long total = 0, found = 0, next_seq[WRITERS] = { 0 };
	struct urcu_tlb_region_view before, after, v;
	const char *path;
	size_t off, end;
	uint32_t len;

	make_dir();
	rcu_register_thread();
	path = in_dir("log");
	s.r = urcu_tlb_region_open(path, 64 * 1024, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(s.r);
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer) { .s = &s, .id = i };
		ck_assert_int_eq(pthread_create(&w[i].t, NULL, writer_main, &w[i]), 0);
	}
	for (i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&rd[i], NULL, reader_main, &s), 0);

	/* Double the region up to cap (the writers' reserve() grows it too),
	 * blocking and deferred in turn; every third grow is made to move
	 * the mapping. */
	for (i = 0; (before = view_now(s.r)).size * 2 <= cap; i++) {
		size_t target = before.size * 2;
		int flags = i % 2 ? URCU_TLB_REGION_DEFER : 0;

		urcu_tlb_testing_region(i % 3 == 2 ? URCU_TLB_TESTING_REGION_MOVE : 0);
		if (urcu_tlb_region_grow_flags(s.r, target, flags)) {
			/* A writer's reserve() grew it past target first. */
			ck_assert_int_eq(errno, EINVAL);
			ck_assert_uint_gt(view_now(s.r).size, target);
			continue;
		}
		doublings++;
		after = view_now(s.r);
		ck_assert_uint_ge(after.size, target);
		if (after.base == before.base)
			in_place++;
		else
			moved++;
		sleep_us(1000);
	}
	urcu_tlb_testing_region(0);
	sleep_us(100000);	/* the writers go on appending */
	uatomic_set(&s.stop, 1);
	for (i = 0; i < WRITERS; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].written;
	}
	for (i = 0; i < READERS; i++)
		pthread_join(rd[i], NULL);
	ck_assert_msg(!s.errors, "%s", s.first_error);

	/* Every record is there, once, in each writer's order. */
	end = urcu_tlb_region_reserved(s.r);
	rcu_read_lock();
	v = urcu_tlb_region_view(s.r);
	for (off = 0; off < end; off += len) {
		const struct rec *rc = (const void *) ((char *) v.base + off);

		ck_assert_msg(rec_check(rc, off, v.size - off, &len) == 1,
			      "record at %zu of %zu missing or corrupt", off, end);
		ck_assert_uint_lt(rc->writer, WRITERS);
		ck_assert_uint_eq(rc->seq, next_seq[rc->writer]);
		next_seq[rc->writer]++;
		found++;
	}
	rcu_read_unlock();
	ck_assert_uint_eq(off, end);
	ck_assert_uint_eq(found, total);
	printf("regions: %lu records (%zu bytes) by %d writers, %lu verified by readers while the region was doubled %d times (%d moved, %d in place) to %zu bytes\n",
	       total, end, WRITERS, s.verified, doublings, moved, in_place, v.size);
	ck_assert_uint_gt(total, 0);
	ck_assert_uint_gt(s.verified, 0);
	ck_assert_int_ge(doublings, under_valgrind() ? 3 : 6);
	ck_assert_int_gt(moved, 0);
	ck_assert_int_gt(in_place, 0);

	/* No old mapping left once the deferred unmaps have run. */
	urcu_tlb_barrier();
	ck_assert_int_eq(mappings_of(path), 1);
	ck_assert_int_eq(urcu_tlb_region_close(s.r), 0);
	ck_assert_int_eq(mappings_of(path), 0);
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

/* ---- crash: SIGKILL at a random moment --------------------------------------- */

struct crash_child {
	struct urcu_tlb_region *r;
	int stop;
	uint32_t id;
};

/* Slow writers: each record stays uncommitted 10 ms inside its section,
 * longer than fdatasync() and the parent's delay before the kill, so that
 * a mark reported without waiting for the section covers an unfinished
 * record that the kill leaves unfinished. */
static void *crash_writer(void *arg)
{
	struct crash_child *c = arg;
	uint64_t rng = 99 + c->id, seq;

	rcu_register_thread();
	for (seq = 0;; seq++) {
		uint32_t len = REC_MIN + 8 * (xorshift(&rng) % 512);
		struct urcu_tlb_region_view v;
		size_t off;

		rcu_read_lock();
		if (urcu_tlb_region_reserve(c->r, len, &off))
			abort();
		v = urcu_tlb_region_view(c->r);
		rec_fill((char *) v.base + off, off, len, c->id, seq);
		sleep_us(10000);
		rec_commit((char *) v.base + off, off);
		rcu_read_unlock();
	}
	return NULL;
}

/*
 * The child: two writers append; the main thread reads the reservation
 * mark, syncs (protected) or not (control), and reports the mark.  Every
 * record below a mark read before sync() was reserved inside a section
 * that began before sync(), so sync's grace period waited for it.
 */
static void crash_child_main(const char *path, int report_fd, bool protect)
{
	struct crash_child c[2];
	pthread_t t[2];
	struct urcu_tlb_region *r;
	int i;

	/* Empty at first: the appends grow it from nothing. */
	r = urcu_tlb_region_open(path, 0, URCU_TLB_REGION_CREATE, 0);
	if (!r)
		_exit(2);
	for (i = 0; i < 2; i++) {
		c[i] = (struct crash_child) { .r = r, .id = i };
		if (pthread_create(&t[i], NULL, crash_writer, &c[i]))
			_exit(3);
	}
	for (;;) {
		uint64_t mark = urcu_tlb_region_reserved(r);

		if (!mark) {	/* report once something was written */
			sleep_us(100);
			continue;
		}
		if (protect && urcu_tlb_region_sync(r))
			_exit(4);
		if (write(report_fd, &mark, sizeof(mark)) != sizeof(mark))
			_exit(5);
		sleep_us(1000);
	}
}

/*
 * Fork the child, kill it after a random number of reports and a random
 * delay, and return the last mark it reported.
 * Returns how many records below it are missing or corrupt; *records gets
 * the number found intact.
 */
static unsigned long crash_once(const char *path, bool protect, unsigned seed,
				unsigned long *records, uint64_t *mark_out)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (seed + 1);
	int fds[2], status, reports = 0,
	    want = 1 + xorshift(&rng) % (under_valgrind() ? 3 : 8);
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view v;
	uint64_t mark = 0, m;
	unsigned long bad = 0;
	size_t off;
	uint32_t len;
	pid_t pid;

	unlink(path);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child_main(path, fds[1], protect);
	}
	close(fds[1]);
	while (reports < want && read(fds[0], &m, sizeof(m)) == sizeof(m)) {
		mark = m;
		reports++;
	}
	ck_assert_int_eq(reports, want);
	sleep_us(xorshift(&rng) % 3000);	/* a random moment */
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	while (read(fds[0], &m, sizeof(m)) == sizeof(m))
		mark = m;	/* reported before the kill: also valid */
	close(fds[0]);

	r = urcu_tlb_region_open(path, 0, 0, 0);
	ck_assert_ptr_nonnull(r);
	*records = 0;
	rcu_read_lock();
	v = urcu_tlb_region_view(r);
	ck_assert_uint_ge(v.size, mark);
	for (off = 0; off < mark; off += len) {
		if (rec_check((char *) v.base + off, off, mark - off, &len) != 1) {
			bad++;
			break;	/* the walk cannot go on past it */
		}
		(*records)++;
	}
	rcu_read_unlock();
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	*mark_out = mark;
	return bad;
}

START_TEST(test_crash_keeps_synced_records)
{
	unsigned long records, bad;
	struct timespec now;
	unsigned seed;
	uint64_t mark;
	int i, rounds = under_valgrind() ? 1 : 4;

	clock_gettime(CLOCK_REALTIME, &now);
	seed = (unsigned) now.tv_nsec ^ (unsigned) getpid() << 16;
	make_dir();
	rcu_register_thread();
	for (i = 0; i < rounds; i++) {
		bad = crash_once(in_dir("crash"), true, seed + i, &records, &mark);
		printf("crash (seed %u): mark %lu, %lu records intact below it\n",
		       seed + i, (unsigned long) mark, records);
		ck_assert_msg(!bad, "a record below the synced mark %lu is missing or corrupt after SIGKILL (seed %u)",
			      (unsigned long) mark, seed + i);
		ck_assert_uint_gt(mark, 0);
		ck_assert_uint_gt(records, 0);
	}
	remove_dir();
}
END_TEST

/* Control: marks reported without sync's grace period cover records still
 * being written, which the same check catches. */
START_TEST(test_crash_control_without_grace_period)
{
	unsigned long records, bad = 0;
	uint64_t mark;
	int i;

	if (under_valgrind()) {
		printf("crash control not run under valgrind (slow to start, and only the protected run needs memcheck)\n");
		return;
	}
	make_dir();
	rcu_register_thread();
	for (i = 0; i < 10 && !bad; i++)
		bad = crash_once(in_dir("crash"), false, i, &records, &mark);
	printf("crash control: %s after %d kills\n",
	       bad ? "an unfinished record below the mark" : "nothing caught", i);
	ck_assert_msg(bad, "the control (marks without a grace period) never lost a record: the crash test could not fail");
	remove_dir();
}
END_TEST

/* ---- errors leave the region as it was ------------------------------------- */

static void fill_pattern(struct urcu_tlb_region *r)
{
	struct urcu_tlb_region_view v = view_now(r);
	size_t i;

	for (i = 0; i < v.size; i++)
		((unsigned char *) v.base)[i] = (unsigned char) (i * 31 + 7);
}

/* The first n bytes hold fill_pattern's bytes. */
static void assert_pattern(struct urcu_tlb_region_view v, size_t n)
{
	size_t i;

	ck_assert_uint_ge(v.size, n);
	for (i = 0; i < n; i++)
		if (((unsigned char *) v.base)[i] != (unsigned char) (i * 31 + 7))
			ck_abort_msg("byte %zu changed", i);
}

/* The view is the one before, and its data is intact. */
static void assert_unchanged(struct urcu_tlb_region *r,
			     struct urcu_tlb_region_view was)
{
	struct urcu_tlb_region_view v;

	rcu_read_lock();
	v = urcu_tlb_region_view(r);
	ck_assert_ptr_eq(v.base, was.base);
	ck_assert_uint_eq(v.size, was.size);
	assert_pattern(v, v.size);
	rcu_read_unlock();
}

START_TEST(test_bad_arguments)
{
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view was;
	size_t off;

	make_dir();
	rcu_register_thread();
	EXPECT_NULL(urcu_tlb_region_open(NULL, 1, URCU_TLB_REGION_CREATE, 0), EINVAL);
	EXPECT_NULL(urcu_tlb_region_open("", 1, URCU_TLB_REGION_CREATE, 0), EINVAL);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("x"), 1, 0x100, 0), EINVAL);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("missing"), 1, 0, 0), ENOENT);
	EXPECT_NULL(urcu_tlb_region_open(dir, 1, URCU_TLB_REGION_CREATE, 0), EISDIR);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("x"), SIZE_MAX,
					 URCU_TLB_REGION_CREATE, 0), EOVERFLOW);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("x"), (size_t) PTRDIFF_MAX + 1,
					 URCU_TLB_REGION_CREATE, 0), EOVERFLOW);
	EXPECT_NULL(urcu_tlb_region_anon(SIZE_MAX), EOVERFLOW);
	ck_assert_int_eq(access(in_dir("x"), F_OK), -1);	/* not created */
	ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("fifo"), 1, 0, 0), EINVAL);

	EXPECT_FAIL(urcu_tlb_region_grow(NULL, 1), EINVAL);
	EXPECT_FAIL(urcu_tlb_region_reserve(NULL, 1, &off), EINVAL);
	EXPECT_FAIL(urcu_tlb_region_sync(NULL), EINVAL);
	EXPECT_FAIL(urcu_tlb_region_close(NULL), EINVAL);

	r = urcu_tlb_region_open(in_dir("r"), 3 * 4096 + 5, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(r);
	fill_pattern(r);
	was = view_now(r);
	/* Shrinking: never under a live mapping. */
	EXPECT_FAIL(urcu_tlb_region_grow(r, was.size - 1), EINVAL);
	EXPECT_FAIL(urcu_tlb_region_grow(r, 0), EINVAL);
	ck_assert_int_eq(urcu_tlb_region_grow(r, was.size), 0);	/* same size */
	EXPECT_FAIL(urcu_tlb_region_grow_flags(r, was.size + 1, 0x10), EINVAL);
	/* Sizes beyond any mapping. */
	EXPECT_FAIL(urcu_tlb_region_grow(r, SIZE_MAX), EOVERFLOW);
	EXPECT_FAIL(urcu_tlb_region_grow(r, (size_t) PTRDIFF_MAX + 1), EOVERFLOW);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, 0, &off), EINVAL);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, 1, NULL), EINVAL);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, SIZE_MAX, &off), EOVERFLOW);
	ck_assert_int_eq(urcu_tlb_region_reserve(r, 100, &off), 0);
	ck_assert_uint_eq(off, 0);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, PTRDIFF_MAX, &off), EOVERFLOW);
	ck_assert_uint_eq(urcu_tlb_region_reserved(r), 100);
	assert_unchanged(r, was);
	ck_assert_int_eq(file_size(in_dir("r")), was.size);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

static int xfsz_signals;

static void on_xfsz(int sig)
{
	(void) sig;
	xfsz_signals++;
}

START_TEST(test_rlimit_fsize)
{
	struct rlimit old, rl;
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view was, v;
	const char *path;
	size_t off;

	make_dir();
	rcu_register_thread();
	path = in_dir("limited");
	r = urcu_tlb_region_open(path, 40 * 1024, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(r);
	fill_pattern(r);
	was = view_now(r);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	rl = old;
	rl.rlim_cur = 64 * 1024;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

	/* Beyond the limit, SIGXFSZ ignored: EFBIG, nothing changed. */
	signal(SIGXFSZ, SIG_IGN);
	EXPECT_FAIL(urcu_tlb_region_grow(r, 1 << 20), EFBIG);
	assert_unchanged(r, was);
	ck_assert_int_eq(file_size(path), was.size);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, 100 * 1024, &off), EFBIG);
	ck_assert_uint_eq(urcu_tlb_region_reserved(r), 0);
	assert_unchanged(r, was);

	/* A reservation that fits the limit succeeds, although doubling the
	 * region would not fit: the growth stops at the limit, without a
	 * signal. */
	signal(SIGXFSZ, on_xfsz);
	ck_assert_int_eq(urcu_tlb_region_reserve(r, 50 * 1024, &off), 0);
	ck_assert_uint_eq(off, 0);
	v = view_now(r);
	ck_assert_uint_ge(v.size, 50 * 1024);
	ck_assert_uint_le(v.size, 64 * 1024);
	ck_assert_int_eq(xfsz_signals, 0);

	/* The limit lifted, growth resumes. */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(urcu_tlb_region_grow(r, 1 << 20), 0);
	ck_assert_int_eq(file_size(path), 1 << 20);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);

	/* A file created by a failing open is removed again. */
	rl.rlim_cur = 64 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("toobig"), 1 << 20,
					 URCU_TLB_REGION_CREATE, 0), EFBIG);
	ck_assert_int_eq(access(in_dir("toobig"), F_OK), -1);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

/* Make fallocate(2) answer `action` on every thread (x86-64 only). */
static int filter_fallocate(__u32 action)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fallocate, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return (int) syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_TSYNC, &prog) ? -1 : 0;
}

/* Make fallocate(2) fail with err on every thread (x86-64 only). */
static int deny_fallocate(int err)
{
	return filter_fallocate(SECCOMP_RET_ERRNO | (err & 0xffff));
}

/* Whether the tests with a seccomp filter run here; if not, says why. */
static bool seccomp_tests_run(void)
{
	if (under_valgrind()) {
		printf("seccomp test skipped under valgrind\n");
		return false;
	}
#if !defined(__x86_64__)
	printf("seccomp filter written for x86-64 only: skipped\n");
	return false;
#endif
	return true;
}

/*
 * A full disk, as the kernel reports it: fallocate(2) answers ENOSPC.
 * Then a file system without fallocate (EOPNOTSUPP): posix_fallocate
 * writes the new blocks instead and growing works; when that stops midway
 * (RLIMIT_FSIZE), the file is truncated back.
 */
START_TEST(test_enospc)
{
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view was;
	char path[PATH_MAX + 64];
	size_t off;
	struct stat st;

	if (!seccomp_tests_run())
		return;
	make_dir();
	rcu_register_thread();
	snprintf(path, sizeof(path), "%s", in_dir("full"));
	r = urcu_tlb_region_open(path, 8192, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(r);
	fill_pattern(r);
	was = view_now(r);
	ck_assert_int_eq(urcu_tlb_region_reserve(r, 8000, &off), 0);
	ck_assert_int_eq(deny_fallocate(ENOSPC), 0);
	EXPECT_FAIL(urcu_tlb_region_grow(r, 1 << 20), ENOSPC);
	assert_unchanged(r, was);
	ck_assert_int_eq(file_size(path), was.size);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, 1000, &off), ENOSPC);
	ck_assert_uint_eq(urcu_tlb_region_reserved(r), 8000);
	assert_unchanged(r, was);
	ck_assert_int_eq(urcu_tlb_region_sync(r), 0);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	EXPECT_NULL(urcu_tlb_region_open(in_dir("new"), 4096,
					 URCU_TLB_REGION_CREATE, 0), ENOSPC);
	ck_assert_int_eq(access(in_dir("new"), F_OK), -1);

	/* Filters stack: the later one answers first. */
	ck_assert_int_eq(deny_fallocate(EOPNOTSUPP), 0);
	r = urcu_tlb_region_open(path, 0, 0, 0);
	ck_assert_msg(r, "reopen: %s", strerror(errno));
	ck_assert_int_eq(urcu_tlb_region_grow(r, 256 * 1024), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 256 * 1024);
	ck_assert_int_ge(st.st_blocks * 512, 256 * 1024);
	rcu_read_lock();
	assert_pattern(urcu_tlb_region_view(r), was.size);
	rcu_read_unlock();

	/* Written blocks stop at RLIMIT_FSIZE midway: the part written is
	 * truncated away again. */
	{
		struct rlimit old, rl;

		was = view_now(r);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
		rl = old;
		rl.rlim_cur = 512 * 1024;
		signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
		EXPECT_FAIL(urcu_tlb_region_grow(r, 1 << 20), EFBIG);
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
		ck_assert_int_eq(file_size(path), 256 * 1024);
		ck_assert_ptr_eq(view_now(r).base, was.base);
		ck_assert_uint_eq(view_now(r).size, was.size);
	}
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
	remove_dir();
}
END_TEST

/* ---- a small file system without fallocate ------------------------------ */

static unsigned long fallocate_calls;

/* fallocate(2), trapped: counted, and answered EOPNOTSUPP as on ext2. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void) sig;
	if (si->si_syscall == __NR_fallocate) {
		uatomic_inc(&fallocate_calls);
		uc->uc_mcontext.gregs[REG_RAX] = -EOPNOTSUPP;
	}
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t) strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

/* As an unprivileged user: a user namespace where we are root, for the
 * mount namespace's sake (needs a single-threaded process). */
static int enter_user_namespace(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned) uid);
	if (write_text("/proc/self/uid_map", map) ||
	    write_text("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned) gid);
	return write_text("/proc/self/gid_map", map);
}

/* A tmpfs of `bytes` on the scratch directory, seen by this process only.
 * Returns 0, or -1 where namespaces or mounts are not allowed. */
static int mount_small_tmpfs(size_t bytes)
{
	char opt[64];

	if (geteuid() == 0 ? unshare(CLONE_NEWNS) : enter_user_namespace())
		return -1;
	/* Else the mount would propagate to the namespace we came from. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	snprintf(opt, sizeof(opt), "size=%zu,huge=never", bytes);
	return mount("urcu-tlb-test", dir, "tmpfs", 0, opt);
}

/* Write system calls this process has made (/proc/self/io), or -1
 * without task I/O accounting. */
static long long write_calls(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "syscw: %lld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* The number of halvings that bring n down to 1 or less. */
static unsigned halvings(size_t n)
{
	unsigned k = 0;

	while (n > 1) {
		n = (n + 1) / 2;
		k++;
	}
	return k;
}

/*
 * Appending until a small file system is full, where it has no fallocate
 * (ext2: posix_fallocate() writes into each new block instead, and runs
 * into ENOSPC midway): a tmpfs of FILL_FS bytes with fallocate(2) trapped.
 * Each growth reserve() attempts is one fallocate(2), counted; the blocks
 * written are counted as write system calls (glibc writes one byte into
 * each block).  Neither may grow with the number of records: before the
 * fix every reserve near the end tried the doubling again, writing blocks
 * up to the full disk and truncating them away.
 */
#define FILL_FS		(3 << 20)

START_TEST(test_fill_without_fallocate)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view before, v;
	unsigned long n, grows = 0, found = 0;
	size_t page = (size_t) sysconf(_SC_PAGESIZE), blocks = FILL_FS / page;
	unsigned long attempts;
	long long writes;
	size_t off, end;
	uint32_t len;
	struct stat st;
	int err;

	if (!seccomp_tests_run())
		return;
	make_dir();
	if (mount_small_tmpfs(FILL_FS)) {
		printf("fill test not run: no private tmpfs here (%s)\n", strerror(errno));
		remove_dir();
		return;
	}
	ck_assert_int_eq(sigaction(SIGSYS, &sa, NULL), 0);
	ck_assert_int_eq(filter_fallocate(SECCOMP_RET_TRAP), 0);
	rcu_register_thread();
	r = urcu_tlb_region_open(in_dir("log"), 0, URCU_TLB_REGION_CREATE, 0);
	ck_assert_ptr_nonnull(r);

	/* No assertion in the loop: Check writes for each, and writes are
	 * counted. */
	writes = write_calls();
	for (n = 0;; n++) {
		len = REC_MIN + 8 * (n % ((REC_MAX - REC_MIN) / 8));
		rcu_read_lock();
		before = urcu_tlb_region_view(r);
		if (urcu_tlb_region_reserve(r, len, &off)) {
			err = errno;
			rcu_read_unlock();
			break;
		}
		v = urcu_tlb_region_view(r);
		grows += v.size != before.size;
		rec_fill((char *) v.base + off, off, len, 0, n);
		rec_commit((char *) v.base + off, off);
		rcu_read_unlock();
	}
	if (writes >= 0)
		writes = write_calls() - writes;
	attempts = uatomic_read(&fallocate_calls);
	end = urcu_tlb_region_reserved(r);
	printf("fill: %lu records, %zu bytes in a %d-byte tmpfs without fallocate: %lu growth attempts for %lu grows, %lld blocks written\n",
	       n, end, FILL_FS, attempts, grows, writes);

	/* The doublings up to the file system's size, then about two
	 * attempts (one short, one that fits) for each halving of the space
	 * left, down to a record. */
	ck_assert_uint_le(attempts, halvings(blocks) +
			  2 * halvings(FILL_FS / REC_MIN) + 2);
	/* Each block (a page on tmpfs) is written once by the grow that keeps
	 * it, and by the attempts that fall short, about one a grow, each
	 * writing at most the space left, which halves from one grow to the
	 * next. */
	if (writes >= 0)
		ck_assert_int_le(writes, 4 * blocks);
	else
		printf("no /proc/self/io: blocks written not counted\n");

	/* Full, and the failed reserve left the region and the file as they
	 * were. */
	ck_assert_int_eq(err, ENOSPC);
	ck_assert_uint_gt(end, FILL_FS - page - REC_MAX);
	v = view_now(r);
	ck_assert_ptr_eq(v.base, before.base);
	ck_assert_uint_eq(v.size, before.size);
	ck_assert_int_eq(stat(in_dir("log"), &st), 0);
	ck_assert_uint_eq(st.st_size, v.size);

	/* Every record intact. */
	rcu_read_lock();
	for (off = 0; off < end; off += len, found++)
		ck_assert_msg(rec_check((char *) v.base + off, off, end - off, &len) == 1,
			      "record at %zu of %zu missing or corrupt", off, end);
	rcu_read_unlock();
	ck_assert_uint_eq(found, n);

	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
	umount2(dir, MNT_DETACH);
	remove_dir();
}
END_TEST

static size_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kb = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
			break;
	fclose(f);
	ck_assert_uint_gt(kb, 0);
	return kb * 1024;
}

/*
 * Address space runs out (RLIMIT_AS): a new mapping goes without headroom
 * when the headroom does not fit, and a grow that cannot map at all fails
 * with ENOMEM, the old view intact.
 */
START_TEST(test_no_address_space)
{
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view was, v;
	struct rlimit old, rl;

	if (under_valgrind()) {
		printf("RLIMIT_AS test skipped under valgrind (it manages the address space itself)\n");
		return;
	}
	rcu_register_thread();
	r = urcu_tlb_region_anon(1 << 20);
	ck_assert_ptr_nonnull(r);
	fill_pattern(r);
	urcu_tlb_barrier();	/* the call_rcu worker's stack is mapped now */
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	rl = old;
	rl.rlim_cur = vm_size() + (48 << 20);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);

	/* 32 MiB fit, 8 times that does not: mapped without headroom. */
	ck_assert_int_eq(urcu_tlb_region_grow(r, 32 << 20), 0);
	was = view_now(r);
	ck_assert_uint_eq(was.size, 32 << 20);
	fill_pattern(r);
	/* 64 MiB more do not fit at all. */
	EXPECT_FAIL(urcu_tlb_region_grow(r, 96 << 20), ENOMEM);
	assert_unchanged(r, was);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
	ck_assert_int_eq(urcu_tlb_region_grow(r, 96 << 20), 0);
	v = view_now(r);
	ck_assert_uint_eq(v.size, 96 << 20);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
}
END_TEST

/* Let `room` more bytes of address space be mapped than now. */
static void limit_address_space(struct rlimit *old, size_t room)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_AS, old), 0);
	rl = *old;
	rl.rlim_cur = vm_size() + room;
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
}

/*
 * reserve() when address space runs out: doubling the region does not
 * fit, the reservation does, so reserve grows less and succeeds (in place
 * in the headroom, then moved to a new mapping); when even the
 * reservation does not fit, ENOMEM and nothing changes.
 */
/*
 * With `room` more bytes of address space, reserve() up to `end`: it
 * succeeds, growing the region less than twice, the data intact.  Returns
 * the new view.
 */
static struct urcu_tlb_region_view reserve_within(struct urcu_tlb_region *r,
						  size_t room, size_t end)
{
	struct urcu_tlb_region_view was, v;
	size_t mark = urcu_tlb_region_reserved(r), off;
	struct rlimit old;

	fill_pattern(r);
	was = view_now(r);
	limit_address_space(&old, room);
	ck_assert_int_eq(urcu_tlb_region_reserve(r, end - mark, &off), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
	ck_assert_uint_eq(off, mark);
	v = view_now(r);
	ck_assert_uint_ge(v.size, end);
	ck_assert_uint_lt(v.size, 2 * was.size);
	rcu_read_lock();
	assert_pattern(urcu_tlb_region_view(r), was.size);
	rcu_read_unlock();
	return v;
}

START_TEST(test_reserve_short_of_address_space)
{
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view was;
	struct rlimit old;
	size_t off, end;
	void *base;

	if (under_valgrind()) {
		printf("RLIMIT_AS test skipped under valgrind (it manages the address space itself)\n");
		return;
	}
	rcu_register_thread();
	/* 1 MiB mapped in 8 MiB of address space, grown in place to 5. */
	r = urcu_tlb_region_anon(1 << 20);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(urcu_tlb_region_grow(r, 5 << 20), 0);
	urcu_tlb_barrier();	/* the call_rcu worker's stack is mapped now */

	/* Doubling to 10 MiB needs a new mapping, 4 MiB fit; 7 MiB fit in
	 * the headroom. */
	base = view_now(r).base;
	ck_assert_ptr_eq(reserve_within(r, 4 << 20, 7 << 20).base, base);

	/* Moved: a new mapping of the reservation's end fits, one of twice
	 * the size does not. */
	end = view_now(r).size + (1 << 20);
	urcu_tlb_testing_region(URCU_TLB_TESTING_REGION_MOVE);
	ck_assert_ptr_ne(reserve_within(r, end + (1 << 20), end).base, base);

	/* Nothing fits: ENOMEM, the reservations and the view as they were. */
	fill_pattern(r);
	was = view_now(r);
	limit_address_space(&old, 1 << 20);
	EXPECT_FAIL(urcu_tlb_region_reserve(r, was.size, &off), ENOMEM);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
	ck_assert_uint_eq(urcu_tlb_region_reserved(r), end);
	assert_unchanged(r, was);
	urcu_tlb_testing_region(0);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
}
END_TEST

/*
 * Growing in place with mremap(), when the region has no headroom left:
 * a mapping made just below a guard grows into the guard's addresses once
 * the guard is gone.
 */
START_TEST(test_mremap_in_place)
{
	size_t len = 16 << 20;
	struct urcu_tlb_region *r;
	struct urcu_tlb_region_view v;
	void *guard;

	rcu_register_thread();
	r = urcu_tlb_region_anon(4096);
	ck_assert_ptr_nonnull(r);
	guard = mmap(NULL, 2 * len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(guard, MAP_FAILED);
	urcu_tlb_testing_region(URCU_TLB_TESTING_REGION_MOVE |
				URCU_TLB_TESTING_REGION_NO_HEADROOM);
	ck_assert_int_eq(urcu_tlb_region_grow(r, len), 0);
	urcu_tlb_testing_region(0);
	fill_pattern(r);
	v = view_now(r);
	if ((char *) v.base + len != guard) {
		printf("mremap test: the kernel did not place the mapping below the guard (%p, guard %p): not run\n",
		       v.base, guard);
	} else {
		ck_assert_int_eq(munmap(guard, 2 * len), 0);
		guard = NULL;
		ck_assert_int_eq(urcu_tlb_region_grow(r, 2 * len), 0);
		ck_assert_ptr_eq(view_now(r).base, v.base);
		ck_assert_uint_eq(view_now(r).size, 2 * len);
		rcu_read_lock();
		assert_pattern(urcu_tlb_region_view(r), len);
		rcu_read_unlock();
	}
	if (guard)
		munmap(guard, 2 * len);
	ck_assert_int_eq(urcu_tlb_region_close(r), 0);
	rcu_unregister_thread();
}
END_TEST

/* Not writable: EACCES (as an unprivileged user when run as root). */
static void open_read_only(void *arg)
{
	if (geteuid() == 0 && setresuid(65534, 65534, 65534))
		_exit(10);	/* no such user here (a user namespace) */
	errno = 0;
	if (urcu_tlb_region_open(arg, 1, 0, 0) || errno != EACCES)
		_exit(11);
}

START_TEST(test_not_writable)
{
	char path[PATH_MAX + 64];
	int fd, st;

	make_dir();
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s", in_dir("ro"));
	fd = open(path, O_CREAT | O_WRONLY, 0444);
	ck_assert_int_ge(fd, 0);
	close(fd);
	st = run_captured(open_read_only, path, out, sizeof(out));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 10) {
		printf("running as root and cannot become uid 65534: read-only test not run\n");
		remove_dir();
		return;
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "open of a read-only file did not fail with EACCES (status %#x) %s",
		      st, out);
	remove_dir();
}
END_TEST

/* ---- misuse ---------------------------------------------------------------- */

enum misuse { GROW_INSIDE, SYNC_INSIDE, CLOSE_INSIDE, VIEW_OUTSIDE };

static void misuse(void *arg)
{
	struct urcu_tlb_region *r = urcu_tlb_region_anon(4096);
	enum misuse m = (enum misuse) (intptr_t) arg;

	rcu_register_thread();
	if (m != VIEW_OUTSIDE)
		rcu_read_lock();
	switch (m) {
	case GROW_INSIDE:
		urcu_tlb_region_grow(r, 8192);
		break;
	case SYNC_INSIDE:
		urcu_tlb_region_sync(r);
		break;
	case CLOSE_INSIDE:
		urcu_tlb_region_close(r);
		break;
	case VIEW_OUTSIDE:
		(void) urcu_tlb_region_view(r);
		break;
	}
}

START_TEST(test_misuse_inside_section)
{
	static const struct {
		enum misuse m;
		const char *says[3];
	} cases[] = {
		{ GROW_INSIDE, { "urcu_tlb_region_grow", "URCU_TLB_REGION_DEFER", NULL } },
		{ SYNC_INSIDE, { "urcu_tlb_region_sync", "read-side critical section", NULL } },
		{ CLOSE_INSIDE, { "urcu_tlb_region_close", "read-side critical section", NULL } },
		{ VIEW_OUTSIDE, { "urcu_tlb_region_view", "outside a read-side critical section", NULL } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = run_captured(misuse, (void *) (intptr_t) cases[i].m,
				      out, sizeof(out));

		assert_died_saying(st, out, cases[i].says);
	}
}
END_TEST

/* ---- control: unmapping without a grace period ---------------------------------- */

struct toucher {
	struct urcu_tlb_region *r;
	int stop;
};

/* Reads a byte of up to 64 pages of the view, 16 times, in each section:
 * long enough sections that a grow often happens during one. */
static void *toucher_main(void *arg)
{
	struct toucher *t = arg;
	unsigned long sum = 0;

	rcu_register_thread();
	while (!uatomic_read(&t->stop)) {
		struct urcu_tlb_region_view v;
		size_t o, step;
		int pass;

		rcu_read_lock();
		v = urcu_tlb_region_view(t->r);
		step = v.size / 64 > 4096 ? v.size / 64 : 4096;
		for (pass = 0; pass < 16; pass++)
			for (o = 0; o < v.size; o += step)
				sum += ((volatile unsigned char *) v.base)[o];
		rcu_read_unlock();
	}
	rcu_unregister_thread();
	return (void *) sum;
}

/*
 * In a child: two readers touch the view while 300 grows move the mapping.
 * Exits 0 if nothing faulted.
 */
static void grow_under_readers(void *arg)
{
	int flags = URCU_TLB_TESTING_REGION_MOVE | (int) (intptr_t) arg;
	struct toucher t = { .r = urcu_tlb_region_anon(4096) };
	pthread_t th[2];
	int i, grows = under_valgrind() ? 40 : 300;

	if (!t.r)
		_exit(20);
	urcu_tlb_testing_region(flags);
	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, toucher_main, &t))
			_exit(21);
	for (i = 0; i < grows; i++)
		if (urcu_tlb_region_grow_flags(t.r, (size_t) (i + 2) * 4096,
					       i % 2 ? URCU_TLB_REGION_DEFER : 0))
			_exit(22);
	uatomic_set(&t.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (urcu_tlb_region_close(t.r))
		_exit(23);
}

START_TEST(test_control_unmap_without_grace_period)
{
	int st, i;

	/* With the grace period: no fault. */
	st = run_captured(grow_under_readers, (void *) 0, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "readers faulted (or the child failed) with grace periods: status %#x %s",
		      st, out);
	if (under_valgrind()) {
		/* valgrind runs one thread at a time (a reader rarely holds a
		 * view across the unmap) and would report the fault as an
		 * error of its own. */
		printf("control not run under valgrind\n");
		return;
	}
	/* Without: a reader still holding the old view faults (a loaded
	 * machine may take many runs to interleave them: up to 20). */
	for (i = 0; i < 20; i++) {
		st = run_captured(grow_under_readers,
				  (void *) (intptr_t) URCU_TLB_TESTING_REGION_UNMAP_EARLY,
				  out, sizeof(out));
		if (WIFSIGNALED(st))
			break;
	}
	printf("control: %s after %d runs\n",
	       WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "no fault", i + 1);
	ck_assert_msg(WIFSIGNALED(st) && (WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS),
		      "the control (no grace period before munmap) never faulted: the test could not fail (status %#x)",
		      st);
}
END_TEST

static Suite *region_suite(void)
{
	Suite *s = suite_create("region");
	TCase *tc = tcase_create("regions");
	double scale = under_valgrind() ? 20 : 1;

	tcase_set_timeout(tc, 60 * scale);
	tcase_add_test(tc, test_open_create_anon);
	tcase_add_test(tc, test_write_through_old_view);
	tcase_add_test(tc, test_reserve_never_waits);
	tcase_add_test(tc, test_readers_writers_grower);
	tcase_add_test(tc, test_crash_keeps_synced_records);
	tcase_add_test(tc, test_crash_control_without_grace_period);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_rlimit_fsize);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_fill_without_fallocate);
	tcase_add_test(tc, test_no_address_space);
	tcase_add_test(tc, test_reserve_short_of_address_space);
	tcase_add_test(tc, test_mremap_in_place);
	tcase_add_test(tc, test_not_writable);
	tcase_add_test(tc, test_misuse_inside_section);
	tcase_add_test(tc, test_control_unmap_without_grace_period);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(region_suite());
}
