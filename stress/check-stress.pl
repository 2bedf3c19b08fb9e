#!/usr/bin/perl
# check-stress.pl: short runs of every urcu-tlb-stress command, whose
# verdicts are asserted from the --json report: no violation in the
# protected runs, and every control that can fail on this CPU observed
# its violation.  Also: bad usage exits 2, status lines come every second,
# and --sabotage (no heavy fences) is caught, described and exits 1.
#
# Run by `make check` from the build directory; the program is
# ./stress/urcu-tlb-stress (a libtool wrapper).  Takes about 20 s.
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

sub valid_mechanisms {
	my ($r) = @_;
	return grep { $_->{valid} } @{$r->{mechanisms}};
}

# ---- usage -------------------------------------------------------------

{
	my ($s, $out) = run('--help');
	check($s == 0 && $out =~ /usage:/ &&
	      (grep { $out =~ /\b$_\b/ } qw(all torture litmus mmap-litmus)) == 4,
	      '--help lists the four commands and exits 0');
	for my $bad (['frobnicate'], [], ['torture', '--bogus'],
		     ['litmus', '--readers', '3'], ['torture', '--duration', '0'],
		     ['all', '--mechanism', 'tlbflush'], ['litmus', '--test', 'IRIW'],
		     ['torture', '--readers', 'many'], ['torture', '--reclaim', 'none'],
		     ['all', 'extra']) {
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

# ---- a failure, on purpose ---------------------------------------------

{
	my ($s, $r) = run_json(qw(litmus --test SB,RCU-SB --duration 0.5
				  --no-control --quiet --sabotage));
	check($s == 1 && $r && $r->{verdict} eq 'fail' && $r->{sabotaged} &&
	      $r->{violations} > 0,
	      "--sabotage: the protected runs fail and the exit status is 1 (got $s)");
	my ($s2, $out) = run(qw(litmus --test SB --duration 0.5 --no-control
				--quiet --sabotage));
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
	      "all passes, with every control showing its violation (exit $s)");
	my @valid = valid_mechanisms($r // { mechanisms => [] });
	check($r && (grep { $_->{tested} && defined $_->{fence_us} } @valid) == @valid,
	      'all: every valid mechanism tested, its fence timed');
	check($r && (grep { !$_->{valid} && !$_->{why_not} } @{$r->{mechanisms}}) == 0,
	      'all: every invalid mechanism says why');
	check($r && @{$r->{torture}} == @valid + 2 && @{$r->{mmap}} == @valid + 2,
	      'all: torture per mechanism and its two controls, mmap-litmus');
}

print "# $checks checks, $failed failed\n";
exit($failed ? 1 : 0);
