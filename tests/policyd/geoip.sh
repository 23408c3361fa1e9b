#!/bin/bash
# tests/policyd/geoip.sh -- lib/geoip against a MaxMind DB written by
# tests/policyd/mkmmdb.pl: country, registered_country fallback, AS
# number, addresses not in the database, malformed input, IPv6, and a
# file that is missing or not a database.

: "${PW_SRCDIR:?}" "${PW_BUILDDIR:?}"
LOOKUP=$PW_BUILDDIR/tests/policyd/geoip_lookup
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null || {
	echo "1..0 # SKIP libmaxmind-db-writer-perl not installed"
	exit 0
}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pw-geoip.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
echo "1..4"
n=0 failed=0
is() {	# NAME GOT WANT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '# got:\n%s\n# want:\n%s\n' "$2" "$3" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

perl "$PW_SRCDIR/tests/policyd/mkmmdb.pl" "$dir/geo.mmdb" || exit 99
is "lookups" "$("$LOOKUP" "$dir/geo.mmdb" 192.0.2.1 198.51.100.200 \
    203.0.113.5 10.1.2.3 ::ffff:192.0.2.9 2001:db8::1 not-an-address '' \
    '192.0.2.1 ')" "192.0.2.1 1 DE 64500
198.51.100.200 1 US 0
203.0.113.5 1 - 64501
10.1.2.3 0 - 0
::ffff:192.0.2.9 0 - 0
2001:db8::1 0 - 0
not-an-address 0 - 0
 0 - 0
192.0.2.1  0 - 0"
"$LOOKUP" "$dir/missing.mmdb" 192.0.2.1 2>"$dir/err"
is "missing file: open fails" "$?" 1
printf 'not a database\n' >"$dir/bad.mmdb"
"$LOOKUP" "$dir/bad.mmdb" 192.0.2.1 2>>"$dir/err"
is "not a database: open fails" "$?" 1
is "reasons are given" "$(wc -l <"$dir/err")" 2
[ "$failed" -eq 0 ]
