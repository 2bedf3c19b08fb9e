#!/bin/bash
# tests/compat/knot.sh: Knot DNS on liburcu-tlb beside the same Knot DNS on
# liburcu's memb flavor, serving queries while its zone is edited and
# reloaded (an RCU-protected zone swap each time).
#
# usage: tests/compat/knot.sh [-d SECONDS] [-q QPS] [-n REPEATS] [-p PORT]
#                             [-o DIR] URCU_TLB_PREFIX KNOT_TLB_PREFIX
#                             KNOT_MEMB_PREFIX
#
#   URCU_TLB_PREFIX   where liburcu-tlb is installed (its libdir goes on
#                     LD_LIBRARY_PATH for the liburcu-tlb rounds)
#   KNOT_TLB_PREFIX   an installed Knot DNS built against liburcu-tlb through
#                     the compatibility directory (docs/compatibility.md)
#   KNOT_MEMB_PREFIX  the same Knot DNS built against liburcu
#   -d SECONDS        length of each round (default 20)
#   -q QPS            queries per second each client sends (default 3000;
#                     0: as fast as answers come back, 100 outstanding)
#   -n REPEATS        run the four rounds this many times, interleaved, and
#                     end with a summary per build (default 1)
#   -p PORT           first UDP/TCP port on 127.0.0.1 (default 53530; one per round)
#   -o DIR            where each round's files and the results go
#                     (default: a new /tmp/knot-harness.XXXXXX)
#
# Rounds: the memb build, then the liburcu-tlb build under each mechanism
# (URCU_TLB_MECHANISM=membarrier, mprotect, signal).  In each, knotd serves
# a small zone on 127.0.0.1; two dnsperf clients query it at QPS each for
# SECONDS; meanwhile a loop rewrites the zone file (serial + 1, two records
# changed), runs `knotc -b zone-reload`, and polls with kdig until the new
# serial is served: that time is the reload latency.  Every serial kdig
# sees must be at least the one before.  A round passes when every answer
# was NOERROR, every reload was served, the serials never went back, knotd
# logged no warning or error, liburcu-tlb printed nothing, and knotd
# stopped cleanly on `knotc stop`.  Queries lost (no answer within 5 s) are
# counted in their own column and do not fail a round: on a shared
# machine a stalled client or server drops UDP whatever the RCU flavor
# (docs/compatibility.md shows liburcu's memb build losing them too); the
# load average at each round's end is in its notes.  Knot blocks every
# signal in its threads, so the signal round also shows how many of knotd's
# threads block the mechanism's signal.
#
# Needs dnsperf and kdig (Debian: dnsperf, knot-dnsutils; kdig may also
# come from either Knot prefix).  Sends traffic to 127.0.0.1 only; every
# wait is bounded.  Prints a Markdown table; exits 0 when every round
# passed.
set -u

duration=20
qps=3000
repeats=1
port0=53530
out=
while getopts d:q:n:p:o: opt; do
	case $opt in
	d) duration=$OPTARG ;;
	q) qps=$OPTARG ;;
	n) repeats=$OPTARG ;;
	p) port0=$OPTARG ;;
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 3 ]; then
	sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
urcu_tlb=$1
knot_tlb=$2
knot_memb=$3

die() { echo "knot.sh: $*" >&2; exit 2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

command -v dnsperf >/dev/null || die "dnsperf not found (Debian: apt-get install dnsperf)"
kdig=$(command -v kdig || echo "$knot_memb/bin/kdig")
[ -x "$kdig" ] || die "kdig not found (Debian: apt-get install knot-dnsutils)"
tlb_libdir=$(dirname "$(find "$urcu_tlb" -name 'liburcu-tlb.so.*' | head -n1)")
[ -f "$tlb_libdir/liburcu-tlb.so" ] || die "no liburcu-tlb.so under $urcu_tlb"
for k in "$knot_tlb" "$knot_memb"; do
	[ -x "$k/sbin/knotd" ] && [ -x "$k/sbin/knotc" ] || die "no sbin/knotd and sbin/knotc in $k"
done
[ -n "$out" ] || out=$(mktemp -d /tmp/knot-harness.XXXXXX)
mkdir -p "$out" || exit 2

# ---- the zone --------------------------------------------------------------

zone=example.com
serial0=1000

# write_zone FILE SERIAL: the zone at SERIAL, written whole then renamed.
write_zone() {
	local f=$1 s=$2 i
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$zone"
		printf '@ SOA ns hostmaster %s 3600 900 604800 300\n' "$s"
		printf '@ NS ns\nns A 127.0.0.1\n'
		printf 'www A 192.0.2.%d\n' $((s % 250 + 1))
		printf 'txt TXT "revision %s"\n' "$s"
		for i in $(seq 1 200); do
			printf 'h%d A 198.51.100.%d\n' "$i" $((i % 250 + 1))
		done
	} > "$f.tmp" && mv "$f.tmp" "$f"
}

# served_serial PORT: the SOA serial knotd answers with, empty if none.
served_serial() {
	"$kdig" @127.0.0.1 -p "$1" "$zone" SOA +short +timeout=1 +retry=0 2>/dev/null |
		awk 'NF >= 7 { print $3; exit }'
}

# ---- one round ---------------------------------------------------------------

# The mechanism's signal (the real-time signal knotd catches) and how many of
# knotd's threads block it, as "SIG=n blocked=b/t".
signal_blocking() {
	local pid=$1 cgt sig=0 n t blocked=0 total=0 open=
	cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status")
	for n in $(seq 34 64); do
		if (( (0x$cgt >> (n - 1)) & 1 )); then sig=$n; break; fi
	done
	for t in /proc/"$pid"/task/*/status; do
		total=$((total + 1))
		if [ "$sig" -gt 0 ] &&
		   (( (0x$(awk '/^SigBlk:/ { print $2 }' "$t") >> (sig - 1)) & 1 )); then
			blocked=$((blocked + 1))
		else
			open="$open $(awk '/^Name:/ { print $2 }' "$t")"
		fi
	done
	echo "signal $sig blocked in $blocked of knotd's $total threads${open:+ (not in:$open)}"
}

# reap PID: how knotd ended, in $ended ("exit N", "killed by signal N", or
# "still running, killed"); not in a subshell, which could not wait for it.
reap() {
	local st
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"; wait "$1" 2>/dev/null
		ended="still running, killed"
		return
	fi
	wait "$1"; st=$?
	if [ "$st" -gt 128 ]; then ended="killed by signal $((st - 128))"; else ended="exit $st"; fi
}

# run_round NAME KNOT_PREFIX MECHANISM PORT LABEL: one row of the table.
run_round() {
	local name=$1 knot=$2 mech=$3 port=$4 label=$5
	local dir=$out/$label conf pid i c verdict=ok
	mkdir -p "$dir/run" "$dir/storage" "$dir/zones"
	rm -f "$dir"/*.out "$dir"/*.txt "$dir/knotd.log"
	conf=$dir/knot.conf
	cat > "$conf" <<-EOF
	server:
	    rundir: "$dir/run"
	    listen: 127.0.0.1@$port
	    udp-workers: 2
	    tcp-workers: 1
	    background-workers: 1
	database:
	    storage: "$dir/storage"
	control:
	    listen: "$dir/run/knot.sock"
	log:
	  - target: "$dir/knotd.log"
	    any: info
	zone:
	  - domain: $zone
	    file: "$dir/zones/$zone.zone"
	    zonefile-load: whole
	    zonefile-sync: -1
	    journal-content: none
	EOF
	write_zone "$dir/zones/$zone.zone" "$serial0"
	awk -v z="$zone" 'BEGIN {
		print "www." z " A"; print z " SOA"; print "txt." z " TXT";
		print "h42." z " A"; print z " NS" }' > "$dir/queries.txt"

	local env=(env)
	if [ "$mech" != - ]; then
		env+=(LD_LIBRARY_PATH="$tlb_libdir" URCU_TLB_MECHANISM="$mech")
	fi
	"${env[@]}" ldd "$knot/sbin/knotd" | awk '/liburcu/ { print $1 }' | sort |
		tr '\n' ' ' | sed 's/ $//' > "$dir/linked.txt"

	# In its own directory, where a core dump would land.
	(cd "$dir" && ulimit -c unlimited 2>/dev/null
	 exec "${env[@]}" "$knot/sbin/knotd" -c "$conf") > "$dir/knotd.out" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		[ "$(served_serial "$port")" = "$serial0" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$(served_serial "$port")" != "$serial0" ]; then
		reap "$pid"
		printf '| %s | %s | knotd did not answer: %s, see %s | | | | | | | |\n' \
			"$label" "$(cat "$dir/linked.txt")" "$ended" "$dir"
		printf '%s\t-\t-\t-\t0\t-\t-\t-\tFAIL\t-\t-\n' "$name" >> "$out/rounds.tsv"
		return 1
	fi

	local clients=() rate=()
	[ "$qps" -eq 0 ] || rate=(-Q "$qps")
	for c in 1 2; do
		timeout $((duration + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$dir/queries.txt" \
			-l "$duration" "${rate[@]}" -c 1 -T 1 -t 5 > "$dir/client$c.out" 2>&1 &
		clients+=($!)
	done

	# Reloads until the clients are done.
	local end=$(( $(now_ms) + duration * 1000 )) serial=$serial0 t0 seen
	local reloads=0 unserved=0 sampled=
	: > "$dir/latency.txt"; : > "$dir/serials.txt"
	while [ "$(now_ms)" -lt "$end" ]; do
		serial=$((serial + 1))
		write_zone "$dir/zones/$zone.zone" "$serial"
		t0=$(now_ms)
		timeout 20 "${env[@]}" "$knot/sbin/knotc" -s "$dir/run/knot.sock" -b -t 15 \
			zone-reload "$zone" >> "$dir/knotc.out" 2>&1 ||
			echo "zone-reload $serial failed" >> "$dir/knotc.out"
		seen=
		for i in $(seq 1 200); do	# 10 s at most
			seen=$(served_serial "$port")
			echo "${seen:-none}" >> "$dir/serials.txt"
			[ "$seen" = "$serial" ] && break
			sleep 0.05
		done
		reloads=$((reloads + 1))
		if [ "$seen" = "$serial" ]; then
			echo $(($(now_ms) - t0)) >> "$dir/latency.txt"
		else
			unserved=$((unserved + 1))
		fi
		if [ "$mech" = signal ] && [ -z "$sampled" ] &&
		   [ "$(now_ms)" -gt $((end - duration * 500)) ]; then
			sampled=$(signal_blocking "$pid")
		fi
		sleep 0.2
	done
	wait "${clients[@]}"

	# Stop, within 20 s.
	timeout 20 "${env[@]}" "$knot/sbin/knotc" -s "$dir/run/knot.sock" stop >> "$dir/knotc.out" 2>&1
	local st
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	reap "$pid"
	st=$ended

	# The verdicts: each problem is a note, and any note fails the round.
	local qs=(- - -) errs=0 lostq=0 f lost answered noerr problems=()
	for c in 1 2; do
		f=$dir/client$c.out
		answered=$(awk '/Queries completed:/ { print $3 }' "$f")
		lost=$(awk '/Queries lost:/ { print $3 }' "$f")
		noerr=$(awk '/Response codes:/ { for (i = 1; i <= NF; i++)
			if ($i == "NOERROR") print $(i + 1) }' "$f")
		if [ -z "$answered" ] || [ -z "$lost" ]; then
			problems+=("client $c failed, see $f")
			continue
		fi
		lostq=$((lostq + lost))
		errs=$((errs + answered - ${noerr:-0}))
		qs[c]=$(awk '/Queries per second:/ { printf "%.0f", $4 }' "$f")
	done
	[ "$errs" -eq 0 ] || problems+=("$errs answers not NOERROR")

	local serials=ok
	if ! awk '$1 == "none" { next } $1 + 0 < last { bad = 1 } { last = $1 + 0 }
		  END { exit bad }' "$dir/serials.txt"; then
		serials="WENT BACK"; problems+=("a served serial went back")
	fi
	[ "$reloads" -gt 0 ] || problems+=("no reload")
	[ "$unserved" -eq 0 ] || problems+=("$unserved reloads never served")
	grep -q failed "$dir/knotc.out" && problems+=("knotc failed, see $dir/knotc.out")
	local n med p99 logbad
	n=$(wc -l < "$dir/latency.txt")
	med=$(sort -n "$dir/latency.txt" | awk -v n="$n" 'NR == int((n + 1) / 2)')
	p99=$(sort -n "$dir/latency.txt" | awk -v n="$n" 'NR == int((n * 99 + 99) / 100)')
	logbad=$(grep -c -E '(warning|error|critical):' "$dir/knotd.log")
	[ "$logbad" -eq 0 ] || problems+=("knotd logged $logbad warnings or errors")
	grep -q liburcu-tlb "$dir/knotd.out" &&
		problems+=("$(grep -m1 liburcu-tlb "$dir/knotd.out")")
	[ "$st" = "exit 0" ] || problems+=("knotd $st")
	# Other programs share the machine: say how busy it was.
	local load
	load="load $(cut -d' ' -f1 /proc/loadavg)"
	local notes
	notes=$(printf '%s; ' "${problems[@]}" ${sampled:+"$sampled"} "$load")
	[ ${#problems[@]} -eq 0 ] || verdict=FAIL
	printf '| %s | %s | %s / %s | %s | %s | %s | %s / %s | %s | %s | %s |\n' \
		"$label" "$(cat "$dir/linked.txt")" "${qs[1]}" "${qs[2]}" "$lostq" "$errs" \
		"$reloads" "${med:--}" "${p99:--}" "$serials" "$verdict" "${notes%; }"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${qs[1]}" "${qs[2]}" \
		"$errs" "$reloads" "${med:--}" "${p99:--}" "$serials" "$verdict" \
		"${load#load }" "$lostq" >> "$out/rounds.tsv"
	[ "$verdict" = ok ]
}

# ---- the rounds ----------------------------------------------------------------

{
	echo "Knot DNS $("$knot_tlb/sbin/knotd" --version 2>/dev/null | head -n1 | awk '{ print $NF }'), $(date -u +%Y-%m-%d), $(uname -srm), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
	echo "each round ${duration} s; 2 dnsperf clients at $([ "$qps" -eq 0 ] && echo "full speed" || echo "$qps queries/s") each; reload latency from knotc zone-reload to the new serial answered"
	echo
	echo "| build | linked | answers/s per client | lost | not NOERROR | reloads | reload ms median / p99 | serials | verdict | notes |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} | tee "$out/results.md"
failed=0
round=0
: > "$out/rounds.tsv"
for rep in $(seq 1 "$repeats"); do
	for spec in "liburcu-memb $knot_memb -" \
		    "liburcu-tlb-membarrier $knot_tlb membarrier" \
		    "liburcu-tlb-mprotect $knot_tlb mprotect" \
		    "liburcu-tlb-signal $knot_tlb signal"; do
		set -- $spec
		label=$1
		[ "$repeats" -eq 1 ] || label="$1 #$rep"
		run_round "$1" "$2" "$3" $((port0 + round % 4)) "${label// /}" |
			sed "s/^| ${label// /} |/| $label |/" | tee -a "$out/results.md"
		[ "${PIPESTATUS[0]}" -eq 0 ] || failed=$((failed + 1))
		round=$((round + 1))
	done
done

# Per build over the repeats: answers/s of both clients together (median,
# the lower one of an even count, and the range), errors and reloads summed,
# the median of the rounds' median reload latencies, the largest p99, the
# machine's load average at the rounds' ends.
if [ "$repeats" -gt 1 ]; then
	{
		echo
		echo "| build | rounds | answers/s, both clients: median (min-max) | lost | not NOERROR | reloads | reload ms: median of medians / worst p99 | serials | rounds passed | load avg: mean / max |"
		echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
		for b in liburcu-memb liburcu-tlb-membarrier liburcu-tlb-mprotect liburcu-tlb-signal; do
			awk -F '\t' -v b="$b" '
			function median(a, n,   i, j, t) {
				for (i = 2; i <= n; i++)
					for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
						t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
					}
				return a[int((n + 1) / 2)]
			}
			$1 == b {
				n++; q[n] = $2 + $3; m[n] = $6 + 0
				if (n == 1 || q[n] < lo) lo = q[n]
				if (n == 1 || q[n] > hi) hi = q[n]
				e += $4; r += $5; if ($7 + 0 > p) p = $7 + 0; lq += $11
				if ($8 != "ok") s = "NOT OK"
				if ($9 == "ok") ok++
			l += $10; if ($10 + 0 > lm) lm = $10 + 0
			}
			END {
				printf "| %s | %d | %d (%d-%d) | %d | %d | %d | %d / %d | %s | %d of %d | %.1f / %.1f |\n",
					b, n, median(q, n), lo, hi, lq, e, r, median(m, n), p,
					s ? s : "ok", ok, n, l / n, lm
			}' "$out/rounds.tsv"
		done
	} | tee -a "$out/results.md"
fi
echo "knot.sh: $((round - failed)) passed, $failed failed (files in $out)"
[ "$failed" -eq 0 ]
