/*
 * report.h: what urcu-tlb-stress ran and saw, and how it is told: the
 * summary table for people and the --json document for machines.
 */
#ifndef URCU_TLB_REPORT_H
#define URCU_TLB_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <urcu-tlb.h>
#include "lifecycle.h"
#include "litmus.h"
#include "mmap-litmus.h"
#include "torture.h"

#define REPORT_MAX	48
#define NR_MECH		(URCU_TLB_MECHANISM_SIGNAL + 1)

/*
 * Every run belongs to a row of the summary: a mechanism (1..NR_MECH-1),
 * or one of the two kinds of control run, which force no barrier:
 *   NO_FENCE  heavy fences taken away: a compiler barrier in their place
 *             (SB, MP), or grace periods whose fences are skipped
 *             (RCU-SB, RCU-MP, torture);
 *   NO_GP     no grace period at all: torture and lifecycle reclaiming
 *             at once, a mapping unmapped at once.
 * MAP_FIXED, a measurement of the kernel, belongs to no row (NO_ROW).
 */
enum { NO_FENCE = NR_MECH, NO_GP, NR_ROWS, NO_ROW = -1 };

struct mech_info {
	bool valid, chosen, tested;
	char why[256];		/* when not valid */
	double fence_us;	/* mean heavy fence; < 0: not measured */
};

struct torture_entry {
	int row;
	struct torture_config cfg;
	struct torture_result res;
};

struct litmus_entry {
	int row;		/* a mechanism, or NO_FENCE */
	struct litmus_config cfg;
	struct litmus_result res;
};

struct mmap_entry {
	int row;		/* RCU: the mechanism; NO_GP; NO_ROW */
	struct mmap_config cfg;
	struct mmap_result res;
};

struct lifecycle_entry {
	int row;		/* a mechanism, or NO_GP (the control) */
	struct lifecycle_config cfg;
	struct lifecycle_result res;
};

struct report {
	const char *command;
	bool sabotaged;		/* --sabotage: protected runs had no heavy fence */
	struct mech_info mech[NR_MECH];
	struct torture_entry torture[REPORT_MAX];
	struct litmus_entry litmus[REPORT_MAX];
	struct mmap_entry mmap[REPORT_MAX];
	struct lifecycle_entry lifecycle[REPORT_MAX];
	int ntorture, nlitmus, nmmap, nlifecycle;
	/* A lifecycle run hung: nothing more ran (threads are stuck in the
	 * library), and the program ends after the report. */
	bool hung;
	unsigned long failures;		/* runs that could not run */
	char failure[256];		/* the first one, described */
	double elapsed;
};

/* Whether an entry breaks a guarantee (controls never do). */
bool torture_entry_violates(const struct torture_entry *e);
bool litmus_entry_violates(const struct litmus_entry *e);
bool mmap_entry_violates(const struct mmap_entry *e);
bool lifecycle_entry_violates(const struct lifecycle_entry *e);
unsigned long report_violations(const struct report *r);
/* Controls that could have shown their forbidden outcome here and did not. */
unsigned long report_weak_controls(const struct report *r);

static inline bool is_control(int row)
{
	return row == NO_FENCE || row == NO_GP;
}

/* "membarrier" ..., or "no fence", "no GP". */
const char *report_row_name(int row);

/* The machine, in one line (people) or as members of an object (JSON). */
void report_machine(FILE *out);

void report_summary(FILE *out, const struct report *r);
void report_json(FILE *out, const struct report *r);

#endif /* URCU_TLB_REPORT_H */
