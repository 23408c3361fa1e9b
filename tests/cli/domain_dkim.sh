#!/bin/bash
# tests/cli/domain_dkim.sh -- `postwarden dkim kek-generate` and
# `postwarden domain dkim add|rotate|activate|retire|list`: a KEK file
# made 0600, never over a file; a domain without owner refused; the keys
# stored pending,
# their state and the tenant's dkim_version in Redis as
# docs/redis-schema.md says; the TXT records printed verify mail signed
# with the stored keys, opened the way the milter will (lib/dkim_store.c
# through tests/dkim/dkim_signmsg -r), by python3-dkim and, when
# installed, Mail::DKIM; a sealed key moved to another domain, selector
# or tenant, or opened with another KEK, does not open; neither an RDB
# dump (uncompressed) nor DUMP of every key nor any value holds the
# private key (its DER, its PEM); a KEK file group or others may read is
# refused; bad command lines exit 64; domain add --dkim: the domain and
# its keys in one command, the records printed the stored ones, nothing
# added without a KEK, what is left when the keys fail after the add;
# domain show: every key's state and times; rotation: a new key pending while
# the old one signs, activation retires the old one for
# dkim_keep_published, retire removes only what no longer signs and need
# no longer be published.

. "$PW_SRCDIR/tests/cli/common.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

SIGN=$PW_BUILDDIR/tests/dkim/dkim_signmsg
[ -x "$SIGN" ] || pw_skip_all "$SIGN not built"
pw_dkim_require rsa ed25519
cli_start
T=$PW_TMP
D=acme.example
today=pw$(date -u +%Y%m%d)

# --- the KEK file ---------------------------------------------------------

pwcli dkim kek-generate "$T/kek"
pw_is "kek-generate: exit 0" "$RC" 0
pw_is "kek-generate: mode 0600" "$(stat -c %a "$T/kek")" 600
pw_check "kek-generate: 64 hex digits and a newline" \
    grep -qxE '[0-9a-f]{64}' "$T/kek"
kekid=$(printf '%s' "$OUT" | sed -n 's/^kek id \([0-9a-f]\{16\}\)$/\1/p')
want=$(printf 'postwarden kek id' | openssl dgst -sha256 -mac HMAC \
    -macopt "hexkey:$(cat "$T/kek")" -r | cut -c1-16)
pw_is "kek-generate: prints the kek id, HMAC-SHA256(KEK, label)" \
    "$kekid" "$want"
before=$(md5sum <"$T/kek")
pwcli dkim kek-generate "$T/kek"
pw_is "kek-generate: never over an existing file (exit 2)" \
    "$RC:$(md5sum <"$T/kek")" "2:$before"
printf 'dkim_kek_file = %s\n' "$T/kek" >>"$CLI_CONF"

# --- add ---------------------------------------------------------------------

cli_rc "tenant add acme" 0 tenant add acme
cli_rc "tenant add evil" 0 tenant add evil
pw_domain_add acme "$D" || pw_bail "pw_domain_add"
cli_rc "add: a domain without owner is refused (exit 1)" 1 \
    domain dkim add unowned.example
cli_like "add: ... saying to add the domain first" \
    "has no owner.*domain add TENANT unowned.example" "$ERR"
cli_rc "add: nothing stored for it" 0 domain dkim list "$D"

cli_rc "add $D: exit 0" 0 domain dkim add "$D"
added=$OUT
# The zone-file lines, strings joined: "NAME TXT" for verify.py.
printf '%s\n' "$added" | sed -n \
    's/^\([^ ]*\)\. IN TXT ( \(.*\) )$/\1 \2/p' |
    sed 's/" "//g; s/ "/ /; s/"$//' >"$T/dns"
pw_is "add: two records printed, rsa and ed25519 selectors" \
    "$(cut -d' ' -f1 "$T/dns" | tr '\n' ' ')" \
    "$today-rsa._domainkey.$D $today-ed25519._domainkey.$D "
pw_is "add: the selectors are pending" \
    "$(rcli HGETALL "pw:{acme}:dkim:$D" | paste -sd' ')" \
    "$today-rsa pending $today-ed25519 pending"
pw_is "add: the tenant's dkim_version counts the change" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_version)" 2
pw_is "add: the printed record is the stored public field" \
    "$(rcli HGET "pw:{acme}:dkim:$D:$today-rsa" public)" \
    "$(sed -n "s/^$today-rsa._domainkey.$D //p" "$T/dns")"
sealed=$(rcli HGET "pw:{acme}:dkim:$D:$today-rsa" sealed)
cli_like "add: sealed as v1:<kek id>:<base64url>" \
    "^v1:$kekid:[A-Za-z0-9_-]{100,}\$" "$sealed"

# --- the stored keys sign; the printed records verify ------------------------

for alg in rsa ed25519; do
	sel=$today-$alg
	rcli HGETALL "pw:{acme}:dkim:$D:$sel" >"$T/rec-$alg"
	printf 'From: a@%s\nTo: b@example.net\nSubject: %s\n\nbody\n' \
	    "$D" "$alg" | "$SIGN" -r "$T/kek:acme:$D:$sel:$T/rec-$alg" \
	    -D "$T/der-$alg" >"$T/signed-$alg.eml" 2>"$T/sign-$alg.err"
	pw_is "$alg: the stored key opens and signs (lib/dkim_store)" "$?:$(
	    cat "$T/sign-$alg.err")" "0:"
	"$PW_PYTHON" "$PW_SRCDIR/tests/dkim/verify.py" "$T/signed-$alg.eml" \
	    "$T/dns" >"$T/verify-$alg.out" 2>&1
	pw_is "$alg: python3-dkim verifies it with the printed record" \
	    "$?:$(cat "$T/verify-$alg.out")" "0:0 d=$D a=$alg-sha256 pass"
done
if [ "$PW_DKIM_PERL" = 1 ]; then
	perl "$PW_SRCDIR/tests/dkim/verify.pl" "$T/signed-rsa.eml" "$T/dns" \
	    >"$T/verify-perl.out" 2>&1
	pw_is "rsa: Mail::DKIM verifies it too" "$?" 0
else
	pw_ok "rsa: Mail::DKIM verifies it too # SKIP not installed"
fi

# --- bound to its place, and to the KEK -----------------------------------

"$SIGN" -r "$T/kek:acme:other.example:$today-rsa:$T/rec-rsa" \
    </dev/null >/dev/null 2>"$T/err"
cli_like "moved to another domain: does not open" \
    "does not authenticate" "$(cat "$T/err")"
"$SIGN" -r "$T/kek:acme:$D:$today-ed25519:$T/rec-rsa" \
    </dev/null >/dev/null 2>"$T/err"
cli_like "moved to another selector: does not open" \
    "does not authenticate" "$(cat "$T/err")"
"$SIGN" -r "$T/kek:evil:$D:$today-rsa:$T/rec-rsa" \
    </dev/null >/dev/null 2>"$T/err"
cli_like "moved to another tenant: does not open" \
    "does not authenticate" "$(cat "$T/err")"
pwcli dkim kek-generate "$T/kek2"
"$SIGN" -r "$T/kek2:acme:$D:$today-rsa:$T/rec-rsa" \
    </dev/null >/dev/null 2>"$T/err"
cli_like "another KEK: told apart from tampering" \
    "another key-encryption key" "$(cat "$T/err")"
# The public field must be the sealed key's.
awk -v new="$(sed -n "s/^$today-ed25519._domainkey.$D //p" "$T/dns")" \
    'prev == "public" { $0 = new } { prev = $0; print }' "$T/rec-rsa" \
    >"$T/rec-swapped"
"$SIGN" -r "$T/kek:acme:$D:$today-rsa:$T/rec-swapped" \
    </dev/null >/dev/null 2>"$T/err"
cli_like "another public field: refused" "not the sealed key's public" \
    "$(cat "$T/err")"

# --- no plaintext key in Redis ---------------------------------------------

rcli CONFIG SET rdbcompression no >/dev/null
for alg in rsa ed25519; do
	openssl pkey -inform DER -in "$T/der-$alg" -out "$T/pem-$alg" \
	    2>/dev/null || pw_bail "openssl pkey $alg"
done
# leak_search: dump Redis (RDB, DUMP of every key, every hash's values)
# and print what of the private keys it holds, "" for nothing.
leak_search() {
	rm -f "$T/dump.rdb"
	redis-cli -s "$PW_REDIS_SOCK" --rdb "$T/dump.rdb" >/dev/null 2>&1 ||
	    pw_bail "redis-cli --rdb"
	: >"$T/dumps"
	for k in $(rcli --scan); do
		rcli --no-raw DUMP "$k" >>"$T/dumps"
		rcli TYPE "$k" | grep -q hash && rcli HGETALL "$k" >>"$T/dumps"
	done
	"$PW_PYTHON" - "$T" <<'EOF2'
import base64, sys
t = sys.argv[1]
hay = open(t + '/dump.rdb', 'rb').read() + open(t + '/dumps', 'rb').read()
out = []
for alg in ('rsa', 'ed25519'):
    der = open('%s/der-%s' % (t, alg), 'rb').read()
    pem = open('%s/pem-%s' % (t, alg), 'rb').read()
    lines = [l for l in pem.splitlines() if not l.startswith(b'-----')]
    needles = {'DER': der[-32:], 'DER hex': der[-32:].hex().encode(),
               'PEM line': lines[0],
               'base64 of DER': base64.b64encode(der)[40:100]}
    for what, n in needles.items():
        if n in hay:
            out.append('%s %s found' % (alg, what))
# The search finds what is there: the public keys are.
pub = open(t + '/dns', 'rb').read().split(b'p=')[1][:60]
if pub not in hay:
    out.append('control: the public key not found in the dump')
print(', '.join(out))
EOF2
}
pw_is "no private key (DER, hex, PEM) in an RDB dump, DUMP or any value" \
    "$(leak_search)" ""
# The search can fail: a key planted in plain, as DER and as PEM.
rcli -x HSET 'pw:{acme}:planted' der <"$T/der-rsa" >/dev/null
rcli -x HSET 'pw:{acme}:planted' pem <"$T/pem-ed25519" >/dev/null
pw_is "control: a private key planted in Redis is found" \
    "$(leak_search)" \
    "rsa DER found, ed25519 PEM line found, ed25519 base64 of DER found"
rcli DEL 'pw:{acme}:planted' >/dev/null

# --- activate, list -----------------------------------------------------------

cli_rc "activate: exit 0" 0 domain dkim activate "$D" "$today-rsa"
pw_is "activate: the state in both hashes, activated set" \
    "$(rcli HGET "pw:{acme}:dkim:$D" "$today-rsa") $(rcli HGET \
    "pw:{acme}:dkim:$D:$today-rsa" state) $(rcli HGET \
    "pw:{acme}:dkim:$D:$today-rsa" activated | grep -c '^[1-9]')" \
    "active active 1"
pw_is "activate: dkim_version incremented" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_version)" 3
cli_rc "activate again: exit 0, nothing changed" 0 \
    domain dkim activate "$D" "$today-rsa"
pw_is "activate again: dkim_version unchanged" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_version)" 3
cli_rc "activate an unknown selector: exit 1" 1 \
    domain dkim activate "$D" nosuch
cli_rc "list: exit 0" 0 domain dkim list "$D"
cli_like "list: the active rsa key" "^$today-rsa +rsa +active " "$OUT"
cli_like "list: the pending ed25519 key" \
    "^$today-ed25519 +ed25519 +pending " "$OUT"
cli_rc "list --json: exit 0" 0 domain dkim list "$D" --json
pw_is "list --json: selectors, states, records; no sealed key" "$(cli_json \
    '[(k["selector"], k["state"], k["public"][:8], "sealed" in k) for k in j]')" \
    "[('$today-ed25519', 'pending', 'v=DKIM1;', False), ('$today-rsa', 'active', 'v=DKIM1;', False)]"

# --- refusals -------------------------------------------------------------------

cli_rc "add an existing selector: exit 3" 3 \
    domain dkim add "$D" --algorithm rsa --selector "$today-rsa"
pw_is "add an existing selector: dkim_version unchanged" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_version)" 3
cli_rc "add --selector S --algorithm ed25519: exit 0" 0 \
    domain dkim add "$D" --algorithm ed25519 --selector s2 --json
pw_is "add --json: the one key, its selector as given" "$(cli_json \
    '[(k["selector"], k["algorithm"], k["name"]) for k in j]')" \
    "[('s2', 'ed25519', 's2._domainkey.$D')]"
cli_rc "add --selector with a dot: exit 64" 64 \
    domain dkim add "$D" --selector a.b
cli_rc "add --algorithm dsa: exit 64" 64 \
    domain dkim add "$D" --algorithm dsa
cli_rc "add --bits 512: exit 64" 64 domain dkim add "$D" --bits 512
cli_rc "add without a domain: exit 64" 64 domain dkim add
chmod 0644 "$T/kek"
cli_rc "a KEK file others may read: refused (exit 2)" 2 \
    domain dkim add "$D" --selector s3
cli_like "... saying why" "key-encryption key is accessible by group or others" \
    "$ERR"
pw_is "... and nothing stored" "$(rcli EXISTS "pw:{acme}:dkim:$D:s3-rsa")" 0
chmod 0600 "$T/kek"
printf 'redis_server = unix:%s\n' "$PW_REDIS_SOCK" >"$T/nokek.conf"
"$CLI_BIN" -c "$T/nokek.conf" domain dkim add "$D" --selector s4 \
    >/dev/null 2>"$T/err"
pw_is "no dkim_kek_file: exit 2, saying so" \
    "$?:$(grep -c 'dkim_kek_file is not set' "$T/err")" "2:1"

# --- rotate, activate retires, retire ----------------------------------------

v0=$(rcli HGET 'pw:{acme}:tenant' dkim_version)
cli_rc "rotate: exit 0" 0 domain dkim rotate "$D"
pw_is "rotate: a new key for each active algorithm (rsa), pending" \
    "$(printf '%s\n' "$OUT" | cut -d' ' -f1) $(rcli HGET \
    "pw:{acme}:dkim:$D" "${today}b-rsa")" \
    "${today}b-rsa._domainkey.$D. pending"
pw_is "rotate: the old key still signs until then" \
    "$(rcli HGET "pw:{acme}:dkim:$D" "$today-rsa")" active
pw_is "rotate: dkim_version incremented" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_version)" $((v0 + 1))
pw_domain_add acme b.example || pw_bail "pw_domain_add"
cli_rc "rotate a domain without active key: exit 1" 1 \
    domain dkim rotate b.example
t0=$(date +%s)
cli_rc "activate the new key: exit 0" 0 \
    domain dkim activate "$D" "${today}b-rsa"
cli_like "activate: says which key retires, until when" \
    "selector $today-rsa retiring: keep its record published until" "$OUT"
until=$(rcli HGET "pw:{acme}:dkim:$D:$today-rsa" keep_published_until)
pw_is "activate: the replaced key is retiring for dkim_keep_published" \
    "$(rcli HGET "pw:{acme}:dkim:$D" "$today-rsa") $(rcli HGET \
    "pw:{acme}:dkim:$D:$today-rsa" state) $(( until >= t0 + 604800 &&
    until <= $(date +%s) + 604800 ))" "retiring retiring 1"
pw_is "activate: other algorithms untouched" \
    "$(rcli HGET "pw:{acme}:dkim:$D" "$today-ed25519") $(rcli HGET \
    "pw:{acme}:dkim:$D" "${today}b-rsa")" "pending active"
pw_is "activate: dkim_version incremented once" \
    "$(rcli HGET 'pw:{acme}:tenant' dkim_version)" $((v0 + 2))
cli_rc "list: exit 0" 0 domain dkim list "$D"
cli_like "list: the retiring key with its keep-published time" \
    "^$today-rsa +rsa +retiring .* [0-9-]+T[0-9:]+Z *\$" "$OUT"

# domain show: every key, its state and times; a retiring key's
# keep_published_until (tests/cli/domain.sh: a domain without keys).
T_=[0-9-]+T[0-9:]+Z
cli_rc "show: exit 0" 0 domain show "$D"
cli_like "show: the active key with bits, created and activated" \
    "^dkim ${today}b-rsa +rsa 2048 bits, active, created $T_, activated $T_\$" \
    "$OUT"
cli_like "show: the retiring key, published until keep_published_until" \
    "^dkim $today-rsa +rsa 2048 bits, retiring, created $T_, activated $T_, keep published until $(date -u -d "@$until" +%Y-%m-%dT%H:%M:%SZ)\$" \
    "$OUT"
cli_like "show: a pending key" \
    "^dkim $today-ed25519 +ed25519, pending, created $T_\$" "$OUT"
cli_rc "show --json: exit 0" 0 domain show "$D" --json
pw_is "show --json: the keys, an array by selector, times as numbers" \
    "$(cli_json '[(k["selector"], k["algorithm"], k["bits"], k["state"],
	k["activated"] is not None, k["keep_published_until"]) for k in j["dkim"]]')" \
    "[('$today-ed25519', 'ed25519', $(rcli HGET "pw:{acme}:dkim:$D:$today-ed25519" bits | grep . || echo None), 'pending', False, None), ('$today-rsa', 'rsa', 2048, 'retiring', True, $until), ('${today}b-rsa', 'rsa', 2048, 'active', True, None), ('s2', 'ed25519', $(rcli HGET "pw:{acme}:dkim:$D:s2" bits | grep . || echo None), 'pending', False, None)]"
pw_is "show --json: created, the record to publish, as stored" \
    "$(cli_json '[(k["created"], k["name"], k["txt"]) for k in j["dkim"]][1]')" \
    "($(rcli HGET "pw:{acme}:dkim:$D:$today-rsa" created), '$today-rsa._domainkey.$D', '$(rcli HGET "pw:{acme}:dkim:$D:$today-rsa" public)')"
cli_rc "retire a retiring key before its time: exit 3" 3 \
    domain dkim retire "$D" "$today-rsa"
cli_rc "retire an active key: exit 64" 64 \
    domain dkim retire "$D" "${today}b-rsa"
cli_rc "retire an unknown selector: exit 1" 1 domain dkim retire "$D" nosuch
cli_rc "retire --force: exit 0" 0 \
    domain dkim retire "$D" "$today-rsa" --force
pw_is "retire: record and selector gone, dkim_version incremented" \
    "$(rcli EXISTS "pw:{acme}:dkim:$D:$today-rsa") $(rcli HEXISTS \
    "pw:{acme}:dkim:$D" "$today-rsa") $(rcli HGET 'pw:{acme}:tenant' \
    dkim_version)" "0 0 $((v0 + 3))"
cli_rc "retire a pending key: exit 0" 0 domain dkim retire "$D" s2
# With dkim_keep_published = 0s a replaced key may go at once.
cp "$CLI_CONF" "$T/keep0.conf"
echo 'dkim_keep_published = 0s' >>"$T/keep0.conf"
"$CLI_BIN" -c "$T/keep0.conf" domain dkim activate "$D" \
    "$today-ed25519" >/dev/null 2>&1
"$CLI_BIN" -c "$T/keep0.conf" domain dkim rotate "$D" --algorithm ed25519 \
    >/dev/null 2>&1
"$CLI_BIN" -c "$T/keep0.conf" domain dkim activate "$D" \
    "${today}b-ed25519" >/dev/null 2>&1
pw_is "keep_published 0s: the replaced key is retiring" \
    "$(rcli HGET "pw:{acme}:dkim:$D" "$today-ed25519")" retiring
cli_rc "... and retires without --force once its time is up" 0 \
    domain dkim retire "$D" "$today-ed25519"

# --- domain add --dkim: the domain and its keys in one command ---------------

# zone_records: the zone-file lines in $OUT as "NAME TXT", strings joined.
zone_records() {
	printf '%s\n' "$OUT" | sed -n \
	    's/^\([^ ]*\)\. IN TXT ( \(.*\) )$/\1 \2/p' |
	    sed 's/" "//g; s/ "/ /; s/"$//'
}
C=c.example
cli_rc "domain add --dkim rsa,ed25519: exit 0" 0 \
    domain add acme "$C" --dkim rsa,ed25519
pw_is "domain add --dkim: the domain is added" \
    "$(printf '%s\n' "$OUT" | head -n 1)|$(rcli HGET "pw:domain:$C" tenant)" \
    "domain $C added to tenant acme|acme"
zone_records >"$T/dns-c"
pw_is "domain add --dkim: the stored keys, pending" \
    "$(rcli HGETALL "pw:{acme}:dkim:$C" | paste -sd' ')" \
    "$today-rsa pending $today-ed25519 pending"
pw_is "domain add --dkim: the records printed carry the stored keys" \
    "$(cat "$T/dns-c")" \
    "$today-rsa._domainkey.$C $(rcli HGET "pw:{acme}:dkim:$C:$today-rsa" public)
$today-ed25519._domainkey.$C $(rcli HGET "pw:{acme}:dkim:$C:$today-ed25519" public)"
cli_like "domain add --dkim: says to publish them, then activate" \
    "2 keys stored, pending; publish these records" "$ERR"
cli_rc "domain dkim list --json of it: exit 0" 0 domain dkim list "$C" --json
pw_is "domain add --dkim: domain dkim list shows the same records" \
    "$(cli_json '"\n".join("%s._domainkey.'"$C"' %s" % (k["selector"], k["public"])
	for k in sorted(j, key=lambda k: k["algorithm"] != "rsa"))')" \
    "$(cat "$T/dns-c")"
# The records printed verify mail signed with the stored key.
rcli HGETALL "pw:{acme}:dkim:$C:$today-ed25519" >"$T/rec-c"
printf 'From: a@%s\nTo: b@example.net\nSubject: c\n\nbody\n' "$C" |
    "$SIGN" -r "$T/kek:acme:$C:$today-ed25519:$T/rec-c" >"$T/signed-c.eml"
"$PW_PYTHON" "$PW_SRCDIR/tests/dkim/verify.py" "$T/signed-c.eml" \
    "$T/dns-c" >"$T/verify-c.out" 2>&1
pw_is "domain add --dkim: python3-dkim verifies with the printed record" \
    "$?:$(cat "$T/verify-c.out")" "0:0 d=$C a=ed25519-sha256 pass"

cli_rc "domain add --dkim ed25519 --json: exit 0" 0 \
    domain add acme e.example --dkim ed25519 --json
pw_is "domain add --json: the domain with its key and record" \
    "$(cli_json '[j["domain"], j["tenant"]] + [(k["selector"], k["algorithm"],
	k["state"], k["name"], k["txt"]) for k in j["dkim"]]')" \
    "['e.example', 'acme', ('$today-ed25519', 'ed25519', 'pending', '$today-ed25519._domainkey.e.example', '$(rcli HGET "pw:{acme}:dkim:e.example:$today-ed25519" public)')]"
cli_rc "domain add --dkim rsa: exit 0" 0 domain add acme r.example --dkim rsa
pw_is "domain add --dkim rsa: one rsa key of 2048 bits" \
    "$(rcli HKEYS "pw:{acme}:dkim:r.example")/$(rcli HGET \
    "pw:{acme}:dkim:r.example:$today-rsa" bits)/$(zone_records | cut -d' ' -f1)" \
    "$today-rsa/2048/$today-rsa._domainkey.r.example"
cli_rc "domain add --dkim dsa: exit 64" 64 domain add acme x.example \
    --dkim dsa
cli_rc "domain add --dkim, a domain with '_': exit 64" 64 \
    domain add acme x_y.example --dkim rsa
"$CLI_BIN" -c "$T/nokek.conf" domain add acme x.example --dkim rsa \
    >/dev/null 2>"$T/err"
pw_is "domain add --dkim without a KEK: exit 2, saying so" \
    "$?:$(grep -c 'dkim_kek_file is not set' "$T/err")" "2:1"
pw_is "... and the domain is not added (nor after a bad --dkim)" \
    "$(rcli EXISTS pw:domain:x.example 'pw:{acme}:domain:x.example')" 0
# Keys failing after the domain was added: a wrong-type selector hash.
rcli SET "pw:{acme}:dkim:f.example" x >/dev/null
cli_rc "domain add --dkim, the keys fail after the add: exit 2" 2 \
    domain add acme f.example --dkim rsa,ed25519
cli_like "... saying the domain was added without keys, and what to run" \
    "^postwarden: domain f.example was added to tenant acme, but without DKIM keys \(none was stored\); make them with: postwarden domain dkim add f.example --algorithm rsa,ed25519\$" \
    "$ERR"
pw_is "... and it is so" "$(rcli HGET pw:domain:f.example tenant)/$(rcli \
    HGET 'pw:{acme}:domains' f.example)/$(rcli --scan --pattern \
    'pw:{acme}:dkim:f.example:*' | wc -l)" "acme/exact/0"
rcli DEL "pw:{acme}:dkim:f.example" >/dev/null

# --- the keys leave with the domain ------------------------------------------

v1=$(rcli HGET 'pw:{acme}:tenant' dkim_version)
cli_rc "domain remove: exit 0" 0 domain remove "$D"
pw_is "domain remove: its DKIM keys go too, dkim_version incremented" \
    "$(rcli --scan --pattern "pw:{acme}:dkim:$D*" | wc -l) $(rcli HGET \
    'pw:{acme}:tenant' dkim_version)" "0 $((v1 + 1))"
cli_rc "domain add again: exit 0" 0 domain add acme "$D"
cli_rc "... and it starts without keys" 0 domain dkim list "$D" --json
pw_is "... (none listed)" "$OUT" "[]"
cli_rc "a key for b.example" 0 domain dkim add b.example --algorithm ed25519
cli_rc "tenant delete: exit 0" 0 tenant delete acme
# (but its generation pw:{acme}:gen, kept: docs/redis-schema.md)
pw_is "tenant delete: no DKIM key left, no tenant record made again" \
    "$(rcli --scan --pattern "pw:{acme}:*" | grep -vxF 'pw:{acme}:gen' |
    sort | paste -sd' ')" ""

pw_done
