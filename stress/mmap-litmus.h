/*
 * mmap-litmus.h: is replacing a file mapping atomic for the other threads
 * of the process?
 *
 * Two files of two pages each, one all zero bytes ("old"), one all one
 * bytes ("new").  Each round starts with the old file mapped and a reader
 * thread reading the first byte of page 0, then of page 1 (in that order,
 * with a read barrier between), over and over, until it sees both new.
 * Meanwhile the replacer swaps the mapping for the new file:
 *
 *   MAP_FIXED     mmap(MAP_FIXED) of the new file over the old mapping, at
 *                 the same address.  The reader sees "new page, then old
 *                 page" if the replacement is not atomic for it: counted,
 *                 it is what the test is for.  "Old, then new" is allowed
 *                 (the replacement fell between the two reads).
 *   RCU           liburcu-tlb's way: map the new file elsewhere, publish
 *                 the pointer, synchronize_rcu(), unmap the old mapping;
 *                 the reader reads both pages through one rcu_dereference
 *                 inside a read-side critical section.  It must never see
 *                 a mixed pair nor fault.
 *   RCU control   the same, unmapping at once, without the grace period:
 *                 the reader, still inside its section, faults or reads a
 *                 mixed pair.  Shows the RCU run could fail.
 *
 * Each run happens in a child process: a reader fault is caught and
 * counted (SIGSEGV, SIGBUS), and anything worse kills only the child,
 * which the report then describes.
 */
#ifndef URCU_TLB_MMAP_LITMUS_H
#define URCU_TLB_MMAP_LITMUS_H

#include <stdbool.h>
#include <stdio.h>

enum mmap_variant {
	MMAP_FIXED,
	MMAP_RCU,
	MMAP_RCU_CONTROL,
	MMAP_NR
};

struct mmap_result {
	unsigned long rounds;		/* replacements */
	unsigned long reads;		/* pairs of pages read */
	unsigned long new_then_old;	/* page 0 new, page 1 old */
	unsigned long old_then_new;	/* page 0 old, page 1 new */
	unsigned long faults;		/* SIGSEGV or SIGBUS in the reader */
	unsigned long first_bad_round;	/* 1-based; 0: none */
	unsigned long grace_periods;	/* RCU: completed in the child */
	double elapsed;
	int child_status;		/* wait status of the child */
	bool timed_out;			/* the child overran and was killed */
	char mechanism[16];		/* RCU: the mechanism used */
	char fs[24];			/* filesystem holding the files */
	char error[160];		/* why the run could not happen, if so */
};

struct mmap_config {
	enum mmap_variant variant;
	double duration;		/* seconds */
	unsigned long rounds;		/* or this many rounds (0: no limit) */
	/* Called about once a second from the parent, if set. */
	void (*progress)(double elapsed, const struct mmap_result *so_far,
			 void *arg);
	void *progress_arg;
};

const char *mmap_variant_name(enum mmap_variant v);
int mmap_variant_parse(const char *name);

/*
 * Run one variant in a child process.  Returns 0 when the child ran
 * (res describes it, child deaths included), -1 with errno and res->error
 * when it could not start (files, memory, fork).
 */
int mmap_litmus_run(const struct mmap_config *cfg, struct mmap_result *res);

/*
 * The forbidden observations of a run: for MAP_FIXED "new then old" and
 * faults; for the RCU variants every mixed pair and fault; plus a child
 * that died or hung.
 */
unsigned long mmap_bad(enum mmap_variant v, const struct mmap_result *res);

/*
 * How the child ended, in words ("died of signal 11 (Segmentation fault)
 * after 12 rounds"...), into buf; NULL when it exited normally.
 */
const char *mmap_child_fate(const struct mmap_result *res, char *buf,
			    size_t len);

void mmap_print(FILE *out, const struct mmap_config *cfg,
		const struct mmap_result *res);

#endif /* URCU_TLB_MMAP_LITMUS_H */
