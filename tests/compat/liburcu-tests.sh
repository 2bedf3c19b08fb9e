#!/bin/sh
#
# tests/compat/liburcu-tests.sh LIBURCU_SRC PREFIX
#
# Builds liburcu's own regression and benchmark test programs, unmodified,
# from the liburcu source tree LIBURCU_SRC, twice:
#
#   - against liburcu's memb flavor (<urcu.h>, -lurcu), as liburcu's
#     Makefiles build them: the baseline;
#   - against liburcu-tlb installed in PREFIX: the same sources, with
#     tests/compat/shim/ first on the include path (its urcu.h includes
#     <urcu-tlb.h>) and liburcu-tlb's link flags instead of -lurcu.
#
# Then runs each one, with the arguments of liburcu's own run scripts and
# .tap files (durations shortened), against memb once and against
# liburcu-tlb once per mechanism usable here (URCU_TLB_MECHANISM=...),
# each under timeout, and prints a result table.  docs/compatibility.md
# says what is covered, what is not and why, and shows a run.
#
# Environment:
#   DURATION=S      seconds per timed benchmark run (default 1)
#   MECHANISMS="…"  liburcu-tlb mechanisms to run (default: every usable one)
#   URCU_PREFIX=DIR liburcu installed under DIR (headers, liburcu-cds, the
#                   memb baseline) instead of the system's; liburcu-tlb in
#                   PREFIX must have been built against the same liburcu
#   WORKDIR=DIR     where to build and log (default: a new /tmp/liburcu-tests-run.*)
#   ONLY=REGEX      run only the runs whose label matches (grep -E)
#   NO_BASELINE=1   skip the memb (and QSBR) baseline runs
#   CC, CXX, CFLAGS compilers and flags (default cc, c++, -O2 -g)
#
# Exit status: 0 when every test that builds against memb builds against
# liburcu-tlb and passes under every mechanism run (a run that fails
# against memb too is shown but not counted); 1 otherwise; 2 on a usage or
# set-up error.

set -u

usage() {
	echo "usage: $0 LIBURCU_SRC PREFIX" >&2
	echo "  LIBURCU_SRC: a liburcu source tree (its tests/ is used, unmodified)" >&2
	echo "  PREFIX:      where liburcu-tlb is installed (PREFIX/lib/pkgconfig/liburcu-tlb.pc)" >&2
	exit 2
}

[ $# -eq 2 ] || usage
if [ ! -d "$1/tests/benchmark" ] || [ ! -d "$1/tests/regression" ]; then
	echo "$0: $1 is not a liburcu source tree (no tests/benchmark, tests/regression)" >&2
	exit 2
fi
SRC=$(cd "$1" && pwd)
PREFIX=$(cd "$2" 2>/dev/null && pwd) || { echo "$0: no directory $2" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

DURATION=${DURATION:-1}
CC=${CC:-cc}
CXX=${CXX:-c++}
CFLAGS=${CFLAGS:--O2 -g}
URCU_PREFIX=${URCU_PREFIX:-}
ONLY=${ONLY:-}
NO_BASELINE=${NO_BASELINE:-}

T0=$(date +%s)

# ---- Flags -------------------------------------------------------------------

# What liburcu's build gives every test: -include config.h (its configure's
# output; tests/compat/config/config.h holds what the tests read), its src/
# and tests/common, tests/utils directories.
BASE_CPPFLAGS="-I$HERE/config -include config.h -I$SRC/src -I$SRC/tests/common -I$SRC/tests/utils"
# liburcu 0.14+ benchmarks share common-states.{h,c}.
STATES_H=
STATES_C=
if [ -f "$SRC/tests/benchmark/common-states.c" ]; then
	STATES_H="-include $SRC/tests/benchmark/common-states.h"
	STATES_C="$SRC/tests/benchmark/common-states.c"
fi

URCU_CPPFLAGS=
URCU_LDFLAGS=
if [ -n "$URCU_PREFIX" ]; then
	URCU_CPPFLAGS="-I$URCU_PREFIX/include"
	URCU_LDFLAGS="-L$URCU_PREFIX/lib -Wl,-rpath,$URCU_PREFIX/lib"
	PKG_CONFIG_PATH=$URCU_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
fi

if [ -f "$PREFIX/lib/pkgconfig/liburcu-tlb.pc" ] && command -v pkg-config >/dev/null; then
	TLB_CFLAGS=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags liburcu-tlb)
	TLB_LIBS=$(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --libs liburcu-tlb)
elif [ -f "$PREFIX/include/urcu-tlb.h" ]; then
	TLB_CFLAGS="-I$PREFIX/include -pthread"
	TLB_LIBS="-L$PREFIX/lib -lurcu-tlb"
else
	echo "$0: liburcu-tlb is not installed in $PREFIX" >&2
	exit 2
fi
TLB_LIBS="$TLB_LIBS -Wl,-rpath,$PREFIX/lib"

# Where to build and log, once the arguments are known to be good.
WORK=${WORKDIR:-}
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d /tmp/liburcu-tests-run.XXXXXX) || exit 2
fi
mkdir -p "$WORK/bin" "$WORK/log" || exit 2
WORK=$(cd "$WORK" && pwd)
RESULTS=$WORK/results.txt
: >"$RESULTS"

# Per flavor: the include directories put first, and the libraries.
#   memb: liburcu's memb flavor, as liburcu's Makefiles link the tests
#         (URCU_LIB is liburcu.la, the memb flavor).
#   qsbr: test_urcu_hash as liburcu builds it (-DRCU_QSBR, -lurcu-qsbr).
#   tlb:  tests/compat/shim first, liburcu-tlb instead of -lurcu.
flavor_cppflags() {
	case $1 in
	memb)	echo "$URCU_CPPFLAGS" ;;
	qsbr)	echo "-DRCU_QSBR $URCU_CPPFLAGS" ;;
	tlb)	echo "-I$HERE/shim $TLB_CFLAGS $URCU_CPPFLAGS" ;;
	esac
}
flavor_libs() {
	case $1 in
	memb)	echo "$URCU_LDFLAGS -lurcu -lurcu-cds -lurcu-common -pthread" ;;
	qsbr)	echo "$URCU_LDFLAGS -lurcu-qsbr -lurcu-cds -lurcu-common -pthread" ;;
	tlb)	echo "$TLB_LIBS $URCU_LDFLAGS -lurcu-cds -lurcu-common -pthread" ;;
	esac
}

# ---- What is built -------------------------------------------------------------

# name|directory|sources|extra flags|flavors
# Every program of liburcu's tests/benchmark and tests/regression Makefiles
# that is built for the memb flavor (or with <urcu.h>, or only with
# liburcu-common), plus test_urcu_hash (QSBR in liburcu: its baseline is
# both qsbr and memb with tests/compat/memb-shim).  Out of scope, and why:
# docs/compatibility.md.
BUILDS=$WORK/builds.txt
cat >"$BUILDS" <<'EOF'
test_urcu_fork|regression|test_urcu_fork.c @TAP@||memb tlb
rcutorture_urcu_membarrier|regression|urcutorture.c @TAP@|-DRCU_MEMBARRIER|memb tlb
test_urcu|benchmark|test_urcu.c @STATES@||memb tlb
test_urcu_dynamic_link|benchmark|test_urcu.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_yield|benchmark|test_urcu.c @STATES@ @YIELD@|-DDEBUG_YIELD|memb tlb
test_urcu_timing|benchmark|test_urcu_timing.c @STATES@||memb tlb
test_urcu_gc|benchmark|test_urcu_gc.c @STATES@||memb tlb
test_urcu_lgc|benchmark|test_urcu_gc.c @STATES@|-DTEST_LOCAL_GC|memb tlb
test_urcu_defer|benchmark|test_urcu_defer.c @STATES@||memb tlb
test_urcu_assign|benchmark|test_urcu_assign.c @STATES@||memb tlb
test_urcu_assign_dynamic_link|benchmark|test_urcu_assign.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_lfq|benchmark|test_urcu_lfq.c @STATES@||memb tlb
test_urcu_lfq_dynlink|benchmark|test_urcu_lfq.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_lfs|benchmark|test_urcu_lfs.c @STATES@||memb tlb
test_urcu_lfs_dynlink|benchmark|test_urcu_lfs.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_lfs_rcu|benchmark|test_urcu_lfs_rcu.c @STATES@||memb tlb
test_urcu_lfs_rcu_dynlink|benchmark|test_urcu_lfs_rcu.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_wfq|benchmark|test_urcu_wfq.c @STATES@||memb tlb
test_urcu_wfq_dynlink|benchmark|test_urcu_wfq.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_wfcq|benchmark|test_urcu_wfcq.c @STATES@||memb tlb
test_urcu_wfcq_dynlink|benchmark|test_urcu_wfcq.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_urcu_wfs|benchmark|test_urcu_wfs.c @STATES@||memb tlb
test_urcu_wfs_dynlink|benchmark|test_urcu_wfs.c @STATES@|-DDYNAMIC_LINK_TEST|memb tlb
test_rwlock|benchmark|test_rwlock.c @STATES@||memb tlb
test_perthreadlock|benchmark|test_perthreadlock.c @STATES@||memb tlb
test_mutex|benchmark|test_mutex.c @STATES@||memb tlb
test_urcu_hash|benchmark|test_urcu_hash.c test_urcu_hash_rw.c test_urcu_hash_unique.c @STATES@||memb qsbr tlb
EOF
# liburcu 0.14+ also builds its regression tests as C++.
if [ -f "$SRC/tests/regression/urcutorture_cxx.cpp" ]; then
	cat >>"$BUILDS" <<'EOF'
test_urcu_fork_cxx|regression|test_urcu_fork_cxx.cpp @TAP@||memb tlb
rcutorture_urcu_membarrier_cxx|regression|urcutorture_cxx.cpp @TAP@|-DRCU_MEMBARRIER|memb tlb
EOF
fi

# ---- What is run -------------------------------------------------------------

# label|program|arguments|timeout (s)
# @D@ is DURATION, @NPROC@ the number of CPUs (as liburcu's .tap files use).
# The benchmark arguments follow liburcu's run-urcu-tests.sh (2 readers and
# 2 writers: it floors its CPU count at 4), the hash runs are all of
# runhash.sh, the rcutorture runs all of its memb .tap files.
RUNS=$WORK/runs.txt
{
	echo "test_urcu_fork|test_urcu_fork||60"
	for cxx in "" _cxx; do
		[ -z "$cxx" ] || grep -q "^rcutorture_urcu_membarrier_cxx|" "$BUILDS" || continue
		[ -z "$cxx" ] || echo "test_urcu_fork_cxx|test_urcu_fork_cxx||60"
		for mode in perf rperf uperf stress; do
			for cb in global percpu perthread; do
				echo "rcutorture_urcu_membarrier$cxx $mode $cb|rcutorture_urcu_membarrier$cxx|@NPROC@ $mode 1 callrcu_$cb|90"
			done
		done
	done
	cat <<'EOF'
test_urcu -d 0|test_urcu|2 2 @D@ -d 0 -b 32768|60
test_urcu_dynamic_link -d 0|test_urcu_dynamic_link|2 2 @D@ -d 0 -b 32768|60
test_urcu_yield -r -w|test_urcu_yield|2 2 @D@ -r -w|60
test_urcu_timing|test_urcu_timing|2 1|120
test_urcu_gc -b 1|test_urcu_gc|2 2 @D@ -d 0 -b 1|60
test_urcu_gc -b 32768|test_urcu_gc|2 2 @D@ -d 0 -b 32768|60
test_urcu_lgc -b 32768|test_urcu_lgc|2 2 @D@ -d 0 -b 32768|60
test_urcu_defer -d 0|test_urcu_defer|2 2 @D@ -d 0|60
test_urcu_assign -d 0|test_urcu_assign|2 2 @D@ -d 0|60
test_urcu_assign_dynamic_link -d 0|test_urcu_assign_dynamic_link|2 2 @D@ -d 0|60
test_urcu_lfq|test_urcu_lfq|2 2 @D@|60
test_urcu_lfq_dynlink|test_urcu_lfq_dynlink|2 2 @D@|60
test_urcu_lfs|test_urcu_lfs|2 2 @D@|60
test_urcu_lfs -p -P -R|test_urcu_lfs|2 2 @D@ -p -P -R|60
test_urcu_lfs_dynlink -p -R|test_urcu_lfs_dynlink|2 2 @D@ -p -R|60
test_urcu_lfs_rcu|test_urcu_lfs_rcu|2 2 @D@|60
test_urcu_lfs_rcu_dynlink|test_urcu_lfs_rcu_dynlink|2 2 @D@|60
test_urcu_wfq|test_urcu_wfq|2 2 @D@|60
test_urcu_wfq_dynlink|test_urcu_wfq_dynlink|2 2 @D@|60
test_urcu_wfcq|test_urcu_wfcq|2 2 @D@|60
test_urcu_wfcq -q|test_urcu_wfcq|2 2 @D@ -q|60
test_urcu_wfcq_dynlink|test_urcu_wfcq_dynlink|2 2 @D@|60
test_urcu_wfs|test_urcu_wfs|2 2 @D@|60
test_urcu_wfs -p|test_urcu_wfs|2 2 @D@ -p|60
test_urcu_wfs_dynlink|test_urcu_wfs_dynlink|2 2 @D@|60
test_rwlock -d 0|test_rwlock|2 2 @D@ -d 0 -b 32768|60
test_perthreadlock -d 0|test_perthreadlock|2 2 @D@ -d 0 -b 32768|60
test_mutex -d 0|test_mutex|2 2 @D@ -d 0 -b 32768|60
hash 1 single key replace/del|test_urcu_hash|0 4 @D@ -A -s -M 1 -N 1 -O 1 -v|60
hash 2 single key unique/del|test_urcu_hash|0 4 @D@ -A -u -M 1 -N 1 -O 1 -v|60
hash 3 single key replace, 2+2|test_urcu_hash|2 2 @D@ -A -s -M 1 -N 1 -O 1 -v|60
hash 4 single key add/del, 2+2|test_urcu_hash|2 2 @D@ -A -M 1 -N 1 -O 1 -v|60
hash 5 add/del|test_urcu_hash|2 2 @D@ -A -v|60
hash 6 add_replace/del|test_urcu_hash|2 2 @D@ -A -s -v|60
hash 7 add_unique/del|test_urcu_hash|2 2 @D@ -A -u -v|60
hash 8 mm order|test_urcu_hash|2 2 @D@ -A -m 1 -n 1048576 -i -M 100000000 -N 100000000 -O 100000000 -B order -v|60
hash 9 mm chunk|test_urcu_hash|2 2 @D@ -A -m 1 -n 1048576 -i -M 100000000 -N 100000000 -O 100000000 -B chunk -v|60
hash 10 mm mmap|test_urcu_hash|2 2 @D@ -A -m 1 -n 1048576 -i -M 100000000 -N 100000000 -O 100000000 -B mmap -v|60
hash 11 lookup range apart|test_urcu_hash|2 2 @D@ -A -R 1000000 -v|60
hash 12 small range add/del|test_urcu_hash|2 2 @D@ -A -M 10 -N 10 -O 10 -v|60
hash 13 small range unique|test_urcu_hash|2 2 @D@ -A -M 10 -N 10 -O 10 -u -v|60
hash 14 small range replace|test_urcu_hash|2 2 @D@ -A -M 10 -N 10 -O 10 -s -v|60
hash 15 known keys|test_urcu_hash|2 2 @D@ -A -M 10 -N 10 -O 10 -R 0 -T 0 -S 10 -k 10 -s -v|60
hash 16 uniqueness|test_urcu_hash|2 2 @D@ -A -U -v|60
hash 17 uniqueness, long chains|test_urcu_hash|2 2 @D@ -A -U -C 4 -v|60
EOF
} >"$RUNS"

# ---- Helpers -----------------------------------------------------------------

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The liburcu-tlb symbols a failed link missed, space-separated.
missing_symbols() {
	sed -n "s/.*undefined reference to \`\([^']*\)'.*/\1/p" "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Build program $1 for flavor $2; prints nothing, leaves $WORK/bin/$1.$2
# and $WORK/log/build-$1.$2.log; returns non-zero when it did not build.
build() {
	b_name=$1 b_flavor=$2
	b_line=$(grep "^$b_name|" "$BUILDS")
	b_dir=$(echo "$b_line" | cut -d'|' -f2)
	b_srcs=$(echo "$b_line" | cut -d'|' -f3)
	b_extra=$(echo "$b_line" | cut -d'|' -f4)
	b_log=$WORK/log/build-$b_name.$b_flavor.log
	b_out=$WORK/bin/$b_name.$b_flavor
	: >"$b_log"
	# Include directories first (test_urcu_hash includes <urcu-qsbr.h>:
	# for memb, memb-shim's), then the flavor's, then liburcu's build
	# flags in its order: -include config.h, then (0.14+ benchmarks)
	# -include common-states.h.
	b_dirs=
	[ "$b_name.$b_flavor" = test_urcu_hash.memb ] && b_dirs="-I$HERE/memb-shim"
	b_cppflags="$b_dirs $(flavor_cppflags "$b_flavor") $BASE_CPPFLAGS"
	[ "$b_dir" = benchmark ] && b_cppflags="$b_cppflags $STATES_H"
	b_cppflags="$b_cppflags $b_extra"
	b_files=
	for b_s in $b_srcs; do
		case $b_s in
		@TAP@)		b_files="$b_files $SRC/tests/utils/tap.c" ;;
		@STATES@)	[ "$b_dir" = benchmark ] && b_files="$b_files $STATES_C" ;;
		@YIELD@)	b_files="$b_files $SRC/tests/common/debug-yield.c" ;;
		*)		b_files="$b_files $SRC/tests/$b_dir/$b_s" ;;
		esac
	done
	# C++ programs: their C helpers (tap.c) are compiled as C first.
	b_cc=$CC
	b_objs=
	case "$b_srcs" in
	*.cpp*)
		b_cc=$CXX
		b_cxxfiles=
		for b_file in $b_files; do
			case $b_file in
			*.c)	b_o=$WORK/bin/$(basename "$b_file" .c).$b_name.$b_flavor.o
				echo "# $CC $CFLAGS $b_cppflags -c $b_file -o $b_o" >>"$b_log"
				# shellcheck disable=SC2086
				$CC $CFLAGS $b_cppflags -c "$b_file" -o "$b_o" >>"$b_log" 2>&1 || return 1
				b_objs="$b_objs $b_o" ;;
			*)	b_cxxfiles="$b_cxxfiles $b_file" ;;
			esac
		done
		b_files=$b_cxxfiles ;;
	esac
	echo "# $b_cc $CFLAGS $b_cppflags$b_files$b_objs -o $b_out $(flavor_libs "$b_flavor")" >>"$b_log"
	# shellcheck disable=SC2046,SC2086
	$b_cc $CFLAGS $b_cppflags $b_files $b_objs -o "$b_out" $(flavor_libs "$b_flavor") >>"$b_log" 2>&1 || return 1
	if [ "$b_flavor" = tlb ]; then
		# The program must not reach any liburcu flavor: only liburcu-tlb
		# (and liburcu-cds/-common for the data structures).
		b_leak=$(nm -D --undefined-only "$b_out" 2>/dev/null | awk '{ print $NF }' |
			grep -E '^urcu_(memb|mb|signal|qsbr|bp)_' | tr '\n' ' ')
		b_needed=$(readelf -d "$b_out" 2>/dev/null |
			sed -n 's/.*Shared library: \[\(liburcu\(-memb\|-mb\|-signal\|-qsbr\|-bp\)\{0,1\}\.so[^]]*\)\].*/\1/p' | tr '\n' ' ')
		if [ -n "$b_leak$b_needed" ]; then
			echo "liburcu-tests: $b_out reaches a liburcu flavor: $b_leak$b_needed" >>"$b_log"
			rm -f "$b_out"
			return 2
		fi
	fi
	return 0
}

# ---- Mechanisms ----------------------------------------------------------------

echo "liburcu-tests: liburcu sources $SRC, liburcu-tlb in $PREFIX, work in $WORK"
# shellcheck disable=SC2086
if ! $CC $CFLAGS $TLB_CFLAGS $URCU_CPPFLAGS "$HERE/probe.c" -o "$WORK/bin/probe" $TLB_LIBS $URCU_LDFLAGS -lurcu-common -pthread >"$WORK/log/probe.log" 2>&1 ||
   ! $CC $CFLAGS -fPIC -shared $TLB_CFLAGS $URCU_CPPFLAGS "$HERE/report.c" -o "$WORK/bin/report.so" $TLB_LIBS $URCU_LDFLAGS -pthread >>"$WORK/log/probe.log" 2>&1; then
	echo "$0: cannot build the probe against liburcu-tlb in $PREFIX:" >&2
	cat "$WORK/log/probe.log" >&2
	exit 2
fi
if [ -z "${MECHANISMS:-}" ]; then
	MECHANISMS=$("$WORK/bin/probe" 2>"$WORK/log/probe.err" | tr '\n' ' ')
	sed 's/^/liburcu-tests: /' "$WORK/log/probe.err"
fi
NPROC=$(nproc 2>/dev/null || echo 1)
urcu_version=$(awk -F'[][]' '/^m4_define\(\[urcu_version_(major|minor|patch)\]/ { v = v (v == "" ? "" : ".") $4 } END { print v }' "$SRC/configure.ac")
echo "liburcu-tests: liburcu ${urcu_version:-?} tests; mechanisms: $MECHANISMS; $NPROC CPUs; DURATION=$DURATION"

# ---- Build -------------------------------------------------------------------

FLAVORS_RUN="memb qsbr tlb"
[ -n "$NO_BASELINE" ] && FLAVORS_RUN=tlb
BUILT=$WORK/built.txt
: >"$BUILT"
tb=$(now)
while IFS='|' read -r name _ _ _ flavors; do
	for f in $flavors; do
		case " $FLAVORS_RUN " in *" $f "*) ;; *) continue ;; esac
		if build "$name" "$f"; then
			echo "$name $f yes" >>"$BUILT"
		else
			rc=$?
			if [ $rc -eq 2 ]; then
				why="links a liburcu flavor"
			else
				why=$(missing_symbols "$WORK/log/build-$name.$f.log")
				if [ -n "$why" ]; then
					why="undefined: $why"
				else
					why="compile error: $(grep -m1 'error:' "$WORK/log/build-$name.$f.log" |
						sed 's|^.*/||')"
				fi
			fi
			echo "$name $f no $why" >>"$BUILT"
		fi
	done
done <"$BUILDS"
echo "liburcu-tests: built in $(elapsed "$tb" "$(now)") s; logs in $WORK/log"

# ---- Run ---------------------------------------------------------------------

# Counted: a liburcu-tlb run that fails, or a program that does not build
# against liburcu-tlb, where memb passes or builds (TLB_BAD, the exit
# status).  Not counted (NOT_COUNTED): runs that fail against liburcu's own
# flavor (the baseline) and their liburcu-tlb runs, and programs that build
# against neither.
TOTAL_PASS=0
TLB_BAD=0
NOT_COUNTED=0

# record LABEL CONFIG BUILT RESULT SECONDS GPS
record() {
	printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$RESULTS"
	printf '%-46s %-16s %-5s %-9s %6s %8s  %s\n' "$1" "$2" "$3" "${4%%:*}" "$5" "$6" \
		"$(case $4 in *:*) echo "${4#*: }" ;; esac)"
}

# run_one LABEL PROGRAM ARGS TIMEOUT FLAVOR MECHANISM
run_one() {
	label=$1 prog=$2 args=$3 tmo=$4 flavor=$5 mech=$6
	config=$flavor
	[ "$flavor" = tlb ] && config="tlb/$mech"
	bline=$(grep "^$prog $flavor " "$BUILT")
	if [ -z "$bline" ]; then
		return
	fi
	case $bline in
	*" no "*)
		# Out of scope when it does not build against memb either.
		if [ "$flavor" != tlb ] || grep -q "^$prog memb no " "$BUILT"; then
			NOT_COUNTED=$((NOT_COUNTED + 1))
			record "$label" "$config" no "not built: ${bline#* no }" - -
			return
		fi
		TLB_BAD=$((TLB_BAD + 1))
		record "$label" "$config" no "not built: ${bline#* no }" - -
		return ;;
	esac
	slug=$(echo "$label.$config" | tr -c 'A-Za-z0-9_.-' '_')
	log=$WORK/log/run-$slug.log
	report=$WORK/log/run-$slug.report
	rm -f "$report"
	args=$(echo "$args" | sed -e "s/@D@/$DURATION/g" -e "s/@NPROC@/$NPROC/g")
	t=$(now)
	echo "# $config: $WORK/bin/$prog.$flavor $args" >"$log"
	if [ "$flavor" = tlb ]; then
		# shellcheck disable=SC2086
		# env after timeout: only the test program gets the reporter.
		(cd "$WORK" && timeout -k 5 "$tmo" env URCU_TLB_MECHANISM="$mech" \
			URCU_TLB_COMPAT_REPORT="$report" LD_PRELOAD="$WORK/bin/report.so" \
			"$WORK/bin/$prog.$flavor" $args) >>"$log" 2>&1
	else
		# shellcheck disable=SC2086
		(cd "$WORK" && timeout -k 5 "$tmo" "$WORK/bin/$prog.$flavor" $args) >>"$log" 2>&1
	fi
	rc=$?
	secs=$(elapsed "$t" "$(now)")
	gps=-
	result=pass
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		result="FAIL: timeout after $tmo s"
	elif [ $rc -ne 0 ]; then
		result="FAIL: exit status $rc"
	elif grep -q '^not ok' "$log"; then
		result="FAIL: $(grep -m1 '^not ok' "$log")"
	elif grep -Eq 'WARNING! Discrepancy|nodes were leaked' "$log"; then
		result="FAIL: $(grep -m1 -E 'WARNING! Discrepancy|nodes were leaked' "$log")"
	elif grep -q '^liburcu-tlb:' "$log"; then
		result="FAIL: $(grep -m1 '^liburcu-tlb:' "$log")"
	fi
	if [ "$flavor" = tlb ]; then
		rep=$(tail -n 1 "$report" 2>/dev/null)
		used=$(echo "$rep" | sed -n 's/.* mechanism=\([a-z]*\).*/\1/p')
		gps=$(echo "$rep" | sed -n 's/.* grace_periods=\([0-9]*\).*/\1/p')
		[ -n "$gps" ] || gps=-
		if [ "$result" = pass ]; then
			if [ -z "$rep" ]; then
				result="FAIL: no liburcu-tlb report at exit"
			elif [ "$used" != "$mech" ] && [ "$used" != unused ]; then
				result="FAIL: ran with $used, not $mech"
			fi
		fi
	fi
	[ "$flavor" = memb ] && MEMB_RESULT=$result
	case $result in
	pass)	TOTAL_PASS=$((TOTAL_PASS + 1)) ;;
	*)	if [ "$flavor" != tlb ]; then
			NOT_COUNTED=$((NOT_COUNTED + 1))
		elif [ "$MEMB_RESULT" = pass ]; then
			TLB_BAD=$((TLB_BAD + 1))
		else
			# It fails against memb as well: a fault of the test,
			# not of liburcu-tlb; shown, not counted.
			NOT_COUNTED=$((NOT_COUNTED + 1))
			result="$result (fails against memb too)"
		fi ;;
	esac
	record "$label" "$config" yes "$result" "$secs" "$gps"
}

printf '%-46s %-16s %-5s %-9s %6s %8s  %s\n' test flavor/mech built result seconds GPs detail
while IFS='|' read -r label prog args tmo; do
	if [ -n "$ONLY" ] && ! echo "$label" | grep -Eq -- "$ONLY"; then
		continue
	fi
	MEMB_RESULT=pass	# unknown (NO_BASELINE) counts as pass
	for f in $FLAVORS_RUN; do
		if [ "$f" = tlb ]; then
			for m in $MECHANISMS; do
				run_one "$label" "$prog" "$args" "$tmo" tlb "$m"
			done
		else
			run_one "$label" "$prog" "$args" "$tmo" "$f" -
		fi
	done
done <"$RUNS"

# ---- Summary -----------------------------------------------------------------

# The same results in Markdown, for docs/compatibility.md: one row per run,
# one column per flavor / mechanism; a cell is the result, the seconds and,
# for liburcu-tlb, the grace periods it ran.
awk -F'|' -v mechs="$MECHANISMS" -v base="$FLAVORS_RUN" '
	{
		if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
		r = $4; sub(/:.*/, "", r)
		if (r != "pass") r = "**" $4 "**"
		cell = r
		if ($5 != "-") cell = cell ", " $5 " s"
		if ($6 != "-" && $6 != "0") cell = cell ", " $6 " GP"
		c[$1, $2] = cell
		used[$2] = 1
	}
	END {
		nc = 0
		split(base, b, " ")
		for (i = 1; i in b; i++)
			if (b[i] != "tlb" && (b[i] in used)) col[++nc] = b[i]
		split(mechs, m, " ")
		for (i = 1; i in m; i++) col[++nc] = "tlb/" m[i]
		printf "| test |"
		for (j = 1; j <= nc; j++) printf " %s |", col[j]
		printf "\n| --- |"
		for (j = 1; j <= nc; j++) printf " --- |"
		printf "\n"
		for (i = 1; i <= n; i++) {
			printf "| %s |", order[i]
			for (j = 1; j <= nc; j++)
				printf " %s |", ((order[i], col[j]) in c) ? c[order[i], col[j]] : "-"
			printf "\n"
		}
	}' "$RESULTS" >"$WORK/results.md"

echo
echo "liburcu-tests: liburcu ${urcu_version:-?} tests, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $NPROC CPUs, $(($(date +%s) - T0)) s"
echo "liburcu-tests: table in $RESULTS and $WORK/results.md, logs in $WORK/log"
echo "liburcu-tests: failed: liburcu-tlb runs that fail, or programs that do not build against it, where memb passes or builds"
echo "liburcu-tests: skipped: runs that fail, or do not build, against liburcu's own flavor too (not counted)"
echo "liburcu-tests: $TOTAL_PASS passed, $TLB_BAD failed, $NOT_COUNTED skipped"
[ "$TLB_BAD" -eq 0 ]
