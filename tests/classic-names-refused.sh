#!/bin/sh
# classic-names-refused.sh: the two names of liburcu's memb flavor that
# liburcu-tlb refuses on purpose (rcu_reader, rcu_gp: memb's private state)
# must stop the build with a message naming them, not compile or fail at
# link time.  Run by make check with CC and the include flags in the
# environment.
set -u
srcdir=${srcdir:-.}
builddir=${builddir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/urcu-tlb-refused.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0
for name in rcu_reader rcu_gp rcu_reader_memb rcu_gp_memb urcu_memb_reader urcu_memb_gp; do
	cat > "$tmp/use.c" <<EOC
#include <urcu-tlb.h>
int f(void) { return (int) sizeof(&$name); }
EOC
	if ${CC:-cc} -I"$builddir/include" -I"$srcdir/include" -c "$tmp/use.c" \
		-o "$tmp/use.o" 2> "$tmp/err"; then
		echo "FAIL: a program using $name compiled"
		status=1
	elif ! grep -q "error: $name is .* of liburcu's memb flavor, which liburcu-tlb does not have" "$tmp/err"; then
		echo "FAIL: $name: the compiler did not say why:"
		cat "$tmp/err"
		status=1
	else
		echo "ok: $name refused at compile time: $(grep -o "error: $name is[^(]*" "$tmp/err" | head -1)"
	fi
done
exit $status
