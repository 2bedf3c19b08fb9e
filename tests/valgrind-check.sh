#!/bin/sh
# valgrind-check.sh LIBTOOL LOGDIR TEST...: run the unit tests under
# valgrind memcheck.  Check runs each test in a child and the death tests
# fork again, so every process writes its own log; the target fails if any
# test fails or any log reports an error or a definite leak.
set -u
libtool=$1 logdir=$2
shift 2
status=0
for t in "$@"; do
	name=$(basename "$t")
	echo "valgrind: $name"
	URCU_TLB_TEST_VALGRIND=1 CK_TIMEOUT_MULTIPLIER=1 \
	$libtool --mode=execute valgrind --tool=memcheck --quiet \
		--error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--fair-sched=yes --trace-children=yes \
		--log-file="$logdir/$name.%p.log" "./$t" \
		> "$logdir/$name.out" 2>&1 || {
		echo "FAIL: $name under valgrind (see $logdir/$name.out)"
		tail -n 20 "$logdir/$name.out"
		status=1
	}
done
bad=$(grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$logdir"/*.log 2>/dev/null)
if [ -n "$bad" ]; then
	echo "valgrind found errors in:"
	for f in $bad; do echo "  $f"; grep -m3 -A8 -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched|Source and|[0-9,]+ bytes in)' "$f" | head -40; done
	status=1
fi
[ $status -eq 0 ] && echo "valgrind: no errors in $(ls "$logdir"/*.log | wc -l) processes"
exit $status
