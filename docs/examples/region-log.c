/*
 * region-log.c: an append-only log in a growable file mapping.
 *
 * Writer threads append records concurrently (reserve, then write, in one
 * read-side critical section); a reader thread tails the log through views,
 * following it as the mapping grows and moves; a sync thread makes the log
 * durable every 50 ms and says up to where.  A record is a header {length,
 * commit word} and a line of text; the commit word is stored last, so a
 * reader knows when a record is complete.
 *
 *   region-log [path [seconds]]
 *
 * Without a path it uses a temporary file and removes it.  An existing log
 * is continued after its last record.  Exits 0 when the reader saw every
 * record, complete and in place.
 *
 * Build: cc -O2 region-log.c $(pkg-config --cflags --libs liburcu-tlb)
 */
#define _LGPL_SOURCE
#include <urcu-tlb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WRITERS		3
#define COMMITTED	0x4c4f4721u	/* "LOG!" */

struct record {
	uint32_t len;		/* whole record, a multiple of 8 */
	uint32_t commit;	/* COMMITTED once the text is in place */
	char text[];		/* NUL-terminated line */
};

static struct urcu_tlb_region *log_region;
static int stop, writers_done;
static unsigned long appended, tailed, syncs;

static void pause_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
				      .tv_nsec = ms % 1000 * 1000000 }, NULL);
}

/* The record at off, if complete (its commit word is set). */
static struct record *complete_at(struct urcu_tlb_region_view v, size_t off,
				  size_t end)
{
	struct record *rec = (struct record *) ((char *) v.base + off);

	if (end - off < sizeof(*rec) || CMM_LOAD_SHARED(rec->commit) != COMMITTED)
		return NULL;
	cmm_smp_rmb();		/* the commit word before the text */
	return rec;
}

static void *writer(void *arg)
{
	long id = (long) arg;
	unsigned long n;

	rcu_register_thread();
	for (n = 0; !uatomic_read(&stop); n++) {
		char line[96];
		int len = snprintf(line, sizeof(line),
				   "writer %ld, line %lu", id, n) + 1;
		size_t size = (sizeof(struct record) + len + 7) & ~(size_t) 7, off;
		struct record *rec;

		rcu_read_lock();
		if (urcu_tlb_region_reserve(log_region, size, &off)) {
			rcu_read_unlock();
			perror("reserve");
			exit(1);
		}
		/* The view taken after reserve() covers the reservation. */
		rec = (struct record *) ((char *) urcu_tlb_region_view(log_region).base + off);
		rec->len = size;
		memcpy(rec->text, line, len);
		cmm_smp_wmb();	/* the text before the commit word */
		CMM_STORE_SHARED(rec->commit, COMMITTED);
		rcu_read_unlock();
		uatomic_inc(&appended);
		if (n % 64 == 63)
			pause_ms(1);
	}
	rcu_unregister_thread();
	return NULL;
}

/* Follows the log from where it started to the end, until the writers
 * have stopped and their last record is read. */
static void *tail(void *arg)
{
	size_t cursor = (size_t) arg;
	void *last_base = NULL;
	unsigned long moves = 0;

	rcu_register_thread();
	for (;;) {
		int done = uatomic_read(&writers_done);
		size_t end = urcu_tlb_region_reserved(log_region);
		struct urcu_tlb_region_view v;
		struct record *rec;

		rcu_read_lock();
		v = urcu_tlb_region_view(log_region);	/* covers end */
		if (v.base != last_base) {
			moves += last_base != NULL;
			last_base = v.base;
		}
		while (cursor < end && (rec = complete_at(v, cursor, end))) {
			if (strncmp(rec->text, "writer ", 7)) {
				fprintf(stderr, "corrupt record at %zu\n", cursor);
				exit(1);
			}
			cursor += rec->len;
			tailed++;
		}
		rcu_read_unlock();
		if (done && cursor == end)
			break;
		pause_ms(1);
	}
	printf("tail: read %lu records up to byte %zu; the mapping moved %lu times under it\n",
	       tailed, cursor, moves);
	rcu_unregister_thread();
	return NULL;
}

static void *syncer(void *arg)
{
	(void) arg;
	while (!uatomic_read(&stop)) {
		/* Every record reserved before this point was written in a
		 * section that began before sync(): durable when it returns. */
		size_t mark = urcu_tlb_region_reserved(log_region);

		if (urcu_tlb_region_sync(log_region)) {
			perror("sync");
			exit(1);
		}
		syncs++;
		if (syncs % 4 == 1)
			printf("sync: durable up to byte %zu\n", mark);
		pause_ms(50);
	}
	return NULL;
}

/* The end of the complete records of an existing log. */
static size_t end_of_log(void)
{
	struct urcu_tlb_region_view v;
	struct record *rec;
	size_t end = 0;

	rcu_read_lock();
	v = urcu_tlb_region_view(log_region);
	while ((rec = complete_at(v, end, v.size)) && rec->len &&
	       rec->len <= v.size - end)
		end += rec->len;
	rcu_read_unlock();
	return end;
}

int main(int argc, char **argv)
{
	const char *tmpdir = getenv("TMPDIR");
	char tmp[4096];
	const char *path = argc > 1 ? argv[1] : tmp;
	double seconds = argc > 2 ? atof(argv[2]) : 0.3;
	pthread_t w[WRITERS], t, s;
	size_t start, ignored;
	long i;

	if (argc < 2) {
		snprintf(tmp, sizeof(tmp), "%s/region-log.XXXXXX",
			 tmpdir && *tmpdir ? tmpdir : "/tmp");
		int fd = mkstemp(tmp);

		if (fd < 0) {
			perror(tmp);
			return 1;
		}
		close(fd);
	}
	rcu_register_thread();
	log_region = urcu_tlb_region_open(path, 4096, URCU_TLB_REGION_CREATE, 0644);
	if (!log_region) {
		perror(path);
		return 1;
	}
	/* Continue an existing log: reserve what it already holds. */
	start = end_of_log();
	if (start && urcu_tlb_region_reserve(log_region, start, &ignored)) {
		perror("reserve");
		return 1;
	}
	printf("log %s: %zu bytes of records already there\n", path, start);

	for (i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *) i);
	pthread_create(&t, NULL, tail, (void *) start);
	pthread_create(&s, NULL, syncer, NULL);
	pause_ms((long) (seconds * 1000));
	uatomic_set(&stop, 1);
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	uatomic_set(&writers_done, 1);
	pthread_join(s, NULL);
	pthread_join(t, NULL);

	if (urcu_tlb_region_sync(log_region) || urcu_tlb_region_close(log_region)) {
		perror("sync/close");
		return 1;
	}
	printf("%d writers appended %lu records, %lu syncs; the tail read %lu\n",
	       WRITERS, appended, syncs, tailed);
	if (argc < 2)
		unlink(tmp);
	return tailed == appended ? 0 : 1;
}
