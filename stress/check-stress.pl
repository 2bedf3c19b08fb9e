#!/usr/bin/perl
# check-stress.pl: short runs of every urcu-tlb-stress command, whose
# verdicts are asserted from the --json report: no violation in the
# protected runs, and every control that can fail on this CPU observed
# its violation.  Also: bad usage exits 2, status lines come every second,
# --sabotage (no heavy fences) is caught, described and exits 1, and
# lifecycle's hang detector and child checks, made to fail on purpose
# (--fault), name what failed and exit 1.
#
# Run by `make check` from the build directory; the program is
# ./stress/urcu-tlb-stress (a libtool wrapper).  Takes about 30 s.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use Time::HiRes qw(time);

my $prog = $ENV{URCU_TLB_STRESS} // './stress/urcu-tlb-stress';
my $tmp = tempdir(CLEANUP => 1);
my ($failed, $checks) = (0, 0);

sub check {
	my ($ok, $what) = @_;
	$checks++;
	print(($ok ? 'ok' : 'not ok') . " - $what\n");
	$failed++ unless $ok;
	return $ok;
}

# Run the program; returns (exit status, stdout, stderr).
sub run {
	my @args = @_;
	my $cmd = join(' ', map { "'$_'" } $prog, @args);
	print "# $cmd\n";
	my $t0 = time; system("$cmd >$tmp/out 2>$tmp/err </dev/null"); print "# took ", time - $t0, " s\n" if $ENV{TIMING};
	my $status = $? == -1 ? -1 : ($? & 127 ? 128 + ($? & 127) : $? >> 8);
	local $/;
	open(my $o, '<', "$tmp/out") or die;
	open(my $e, '<', "$tmp/err") or die;
	my $out = <$o>;
	my $err = <$e>;
	return ($status, $out // '', $err // '');
}

# Run with --json; returns (exit status, decoded report or undef, stderr).
sub run_json {
	my ($status, $out, $err) = run(@_, '--json');
	my $r = eval { decode_json($out) };
	check($r, "the output of '@_' is one JSON document")
		or print "# $@# stdout: $out\n# stderr: $err\n";
	return ($status, $r, $err);
}

# After a failed verdict: every run that broke a guarantee, and every
# control without teeth, in one line each.
sub explain {
	my ($r) = @_;
	return unless $r;
	for my $kind (qw(torture litmus mmap lifecycle)) {
		for my $e (@{$r->{$kind} // []}) {
			my $who = join(' ', $kind, $e->{test} // $e->{variant} // (),
				       $e->{mechanism} // $e->{control} // '-');
			if ($e->{violation}) {
				print "# violation: $who: ", encode_json($e), "\n";
			} elsif (defined $e->{control} && $kind eq 'torture' &&
				 !$e->{errors}) {
				print "# weak control: $who: $e->{reads} reads\n";
			} elsif (defined $e->{control} && $kind eq 'lifecycle' &&
				 !($e->{reclaimed_in_destructor} && $e->{early} &&
				   $e->{reclaimed_seen} > $e->{reclaimed_in_destructor})) {
				print "# weak control: $who: ", encode_json($e), "\n";
			}
		}
	}
}

sub valid_mechanisms {
	my ($r) = @_;
	return grep { $_->{valid} } @{$r->{mechanisms}};
}

# ---- usage -------------------------------------------------------------

{
	my ($s, $out) = run('--help');
	check($s == 0 && $out =~ /usage:/ &&
	      (grep { $out =~ /\b$_\b/ } qw(all torture litmus mmap-litmus lifecycle)) == 5,
	      '--help lists the five commands and exits 0');
	for my $bad (['frobnicate'], [], ['torture', '--bogus'],
		     ['litmus', '--readers', '3'], ['torture', '--duration', '0'],
		     ['all', '--mechanism', 'tlbflush'], ['litmus', '--test', 'IRIW'],
		     ['torture', '--readers', 'many'], ['torture', '--reclaim', 'none'],
		     ['all', 'extra'], ['lifecycle', '--fault', 'frobnicate'],
		     ['lifecycle', '--fault', 'none'], ['torture', '--hang', '1'],
		     ['lifecycle', '--hang', '0'], ['all', '--forkers', '2']) {
		my ($s, $out, $err) = run(@$bad);
		check($s == 2 && $err =~ /usage:/ && $out eq '',
		      "'@$bad' is bad usage: a message and exit 2 (got $s)");
	}
}

# ---- torture -----------------------------------------------------------

{
	my ($s, $r, $err) = run_json(qw(torture --mechanism all --duration 0.3
					--no-control --quiet));
	my @valid = valid_mechanisms($r // { mechanisms => [] });
	check($s == 0 && $r && $r->{verdict} eq 'pass',
	      "torture on every valid mechanism passes (exit $s)");
	check($r && @{$r->{torture}} == @valid && @valid > 0,
	      'one torture run per valid mechanism');
	for my $t (@{$r ? $r->{torture} : []}) {
		my $m = $t->{mechanism} // 'none';
		check(!defined $t->{control} && $t->{errors} == 0 &&
		      !$t->{violation}, "[$m] torture: no error")
			or print "# $t->{first_error}\n";
		check($t->{reads} > 0 && $t->{grace_periods} > 0 &&
		      $t->{age_histogram}[0] == $t->{reads},
		      "[$m] torture: reads and grace periods happened, every read at age 0");
		check($t->{reclaim} eq 'both' && $t->{aging_callbacks} > 0 &&
		      $t->{aging_callbacks} < 10 * $t->{updates},
		      "[$m] torture: retired through both synchronize_rcu and call_rcu");
		check($t->{flood_queued} > 0 &&
		      $t->{flood_invoked} == $t->{flood_queued},
		      "[$m] torture: every flooded callback ran");
	}
}
{
	# The controls, without the flooder: on a machine with few CPUs the
	# reader and the updater must really run at once.
	my ($s, $r) = run_json(qw(torture --duration 0.3 --flooders 0 --quiet));
	my %c = map { ($_->{control} // 'none') => $_ } @{$r ? $r->{torture} : []};
	check($s == 0 && $r && $r->{verdict} eq 'pass' && keys(%c) == 3,
	      "torture runs, then its two controls, which are no violation (exit $s)");
	my ($nf, $ngp) = @c{qw(no-fence no-grace-period)};
	check($nf && $nf->{errors} > 0 && $nf->{reclaim} eq 'synchronize_rcu' &&
	      $nf->{first_error} =~ /^reader \d+ reached object \d+ \(slot \d+\) \d+ grace period\(s\) after its retirement.*retired through synchronize_rcu when \d+ grace periods had completed, \d+ had when the reader saw it$/,
	      'torture without heavy fences observes violations, each described')
		or print "# ", ($nf ? $nf->{first_error} // "no error in $nf->{reads} reads" : 'no run'), "\n";
	check($ngp && $ngp->{errors} > 0 &&
	      $ngp->{first_error} =~ /^reader \d+ reached object \d+ \(slot \d+\).*retired without a grace period/,
	      'torture without grace periods observes violations, each described')
		or print "# ", ($ngp ? $ngp->{first_error} // 'none' : 'no run'), "\n";
	check($r && $r->{weak_controls} == 0, 'no torture control without teeth');
}
{
	my ($s, $out, $err) = run(qw(torture --duration 2.5 --no-control));
	my @status = $err =~ /^\[ *[\d.]+ s\] torture \w+, \d+ s: \d+ reads, \d+ updates, \d+ grace periods, \d+ errors$/mg;
	check($s == 0 && @status >= 2,
	      'a 2.5 s torture run prints a status line every second (' .
	      scalar(@status) . ')') or print "# stderr: $err\n";
	check($out =~ /age histogram/ && $out =~ /^(membarrier|mprotect|signal) /m &&
	      $out =~ /^PASS/m, 'the human report has the histogram, the table and the verdict');
}

# ---- litmus ------------------------------------------------------------

{
	my ($s, $r) = run_json(qw(litmus --mechanism all --duration 0.2 --quiet));
	check($s == 0 && $r && $r->{verdict} eq 'pass',
	      "litmus on every valid mechanism passes (exit $s)");
	my @runs = $r ? @{$r->{litmus}} : ();
	my @valid = valid_mechanisms($r // { mechanisms => [] });
	check(@runs == 4 * @valid + 4,
	      'four tests per valid mechanism, and four controls');
	for my $l (grep { !defined $_->{control} } @runs) {
		check($l->{rounds} > 0 && $l->{forbidden} == 0 && !$l->{lost_wakeup},
		      "[$l->{mechanism}] $l->{test} with $l->{heavy_side}: " .
		      "$l->{rounds} rounds, none forbidden");
	}
	for my $l (grep { defined $_->{control} } @runs) {
		if ($l->{control_can_fail}) {
			check($l->{forbidden} > 0,
			      "$l->{test} control observes $l->{forbidden_outcome}: " .
			      "$l->{forbidden} in $l->{rounds} rounds");
		} else {
			# TSO forbids it in hardware: say so, and it must hold.
			check($r->{machine}{tso} && $l->{forbidden} == 0 &&
			      $l->{test} =~ /MP/,
			      "$l->{test} control cannot fail on this TSO CPU, " .
			      "and did not ($l->{rounds} rounds)");
		}
	}
	check($r && $r->{weak_controls} == 0, 'no control without teeth');
}
{
	my ($s, $out) = run(qw(litmus --test RCU-SB,RCU-MP --duration 0.3 --quiet));
	check($s == 0 && $out =~ /^evidence: RCU-SB: /m,
	      'the human litmus report gives the evidence line');
	check($out !~ /RCU-MP.*cannot fail/ || $out =~ /^note: RCU-MP: this CPU's memory model \(TSO\)/m,
	      'on TSO, the report says the MP control cannot fail');
}

# ---- lifecycle ---------------------------------------------------------

{
	my ($s, $r) = run_json(qw(lifecycle --mechanism all --duration 0.4 --quiet));
	my @valid = valid_mechanisms($r // { mechanisms => [] });
	my @runs = $r ? @{$r->{lifecycle}} : ();
	check($s == 0 && $r && $r->{verdict} eq 'pass' && !$r->{hung},
	      "lifecycle on every valid mechanism passes (exit $s)")
		or explain($r);
	check(@runs == @valid + 1 && @valid > 0,
	      'one lifecycle run per valid mechanism, and the control');
	for my $l (grep { !defined $_->{control} } @runs) {
		my $m = $l->{mechanism};
		my %t = %{$l->{threads}};
		my %c = %{$l->{children}};
		check(!$l->{hung} && $l->{errors} == 0 && !$l->{missing} &&
		      !$l->{violation},
		      "[$m] lifecycle: no error, no hang, every scenario happened")
			or print "# ", ($l->{first_error} // $l->{hang} //
					"never: $l->{missing}"), "\n";
		check($l->{reads} > 0 && $l->{reads_signals_blocked} > 0 &&
		      $l->{sleeps_in_section} > 0 && $l->{grace_periods} > 0 &&
		      (grep { $l->{retired}{$_} > 0 } qw(synchronize_rcu call_rcu defer_rcu poll)) == 4,
		      "[$m] lifecycle: reads (some with every signal blocked, some asleep inside) and updates every way");
		check((grep { $t{$_} > 0 } keys %t) == 6 && $t{cancel} > 0 &&
		      $t{cancel_in_section} > 0 && $l->{destructor_reads} > 0,
		      "[$m] lifecycle: threads ended every way ($t{cancel} + " .
		      "$t{cancel_in_section} cancelled), $l->{destructor_reads} reads in exit destructors");
		check($c{library} > 0 && $l->{forked_in_section} > 0 &&
		      ($l->{exec_skipped} || ($c{exec} > 0 && $c{spawn} > 0)) &&
		      $l->{children_failed} == 0 && $l->{children_hung} == 0,
		      "[$m] lifecycle: forks done: $c{library} library users " .
		      "($l->{forked_in_section} forked in a section), $c{exec} exec, $c{spawn} posix_spawn");
		check($l->{callbacks_queued} > 0 &&
		      $l->{callbacks_run} == $l->{callbacks_queued} &&
		      $l->{deferred_queued} > 0 &&
		      $l->{deferred_run} == $l->{deferred_queued},
		      "[$m] lifecycle: every callback and deferred function ran");
	}
	my ($c) = grep { defined $_->{control} } @runs;
	check($c && $c->{reclaimed_seen} > $c->{reclaimed_in_destructor} &&
	      $c->{reclaimed_in_destructor} > 0 && $c->{early} > 0 &&
	      ($c->{first_in_destructor} // '') =~ /^the thread-exit destructor \(round [123]\) of a churn thread that .* reached object \d+ \(slot \d+\) after it was reclaimed inside one read-side section; it was retired through .* without a grace period \(the control\)/,
	      'lifecycle control: readers, exit destructors and the callbacks\' cookie check all see retiring without grace periods')
		or print "# ", ($c ? "$c->{reclaimed_seen} reclaimed seen, $c->{reclaimed_in_destructor} in destructors, $c->{early} early" : 'no control'), "\n";
	check($r && $r->{weak_controls} == 0, 'no lifecycle control without teeth');
}
{
	my $t0 = time;
	my ($s, $r, $err) = run_json(qw(lifecycle --duration 0.3 --hang 1
					--fault stuck-reader --no-control --quiet));
	my $took = time - $t0;
	my @hang = $err =~ /^urcu-tlb-stress: lifecycle \w+: HANG: (.*)$/mg;
	my $l = $r ? $r->{lifecycle}[0] : undef;
	check($s == 1 && $r && $r->{verdict} eq 'fail' && $r->{hung} && @hang == 1 &&
	      $l && $l->{hung} && $l->{violation},
	      "--fault stuck-reader: the hang detector ends the run with one line, exit 1 (got $s)")
		or print "# stderr: $err\n";
	check(@hang && $hang[0] =~ /^(updater|spawner|forker|the run's end) \d+ has been waiting \d+\.\d s (in|for) .* \(--hang 1\.0\); the oldest read-side section open: reader 0, for [\d.]+ s; the library's counters: \d+ grace periods \(\d+ in this run\), \d+ callbacks queued, \d+ run, \d+ batches, \d+ threads registered$/ &&
	      $l->{hang} eq $hang[0],
	      'the hang line names the waiting thread, for how long, the open section, the counters')
		or print "# ", $hang[0] // 'no line', "\n";
	check($took < 15, sprintf('the hung run ended by itself (%.1f s)', $took));
}
{
	my ($s, $r, $err) = run_json(qw(lifecycle --duration 0.3 --hang 1
					--fault stuck-child --no-control --quiet));
	my $l = $r ? $r->{lifecycle}[0] : undef;
	check($s == 1 && $l && $l->{hung} && $l->{children_hung} == 1 &&
	      $l->{hang} =~ /^forker 0 has been waiting \d+\.\d s for its child \(a child that uses the library[^)]*\) \(--hang 1\.0\); child \d+ is at: synchronize_rcu, while another thread of this child stays in a read-side section/,
	      "--fault stuck-child: the hang names the child and where it is (exit $s)")
		or print "# ", ($l ? $l->{hang} // 'no hang' : $err), "\n";
}
{
	my ($s, $r) = run_json(qw(lifecycle --duration 0.3 --fault child-abort
				  --no-control --quiet));
	my $l = $r ? $r->{lifecycle}[0] : undef;
	check($s == 1 && $l && !$l->{hung} && $l->{children_failed} > 0 &&
	      $l->{first_error} =~ /^child \d+ \(a child that uses the library[^)]*\) was killed by signal 6 \(Aborted\); it was at: abort\(\) \(--fault child-abort\)$/,
	      "--fault child-abort: a child killed by a signal is a violation, described (exit $s)")
		or print "# ", ($l ? $l->{first_error} // 'none' : 'no run'), "\n";
}

# ---- a failure, on purpose ---------------------------------------------

{
	my ($s, $r) = run_json(qw(litmus --test SB,RCU-SB --duration 0.5
				  --no-control --quiet --sabotage));
	check($s == 1 && $r && $r->{verdict} eq 'fail' && $r->{sabotaged} &&
	      $r->{violations} > 0,
	      "--sabotage: the protected runs fail and the exit status is 1 (got $s)");
	# On a loaded machine the two threads may never overlap in 0.5 s:
	# a run that saw no violation (exit 0) is tried again, up to 3 times.
	my ($s2, $out);
	for my $try (1 .. 3) {
		($s2, $out) = run(qw(litmus --test SB --duration 0.5
				     --no-control --quiet --sabotage));
		last if $s2 != 0;
	}
	check($s2 == 1 && $out =~ /^VIOLATION \[\w+\] litmus SB: the forbidden outcome r1 == 0 && r2 == 0 was seen \d+ times in \d+ rounds/m &&
	      $out =~ /^FAIL: /m,
	      '--sabotage: the violation is described');
}

# ---- mmap-litmus -------------------------------------------------------

{
	my ($s, $r) = run_json(qw(mmap-litmus --duration 0.4 --quiet));
	check($s == 0 && $r && $r->{verdict} eq 'pass',
	      "mmap-litmus passes (exit $s)");
	my %v = map { $_->{variant} => $_ } @{$r ? $r->{mmap} : []};
	my ($fixed, $rcu, $ctl) = @v{qw(MAP_FIXED RCU RCU-control)};
	check($fixed && $fixed->{rounds} > 0 && $fixed->{child_exited} &&
	      !$fixed->{error},
	      'MAP_FIXED: measured (' . ($fixed ? "$fixed->{new_then_old} " .
	      "new-then-old in $fixed->{rounds} rounds" : 'no run') . ')');
	check($rcu && $rcu->{rounds} > 0 && $rcu->{bad} == 0 && !$rcu->{violation},
	      'RCU: no mixed pair, no fault');
	check($ctl && $ctl->{bad} > 0,
	      'RCU control (no grace period): the reader faults or reads a mixed pair' .
	      ($ctl ? " ($ctl->{faults} faults)" : ''));
}

# ---- all ---------------------------------------------------------------

{
	my ($s, $r) = run_json(qw(all --duration 0.1 --quiet));
	check($s == 0 && $r && $r->{verdict} eq 'pass' && $r->{weak_controls} == 0,
	      "all passes, with every control showing its violation (exit $s)")
		or explain($r);
	my @valid = valid_mechanisms($r // { mechanisms => [] });
	check($r && (grep { $_->{tested} && defined $_->{fence_us} } @valid) == @valid,
	      'all: every valid mechanism tested, its fence timed');
	check($r && (grep { !$_->{valid} && !$_->{why_not} } @{$r->{mechanisms}}) == 0,
	      'all: every invalid mechanism says why');
	check($r && @{$r->{torture}} == @valid + 2 && @{$r->{mmap}} == @valid + 2,
	      'all: torture per mechanism and its two controls, mmap-litmus');
	check($r && @{$r->{lifecycle}} == @valid + 1 &&
	      (grep { !defined $_->{control} && !$_->{violation} &&
		      $_->{threads}{cancel_in_section} > 0 &&
		      $_->{children}{library} > 0 } @{$r->{lifecycle}}) == @valid,
	      'all: lifecycle per mechanism, with threads cancelled and children, and its control');
}

print "# $checks checks, $failed failed\n";
exit($failed ? 1 : 0);
