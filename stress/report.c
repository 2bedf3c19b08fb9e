/*
 * report.c: see report.h.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "json.h"
#include "report.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "?"
#endif

/* ---- verdicts ----------------------------------------------------------- */

bool torture_entry_violates(const struct torture_entry *e)
{
	if (is_control(e->row))
		return false;
	/* No grace period or no read at all, even after TORTURE_START_MAX_S:
	 * nothing was tested, and a thread starved. */
	return e->res.errors || !e->res.grace_periods || !e->res.reads;
}

bool litmus_entry_violates(const struct litmus_entry *e)
{
	return e->cfg.protected && (e->res.forbidden || e->res.lost_wakeup);
}

bool mmap_entry_violates(const struct mmap_entry *e)
{
	return e->cfg.variant == MMAP_RCU && mmap_bad(MMAP_RCU, &e->res);
}

/* Any error, a hang, or a scenario that never happened (a thread starved). */
bool lifecycle_entry_violates(const struct lifecycle_entry *e)
{
	if (is_control(e->row))
		return false;
	return e->res.errors || e->res.hung || e->res.missing[0];
}

unsigned long report_violations(const struct report *r)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < r->ntorture; i++)
		n += torture_entry_violates(&r->torture[i]);
	for (i = 0; i < r->nlitmus; i++)
		n += litmus_entry_violates(&r->litmus[i]);
	for (i = 0; i < r->nmmap; i++)
		n += mmap_entry_violates(&r->mmap[i]);
	for (i = 0; i < r->nlifecycle; i++)
		n += lifecycle_entry_violates(&r->lifecycle[i]);
	return n;
}

static bool litmus_weak(const struct litmus_entry *e)
{
	return !e->cfg.protected && litmus_control_can_fail(e->cfg.test) &&
	       !e->res.forbidden;
}

unsigned long report_weak_controls(const struct report *r)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < r->ntorture; i++)
		n += is_control(r->torture[i].row) && !r->torture[i].res.errors;
	for (i = 0; i < r->nlitmus; i++)
		n += litmus_weak(&r->litmus[i]);
	for (i = 0; i < r->nmmap; i++)
		n += r->mmap[i].cfg.variant == MMAP_RCU_CONTROL &&
		     !mmap_bad(MMAP_RCU_CONTROL, &r->mmap[i].res);
	for (i = 0; i < r->nlifecycle; i++)
		n += is_control(r->lifecycle[i].row) &&
		     !lifecycle_control_showed(&r->lifecycle[i].res);
	return n;
}

const char *report_row_name(int row)
{
	switch (row) {
	case NO_FENCE:
		return "no fence";
	case NO_GP:
		return "no GP";
	case NO_ROW:
		return "-";
	default:
		return urcu_tlb_mechanism_string(row);
	}
}

/* JSON: the mechanism of a run, or null. */
static const char *row_mechanism(int row)
{
	return row > 0 && row < NR_MECH ? urcu_tlb_mechanism_string(row) : NULL;
}

/* JSON: the kind of control, or null. */
static const char *row_control(int row)
{
	return row == NO_FENCE ? "no-fence" : row == NO_GP ? "no-grace-period"
							 : NULL;
}

/* ---- the machine -------------------------------------------------------- */

struct machine {
	struct utsname uts;
	char cpu[128];
	long online;
	int usable;
	bool hypervisor;
};

static void cpuinfo(struct machine *m)
{
	static const char *const model_keys[] = { "model name", "cpu model",
						  "CPU part", "Processor" };
	char line[1024];
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t k;

	snprintf(m->cpu, sizeof(m->cpu), "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (!strncmp(line, "flags", 5) && strstr(colon, " hypervisor"))
			m->hypervisor = true;
		for (k = 0; k < sizeof(model_keys) / sizeof(model_keys[0]); k++)
			if (!strncmp(line, model_keys[k], strlen(model_keys[k])) &&
			    m->cpu[0] == '?') {
				colon += strspn(colon + 1, " \t") + 1;
				colon[strcspn(colon, "\n")] = '\0';
				snprintf(m->cpu, sizeof(m->cpu), "%s", colon);
			}
	}
	fclose(f);
}

static void get_machine(struct machine *m)
{
	cpu_set_t set;

	memset(m, 0, sizeof(*m));
	uname(&m->uts);
	cpuinfo(m);
	m->online = sysconf(_SC_NPROCESSORS_ONLN);
	m->usable = sched_getaffinity(0, sizeof(set), &set) ? (int) m->online
							    : CPU_COUNT(&set);
}

static bool tso(void)
{
	/* Both message-passing tests are impossible without a fence on TSO. */
	return !litmus_control_can_fail(LITMUS_MP);
}

void report_machine(FILE *out)
{
	struct machine m;

	get_machine(&m);
	fprintf(out, "liburcu-tlb %s on Linux %s %s, %s, %ld CPUs online (%d usable)%s%s\n",
		PACKAGE_VERSION, m.uts.release, m.uts.machine, m.cpu, m.online,
		m.usable, m.hypervisor ? ", under a hypervisor" : "",
		tso() ? ", TSO memory model" : "");
}

/* ---- the summary -------------------------------------------------------- */

#define CELL	22

static const struct litmus_entry *find_litmus(const struct report *r, int row,
					      enum litmus_test t)
{
	int i;

	for (i = 0; i < r->nlitmus; i++)
		if (r->litmus[i].row == row && r->litmus[i].cfg.test == t)
			return &r->litmus[i];
	return NULL;
}

static const struct torture_entry *find_torture(const struct report *r,
						int row)
{
	int i;

	for (i = 0; i < r->ntorture; i++)
		if (r->torture[i].row == row)
			return &r->torture[i];
	return NULL;
}

static const struct lifecycle_entry *find_lifecycle(const struct report *r,
						    int row)
{
	int i;

	for (i = 0; i < r->nlifecycle; i++)
		if (r->lifecycle[i].row == row)
			return &r->lifecycle[i];
	return NULL;
}

/* The mmap run of a row: RCU for a mechanism, RCU-control for NO_GP. */
static const struct mmap_entry *find_mmap(const struct report *r, int row)
{
	int i;

	for (i = 0; i < r->nmmap; i++)
		if (r->mmap[i].row == row)
			return &r->mmap[i];
	return NULL;
}

static void cell(FILE *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cell(FILE *out, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(out, "  %-*s", CELL - 2, buf);
}

/* Which columns the runs fill. */
struct columns {
	bool torture, litmus[LITMUS_NR], mmap, lifecycle;
	bool rows[NR_ROWS];
};

static void find_columns(const struct report *r, struct columns *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->ntorture; i++) {
		c->torture = true;
		c->rows[r->torture[i].row] = true;
	}
	for (i = 0; i < r->nlitmus; i++) {
		c->litmus[r->litmus[i].cfg.test] = true;
		c->rows[r->litmus[i].row] = true;
	}
	for (i = 0; i < r->nmmap; i++)
		if (r->mmap[i].row != NO_ROW) {
			c->mmap = true;
			c->rows[r->mmap[i].row] = true;
		}
	for (i = 0; i < r->nlifecycle; i++) {
		c->lifecycle = true;
		c->rows[r->lifecycle[i].row] = true;
	}
}

static void header(FILE *out, const struct report *r, const struct columns *c)
{
	int t;

	(void) r;
	fprintf(out, "%-11s %8s", "mechanism", "fence us");
	if (c->torture)
		cell(out, "torture errors/reads");
	for (t = 0; t < LITMUS_NR; t++)
		if (c->litmus[t])
			cell(out, "%s forbidden/rounds", litmus_name(t));
	if (c->mmap)
		cell(out, "mmap RCU bad/rounds");
	if (c->lifecycle)
		cell(out, "lifecycle bad/ended");
	fprintf(out, "  verdict\n");
}

/* One row; returns whether it found a violation (or, for a control row, a
 * control that showed nothing where it could have). */
static bool row(FILE *out, const struct report *r, const struct columns *c,
		int rw)
{
	const struct torture_entry *te = find_torture(r, rw);
	const struct mmap_entry *me = find_mmap(r, rw);
	const struct lifecycle_entry *le = find_lifecycle(r, rw);
	bool ctl = is_control(rw), bad = false;
	int t;

	fprintf(out, "%-11s ", report_row_name(rw));
	if (!ctl && r->mech[rw].fence_us >= 0)
		fprintf(out, "%8.1f", r->mech[rw].fence_us);
	else
		fprintf(out, "%8s", "-");
	if (c->torture) {
		if (te) {
			cell(out, "%lu/%lu", te->res.errors, te->res.reads);
			bad |= ctl ? !te->res.errors : torture_entry_violates(te);
		} else {
			cell(out, "-");
		}
	}
	for (t = 0; t < LITMUS_NR; t++) {
		const struct litmus_entry *le = find_litmus(r, rw, t);

		if (!c->litmus[t])
			continue;
		if (!le) {
			cell(out, "-");
			continue;
		}
		cell(out, "%lu/%lu%s", le->res.forbidden, le->res.rounds,
		     ctl && !litmus_control_can_fail(t) ? " (TSO)" : "");
		bad |= ctl ? litmus_weak(le) : litmus_entry_violates(le);
	}
	if (c->mmap) {
		if (me) {
			cell(out, "%lu/%lu", mmap_bad(me->cfg.variant, &me->res),
			     me->res.rounds);
			bad |= ctl ? !mmap_bad(MMAP_RCU_CONTROL, &me->res)
				   : mmap_entry_violates(me);
		} else {
			cell(out, "-");
		}
	}
	if (c->lifecycle) {
		if (le && le->res.hung)
			cell(out, "HANG");
		else if (le)
			cell(out, "%lu/%lu", le->res.errors,
			     lifecycle_threads_ended(&le->res) +
			     lifecycle_children(&le->res));
		else
			cell(out, "-");
		if (le)
			bad |= ctl ? !lifecycle_control_showed(&le->res)
				   : lifecycle_entry_violates(le);
	}
	if (ctl)
		fprintf(out, "  %s\n", bad ? "WEAK: a control saw nothing"
					   : "shows the violations");
	else
		fprintf(out, "  %s\n", bad ? "VIOLATION" : "pass");
	return bad;
}

static void describe_violations(FILE *out, const struct report *r)
{
	int i;

	for (i = 0; i < r->ntorture; i++) {
		const struct torture_entry *e = &r->torture[i];

		if (!torture_entry_violates(e))
			continue;
		if (e->res.errors)
			fprintf(out, "VIOLATION [%s] torture: %lu errors; first: %s\n",
				report_row_name(e->row), e->res.errors,
				e->res.first_error);
		else if (!e->res.grace_periods)
			fprintf(out, "VIOLATION [%s] torture: no grace period completed in %.1f s\n",
				report_row_name(e->row), e->res.elapsed);
		else
			fprintf(out, "VIOLATION [%s] torture: no reader completed a read in %.1f s\n",
				report_row_name(e->row), e->res.elapsed);
	}
	for (i = 0; i < r->nlitmus; i++) {
		const struct litmus_entry *e = &r->litmus[i];

		if (e->res.forbidden && e->cfg.protected)
			fprintf(out, "VIOLATION [%s] litmus %s: the forbidden outcome %s was seen %lu times in %lu rounds with %s between the accesses (first in round %lu)\n",
				report_row_name(e->row), litmus_name(e->cfg.test),
				litmus_forbidden(e->cfg.test), e->res.forbidden,
				e->res.rounds, litmus_heavy_side(e->cfg.test),
				e->res.first_forbidden);
		if (e->res.lost_wakeup && e->cfg.protected)
			fprintf(out, "VIOLATION [%s] litmus %s: synchronize_rcu slept over a second after the reader had left its section (a lost wake-up)\n",
				report_row_name(e->row), litmus_name(e->cfg.test));
	}
	for (i = 0; i < r->nlifecycle; i++) {
		const struct lifecycle_entry *e = &r->lifecycle[i];
		const struct lifecycle_result *s = &e->res;

		if (!lifecycle_entry_violates(e))
			continue;
		if (s->hung)
			fprintf(out, "VIOLATION [%s] lifecycle: HANG: %s\n",
				report_row_name(e->row), s->hang);
		if (s->errors)
			fprintf(out, "VIOLATION [%s] lifecycle: %lu errors (%lu reclaimed objects seen, %lu of them in exit destructors; %lu callbacks or deferred functions run before their grace period; %lu not run after a barrier; %lu children failed, %lu hung); first: %s\n",
				report_row_name(e->row), s->errors,
				s->reclaimed_seen, s->reclaimed_in_destructor,
				s->early, s->lost, s->children_failed,
				s->children_hung,
				s->first_error[0] ? s->first_error : s->hang);
		if (s->missing[0])
			fprintf(out, "VIOLATION [%s] lifecycle: in %.1f s, never: %s\n",
				report_row_name(e->row), s->elapsed, s->missing);
	}
	for (i = 0; i < r->nmmap; i++) {
		const struct mmap_entry *e = &r->mmap[i];

		char fate[160];

		if (!mmap_entry_violates(e))
			continue;
		if (mmap_child_fate(&e->res, fate, sizeof(fate)))
			fprintf(out, "VIOLATION [%s] mmap-litmus RCU: the child running it %s\n",
				report_row_name(e->row), fate);
		if (e->res.new_then_old + e->res.old_then_new + e->res.faults)
			fprintf(out, "VIOLATION [%s] mmap-litmus RCU: the reader saw %lu mixed pairs and %lu faults through a mapping unmapped only after a grace period (first in round %lu)\n",
				report_row_name(e->row),
				e->res.new_then_old + e->res.old_then_new,
				e->res.faults, e->res.first_bad_round);
	}
}

/* The controls' rates, applied to the protected runs' rounds. */
static void describe_evidence(FILE *out, const struct report *r)
{
	struct machine mach;
	int t, m;

	get_machine(&mach);
	if ((r->nlitmus || r->ntorture) && mach.usable < 2)
		fprintf(out, "note: this process may use one CPU only: its threads never run at once, so neither a litmus test nor the torture control without fences can show a reordering here; run it on two CPUs or more\n");

	for (t = 0; t < LITMUS_NR; t++) {
		const struct litmus_entry *ctl = find_litmus(r, NO_FENCE, t);
		unsigned long rounds = 0;
		double rate;

		if (!ctl)
			continue;
		if (!litmus_control_can_fail(t)) {
			fprintf(out, "note: %s: this CPU's memory model (TSO) forbids %s even without a fence; the control cannot fail here and the %s runs show nothing about the fence on this machine\n",
				litmus_name(t), litmus_forbidden(t), litmus_name(t));
			continue;
		}
		if (!ctl->res.forbidden && mach.usable < 2)
			continue;
		if (!ctl->res.forbidden) {
			fprintf(out, "note: %s: the control saw no forbidden outcome in %lu rounds: the %s runs proved little here (rerun with a longer --duration)\n",
				litmus_name(t), ctl->res.rounds, litmus_name(t));
			continue;
		}
		for (m = 1; m < NR_MECH; m++) {
			const struct litmus_entry *le = find_litmus(r, m, t);

			if (le)
				rounds += litmus_overlaps(t, &le->res);
		}
		rate = (double) ctl->res.forbidden /
		       litmus_overlaps(t, &ctl->res);
		fprintf(out, "evidence: %s: in the control %.3g%% of the rounds where both sides overlapped ended in %s; the protected runs had %lu such rounds and would have shown about %.0f without %s\n",
			litmus_name(t), 100 * rate, litmus_forbidden(t),
			rounds, rate * rounds, litmus_heavy_side(t));
	}
}

static void describe_torture_controls(FILE *out, const struct report *r)
{
	static const char *const what[] = {
		[NO_FENCE - NO_FENCE] = "retiring through grace periods without heavy fences",
		[NO_GP - NO_FENCE] = "reclaiming without any grace period",
	};
	int rw;

	for (rw = NO_FENCE; rw <= NO_GP; rw++) {
		const struct torture_entry *e = find_torture(r, rw);

		if (!e)
			continue;
		if (e->res.errors)
			fprintf(out, "evidence: torture %s: %lu violation(s) in %lu reads; first: %s\n",
				what[rw - NO_FENCE], e->res.errors, e->res.reads,
				e->res.first_error);
		else
			fprintf(out, "note: torture %s saw no violation in %lu reads (%.0f s): the torture runs proved little here\n",
				what[rw - NO_FENCE], e->res.reads, e->res.elapsed);
	}
}

static void describe_lifecycle_control(FILE *out, const struct report *r)
{
	const struct lifecycle_entry *e = find_lifecycle(r, NO_GP);
	const struct lifecycle_result *s = e ? &e->res : NULL;

	if (!e)
		return;
	if (lifecycle_control_showed(s))
		fprintf(out, "evidence: lifecycle retiring without grace periods: %lu reclaimed objects seen in %lu reads, %lu of them by thread-exit destructors (%lu reads), and %lu callbacks or deferred functions run before their grace period; first: %s; first in a destructor: %s\n",
			s->reclaimed_seen, s->reads, s->reclaimed_in_destructor,
			s->destructor_reads, s->early, s->first_error,
			s->first_destructor);
	else
		fprintf(out, "note: lifecycle retiring without grace periods did not show every violation in %.0f s (%lu reclaimed objects seen by readers, %lu by exit destructors, %lu early callbacks): the lifecycle runs proved less here\n",
			s->elapsed, s->reclaimed_seen - s->reclaimed_in_destructor,
			s->reclaimed_in_destructor, s->early);
}

static void describe_mmap(FILE *out, const struct report *r)
{
	const struct mmap_entry *e = find_mmap(r, NO_ROW);
	const struct mmap_entry *ctl = find_mmap(r, NO_GP);

	if (e && !e->res.error[0] && WIFEXITED(e->res.child_status)) {
		if (e->res.new_then_old || e->res.faults)
			fprintf(out, "mmap: MAP_FIXED replacement is NOT atomic here: %lu reads saw the new page 0 then the old page 1, %lu faulted, in %lu rounds (first in round %lu)\n",
				e->res.new_then_old, e->res.faults, e->res.rounds,
				e->res.first_bad_round);
		else
			fprintf(out, "mmap: MAP_FIXED replacement looked atomic here: no read saw a new page then an old one, none faulted, in %lu rounds (%lu reads)\n",
				e->res.rounds, e->res.reads);
	} else if (e) {
		char fate[160];

		fprintf(out, "mmap: the MAP_FIXED run did not complete: the child %s\n",
			mmap_child_fate(&e->res, fate, sizeof(fate)) ?
			fate : e->res.error);
	}
	if (ctl && !mmap_bad(MMAP_RCU_CONTROL, &ctl->res))
		fprintf(out, "note: mmap: unmapping without a grace period showed nothing in %lu rounds: the RCU run proved little here\n",
			ctl->res.rounds);
}

void report_summary(FILE *out, const struct report *r)
{
	unsigned long violations = report_violations(r);
	struct columns c;
	int m;

	find_columns(r, &c);
	fprintf(out, "\nsummary (%s, %.0f s)\n", r->command, r->elapsed);
	if (r->sabotaged)
		fprintf(out, "SABOTAGED (--sabotage): the protected runs had no heavy fence; failures below are the point\n");
	if (c.torture || c.mmap || r->nlitmus || r->nlifecycle) {
		header(out, r, &c);
		for (m = 1; m < NR_ROWS; m++)
			if (c.rows[m])
				row(out, r, &c, m);
	}
	fputc('\n', out);
	describe_violations(out, r);
	describe_torture_controls(out, r);
	describe_lifecycle_control(out, r);
	describe_evidence(out, r);
	describe_mmap(out, r);
	if (r->failures)
		fprintf(out, "could not run %lu test(s): %s\n", r->failures,
			r->failure);
	if (r->hung)
		fprintf(out, "stopped after the hang: the tests after it did not run\n");
	if (violations)
		fprintf(out, "\nFAIL: %lu violation(s) of a guarantee (described above)\n",
			violations);
	else if (r->failures)
		fprintf(out, "\nINCOMPLETE: no violation seen, but some tests could not run\n");
	else
		fprintf(out, "\nPASS: no violation%s\n",
			report_weak_controls(r) ?
			" (but a control saw nothing: see the notes)" : "");
}

/* ---- JSON --------------------------------------------------------------- */

static void json_machine(struct json *j)
{
	struct machine m;

	get_machine(&m);
	json_object(j, "machine");
	json_string(j, "kernel", m.uts.release);
	json_string(j, "arch", m.uts.machine);
	json_string(j, "cpu", m.cpu);
	json_ulong(j, "cpus_online", m.online);
	json_ulong(j, "cpus_usable", m.usable);
	json_bool(j, "hypervisor", m.hypervisor);
	json_bool(j, "tso", tso());
	json_end_object(j);
}

static void json_mechanisms(struct json *j, const struct report *r)
{
	int m;

	json_array(j, "mechanisms");
	for (m = 1; m < NR_MECH; m++) {
		const struct mech_info *mi = &r->mech[m];

		json_object(j, NULL);
		json_string(j, "name", urcu_tlb_mechanism_string(m));
		json_bool(j, "valid", mi->valid);
		json_string(j, "why_not", mi->valid ? NULL : mi->why);
		json_bool(j, "chosen", mi->chosen);
		json_bool(j, "tested", mi->tested);
		if (mi->fence_us >= 0)
			json_double(j, "fence_us", mi->fence_us);
		else
			json_string(j, "fence_us", NULL);
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_torture(struct json *j, const struct torture_entry *e)
{
	const struct torture_config *c = &e->cfg;
	const struct torture_result *s = &e->res;
	int b;

	json_object(j, NULL);
	json_string(j, "mechanism", row_mechanism(e->row));
	json_string(j, "control", row_control(e->row));
	json_string(j, "reclaim", torture_reclaim_name(c->reclaim));
	json_ulong(j, "readers", c->readers);
	json_ulong(j, "updaters", c->updaters);
	json_ulong(j, "flooders", c->flooders);
	json_ulong(j, "nesting", c->nesting);
	json_ulong(j, "delay_ns", c->delay_ns);
	json_ulong(j, "long_delay_us", c->long_delay_us);
	json_ulong(j, "objects", c->objects);
	json_ulong(j, "stuff", c->stuff);
	json_bool(j, "churn", c->churn);
	json_bool(j, "pinned", c->pin);
	json_double(j, "seconds", s->elapsed);
	json_ulong(j, "reads", s->reads);
	json_ulong(j, "updates", s->updates);
	json_ulong(j, "grace_periods", s->grace_periods);
	json_ulong(j, "aging_callbacks", s->callbacks);
	json_ulong(j, "flood_queued", s->flood_queued);
	json_ulong(j, "flood_invoked", s->flood_invoked);
	json_ulong(j, "flood_paused", s->flood_paused);
	json_ulong(j, "errors", s->errors);
	json_array(j, "age_histogram");
	for (b = 0; b <= TORTURE_PIPE_LEN; b++)
		json_ulong(j, NULL, s->age[b]);
	json_end_array(j);
	json_string(j, "first_error", s->errors ? s->first_error : NULL);
	json_bool(j, "violation", torture_entry_violates(e));
	json_end_object(j);
}

static void json_litmus(struct json *j, const struct litmus_entry *e)
{
	const struct litmus_result *s = &e->res;
	int o;

	json_object(j, NULL);
	json_string(j, "test", litmus_name(e->cfg.test));
	json_string(j, "mechanism", row_mechanism(e->row));
	json_string(j, "control", row_control(e->row));
	json_string(j, "heavy_side", litmus_heavy_side(e->cfg.test));
	json_string(j, "forbidden_outcome", litmus_forbidden(e->cfg.test));
	json_bool(j, "control_can_fail", litmus_control_can_fail(e->cfg.test));
	json_ulong(j, "stuff", e->cfg.stuff);
	json_double(j, "seconds", s->elapsed);
	json_ulong(j, "rounds", s->rounds);
	json_ulong(j, "forbidden", s->forbidden);
	json_ulong(j, "first_forbidden_round", s->first_forbidden);
	json_ulong(j, "overlapping_rounds", litmus_overlaps(e->cfg.test, s));
	json_array(j, "outcomes");	/* r1 r2 = 00, 01, 10, 11 */
	for (o = 0; o < 4; o++)
		json_ulong(j, NULL, s->outcomes[o]);
	json_end_array(j);
	json_ulong(j, "stalls", s->stalls);
	json_bool(j, "lost_wakeup", s->lost_wakeup);
	json_bool(j, "violation", litmus_entry_violates(e));
	json_end_object(j);
}

static void json_mmap(struct json *j, const struct mmap_entry *e)
{
	const struct mmap_result *s = &e->res;

	json_object(j, NULL);
	json_string(j, "variant", mmap_variant_name(e->cfg.variant));
	json_string(j, "mechanism", row_mechanism(e->row));
	json_string(j, "control", row_control(e->row));
	json_string(j, "filesystem", s->fs);
	json_double(j, "seconds", s->elapsed);
	json_ulong(j, "rounds", s->rounds);
	json_ulong(j, "reads", s->reads);
	json_ulong(j, "grace_periods", s->grace_periods);
	json_ulong(j, "new_then_old", s->new_then_old);
	json_ulong(j, "old_then_new", s->old_then_new);
	json_ulong(j, "faults", s->faults);
	json_ulong(j, "first_bad_round", s->first_bad_round);
	json_ulong(j, "bad", mmap_bad(e->cfg.variant, s));
	json_bool(j, "child_exited", WIFEXITED(s->child_status));
	if (WIFSIGNALED(s->child_status))
		json_ulong(j, "child_signal", WTERMSIG(s->child_status));
	json_bool(j, "child_timed_out", s->timed_out);
	json_string(j, "error", s->error[0] ? s->error : NULL);
	json_bool(j, "violation", mmap_entry_violates(e));
	json_end_object(j);
}

static void json_lifecycle(struct json *j, const struct lifecycle_entry *e)
{
	const struct lifecycle_config *c = &e->cfg;
	const struct lifecycle_result *s = &e->res;
	int k;

	json_object(j, NULL);
	json_string(j, "mechanism", row_mechanism(e->row));
	json_string(j, "control", row_control(e->row));
	json_string(j, "fault", c->fault ? lifecycle_fault_name(c->fault) : NULL);
	json_ulong(j, "readers", c->readers);
	json_ulong(j, "updaters", c->updaters);
	json_ulong(j, "spawners", c->spawners);
	json_ulong(j, "forkers", c->forkers);
	json_ulong(j, "objects", c->objects);
	json_double(j, "hang_seconds", c->hang);
	json_bool(j, "cancel_updaters", !c->no_cancel_updaters);
	json_bool(j, "exec_registered", c->exec_registered);
	json_double(j, "seconds", s->elapsed);
	json_ulong(j, "grace_periods", s->grace_periods);
	json_ulong(j, "reads", s->reads);
	json_ulong(j, "reads_signals_blocked", s->reads_signals_blocked);
	json_ulong(j, "sleeps_in_section", s->sleeps_in_section);
	json_ulong(j, "updates", s->updates);
	json_object(j, "retired");
	json_ulong(j, "synchronize_rcu", s->by_sync);
	json_ulong(j, "call_rcu", s->by_call_rcu);
	json_ulong(j, "defer_rcu", s->by_defer);
	json_ulong(j, "poll", s->by_poll);
	json_end_object(j);
	json_ulong(j, "rcu_barriers", s->rcu_barriers);
	json_ulong(j, "defer_barriers", s->defer_barriers);
	json_ulong(j, "callbacks_queued", s->callbacks_queued);
	json_ulong(j, "callbacks_run", s->callbacks_run);
	json_ulong(j, "deferred_queued", s->deferred_queued);
	json_ulong(j, "deferred_run", s->deferred_run);
	json_object(j, "threads");
	for (k = 0; k < LC_EXIT_NR; k++)
		json_ulong(j, lifecycle_exit_name(k), s->threads[k]);
	json_end_object(j);
	json_ulong(j, "threads_with_destructor", s->threads_with_destructor);
	json_ulong(j, "destructor_reads", s->destructor_reads);
	json_ulong(j, "create_failed", s->create_failed);
	json_object(j, "children");
	for (k = 0; k < LC_CHILD_NR; k++)
		json_ulong(j, lifecycle_child_name(k), s->children[k]);
	json_end_object(j);
	json_ulong(j, "forked_in_section", s->forked_in_section);
	json_ulong(j, "fork_failed", s->fork_failed);
	json_bool(j, "exec_skipped", s->exec_skipped);
	json_ulong(j, "reclaimed_seen", s->reclaimed_seen);
	json_ulong(j, "reclaimed_in_destructor", s->reclaimed_in_destructor);
	json_ulong(j, "early", s->early);
	json_ulong(j, "lost", s->lost);
	json_ulong(j, "children_failed", s->children_failed);
	json_ulong(j, "children_hung", s->children_hung);
	json_ulong(j, "errors", s->errors);
	json_string(j, "first_error", s->first_error[0] ? s->first_error : NULL);
	json_string(j, "first_in_destructor",
		    s->first_destructor[0] ? s->first_destructor : NULL);
	json_string(j, "missing", s->missing[0] ? s->missing : NULL);
	json_bool(j, "hung", s->hung);
	json_string(j, "hang", s->hung ? s->hang : NULL);
	json_ulong(j, "threads_left", s->threads_left);
	json_bool(j, "violation", lifecycle_entry_violates(e));
	json_end_object(j);
}

void report_json(FILE *out, const struct report *r)
{
	unsigned long violations = report_violations(r);
	struct json j;
	int i;

	json_init(&j, out);
	json_object(&j, NULL);
	json_string(&j, "program", "urcu-tlb-stress");
	json_string(&j, "version", PACKAGE_VERSION);
	json_string(&j, "command", r->command);
	json_bool(&j, "sabotaged", r->sabotaged);
	json_double(&j, "seconds", r->elapsed);
	json_machine(&j);
	json_string(&j, "mechanism_chosen", urcu_tlb_mechanism_name());
	json_mechanisms(&j, r);
	json_array(&j, "torture");
	for (i = 0; i < r->ntorture; i++)
		json_torture(&j, &r->torture[i]);
	json_end_array(&j);
	json_array(&j, "litmus");
	for (i = 0; i < r->nlitmus; i++)
		json_litmus(&j, &r->litmus[i]);
	json_end_array(&j);
	json_array(&j, "mmap");
	for (i = 0; i < r->nmmap; i++)
		json_mmap(&j, &r->mmap[i]);
	json_end_array(&j);
	json_array(&j, "lifecycle");
	for (i = 0; i < r->nlifecycle; i++)
		json_lifecycle(&j, &r->lifecycle[i]);
	json_end_array(&j);
	json_bool(&j, "hung", r->hung);
	json_ulong(&j, "violations", violations);
	json_ulong(&j, "weak_controls", report_weak_controls(r));
	json_ulong(&j, "failures", r->failures);
	json_string(&j, "failure", r->failures ? r->failure : NULL);
	json_string(&j, "verdict", violations ? "fail" :
				   r->failures ? "incomplete" : "pass");
	json_end_object(&j);
	json_finish(&j);
}
