#!/usr/bin/perl
# tests/dkim/verify.pl -- verify a message's DKIM signatures with
# Mail::DKIM (libmail-dkim-perl), public keys from a file instead of DNS.
#
#   verify.pl MESSAGE KEYS
#
# KEYS has lines "selector._domainkey.domain TXT-RECORD".  Prints one line
# per signature, "N d=DOMAIN a=ALG RESULT (DETAIL)".  Exit status 0 when
# every signature whose algorithm Mail::DKIM implements passes and there
# is at least one of those (Debian 12's Mail::DKIM has no ed25519-sha256:
# those are printed but not counted).
use strict;
use warnings;

use Mail::DKIM::Verifier;
use Net::DNS;

my ($msgfile, $keyfile) = @ARGV;
my %keys;
open(my $kf, '<', $keyfile) or die "$keyfile: $!";
while (<$kf>) {
	chomp;
	my ($name, $txt) = split(/ /, $_, 2);
	$name =~ s/\.$//;
	$keys{lc $name} = $txt;
}
close($kf);

{
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($domain, $type) = @_;
		$domain =~ s/\.$//;
		my $txt = $keys{lc $domain};
		if (!defined $txt) {
			$@ = 'NXDOMAIN';
			return;
		}
		my @parts = unpack('(A200)*', $txt);
		$@ = 'NOERROR';
		return Net::DNS::RR->new(name => $domain, type => 'TXT',
		    txtdata => \@parts);
	};
}

my $dkim = Mail::DKIM::Verifier->new();
open(my $mf, '<', $msgfile) or die "$msgfile: $!";
binmode($mf);
while (<$mf>) {
	s/\r?\n\z/\015\012/;
	$dkim->PRINT($_);
}
close($mf);
$dkim->CLOSE();

my ($i, $counted, $ok) = (0, 0, 1);
foreach my $sig ($dkim->signatures) {
	my $alg = $sig->algorithm;
	my $res = $sig->result;
	my $detail = $sig->result_detail;
	print "$i d=" . $sig->domain . " a=$alg $res ($detail)\n";
	$i++;
	next if $alg ne 'rsa-sha256';
	$counted++;
	$ok = 0 if $res ne 'pass';
}
exit($ok && $counted > 0 ? 0 : 1);
