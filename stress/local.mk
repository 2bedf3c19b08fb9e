# stress/local.mk: included by the top Makefile.am.

# Engines shared by the unit tests and urcu-tlb-stress.
noinst_LTLIBRARIES += stress/libstresscore.la
stress_libstresscore_la_SOURCES = \
	stress/torture.c stress/torture.h \
	stress/litmus.c stress/litmus.h \
	stress/mmap-litmus.c stress/mmap-litmus.h \
	stress/lifecycle.c stress/lifecycle.h \
	stress/util.h
stress_libstresscore_la_LIBADD = liburcu-tlb.la

# ---- the stress and self-check program (installed) ------------------------

bin_PROGRAMS += stress/urcu-tlb-stress
stress_urcu_tlb_stress_SOURCES = stress/urcu-tlb-stress.c \
	stress/report.c stress/report.h \
	stress/json.c stress/json.h
stress_urcu_tlb_stress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/stress
stress_urcu_tlb_stress_LDADD = stress/libstresscore.la liburcu-tlb.la

# ---- unit tests of the engines (Check; also run under valgrind) -----------

if HAVE_CHECK
UNIT_TESTS += stress/test-engines
stress_test_engines_SOURCES = stress/test-engines.c
stress_test_engines_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests
stress_test_engines_LDADD = $(TEST_LDADD)
endif

# ---- urcu-tlb-stress's own checks: short runs, verdicts asserted ----------

TESTS += stress/check-stress.pl
EXTRA_DIST += stress/check-stress.pl

# ---- make stress: the long versions, for qualifying a machine ------------
#
# STRESS_DURATION is the length of each run in seconds (about 25 runs on a
# machine where all three mechanisms are valid); STRESS_FLAGS is passed to
# every command (e.g. STRESS_FLAGS=--json).

STRESS_DURATION = 30
STRESS_FLAGS =
STRESS_PROGRAM = ./stress/urcu-tlb-stress

stress: stress/urcu-tlb-stress
	$(STRESS_PROGRAM) torture --mechanism all --duration $(STRESS_DURATION) \
		--updaters 2 --churn $(STRESS_FLAGS)
	$(STRESS_PROGRAM) litmus --mechanism all --duration $(STRESS_DURATION) \
		$(STRESS_FLAGS)
	$(STRESS_PROGRAM) mmap-litmus --mechanism all \
		--duration $(STRESS_DURATION) $(STRESS_FLAGS)
	$(STRESS_PROGRAM) lifecycle --mechanism all \
		--duration $(STRESS_DURATION) $(STRESS_FLAGS)

.PHONY: stress
