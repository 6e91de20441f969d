#!/usr/bin/perl
# Writes tools/lib/patch/width_table.inc: the Unicode column widths git uses
# for tab expansion in log messages (zero-width and double-width ranges).
#   perl tools/lib/patch/gen_width.pl >tools/lib/patch/width_table.inc
use strict;
use Unicode::UCD;
# Ranges of code points with a property, merged.
sub ranges {
	my ($test) = @_;
	my @r; my $start = -1;
	for my $c (0 .. 0x10FFFF) {
		next if $c >= 0xD800 && $c <= 0xDFFF and do { if ($start >= 0) { push @r, [$start, $c - 1]; $start = -1 } 1 };
		my $ch = chr($c);
		if ($test->($c, $ch)) { $start = $c if $start < 0 }
		elsif ($start >= 0) { push @r, [$start, $c - 1]; $start = -1 }
	}
	push @r, [$start, 0x10FFFF] if $start >= 0;
	return @r;
}
my @zero = ranges(sub { my ($c, $ch) = @_; return 0 if $c == 0xAD;
	return 1 if $c >= 0x1160 && $c <= 0x11FF;
	return 1 if $c == 0x200B;
	$ch =~ /\p{Mn}|\p{Me}|\p{Cf}/ });
my @wide = ranges(sub { my ($c, $ch) = @_; $ch =~ /\p{East_Asian_Width=Wide}|\p{East_Asian_Width=Fullwidth}/ });
print "/* Generated from perl's Unicode ", Unicode::UCD::UnicodeVersion(), " tables: Mn, Me, Cf, U+1160..U+11FF (width 0, not U+00AD); East Asian Wide and Fullwidth (width 2). */\n";
for my $t (["zero_width", \@zero], ["double_width", \@wide]) {
	print "static const struct width_range $t->[0]\[] = {\n";
	my $line = "";
	for my $r (@{$t->[1]}) {
		my $s = sprintf("{ 0x%04X, 0x%04X }, ", @$r);
		if (length($line) + length($s) > 72) { (my $l = $line) =~ s/ +$//; print "\t$l\n"; $line = "" }
		$line .= $s;
	}
	$line =~ s/ +$//;
	print "\t$line\n};\n\n";
}
