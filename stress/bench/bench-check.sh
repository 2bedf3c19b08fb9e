#!/bin/sh
# bench-check.sh: the benchmark's quick mode, run by `make check`.  It proves
# that every flavor's benchmark runs and that the driver writes complete
# results (and, where gnuplot is installed, that the plots draw); it asserts
# nothing about speed.  Run from the top build directory.
set -eu

fail() {
	echo "bench-check: $*" >&2
	exit 1
}

out=$(mktemp -d "${TMPDIR:-/tmp}/urcu-tlb-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

# A document with the markers, to check that the tables go in between and
# that the text around them stays.
printf 'before\n<!-- bench-tables:begin -->\nold\n<!-- bench-tables:end -->\nafter\n' \
	> "$out/doc.md"

./stress/bench/urcu-tlb-bench --quick --out "$out" --doc "$out/doc.md" \
	> "$out/stdout" || fail "urcu-tlb-bench --quick failed"

for f in raw.csv summary.csv tables.md reader-scaling.dat gp-latency.dat; do
	test -s "$out/$f" || fail "$f is missing or empty"
done
test "$(grep -c '^### ' "$out/tables.md")" -eq 7 ||
	fail "tables.md does not hold the 7 tables"
cmp -s "$out/stdout" "$out/tables.md" || fail "stdout and tables.md differ"
# A cell without a value is "-": every available flavor measured everything.
if grep -E '\| +- +\|' "$out/tables.md" >&2; then
	fail "a table has a cell without a value (above)"
fi
test "$(sed -n 1p "$out/doc.md")" = before &&
	test "$(tail -n 1 "$out/doc.md")" = after &&
	grep -q '^### 1\. Read-side cost' "$out/doc.md" &&
	! grep -qx old "$out/doc.md" ||
	fail "--doc did not replace the marked block"

if command -v gnuplot > /dev/null 2>&1; then
	for p in reader-scaling gp-latency; do
		gnuplot -e "dir='$out'" "${srcdir:-.}/stress/bench/$p.gp" ||
			fail "gnuplot $p.gp failed"
		test -s "$out/$p.png" || fail "$p.png was not drawn"
	done
else
	echo "bench-check: gnuplot not installed: plots not checked"
fi
echo "bench-check: every flavor ran every measure (quick mode; speed not judged)"
