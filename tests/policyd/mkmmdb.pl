#!/usr/bin/perl
# tests/policyd/mkmmdb.pl -- write a small MaxMind DB for the GeoIP tests
# (Debian's libmaxmind-db-writer-perl):
#   192.0.2.0/24     country DE, AS 64500
#   198.51.100.0/24  country US (registered_country only)
#   203.0.113.0/24   AS 64501, no country
# Usage: mkmmdb.pl OUTPUT.mmdb
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: $0 OUTPUT.mmdb\n";
my %types = (
	country => 'map',
	registered_country => 'map',
	iso_code => 'utf8_string',
	autonomous_system_number => 'uint32',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6,
	record_size => 24,
	# The test networks (RFC 5737) are reserved: keep them.
	remove_reserved_networks => 0,
	database_type => 'postwarden-test',
	languages => ['en'],
	description => { en => 'postwarden test database' },
	map_key_type_callback => sub { $types{ $_[0] } },
);
$tree->insert_network('192.0.2.0/24', {
	country => { iso_code => 'DE' }, autonomous_system_number => 64500 });
$tree->insert_network('198.51.100.0/24', {
	registered_country => { iso_code => 'US' } });
$tree->insert_network('203.0.113.0/24', {
	autonomous_system_number => 64501 });
open(my $fh, '>:raw', $out) or die "$out: $!\n";
$tree->write_tree($fh);
close($fh) or die "$out: $!\n";
