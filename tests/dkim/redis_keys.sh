#!/bin/bash
# tests/dkim/redis_keys.sh -- postwarden-milter signs a tenant's mail with
# the DKIM keys kept in Redis for its own From domain (issue 14, "DKIM
# keys from one command, on every node"), end to end: keys made with
# `postwarden domain dkim add|activate`, a real Postfix per "node", each
# with its own postwarden-milter sharing one Redis, swaks, signatures
# checked at the sink by python3-dkim, Mail::DKIM and OpenDKIM (opendkim
# -t, its test mode) against the TXT records the command printed, RSA and
# Ed25519 alike.  No key table is configured.
#
#   - node A and node B sign acme's From redis.example with its rsa key,
#     activated by `domain verify` against the test's own DNS server
#     (unbound), and the signature verifies;
#   - the ed25519 key activated by hand after both started does not sign
#     while its record is not verified (dkim_require_verified = yes, the
#     default); once `domain verify` finds it, it signs on both within
#     the tenant cache's TTL (identity_cache_ttl = 1s; waited for with a
#     deadline), noticed through the tenant's dkim_version;
#   - acme's dkim_domain (`tenant set --dkim-domain`) is redis.example:
#     its mail From plain.example, a domain it owns with no keys, is
#     signed d=redis.example with that domain's keys in Redis, and
#     verifies;
#   - a pending key never signs; another tenant's mail is not signed
#     with acme's keys, even when its tenant record names redis.example
#     as its dkim_domain;
#   - Redis down: the cached keys keep signing on node A;
#   - node B restarted with another KEK: the keys do not open (logged,
#     without key material) and the message follows dkim_failure_mode
#     (tempfail: 451 4.7.1); with accept it leaves unsigned.
#   - no log line holds a sealed value or a private key.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"
. "$PW_SRCDIR/tests/harness/dns.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
VPL=$PW_SRCDIR/tests/dkim/verify.pl
CLI=$PW_BUILDDIR/cli/postwarden
MILTER=$PW_BUILDDIR/milter/postwarden-milter
D=redis.example

pw_require_root_tools
pw_dkim_require rsa ed25519
[ -x "$CLI" ] || pw_skip_all "$CLI not built"
pw_harness_init
pw_plan 35

# --- Redis, the KEK, keys made with the command ---------------------------

pw_redis_start
CONF=$PW_TMP/cli.conf
printf 'redis_server = unix:%s\ndkim_kek_file = %s\n' "$PW_REDIS_SOCK" \
    "$PW_TMP/kek" >"$CONF"
pwcli() { "$CLI" -c "$CONF" "$@" 2>>"$PW_TMP/cli.err"; }
pwcli dkim kek-generate "$PW_TMP/kek" >/dev/null || pw_bail "kek-generate"
pwcli dkim kek-generate "$PW_TMP/kek2" >/dev/null || pw_bail "kek-generate 2"
pwcli tenant add acme >/dev/null || pw_bail "tenant add acme"
pwcli tenant add beta >/dev/null || pw_bail "tenant add beta"
pw_redis_cli HSET pw:key:k_a tenant acme >/dev/null
pw_redis_cli HSET pw:key:k_b tenant beta >/dev/null
pw_domain_add acme "$D"
pw_domain_add acme plain.example
pw_domain_add beta beta.test
added=$(pwcli domain dkim add "$D") || pw_bail "domain dkim add: $(cat "$PW_TMP/cli.err")"
# The zone-file lines, strings joined: "NAME TXT" for verify.py/pl.
printf '%s\n' "$added" | sed -n \
    's/^\([^ ]*\)\. IN TXT ( \(.*\) )$/\1 \2/p' |
    sed 's/" "//g; s/ "/ /; s/"$//' >"$PW_TMP/dns"
sel_rsa=$(sed -n "s/^\([^.]*-rsa\)\._domainkey\.$D .*/\1/p" "$PW_TMP/dns")
sel_ed=$(sed -n "s/^\([^.]*-ed25519\)\._domainkey\.$D .*/\1/p" "$PW_TMP/dns")
[ -n "$sel_rsa" ] && [ -n "$sel_ed" ] ||
    pw_bail "no selectors in the printed records: $added"
# The test's own DNS server publishes the records named; `domain verify`
# activates a pending key whose record it finds (dkim_require_verified,
# the default, wants that) and stores verified_selectors.
publish() {	# SELECTOR...
	local sel
	{
		echo "zone $D"
		for sel in "$@"; do
			pw_dns_txt "$sel._domainkey.$D" \
			    "$(sed -n "s/^$sel\._domainkey\.$D //p" "$PW_TMP/dns")"
		done
	} >"$PW_TMP/records"
	pw_dns_start "$PW_TMP/records"
}
publish "$sel_rsa"
printf 'dns_resolver = %s\ndns_timeout = 1s\n' "$PW_DNS_SERVER" >>"$CONF"
pwcli domain verify "$D" >"$PW_TMP/verify.out"
[ "$(pw_redis_cli --raw HGET "pw:{acme}:dkim:$D" "$sel_rsa")" = active ] ||
    pw_bail "domain verify did not activate $sel_rsa: $(cat "$PW_TMP/verify.out" "$PW_TMP/cli.err" "$PW_TMP/records")"
# acme signs mail of its domains without keys as redis.example; beta
# names it too, by hand (the command refuses a domain beta does not own).
pwcli tenant set acme --dkim-domain "$D" >/dev/null ||
    pw_bail "tenant set --dkim-domain: $(cat "$PW_TMP/cli.err")"
pw_redis_cli HSET 'pw:{beta}:tenant' dkim_domain "$D" >/dev/null
# OpenDKIM's test mode reads the printed records instead of DNS.
printf 'Mode v\nSyslog no\nTestPublicKeys %s\nAlwaysAddARHeader yes\n' \
    "$PW_TMP/dns" >"$PW_TMP/od.conf"
# The milters read the KEK as root at start and as nobody on SIGHUP.
chown nobody "$PW_TMP/kek" "$PW_TMP/kek2" || pw_bail "chown kek"

# --- two nodes: a milter and a Postfix each, one Redis ----------------------

pw_sink_start main
# Mail signs while Redis is down only when the stream suppressions'
# look-up at end of data may fail open too.
MILTER_CONF=(
    "dkim_kek_file = $PW_TMP/kek"
    "milter_suppression_failure_mode = accept"
    "identity_cache_ttl = 1s")
pw_daemon_start milter "${MILTER_CONF[@]}"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_start

# Node B's milter: socket milter2.sock, log milter2.log.
milter2_start() {	# CONF-LINES...
	local conf=$PW_TMP/postwarden-milter2.conf line pid
	{
		printf 'redis_server = unix:%s\nuser = nobody\n' "$PW_REDIS_SOCK"
		printf 'socket_group = postfix\nsocket_mode = 0660\n'
		printf 'log_level = debug\nmilter_socket = unix:%s\n' \
		    "$PW_TMP/milter2.sock"
		printf 'milter_pid_file = %s\n' "$PW_TMP/milter2.pid"
		for line in "$@"; do
			echo "$line"
		done
	} >"$conf"
	chmod 0644 "$conf"
	"$MILTER" -f -c "$conf" </dev/null >>"$PW_TMP/milter2.log" 2>&1 &
	pid=$!
	pw__record milter2 "$pid"
	pw_wait_until "milter2 to accept connections" "$PW_TIMEOUT" \
	    pw__daemon_up "$pid" "unix:$PW_TMP/milter2.sock" 3>&1 ||
	    pw_bail "milter2 did not start (see $PW_TMP/milter2.log)"
}
PW_EXTRA_DAEMON_LOGS+=("$PW_TMP/milter2.log")
milter2_start "${MILTER_CONF[@]}"
pw_postfix_start_extra b "smtpd_milters = unix:$PW_TMP/milter2.sock"
PORT_A=$PW_SMTPD_PORT
PORT_B=$PW_SMTPD_PORT_b

message() {	# FILE FROM-LINE
	{
		printf '%s\n' "$2"
		printf 'To: Rcpt <rcpt@remote.example>\n'
		printf 'Subject: redis keys %s\n' "$RANDOM"
		printf 'Date: Sun, 06 Dec 2026 12:00:00 +0000\n'
		printf 'Message-ID: <rk%s.%s@pw-test.example>\n' "$RANDOM" "$$"
		printf '\nHello from a tenant, signed with keys from Redis.\n'
	} >"$1"
}

# deliver PORT FROM-LINE KEY: accepted and delivered; sets qid and got
# (the sink copy, CRLF).  1 on failure, with why in $why.
n=0
deliver() {
	local f
	message "$PW_TMP/m.eml" "$2"
	qid=
	got=
	why=
	if ! PW_SMTPD_PORT=$1 pw_swaks_data "$PW_TMP/m.eml" \
	    --from app@pw-test.example --to rcpt@remote.example \
	    --xclient-login "$3"; then
		why=$(grep '^<' "$PW_SWAKS_LOG" | tail -n 3)
		return 1
	fi
	n=$((n + 1))
	qid=$(pw_swaks_queue_id)
	f=
	pw_sink_wait main "$n" && f=$(pw_sink_find main "$qid")
	if [ -z "$f" ]; then
		why="$qid not in the sink"
		return 1
	fi
	got=$PW_TMP/got-$n.eml
	pw_sink_message "$f" | sed 's/\r$//; s/$/\r/' >"$got"
}

# send NAME PORT FROM-LINE KEY: deliver, as a test.
send() {
	if deliver "$2" "$3" "$4"; then
		pw_ok "$1: accepted and delivered ($qid)"
	else
		pw_not_ok "$1: accepted and delivered" "$why"
		return 1
	fi
}

# "d=... s=..." of every signature in FILE, sorted, on one line.
sigs() {
	local l
	pw_header_of "$1" | tr -d '\r' | awk '
	    /^DKIM-Signature:/ { if (s) print ""; s = 1; printf "%s", $0; next }
	    s && /^[ \t]/ { printf "%s", $0; next }
	    { if (s) print ""; s = 0 }
	    END { if (s) print "" }' | tr -d ' \t' | while IFS= read -r l; do
		printf 'd=%s s=%s\n' \
		    "$(printf '%s' "$l" | grep -o ';d=[^;]*' | cut -d= -f2)" \
		    "$(printf '%s' "$l" | grep -o ';s=[^;]*' | cut -d= -f2)"
	done | sort | paste -sd' '
}

# od_verifies FILE: OpenDKIM passes every signature of FILE (one
# dkim=pass per DKIM-Signature in its Authentication-Results, no other
# verdict).
od_verifies() {
	local n pass
	opendkim -x "$PW_TMP/od.conf" -vvv -t "$1" >"$1.od" 2>&1
	n=$(pw_header_of "$1" | grep -c '^DKIM-Signature:')
	pass=$(grep -o 'dkim=[a-z]*' "$1.od" | grep -c 'dkim=pass')
	[ "$n" -gt 0 ] && [ "$pass" = "$n" ] &&
	    ! grep -q 'dkim=fail\|dkim=neutral\|dkim=permerror' "$1.od"
}

# verifies NAME FILE: python3-dkim (every signature), Mail::DKIM,
# OpenDKIM.
verifies() {
	if "$PY" "$VPY" "$2" "$PW_TMP/dns" >"$2.py" 2>&1; then
		pw_ok "$1: python3-dkim verifies with the printed records"
	else
		pw_not_ok "$1: python3-dkim verifies" "$(cat "$2.py")"
	fi
	if [ "$PW_DKIM_PERL" = 0 ]; then
		pw_ok "$1: Mail::DKIM # SKIP libmail-dkim-perl not installed"
	elif perl "$VPL" "$2" "$PW_TMP/dns" >"$2.pl" 2>&1; then
		pw_ok "$1: Mail::DKIM verifies with the printed records"
	else
		pw_not_ok "$1: Mail::DKIM verifies" "$(cat "$2.pl")"
	fi
	if [ "$PW_DKIM_OD" = 0 ]; then
		pw_ok "$1: OpenDKIM # SKIP opendkim not installed"
	elif od_verifies "$2"; then
		pw_ok "$1: OpenDKIM verifies with the printed records ($(grep -o 'header\.a=[a-z0-9-]*' "$2.od" | sort | paste -sd' '))"
	else
		pw_not_ok "$1: OpenDKIM verifies" "$(grep -v 'returned SMFIS' "$2.od")"
	fi
}

FROM="From: CEO <ceo@$D>"
RSA="d=$D s=$sel_rsa"
BOTH=$(printf '%s\n' "d=$D s=$sel_ed" "$RSA" | sort | paste -sd' ')

# --- 1. the active key signs on both nodes; the pending one does not -------

if send "node A, acme From $D" "$PORT_A" "$FROM" k_a; then
	pw_is "node A: signed with the active rsa key only" "$(sigs "$got")" \
	    "$RSA"
	verifies "node A" "$got"
fi
if send "node B, acme From $D" "$PORT_B" "$FROM" k_a; then
	pw_is "node B: signed with the active rsa key only" "$(sigs "$got")" \
	    "$RSA"
	verifies "node B" "$got"
fi
if send "beta From beta.test (no keys of its own)" "$PORT_A" \
    'From: B <b@beta.test>' k_b; then
	pw_is "beta: not signed (acme's keys are acme's)" "$(sigs "$got")" ""
	pw_check "beta: its dkim_domain $D is not its own (logged)" \
	    pw_wait_log "$PW_TMP/milter.log" "$qid: milter: dkim: not signed: the tenant's dkim_domain is not one of its sending domains" 5
fi

# --- 2. a key activated after both nodes started ------------------------------

# Activated by hand, its record not yet published: it must not sign
# (dkim_require_verified), once the milters have read the keys again.
pwcli domain dkim activate "$D" "$sel_ed" >/dev/null ||
    pw_bail "activate $sel_ed: $(cat "$PW_TMP/cli.err")"
reread() {	# PORT LOG: a message; did the milter read the keys again?
	deliver "$1" "$FROM" k_a &&
	    grep -q "selector=$sel_ed: active, but its DNS record is not verified" "$2"
}
for node in A B; do
	port=PORT_$node
	log=$PW_TMP/milter.log
	[ "$node" = B ] && log=$PW_TMP/milter2.log
	if pw_wait_until "node $node to read the keys again" 20 reread \
	    "${!port}" "$log"; then
		pw_is "node $node: a key active but not verified does not sign" \
		    "$(sigs "$got")" "$RSA"
	else
		pw_not_ok "node $node: a key active but not verified does not sign" \
		    "the milter did not read the keys again: $why"
	fi
done
# `domain verify` finds its record: verified_selectors changes, and with
# it the tenant's dkim_version.
publish "$sel_rsa" "$sel_ed"
pwcli domain verify "$D" >/dev/null
# signs_both PORT: one more message, signed with both keys?
signs_both() {
	deliver "$1" "$FROM" k_a && [ "$(sigs "$got")" = "$BOTH" ]
}
for node in A B; do
	port=PORT_$node
	if pw_wait_until "node $node to sign with $sel_ed" 20 signs_both \
	    "${!port}"; then
		pw_ok "node $node: the new ed25519 key signs within the TTL"
		verifies "node $node, both keys" "$got"
	else
		pw_not_ok "node $node: the new ed25519 key signs within the TTL" \
		    "last: $(sigs "$got") $why"
		pw_ok "node $node, both keys: # SKIP not signed"
		pw_ok "node $node, both keys: # SKIP not signed"
	fi
done

# --- 2b. the tenant's dkim_domain signs with its keys in Redis ------------------

# From plain.example: acme owns it, it has no keys, no table: acme's
# dkim_domain signs, with both active keys of redis.example.
if send "acme From plain.example, dkim_domain $D" "$PORT_A" \
    'From: News <news@plain.example>' k_a; then
	pw_is "dkim_domain: signed d=$D with its keys in Redis" \
	    "$(sigs "$got")" "$BOTH"
	verifies "dkim_domain $D" "$got"
fi

# --- 3. Redis down: the cached keys keep signing --------------------------------

kill -STOP "${PW_PIDS[redis]}"
if send "Redis down: node A, acme From $D" "$PORT_A" "$FROM" k_a; then
	pw_is "Redis down: signed with the cached keys" "$(sigs "$got")" \
	    "$BOTH"
fi
kill -CONT "${PW_PIDS[redis]}"

# --- 4. node B with another KEK ----------------------------------------------------

pw_daemon_stop milter2
milter2_start "dkim_kek_file = $PW_TMP/kek2" "identity_cache_ttl = 1s"
if deliver "$PORT_B" "$FROM" k_a; then
	pw_not_ok "wrong KEK: tempfailed (dkim_failure_mode)" \
	    "accepted, signatures: $(sigs "$got")"
elif grep -q '^<\*\* *451 4\.7\.1' "$PW_SWAKS_LOG"; then
	pw_ok "wrong KEK: tempfailed (dkim_failure_mode)"
else
	pw_not_ok "wrong KEK: tempfailed (dkim_failure_mode)" "$why"
fi
pw_check "wrong KEK: logged why, per selector" pw_wait_log \
    "$PW_TMP/milter2.log" "selector=$sel_rsa: the key in Redis does not open" 5
pw_daemon_stop milter2
milter2_start "dkim_kek_file = $PW_TMP/kek2" "dkim_failure_mode = accept"
if send "wrong KEK, dkim_failure_mode = accept" "$PORT_B" "$FROM" k_a; then
	pw_is "wrong KEK: not signed with the keys that do not open" \
	    "$(sigs "$got")" ""
fi

# --- 5. no key material in the logs ---------------------------------------------

sealed=$(pw_redis_cli --raw HGET "pw:{acme}:dkim:$D:$sel_rsa" sealed)
leaks() {
	grep -l -e "${sealed:3:40}" -e 'PRIVATE KEY' "$PW_TMP"/milter*.log \
	    2>/dev/null
}
pw_is "no sealed value or private key in the milters' logs" "$(leaks)" ""
