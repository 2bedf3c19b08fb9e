/*
 * report.h: what urcu-tlb-stress ran and saw, and how it is told: the
 * summary table for people and the --json document for machines.
 */
#ifndef URCU_TLB_REPORT_H
#define URCU_TLB_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <urcu-tlb.h>
#include "litmus.h"
#include "mmap-litmus.h"
#include "torture.h"

#define REPORT_MAX	48
#define NR_MECH		(URCU_TLB_MECHANISM_SIGNAL + 1)
/* The mechanism of a control run, which forces no barrier. */
#define CONTROL		URCU_TLB_MECHANISM_AUTO

struct mech_info {
	bool valid, chosen, tested;
	char why[256];		/* when not valid */
	double fence_us;	/* mean heavy fence; < 0: not measured */
};

struct torture_entry {
	int mech;		/* CONTROL for reclaim none */
	struct torture_config cfg;
	struct torture_result res;
};

struct litmus_entry {
	int mech;		/* CONTROL for a control run */
	struct litmus_config cfg;
	struct litmus_result res;
};

struct mmap_entry {
	int mech;		/* RCU: the mechanism; CONTROL otherwise */
	struct mmap_config cfg;
	struct mmap_result res;
};

struct report {
	const char *command;
	bool sabotaged;		/* --sabotage: protected runs had no heavy fence */
	struct mech_info mech[NR_MECH];
	struct torture_entry torture[REPORT_MAX];
	struct litmus_entry litmus[REPORT_MAX];
	struct mmap_entry mmap[REPORT_MAX];
	int ntorture, nlitmus, nmmap;
	unsigned long failures;		/* runs that could not run */
	char failure[256];		/* the first one, described */
	double elapsed;
};

/* Whether an entry breaks a guarantee (controls never do). */
bool torture_entry_violates(const struct torture_entry *e);
bool litmus_entry_violates(const struct litmus_entry *e);
bool mmap_entry_violates(const struct mmap_entry *e);
unsigned long report_violations(const struct report *r);
/* Controls that could have shown their forbidden outcome here and did not. */
unsigned long report_weak_controls(const struct report *r);

/* "membarrier" ..., or "control". */
const char *report_mech_name(int mech);

/* The machine, in one line (people) or as members of an object (JSON). */
void report_machine(FILE *out);

void report_summary(FILE *out, const struct report *r);
void report_json(FILE *out, const struct report *r);

#endif /* URCU_TLB_REPORT_H */
