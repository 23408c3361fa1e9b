#!/bin/bash
# tests/cli/unsubscribe.sh -- postwarden unsubscribe TOKEN and
# unsubscribe --mail: a token's recipient lands in its tenant's
# suppression hash (reason unsubscribe, source one-click or mailto, seen
# by suppress check); doing it again changes nothing; a global copy or an
# expiring entry is replaced, a tenant's own permanent entry is not;
# forged, malformed and unknown-tenant tokens write nothing; exit codes
# of both modes (sysexits for pipe(8) with --mail); tokens are opaque
# (no base64 decoding shows the address or tenant) and carry the stream;
# version 1 tokens (links sent before keyrings) still work; a token of
# one of the tenant's bulk streams suppresses for that stream (or, with
# unsubscribe_scope = bulk, every bulk stream) only.  Tokens are
# made by tests/cli/track_make, as the milter makes them.

. "$PW_SRCDIR/tests/cli/common.sh"
MAKE=$PW_BUILDDIR/tests/cli/track_make
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
cli_start
pw_plan 82

SECRET=$PW_TMP/tracking.secret
printf '%s\n' 9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9 \
    >"$SECRET"
chmod 0600 "$SECRET"
OTHER=$PW_TMP/other.secret
printf '%s\n' 0000000000000000000000000000000000000000000000000000000000000000 \
    >"$OTHER"
chmod 0600 "$OTHER"
BASE_CONF=$(cat "$CLI_CONF")
printf 'tracking_secret_file = %s\n' "$SECRET" >>"$CLI_CONF"
GOOD_CONF=$(cat "$CLI_CONF")
for t in acme beta; do
	rcli HSET "pw:{$t}:tenant" status active >/dev/null
	rcli SADD pw:tenants "$t" >/dev/null
done
# value ADDRESS [TENANT]: the stored value
value() { rcli HGET "pw:{${2:-acme}}:supp" "$1"; }
# token TENANT RECIPIENT [SECRET [STREAM]]
token() { "$MAKE" "${3:-$SECRET}" unsub "$1" "$2" ${4:+"$4"}; }
# token1 TENANT RECIPIENT: a version 1 token, as made before keyrings
token1() { "$MAKE" "$SECRET" unsub1 "$1" "$2"; }
# b64any TOKEN: the token (without its version) base64url-decoded from
# each of the four alignments, as a log reader would try
b64any() {
	python3 -c '
import base64, sys
for part in sys.argv[1][1:].split("."):
    t = part.replace("-", "+").replace("_", "/")
    for o in range(4):
        u = t[o:]
        sys.stdout.buffer.write(base64.b64decode(u[:len(u) // 4 * 4]) + b"\n")
' "$1"
}
# message FILE SUBJECT...: a small message with that Subject
message() {
	local f=$1
	shift
	printf 'Return-Path: <someone@example.net>\nFrom: someone@example.net\n%s\nTo: unsubscribe@bounces.example\n\nplease\n' \
	    "$*" >"$f"
}

# unsubscribe TOKEN
tok=$(token acme User@Example.NET)
pw_check "the token is URL safe, version 2" \
    sh -c "printf '%s' \"\$1\" | grep -qE '^2[A-Za-z0-9_-]+$'" \
    sh "$tok"
pw_is "the same recipient, the same token" "$(token acme user@example.net)" \
    "$tok"
export -f b64any
pw_check "no decoding shows the address or the tenant" \
    bash -c "! { printf '%s\n' \"\$1\"; b64any \"\$1\"; } | grep -aqiE 'user|example|acme'" \
    sh "$tok"
pw_check "(the check sees them in a version 1 token)" \
    bash -c "b64any \"\$1\" | grep -aq '^acme$' && b64any \"\$1\" | grep -aq 'user@example.net'" sh \
    "$(token1 acme user@example.net)"
now=$(date +%s)
cli_rc "unsubscribe TOKEN: exit 0" 0 unsubscribe "$tok"
pw_is "unsubscribe TOKEN: says so" "$OUT" \
    "unsubscribed user@example.net from tenant acme (one-click)"
v=$(value user@example.net)
pw_is "entry: reason, source, expires" "$(echo "$v" | cut -d'|' -f1,2,4)" \
    "unsubscribe|one-click|0"
t=$(echo "$v" | cut -d'|' -f3)
pw_check "entry: time is now" test $((t - now)) -le 2 -a $((t - now)) -ge 0
pw_is "not in the other tenant" "$(rcli HLEN 'pw:{beta}:supp')" 0
cli_rc "suppress check sees it: exit 0" 0 suppress check user@example.net \
    --tenant acme
cli_like "suppress check: reason and source" \
    "reason unsubscribe, source one-click" "$OUT"
rcli HSET 'pw:{acme}:supp' user@example.net "unsubscribe|one-click|100|0" \
    >/dev/null
cli_rc "again: exit 0" 0 unsubscribe "$tok"
pw_is "again: says so" "$OUT" \
    "user@example.net was already suppressed in tenant acme; left as it is"
pw_is "again: the entry is unchanged" "$(value user@example.net)" \
    "unsubscribe|one-click|100|0"
cli_rc "--json: exit 0" 0 unsubscribe --json \
    "$(token beta x@example.org "$SECRET" news)"
pw_is "--json: the stream too" \
    "$(cli_json '[j["tenant"], j["address"], j["reason"], j["source"],
	j["added"], j["stream"]]')" \
    "['beta', 'x@example.org', 'unsubscribe', 'one-click', True, 'news']"
cli_rc "a version 1 token (sent before keyrings): exit 0" 0 unsubscribe \
    --json "$(token1 beta v1@example.org)"
pw_is "a version 1 token: no stream" \
    "$(cli_json '[j["tenant"], j["address"], j["added"], j["stream"]]')" \
    "['beta', 'v1@example.org', True, None]"

# a token of a bulk stream: that stream only (issue 16)
sv() { rcli HGET "pw:{acme}:supp:$1" "$2"; }
cli_rc "a token of stream bulk (acme's default bulk_streams): exit 0" 0 \
    unsubscribe "$(token acme s1@example.net "$SECRET" bulk)"
pw_is "... says so" "$OUT" \
    "unsubscribed s1@example.net from stream bulk of tenant acme (one-click)"
pw_is "... in pw:{acme}:supp:stream:bulk, not tenant-wide" \
    "$(sv stream:bulk s1@example.net | cut -d'|' -f1,2,4) $(value s1@example.net)" \
    "unsubscribe|one-click|0 "
cli_rc "again: exit 0" 0 unsubscribe --json \
    "$(token acme s1@example.net "$SECRET" bulk)"
pw_is "again: already, nothing written" \
    "$(cli_json '[j["added"], j["scope"]]') $(rcli HLEN 'pw:{acme}:supp:stream:bulk')" \
    "[False, None] 1"
rcli HSET 'pw:{acme}:supp' s2@example.net "complaint|cli|100|0" >/dev/null
cli_rc "a tenant-wide permanent entry: exit 0" 0 unsubscribe \
    "$(token acme s2@example.net "$SECRET" bulk)"
pw_is "... already suppressed for good: nothing written" \
    "$(rcli HEXISTS 'pw:{acme}:supp:stream:bulk' s2@example.net) $(value s2@example.net)" \
    "0 complaint|cli|100|0"
rcli HSET 'pw:{acme}:supp:stream:bulk' s3@example.net \
    "manual|cli|100|4073500800" >/dev/null
cli_rc "an expiring stream entry: exit 0" 0 unsubscribe \
    "$(token acme s3@example.net "$SECRET" bulk)"
pw_is "... replaced" "$(sv stream:bulk s3@example.net | cut -d'|' -f1,2,4)" \
    "unsubscribe|one-click|0"
rcli HSET 'pw:{acme}:tenant' bulk_streams "bulk, news" unsubscribe_scope bulk \
    >/dev/null
cli_rc "unsubscribe_scope = bulk, a token of stream news: exit 0" 0 \
    unsubscribe --json "$(token acme s4@example.net "$SECRET" news)"
pw_is "... every bulk stream: pw:{acme}:supp:bulk" \
    "$(cli_json '[j["added"], j["scope"]]') $(sv bulk s4@example.net | cut -d'|' -f1,2)" \
    "[True, 'bulk'] unsubscribe|one-click"
cli_rc "... a stream entry under scope bulk is already enough: exit 0" 0 \
    unsubscribe --json "$(token acme s4@example.net "$SECRET" bulk)"
pw_is "... and then the bulk entry covers stream bulk too" \
    "$(cli_json '[j["added"]]')" "[False]"
cli_rc "a token of a stream that is not bulk: exit 0" 0 unsubscribe \
    "$(token acme s5@example.net "$SECRET" transactional)"
pw_is "... tenant-wide" "$OUT" \
    "unsubscribed s5@example.net from tenant acme (one-click)"
rcli HDEL 'pw:{acme}:tenant' bulk_streams unsubscribe_scope >/dev/null

# what an unsubscribe replaces, and what it leaves alone
rcli HSET 'pw:{acme}:supp' g@example.net "bounce|global|100|0" \
    e@example.net "manual|cli|100|4073500800" \
    c@example.net "complaint|cli|100|0" >/dev/null
cli_rc "over a global copy: exit 0" 0 unsubscribe "$(token acme g@example.net)"
pw_is "over a global copy: replaced" \
    "$(value g@example.net | cut -d'|' -f1,2,4)" "unsubscribe|one-click|0"
cli_rc "over an expiring entry: exit 0" 0 unsubscribe \
    "$(token acme e@example.net)"
pw_is "over an expiring entry: replaced, never expires" \
    "$(value e@example.net | cut -d'|' -f1,2,4)" "unsubscribe|one-click|0"
cli_rc "over a permanent complaint: exit 0" 0 unsubscribe \
    "$(token acme c@example.net)"
pw_is "over a permanent complaint: left alone" "$(value c@example.net)" \
    "complaint|cli|100|0"

# bad tokens write nothing
n=$(rcli HLEN 'pw:{acme}:supp')
[ "${tok:20:1}" = A ] && c=B || c=A
forged=${tok:0:20}$c${tok:21}
cli_rc "forged: exit 1" 1 unsubscribe "$forged"
cli_like "forged: says so" \
    "^postwarden: unsubscribe: command line: forged token: MAC does not match$" \
    "$ERR"
tok1=$(token1 acme user@example.net)
mac=${tok1##*.}
[ "${mac:0:1}" = A ] && c1=B || c1=A
cli_rc "version 1, forged MAC: exit 1" 1 unsubscribe "${tok1%.*}.$c1${mac:1}"
cli_like "version 1, forged MAC: says so" "forged token: MAC does not match" \
    "$ERR"
other=$(token1 acme other@example.net)
cli_rc "version 1, another token's payload: exit 1" 1 unsubscribe \
    "${other%.*}.$mac"
cli_rc "another secret's token: exit 1" 1 unsubscribe \
    "$(token acme other@example.net "$OTHER")"
cli_rc "truncated: exit 1" 1 unsubscribe "${tok:0:$((${#tok} - 1))}"
cli_like "truncated: malformed" "malformed token" "$ERR"
cli_rc "version 3: exit 1" 1 unsubscribe "3${tok:1}"
cli_like "version 3: says so" "malformed token: unknown version" "$ERR"
cli_rc "oversized: exit 1" 1 unsubscribe "2$(head -c 5000 /dev/zero | tr '\0' A)"
cli_like "oversized: wrong length" "malformed token: wrong length" "$ERR"
pw_is "bad tokens wrote nothing" "$(rcli HLEN 'pw:{acme}:supp')" "$n"
cli_rc "unknown tenant: exit 1" 1 unsubscribe "$(token gone a@example.net)"
cli_like "unknown tenant: says so" "tenant gone does not exist" "$ERR"
pw_is "unknown tenant: nothing written" "$(rcli EXISTS 'pw:{gone}:supp')" 0

# usage and configuration
cli_rc "no token: exit 64" 64 unsubscribe
cli_rc "two tokens: exit 64" 64 unsubscribe "$tok" "$tok"
cli_rc "--recipient without --mail: exit 64" 64 unsubscribe --recipient \
    a@example.net "$tok"
cli_rc "--mail with a token: exit 64" 64 unsubscribe --mail "$tok"
printf '%s\n' "$BASE_CONF" >"$CLI_CONF"
cli_rc "no tracking_secret_file: exit 2" 2 unsubscribe "$tok"
cli_like "no tracking_secret_file: says so" "tracking_secret_file is not set" \
    "$ERR"
printf 'redis_server = unix:%s/nothing.sock\nredis_reconnect_delay = 10ms\ntracking_secret_file = %s\n' \
    "$PW_TMP" "$SECRET" >"$CLI_CONF"
cli_rc "Redis down: exit 2" 2 unsubscribe "$tok"

# unsubscribe --mail (pipe(8)): sysexits
printf '%s\n' "$GOOD_CONF" >"$CLI_CONF"
msg=$PW_TMP/msg
message "$msg" "Subject: Re: unsubscribe $(token acme m1@example.net)"
cli_rc "--mail, token in the Subject: exit 0" 0 unsubscribe --mail <"$msg"
pw_is "--mail: source mailto" "$(value m1@example.net | cut -d'|' -f1,2,4)" \
    "unsubscribe|mailto|0"
cli_rc "--mail again: exit 0" 0 unsubscribe --mail <"$msg"
printf 'From: a@example.net\r\nSubject: unsubscribe\r\n\t%s  \r\nTo: x@y.example\r\n\r\nbody\r\n' \
    "$(token acme m2@example.net)" >"$msg"
cli_rc "--mail, folded Subject, CR LF: exit 0" 0 unsubscribe --mail <"$msg"
pw_is "--mail, folded Subject: written" "$(value m2@example.net | cut -d'|' -f1)" \
    unsubscribe
message "$msg" "Subject: unsubscribe"
cli_rc "--mail, token in the address extension: exit 0" 0 unsubscribe --mail \
    --recipient "unsub+$(token acme m3@example.net)@bounces.example" <"$msg"
pw_is "--mail, address extension: written" \
    "$(value m3@example.net | cut -d'|' -f2)" mailto
message "$msg" "Subject: unsubscribe $(token acme m4@example.net)"
cli_rc "--mail, no extension, token in the Subject: exit 0" 0 unsubscribe \
    --mail --recipient "unsubscribe@bounces.example" <"$msg"
message "$msg" "Subject: $(token acme m5@example.net)"
head -c 3000000 /dev/zero | tr '\0' 'x' | fold -w 900 >>"$msg"
cli_rc "--mail, a 3 MB body: exit 0" 0 unsubscribe --mail <"$msg"
pw_is "--mail, a 3 MB body: written" "$(value m5@example.net | cut -d'|' -f2)" \
    mailto
n=$(rcli HLEN 'pw:{acme}:supp')
message "$msg" "Subject: Re: unsubscribe $forged"
cli_rc "--mail, forged: exit 65 (EX_DATAERR)" 65 unsubscribe --mail <"$msg"
cli_like "--mail, forged: says why" "Subject: forged token: MAC does not match" \
    "$ERR"
cli_like "--mail, forged: and that nothing changed" \
    "no valid unsubscribe token .*nothing was changed" "$ERR"
message "$msg" "X-Subject: $tok"
cli_rc "--mail, no Subject: exit 65" 65 unsubscribe --mail <"$msg"
message "$msg" "Subject: $(token gone m6@example.net)"
cli_rc "--mail, unknown tenant: exit 65" 65 unsubscribe --mail <"$msg"
pw_is "--mail, bad mail wrote nothing" "$(rcli HLEN 'pw:{acme}:supp')" "$n"
printf '%s\n' "$BASE_CONF" >"$CLI_CONF"
message "$msg" "Subject: $(token acme m7@example.net)"
cli_rc "--mail, no tracking_secret_file: exit 75 (EX_TEMPFAIL: wait for the fix)" 75 \
    unsubscribe --mail <"$msg"
printf 'no_such_setting = 1\n' >"$CLI_CONF"
cli_rc "--mail, bad configuration: exit 75" 75 unsubscribe --mail <"$msg"
printf 'redis_server = unix:%s/nothing.sock\nredis_reconnect_delay = 10ms\ntracking_secret_file = %s\n' \
    "$PW_TMP" "$SECRET" >"$CLI_CONF"
cli_rc "--mail, Redis down: exit 75 (EX_TEMPFAIL)" 75 unsubscribe --mail \
    <"$msg"
pw_is "--mail: nothing written meanwhile" "$(rcli HEXISTS 'pw:{acme}:supp' \
    m7@example.net)" 0
