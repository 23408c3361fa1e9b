#!/bin/bash
# tests/cli/domain_dkim_verify.sh -- `postwarden domain verify` with the
# keys of `domain dkim` (in Redis, sealed), against the test's own DNS
# server (unbound on loopback, tests/harness/dns.sh).  Proves: verify
# checks a Redis key's record with no KEK at hand; a pending key whose
# published record carries it is activated, one whose record is missing
# or carries another key stays pending; during a rotation the old key
# keeps signing (active) until the new one's record verifies, then it is
# retiring, its record to stay published.

. "$PW_SRCDIR/tests/cli/common.sh"
. "$PW_SRCDIR/tests/harness/dns.sh"
cli_start
T=$PW_TMP
D=acme.example

"$CLI_BIN" dkim kek-generate "$T/kek" >/dev/null 2>&1 || pw_bail "kek"
printf 'dkim_kek_file = %s\n' "$T/kek" >>"$CLI_CONF"
pwcli tenant add acme
pwcli domain add acme "$D"
[ "$RC" = 0 ] || pw_bail "domain add: $ERR"

# The record of SELECTOR as `domain dkim add` stored (and printed) it.
pub() {
	rcli HGET "pw:{acme}:dkim:$D:$1" public
}
state() {
	rcli HGET "pw:{acme}:dkim:$D" "$1"
}
# serve SELECTOR=RECORD...: the zone with those DKIM records.
serve() {
	local a
	{
		echo "zone $D"
		for a in "$@"; do
			pw_dns_txt "${a%%=*}._domainkey.$D" "${a#*=}"
		done
	} >"$T/records"
	pw_dns_start "$T/records"
}
serve
cat >>"$CLI_CONF" <<EOF2
dns_resolver = $PW_DNS_SERVER
dns_timeout = 1s
EOF2

cli_rc "dkim add s1 (rsa): exit 0" 0 \
    domain dkim add "$D" --algorithm rsa --selector s1
serve
cli_rc "verify, s1's record not published: exit 1" 1 domain verify "$D"
pw_is "... s1 stays pending" "$(state s1)" pending
serve "s1=$(pub s1)"
cli_rc "verify, s1's record published: exit 0" 0 domain verify "$D"
pw_is "... s1 is active" "$(state s1)" active
cli_like "... and verify says so" "DKIM selector s1 verified in DNS: activated" \
    "$ERR"
pw_is "... the domain record says which selectors verified" \
    "$(rcli HGET "pw:{acme}:domain:$D" verified_selectors)" s1

cli_rc "rotate to s2: exit 0" 0 domain dkim rotate "$D" --selector s2
cli_rc "verify before s2 is published: exit 1" 1 domain verify "$D"
pw_is "... s1 keeps signing, s2 waits" "$(state s1) $(state s2)" \
    "active pending"
serve "s1=$(pub s1)" "s2=$(pub s1)"
cli_rc "verify with s1's key at s2: exit 1" 1 domain verify "$D"
pw_is "... s2 stays pending" "$(state s2)" pending
serve "s1=$(pub s1)" "s2=$(pub s2)"
cli_rc "verify with s2 published: exit 0" 0 domain verify "$D"
pw_is "... s2 signs, s1 is retiring" "$(state s2) $(state s1)" \
    "active retiring"
cli_like "... and verify says until when s1 stays published" \
    "DKIM selector s1 retiring: keep its record published until" "$ERR"
pw_is "... verified without the KEK: no KEK read (file removed)" \
    "$(mv "$T/kek" "$T/kek.away"; "$CLI_BIN" -c "$CLI_CONF" domain verify \
    "$D" >/dev/null 2>&1; echo $?)" 0

pw_done
