# stress/bench/local.mk: the benchmarks against liburcu's flavors.
#
# bench.c is built once per flavor (flavor.h picks the header); the driver
# urcu-tlb-bench runs them side by side.  `make bench` runs the full suite
# and writes the results into docs/bench/ and the tables of
# docs/performance.md; a quick run (seconds) is part of `make check`.

BENCH_FLAVOR_BINS = \
	stress/bench/bench-tlb \
	stress/bench/bench-memb \
	stress/bench/bench-mb \
	stress/bench/bench-qsbr \
	stress/bench/bench-bp \
	stress/bench/bench-rwlock
if HAVE_URCU_SIGNAL
BENCH_FLAVOR_BINS += stress/bench/bench-signal
endif
BENCH_BINS = $(BENCH_FLAVOR_BINS) stress/bench/urcu-tlb-bench
check_PROGRAMS += $(BENCH_BINS)

BENCH_SOURCES = stress/bench/bench.c stress/bench/flavor.h

stress_bench_bench_tlb_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_tlb_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_TLB
stress_bench_bench_tlb_LDADD = liburcu-tlb.la
# No libtool wrapper script: the driver runs the program itself.
stress_bench_bench_tlb_LDFLAGS = -no-install

stress_bench_bench_memb_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_memb_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_MEMB
stress_bench_bench_memb_LDADD = -lurcu-memb -lurcu-common

stress_bench_bench_mb_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_mb_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_MB
stress_bench_bench_mb_LDADD = -lurcu-mb -lurcu-common

stress_bench_bench_signal_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_signal_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_SIGNAL
stress_bench_bench_signal_LDADD = -lurcu-signal -lurcu-common

stress_bench_bench_qsbr_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_qsbr_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_QSBR
stress_bench_bench_qsbr_LDADD = -lurcu-qsbr -lurcu-common

stress_bench_bench_bp_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_bp_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_BP
stress_bench_bench_bp_LDADD = -lurcu-bp -lurcu-common

stress_bench_bench_rwlock_SOURCES = $(BENCH_SOURCES)
stress_bench_bench_rwlock_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_FLAVOR_RWLOCK
stress_bench_bench_rwlock_LDADD = -lurcu-common

stress_bench_urcu_tlb_bench_SOURCES = stress/bench/driver.c

# ---- make check: the quick mode (seconds; asserts nothing about speed) ----

TESTS += stress/bench/bench-check.sh
EXTRA_DIST += \
	stress/bench/bench-check.sh \
	stress/bench/reader-scaling.gp \
	stress/bench/gp-latency.gp

# ---- make bench: the full run (about ten minutes) -------------------------
#
# Writes raw.csv, summary.csv, tables.md and the plots into BENCH_OUT and
# replaces the tables of BENCH_DOC (empty: leave it alone).  BENCH_FLAGS
# passes options to urcu-tlb-bench, e.g. BENCH_FLAGS="--reps 9".

BENCH_OUT = $(srcdir)/docs/bench
BENCH_DOC = $(srcdir)/docs/performance.md
BENCH_FLAGS =

bench: $(BENCH_BINS)
	$(AM_V_at)mkdir -p '$(BENCH_OUT)'
	$(AM_V_at)doc='$(BENCH_DOC)'; \
	stress/bench/urcu-tlb-bench --out '$(BENCH_OUT)' $${doc:+--doc "$$doc"} \
		--liburcu "`$(PKG_CONFIG) --modversion liburcu 2>/dev/null || echo unknown`" \
		$(BENCH_FLAGS)
	$(AM_V_at)if test "$(GNUPLOT)" != no && test -x "$(GNUPLOT)"; then \
		for p in reader-scaling gp-latency; do \
			$(GNUPLOT) -e "dir='$(BENCH_OUT)'" $(srcdir)/stress/bench/$$p.gp || exit 1; \
		done; \
		echo "make bench: results and plots in $(BENCH_OUT)"; \
	else \
		rm -f '$(BENCH_OUT)/reader-scaling.png' '$(BENCH_OUT)/gp-latency.png'; \
		echo "make bench: gnuplot was not found by configure: NO PLOTS drawn (older ones removed);"; \
		echo "make bench: install gnuplot-nox and run ./configure again for them.  Results in $(BENCH_OUT)"; \
	fi

.PHONY: bench
