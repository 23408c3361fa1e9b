#!/bin/bash
# tests/cli/domain_verify.sh -- postwarden domain verify against the
# test's own DNS server (unbound on loopback, tests/harness/dns.sh; no
# query leaves the machine).  The keys and their records are made by the
# openssl command (tests/harness/dkim.sh), never by our code.  Proves:
# correct records -> verified (exit 0) and the state stored in
# pw:{T}:domain:<d>; a record with another key, of the other algorithm,
# revoked, malformed, doubled or missing -> not verified (exit 1) with
# the record to publish, and the stored state withdrawn; SPF (found,
# missing, two), DMARC (found with its policy, missing, invalid, two) and
# the VERP bounce domain's MX (found, null MX, none, not set) verdicts; a
# domain no tenant owns, one without keys and an owner entry without its
# record (exit 1, nothing stored);
# the DNS server down -> exit 2 within the timeout, the stored state
# untouched; answers that fail DNSSEC validation -> exit 2; Redis down -> exit 2; usage errors -> exit 64.

. "$PW_SRCDIR/tests/cli/common.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"
. "$PW_SRCDIR/tests/harness/dns.sh"
command -v openssl >/dev/null || pw_skip_all "openssl not installed"
cli_start

D=acme.example
B=bounces.$D
pw_dkim_key ar $D s1r rsa
pw_dkim_key ae $D s1e ed25519
pw_dkim_key xr other.example s1r rsa
pw_dkim_key xe other.example s1e ed25519
# The record openssl made for SELECTOR of DOMAIN.
rec() {
	grep "^$1._domainkey.$2 " "$PW_TMP/dns" | cut -d' ' -f2-
}
RSA=$(rec s1r $D)
ED=$(rec s1e $D)
XRSA=$(rec s1r other.example)
XED=$(rec s1e other.example)

pw_domain_add acme $D
pw_domain_add acme nokeys.example
rcli HSET 'pw:{acme}:tenant' status active bounce_domain $B >/dev/null
rcli SADD pw:tenants acme >/dev/null

# Serve the zones and the records given, one per argument.
serve() {
	{
		echo "zone $D"
		echo "zone other.example"
		echo "zone nokeys.example"
		printf '%s\n' "$@"
	} >"$PW_TMP/records"
	pw_dns_start "$PW_TMP/records"
}
DKIM_R=$(pw_dns_txt s1r._domainkey.$D "$RSA")
DKIM_E=$(pw_dns_txt s1e._domainkey.$D "$ED")
SPF=$(pw_dns_txt $D "v=spf1 ip4:192.0.2.1 -all")
DMARC=$(pw_dns_txt _dmarc.$D "v=DMARC1; p=reject; rua=mailto:d@$D")
MX="$B. MX 10 mx.$D."

serve "$DKIM_R" "$DKIM_E" "$SPF" "$DMARC" "$MX"
if [ "$(id -u)" = 0 ]; then
	owner=nobody	# pw_dkim_key gives root's keys to nobody
else
	owner=$(id -un)
fi
cat >>"$CLI_CONF" <<EOF
user = $owner
dkim_key_table = $PW_TMP/keytable
dns_resolver = $PW_DNS_SERVER
dns_timeout = 1s
EOF

j() {
	cli_json "$1"
}

# has_line NAME LINE: ok if $OUT has exactly LINE (no pattern).
has_line() {
	if printf '%s\n' "$OUT" | grep -qxF -- "$2"; then
		pw_ok "$1"
	else
		pw_not_ok "$1" "no line is:
$2
in:
$OUT"
	fi
}

# --- every record right --------------------------------------------------------
t0=$(date +%s)
cli_rc "correct records: exit 0" 0 domain verify $D --json
t1=$(date +%s)
pw_is "verified" "$(j 'j["verified"]')" True
pw_is "both selectors verified" \
    "$(j '[(d["selector"], d["algorithm"], d["verdict"]) for d in j["dkim"]]')" \
    "[('s1r', 'rsa-sha256', 'verified'), ('s1e', 'ed25519-sha256', 'verified')]"
pw_is "nothing to publish" \
    "$(j '[d["publish"] for d in j["dkim"]] + [j[k]["publish"] for k in ("spf", "dmarc", "bounce_mx")]')" \
    "[None, None, None, None, None]"
pw_is "SPF found" "$(j '(j["spf"]["verdict"], j["spf"]["records"])')" \
    "('found', ['v=spf1 ip4:192.0.2.1 -all'])"
pw_is "DMARC found, its policy" \
    "$(j '(j["dmarc"]["name"], j["dmarc"]["verdict"], j["dmarc"]["policy"])')" \
    "('_dmarc.acme.example', 'found', 'reject')"
pw_is "bounce MX found" \
    "$(j '(j["bounce_mx"]["name"], j["bounce_mx"]["verdict"], j["bounce_mx"]["mx"])')" \
    "('bounces.acme.example', 'found', [{'preference': 10, 'host': 'mx.acme.example'}])"
v=$(rcli HGET "pw:{acme}:domain:$D" verified)
if [ -n "$v" ] && [ "$v" -ge "$t0" ] && [ "$v" -le "$t1" ]; then
	pw_ok "stored: verified is the time"
else
	pw_not_ok "stored: verified is the time" "verified=$v, ran $t0..$t1"
fi
pw_is "stored: verified_at in the output" "$(j 'j["verified_at"]')" "$v"
pw_is "stored: verified_selectors" \
    "$(rcli HGET "pw:{acme}:domain:$D" verified_selectors)" "s1r,s1e"
pw_is "stored: the record's other fields kept" \
    "$(rcli HGET "pw:{acme}:domain:$D" subdomains)" "no"
cli_rc "domain show --json: verified as a time" 0 domain show $D --json
pw_is "domain show --json: verified, checked" \
    "$(j '(j["verified"], j["checked"] >= j["verified"])')" "($v, True)"
cli_rc "domain list: exit 0" 0 domain list acme
pw_is "domain list: the VERIFIED column is a time" \
    "$(printf '%s\n' "$OUT" | awk '$1 == "acme.example" { print $5 }')" \
    "$(date -u -d "@$v" +%Y-%m-%dT%H:%M:%SZ)"
cli_rc "for humans: exit 0" 0 domain verify ACME.Example.
cli_like "for humans: the verdict first" '^acme\.example \(tenant acme\): verified$' "$OUT"
cli_like "for humans: a selector's line" \
    '^DKIM s1e \(ed25519-sha256, key table\) s1e\._domainkey\.acme\.example: verified$' "$OUT"
cli_like "for humans: the MX" '^  MX: 10 mx\.acme\.example$' "$OUT"

# --- the DNS server down: exit 2, nothing changed -------------------------------
v=$(rcli HGET "pw:{acme}:domain:$D" verified)
checked=$(rcli HGET "pw:{acme}:domain:$D" checked)
pw_dns_stop
s=$SECONDS
cli_rc "DNS down: exit 2" 2 domain verify $D --json
pw_is "DNS down: a DNS failure, the timeout" \
    "$(j '(j["dkim"][0]["verdict"], j["dkim"][0]["dns"])')" \
    "('dns_failure', 'timeout')"
pw_is "DNS down: the rest not asked" \
    "$(j '[j["dkim"][1]["verdict"], j["spf"]["verdict"], j["bounce_mx"]["verdict"], j["spf"]["dns"]]')" \
    "['dns_failure', 'dns_failure', 'dns_failure', None]"
if [ $((SECONDS - s)) -le 4 ]; then
	pw_ok "DNS down: bounded by dns_timeout"
else
	pw_not_ok "DNS down: bounded by dns_timeout" "took $((SECONDS - s)) s"
fi
pw_is "DNS down: the stored state untouched" \
    "$(rcli HMGET "pw:{acme}:domain:$D" verified checked | tr '\n' ' ')" \
    "$v $checked "
pw_is "DNS down: not stored, says why" "$(j 'j["stored"]')" \
    "a DKIM lookup failed"

# --- a record with another key --------------------------------------------------
serve "$DKIM_R" "$(pw_dns_txt s1e._domainkey.$D "$XED")" "$SPF" "$DMARC" "$MX"
cli_rc "another ed25519 key: exit 1" 1 domain verify $D --json
pw_is "another key: the verdict and why" \
    "$(j '[(d["verdict"], d["reason"]) for d in j["dkim"]]')" \
    "[('verified', None), ('wrong_key', 'the record has another key')]"
pw_is "another key: the record found" "$(j 'j["dkim"][1]["records"][0]')" "$XED"
pw_is "another key: the record to publish is ours" \
    "$(j 'j["dkim"][1]["publish"]["value"]')" "$ED"
pw_is "another key: the name to publish it at" \
    "$(j '(j["dkim"][1]["publish"]["name"], j["dkim"][1]["publish"]["type"])')" \
    "('s1e._domainkey.acme.example', 'TXT')"
pw_is "another key: not verified" "$(j '(j["verified"], j["verified_at"])')" \
    "(False, None)"
pw_is "another key: verified withdrawn" \
    "$(rcli HEXISTS "pw:{acme}:domain:$D" verified)" 0
pw_is "another key: the selector that verified is kept" \
    "$(rcli HGET "pw:{acme}:domain:$D" verified_selectors)" "s1r"
cli_rc "domain list after: exit 0" 0 domain list acme
pw_is "domain list: not verified any more" \
    "$(printf '%s\n' "$OUT" | awk '$1 == "acme.example" { print $5 }')" "no"
cli_rc "another key, for humans: exit 1" 1 domain verify $D
cli_like "for humans: not verified" '^acme\.example \(tenant acme\): not verified$' "$OUT"
has_line "for humans: the record to publish" \
    "  publish: s1e._domainkey.acme.example. IN TXT \"$ED\""

serve "$(pw_dns_txt s1r._domainkey.$D "$XRSA")" "$DKIM_E"
cli_rc "another RSA key: exit 1" 1 domain verify $D --json
pw_is "another RSA key: wrong_key" "$(j 'j["dkim"][0]["verdict"]')" wrong_key
pw_is "another RSA key: ours to publish" \
    "$(j 'j["dkim"][0]["publish"]["value"]')" "$RSA"
cli_rc "another RSA key, for humans" 1 domain verify $D
has_line "for humans: a long record in strings of 255" \
    "  publish: s1r._domainkey.acme.example. IN TXT \"${RSA:0:255}\" \"${RSA:255}\""

serve "$(pw_dns_txt s1r._domainkey.$D "$ED")" "$DKIM_E"
cli_rc "an ed25519 record for the RSA key: exit 1" 1 domain verify $D --json
pw_is "the other algorithm: why" "$(j 'j["dkim"][0]["reason"]')" \
    "the record is for an ed25519 key, ours is rsa"

# --- missing, revoked, malformed, doubled --------------------------------------
serve "$DKIM_E"
cli_rc "missing record: exit 1" 1 domain verify $D --json
pw_is "missing: verdict and DNS answer" \
    "$(j '(j["dkim"][0]["verdict"], j["dkim"][0]["dns"], j["dkim"][0]["records"])')" \
    "('missing', 'NXDOMAIN', [])"
pw_is "missing: the record to publish" "$(j 'j["dkim"][0]["publish"]["value"]')" "$RSA"
pw_is "missing: stored selectors" \
    "$(rcli HGET "pw:{acme}:domain:$D" verified_selectors)" "s1e"

serve "$(pw_dns_txt s1r._domainkey.$D "v=DKIM1; k=rsa; p=")" "$DKIM_E"
cli_rc "revoked: exit 1" 1 domain verify $D --json
pw_is "revoked: verdict" "$(j 'j["dkim"][0]["verdict"]')" revoked

serve "$(pw_dns_txt s1r._domainkey.$D "v=DKIM1; k=rsa; p=!!notbase64")" \
    "$(pw_dns_txt s1e._domainkey.$D "v=DKIM1; k=ed25519; k=rsa; p=${ED##*p=}")"
cli_rc "malformed: exit 1" 1 domain verify $D --json
pw_is "malformed: verdicts and why" \
    "$(j '[(d["verdict"], d["reason"]) for d in j["dkim"]]')" \
    "[('invalid', 'p= is not base64 (or too long)'), ('invalid', 'a tag given twice')]"

serve "$DKIM_R" "$(pw_dns_txt s1r._domainkey.$D "v=DKIM1; k=rsa; p=${XRSA##*p=}")" "$DKIM_E"
cli_rc "two records at a selector: exit 1" 1 domain verify $D --json
pw_is "two records: several" "$(j '(j["dkim"][0]["verdict"], len(j["dkim"][0]["records"]))')" \
    "('several', 2)"
rcli HDEL "pw:{acme}:domain:$D" verified_selectors >/dev/null

# --- SPF, DMARC, MX verdicts (every DKIM record right) ------------------------
serve "$DKIM_R" "$DKIM_E" "$(pw_dns_txt $D "google-site-verification=x")" \
    "$(pw_dns_txt _dmarc.$D "v=DMARC1; p=bogus")" "$B. MX 0 ."
cli_rc "no SPF, bad DMARC, null MX: DKIM still verifies (exit 0)" 0 \
    domain verify $D --json
pw_is "SPF missing: the record to publish" \
    "$(j '(j["spf"]["verdict"], j["spf"]["records"], j["spf"]["publish"])')" \
    "('missing', [], {'name': 'acme.example', 'type': 'TXT', 'value': 'v=spf1 ip4:ADDRESS -all'})"
pw_is "DMARC invalid: why, and a record to publish" \
    "$(j '(j["dmarc"]["verdict"], j["dmarc"]["reason"], j["dmarc"]["publish"]["value"])')" \
    "('invalid', 'p= is not none, quarantine or reject', 'v=DMARC1; p=none')"
pw_is "null MX" "$(j '(j["bounce_mx"]["verdict"], j["bounce_mx"]["publish"]["type"])')" \
    "('null_mx', 'MX')"
pw_is "stored: verified again, both selectors" \
    "$(rcli HGET "pw:{acme}:domain:$D" verified_selectors)" "s1r,s1e"

serve "$DKIM_R" "$DKIM_E" "$SPF" "$(pw_dns_txt $D "v=spf1 -all")" \
    "$DMARC" "$(pw_dns_txt _dmarc.$D "v=DMARC1; p=none")" "$B. A 192.0.2.1"
cli_rc "two SPF, two DMARC, no MX: exit 0" 0 domain verify $D --json
pw_is "two SPF records: several" "$(j '(j["spf"]["verdict"], len(j["spf"]["records"]))')" \
    "('several', 2)"
pw_is "two DMARC records: several" "$(j 'j["dmarc"]["verdict"]')" several
pw_is "an A record but no MX: missing, no data, an MX to publish" \
    "$(j '(j["bounce_mx"]["verdict"], j["bounce_mx"]["dns"], j["bounce_mx"]["publish"]["name"])')" \
    "('missing', 'no data', 'bounces.acme.example')"

serve "$DKIM_R" "$DKIM_E"
cli_rc "no DMARC: exit 0" 0 domain verify $D --json
pw_is "DMARC missing: publish p=none" \
    "$(j '(j["dmarc"]["verdict"], j["dmarc"]["publish"]["name"], j["dmarc"]["publish"]["value"])')" \
    "('missing', '_dmarc.acme.example', 'v=DMARC1; p=none')"
rcli HDEL 'pw:{acme}:tenant' bounce_domain >/dev/null
cli_rc "no bounce_domain: exit 0" 0 domain verify $D --json
pw_is "bounce MX not set, not asked" \
    "$(j '(j["bounce_mx"]["verdict"], j["bounce_mx"]["name"], j["bounce_mx"]["dns"])')" \
    "('not_set', None, None)"

# --- domains that cannot be verified --------------------------------------------
serve "$(pw_dns_txt s1r._domainkey.other.example "$XRSA")" \
    "$(pw_dns_txt s1e._domainkey.other.example "$XED")"
cli_rc "a domain no tenant owns: exit 1" 1 domain verify other.example --json
pw_is "no owner: its records match, still not verified" \
    "$(j '([d["verdict"] for d in j["dkim"]], j["verified"], j["tenant"])')" \
    "(['verified', 'verified'], False, None)"
pw_is "no owner: nothing stored" "$(rcli KEYS '*other.example*')" ""
cli_rc "a domain without keys: exit 1" 1 domain verify nokeys.example --json
pw_is "no keys: not verified" "$(j '(j["verified"], j["dkim"])')" "(False, [])"
pw_is "no keys: verified absent" \
    "$(rcli HEXISTS "pw:{acme}:domain:nokeys.example" verified)" 0

serve "$DKIM_R" "$DKIM_E"
rcli DEL "pw:{acme}:domain:$D" >/dev/null
cli_rc "an owner entry without its record: exit 1" 1 domain verify $D --json
pw_is "no record: not verified, says why" "$(j '(j["verified"], j["stored"])')" \
    "(False, 'tenant acme has no record of acme.example')"
pw_is "no record: none made" "$(rcli EXISTS "pw:{acme}:domain:$D")" 0

# --- DNSSEC: a trust anchor for the zone, unsigned answers -> bogus -----------
serve "$DKIM_R" "$DKIM_E" "$SPF"
echo "$D. IN DS 12345 13 2 $(printf '%064d' 0)" >"$PW_TMP/anchor"
good_conf=$CLI_CONF
CLI_CONF=$PW_TMP/dnssec.conf
{ cat "$good_conf"; echo "dns_trust_anchor_file = $PW_TMP/anchor"; } \
    >"$CLI_CONF"
cli_rc "DNSSEC bogus: exit 2" 2 domain verify $D --json
pw_is "DNSSEC bogus: a DNS failure, not a verdict on the record" \
    "$(j '(j["dkim"][0]["verdict"], j["dkim"][0]["dns"], j["spf"]["dns"])')" \
    "('dns_failure', 'DNSSEC bogus', 'DNSSEC bogus')"
CLI_CONF=$good_conf

# --- failures and usage ---------------------------------------------------------
good_conf=$CLI_CONF
CLI_CONF=$PW_TMP/noredis.conf
sed "s|^redis_server = .*|redis_server = unix:$PW_TMP/nothing.sock|" \
    "$good_conf" >"$CLI_CONF"
cli_rc "Redis down: exit 2" 2 domain verify $D
CLI_CONF=$good_conf
cli_rc "no domain: exit 64" 64 domain verify
cli_rc "not a domain: exit 64" 64 domain verify 'no such!'
cli_rc "unknown option: exit 64" 64 domain verify $D --bogus
cli_rc "--help: exit 0" 0 domain verify --help

pw_done
