#!/bin/bash
# tests/e2e/api.sh -- what issue 5 gives a tenant's mail, end to end
# through a real Postfix with both daemons, configured from contrib/
# (milter_header_checks turns the route header into FILTER pool_NAME:,
# a test table strips it on the way out), two smtp-sinks standing for two egress
# pools and a third for the default transport:
#
#   - tenant acme's mail reaches pool a, tenant beta's pool b; a client in
#     Germany (GeoIP, a test .mmdb) is routed by acme's geo rule to b;
#   - at the sink: one tracking header, which `postwarden track verify`
#     attributes to the tenant; the client's control headers, its own
#     tracking and route headers, and the route header are gone;
#     Feedback-ID is built from tags, stream and tenant; the envelope
#     sender is the VERP address; DKIM signatures cover the added
#     headers and verify (python3-dkim);
#   - a bulk message to one recipient carries RFC 8058 List-Unsubscribe
#     and List-Unsubscribe-Post; its token is opaque and names tenant,
#     recipient and stream; given to `postwarden
#     unsubscribe`, it suppresses the recipient for stream bulk, and the
#     milter then refuses the next bulk message to it; a bulk message to two recipients
#     gets no one-click header;
#   - a malformed control header is refused with 550 5.6.0 and its text,
#     and the quota the policy daemon billed for it is refunded;
#     with milter_control_errors = ignore (after a SIGHUP) the message is
#     delivered without it and the log says why;
#   - X-Postwarden-Tracking: off: no tracking header, no VERP;
#   - mail of no tenant is left alone (its X-Postwarden-* headers too);
#   - the events in Redis match what was sent;
#   - Redis hanging (SIGSTOP): mail still flows, tracked and routed from
#     the cache, also after a reload (policyd_fail_mode = pass and
#     milter_suppression_failure_mode = accept here, logged), and
#     its event reaches the stream once Redis answers again.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PY=/usr/bin/python3
VPY=$PW_SRCDIR/tests/dkim/verify.py
CLI=$PW_BUILDDIR/cli/postwarden

pw_require_root_tools
pw_dkim_require rsa
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
    pw_skip_all "libmaxmind-db-writer-perl not installed"
pw_harness_init
pw_plan 54

# --- keys, secret, GeoIP database ---------------------------------------------------
K=$PW_TMP/keys
pw_dkim_key ex example.com s1 rsa
pw_dkim_sign example.com ex
pw_secret_file "$K/tracking.secret"
perl "$PW_SRCDIR/tests/policyd/mkmmdb.pl" "$PW_TMP/geo.mmdb" ||
    pw_bail "mkmmdb.pl"

# --- Redis, the daemons, the tenants ---------------------------------------------------
pw_redis_start
pw_sink_start main
pw_sink_start a
pw_sink_start b
pw_daemon_start policyd "policyd_fail_mode = pass"
# Mail flows from the caches while Redis hangs (section 9) only when
# the stream suppressions' look-up may fail open too.
pw_daemon_start milter "identity_cache_ttl = 10m" \
    "milter_suppression_failure_mode = accept" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable" \
    "tracking_secret_file = $K/tracking.secret" \
    "milter_pools = a, b" "milter_default_pool = a" \
    "milter_geoip_database = $PW_TMP/geo.mmdb"
CONF=$PW_TMP/postwarden-milter.conf
cli() { "$CLI" -c "$CONF" "$@"; }
cli tenant add acme --pool a --geo-pool DE=b --streams transactional,bulk \
    --bulk-streams bulk --unsubscribe-url https://unsub.example.com/u/ \
    --unsubscribe-mailto unsub@example.com >/dev/null ||
    pw_bail "tenant add acme"
pw_domain_add acme example.com
# The VERP bounce domain must be one of the tenant's own.
pw_domain_add acme bounces.example.com
cli tenant set acme --bounce-domain bounces.example.com >/dev/null ||
    pw_bail "tenant set acme --bounce-domain"
cli tenant add beta --pool b >/dev/null || pw_bail "tenant add beta"
pw_domain_add beta example.com
cli key add k_acme --tenant acme >/dev/null || pw_bail "key add k_acme"
cli key add k_beta --tenant beta >/dev/null || pw_bail "key add k_beta"

# --- Postfix, as contrib/postfix says, with two pools on two sinks ------------------
policy="check_policy_service { unix:$PW_TMP/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
# The client "in Germany" of test 3 may relay (XCLIENT LOGIN is no SASL
# for permit_sasl_authenticated).
pw_postfix_main "mynetworks = 127.0.0.0/8, 192.0.2.0/24"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks permit_sasl_authenticated reject_unauth_destination"
pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
pw_postfix_main "milter_header_checks = regexp:$PW_SRCDIR/contrib/postfix/postwarden_route.regexp"
# Only the route header is stripped on the way out: contrib's
# postwarden_smtp_header_checks.regexp would also drop every control
# header the milter failed to remove, and hide that failure from this
# test (tests/e2e/contrib.sh tests that table).
echo '/^X-Postwarden-Route:/ IGNORE' >"$PW_TMP/route_strip.regexp"
pw_postfix_main "smtp_header_checks = regexp:$PW_TMP/route_strip.regexp"
# FILTER pool_NAME: names no nexthop; here each pool is one sink.
pw_postfix_main "default_filter_nexthop = [127.0.0.1]"
for p in a b; do
	port_var=PW_SINK_PORT_$p
	pw_postfix_master "pool_$p unix - - n - - smtp -o syslog_name=postfix/pool_$p -o smtp_tcp_port=${!port_var} -o smtp_helo_name=pool-$p.pw-test.localdomain"
done
pw_postfix_start

# --- helpers ---------------------------------------------------------------------------
declare -A sent	# sink -> messages delivered there
msg() {	# FILE FROM-DOMAIN SUBJECT [EXTRA HEADER LINES...]
	local file=$1 dom=$2 subj=$3
	shift 3
	{
		printf 'From: App <app@%s>\n' "$dom"
		printf 'To: <rcpt@remote.example>\n'
		printf 'Subject: %s\n' "$subj"
		printf 'Date: Fri, 27 Nov 2026 06:00:00 +0000\n'
		printf 'Message-ID: <%s.%s@%s>\n' "$subj" "$$" "$dom"
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\nbody of %s\n' "$subj"
	} >"$file"
}
# deliver NAME SINK FILE SWAKS-ARGS...: send, wait for the sink, set
# got (the message at the sink, CRLF) and sinkfile.
deliver() {
	local name=$1 sink=$2 file=$3
	shift 3
	got=
	sinkfile=
	if ! pw_swaks_data "$file" --from app@example.com "$@"; then
		pw_not_ok "$name: accepted" "$(tail -n 15 "$PW_SWAKS_LOG")"
		return 1
	fi
	qid=$(pw_swaks_queue_id)
	sent[$sink]=$((${sent[$sink]:-0} + 1))
	if ! pw_sink_wait "$sink" "${sent[$sink]}"; then
		pw_not_ok "$name: delivered to sink $sink ($qid)"
		return 1
	fi
	sinkfile=$(pw_sink_find "$sink" "$qid")
	if [ -z "$sinkfile" ]; then
		pw_not_ok "$name: delivered to sink $sink" "$qid not there"
		return 1
	fi
	got=$PW_TMP/got-$qid.eml
	pw_sink_message "$sinkfile" | sed 's/\r$//; s/$/\r/' >"$got"
	pw_ok "$name: delivered to sink $sink ($qid)"
}
hdr() {	# FILE NAME: the unfolded values of a header field, one per line
	pw_header_of "$1" | tr -d '\r' | awk -v n="$(echo "$2" | tr A-Z a-z)" '
	/^[ \t]/ { if (keep) v = v $0; next }
	{ if (keep) print v; keep = 0 }
	{ i = index($0, ":"); if (tolower(substr($0, 1, i - 1)) == n) {
		keep = 1; v = substr($0, i + 1); sub(/^[ \t]+/, "", v) } }
	END { if (keep) print v }'
}
count() { hdr "$1" "$2" | grep -c .; }
verify_dkim() {	# NAME FILE
	if "$PY" "$VPY" "$2" "$PW_TMP/dns" >"$2.py" 2>&1; then
		pw_ok "$1: python3-dkim verifies the signature"
	else
		pw_not_ok "$1: python3-dkim verifies the signature" \
		    "$(cat "$2.py"; pw_header_of "$2")"
	fi
}
signed() {	# FILE: the h= tag of the signature, lower case
	hdr "$1" DKIM-Signature | tr -d ' \t' | tr ';' '\n' |
	    sed -n 's/^h=//p' | tr 'A-Z' 'a-z'
}

# --- 1. acme: control headers in, tracking out, pool a -----------------------------------
msg "$PW_TMP/m1.eml" example.com welcome \
    'X-Postwarden-Stream: transactional' \
    'X-Postwarden-Tags: welcome, onboarding' \
    'X-Postwarden-Metadata-User: 42' \
    'X-Postwarden-ID: made-up-by-the-client' \
    'X-Postwarden-Route: b'
if deliver "acme" a "$PW_TMP/m1.eml" --to rcpt@remote.example \
    --xclient-login k_acme; then
	m1=$got
	id1=$(hdr "$m1" X-Postwarden-ID)
	pw_is "acme: one tracking header" "$(count "$m1" X-Postwarden-ID)" 1
	if [[ $id1 =~ ^[0-9a-z]{42}$ ]] && out=$(cli track verify "$id1") &&
	    grep -q 'acme' <<<"$out"; then
		pw_ok "acme: track verify names tenant acme"
	else
		pw_not_ok "acme: track verify names tenant acme" "$id1: $out"
	fi
	left=$(pw_header_of "$m1" | grep -ci '^X-Postwarden-\(Stream\|Tags\|Metadata\|Route\)')
	pw_is "acme: control and route headers removed" "$left" 0
	pw_is "acme: Feedback-ID from tags, stream and tenant" \
	    "$(hdr "$m1" Feedback-ID)" "welcome.onboarding:transactional:acme:postwarden"
	pw_check "acme: envelope sender is the VERP address" \
	    grep -qi "^X-Mail-Args: <bounce+$id1@bounces.example.com>" "$sinkfile"
	pw_is "acme: transactional mail has no List-Unsubscribe" \
	    "$(count "$m1" List-Unsubscribe)" 0
	verify_dkim "acme" "$m1"
	h=$(signed "$m1")
	pw_check "acme: the signature covers X-Postwarden-ID and Feedback-ID ($h)" \
	    bash -c '[[ :$1: == *:x-postwarden-id:* && :$1: == *:feedback-id:* ]]' _ "$h"
	pw_check "acme: the route header is not signed" \
	    bash -c '[[ :$1: != *:x-postwarden-route:* ]]' _ "$h"
	pw_check "acme: smtp_helo_name of pool a" \
	    grep -q '^X-Helo-Args: pool-a' "$sinkfile"
else
	for i in $(seq 1 10); do pw_not_ok "acme: (not delivered)"; done
fi

# --- 2. beta: pool b -------------------------------------------------------------------------
msg "$PW_TMP/m2.eml" example.com beta
if deliver "beta" b "$PW_TMP/m2.eml" --to rcpt@remote.example \
    --xclient-login k_beta; then
	id2=$(hdr "$got" X-Postwarden-ID)
	out=$(cli track verify "$id2")
	pw_check "beta: track verify names tenant beta" grep -q beta <<<"$out"
	pw_check "beta: a message of tenant acme's id does not verify as beta" \
	    bash -c '! "$@" >/dev/null 2>&1' _ "$CLI" -c "$CONF" track verify \
	    "$id1" --tenant beta
else
	pw_not_ok "beta: (not delivered)"
	pw_not_ok "beta: (not delivered)"
fi

# --- 3. GeoIP: acme's client in DE goes through pool b ------------------------------------
msg "$PW_TMP/m3.eml" example.com geo
deliver "acme from DE (geo rule DE=b)" b "$PW_TMP/m3.eml" \
    --to rcpt@remote.example --xclient-addr=192.0.2.10 --xclient-login k_acme

# --- 4. bulk to one recipient: one-click unsubscribe, then suppressed ------------------------
msg "$PW_TMP/m4.eml" example.com bulk1 'X-Postwarden-Stream: bulk'
if deliver "acme bulk" a "$PW_TMP/m4.eml" --to reader@remote.example \
    --xclient-login k_acme; then
	m4=$got
	lu=$(hdr "$m4" List-Unsubscribe)
	pw_is "bulk: List-Unsubscribe-Post" "$(hdr "$m4" List-Unsubscribe-Post)" \
	    "List-Unsubscribe=One-Click"
	token=$(sed -n 's|.*<https://unsub.example.com/u/\([^>]*\)>.*|\1|p' <<<"$lu")
	pw_check "bulk: List-Unsubscribe has the https and mailto URIs ($lu)" \
	    bash -c '[ -n "$1" ] && [[ $2 == *"<mailto:unsub@example.com?subject=$1>"* ]]' \
	    _ "$token" "$lu"
	verify_dkim "bulk" "$m4"
	h=$(signed "$m4")
	pw_check "bulk: the signature covers List-Unsubscribe(-Post)" \
	    bash -c '[[ :$1: == *:list-unsubscribe:* && :$1: == *:list-unsubscribe-post:* ]]' _ "$h"
	pw_is "bulk: Feedback-ID" "$(hdr "$m4" Feedback-ID)" "bulk:acme:postwarden"
	pw_check "bulk: the token is opaque (version 2; no decoding shows the address)" \
	    python3 -c '
import base64, sys
t = sys.argv[1]
assert t[0] == "2", t
for o in range(4):
    u = t[1 + o:].replace("-", "+").replace("_", "/")
    d = base64.b64decode(u[:len(u) // 4 * 4])
    assert b"remote" not in d and b"acme" not in d, d
' "$token"
	out=$(cli unsubscribe --json "$token")
	pw_is "postwarden unsubscribe TOKEN: its tenant, recipient and stream" \
	    "$(python3 -c 'import json, sys; j = json.loads(sys.argv[1]); print(j["tenant"], j["address"], j["stream"])' "$out" 2>&1)" \
	    "acme reader@remote.example bulk"
	pw_check "the recipient is suppressed for acme's stream bulk" \
	    cli suppress check reader@remote.example --tenant acme --stream bulk
	if pw_swaks_data "$PW_TMP/m4.eml" --from app@example.com \
	    --to reader@remote.example --xclient-login k_acme; then
		pw_not_ok "the next message to the recipient is refused" \
		    "accepted: $(pw_swaks_queue_id)"
	else
		pw_check "the next message to the recipient is refused 550 5.7.1 (unsubscribe)" \
		    grep -q '550 5.7.1 .*reader@remote.example.*unsubscribe' "$PW_SWAKS_LOG"
	fi
else
	for i in $(seq 1 9); do pw_not_ok "bulk: (not delivered)"; done
fi

# --- 5. bulk to two recipients: no one-click header ----------------------------------------
msg "$PW_TMP/m5.eml" example.com bulk2 'X-Postwarden-Stream: bulk'
if deliver "bulk to two recipients" a "$PW_TMP/m5.eml" \
    --to one@remote.example,two@remote.example --xclient-login k_acme; then
	pw_is "two recipients: no List-Unsubscribe" \
	    "$(count "$got" List-Unsubscribe)" 0
	pw_check "two recipients: logged why" pw_wait_log "$PW_TMP/milter.log" \
	    "2 recipients: no one-click unsubscribe header" 5
else
	pw_not_ok "two recipients: (not delivered)"
	pw_not_ok "two recipients: (not delivered)"
fi

# --- 6. a malformed control header: 550 5.6.0 ------------------------------------------------
# The policy daemon billed it at END-OF-MESSAGE, before the milter saw
# its end: the milter takes that back.
msg "$PW_TMP/m6.eml" example.com bad 'X-Postwarden-Stream: promo'
day=$(date -u -d "@$(pw_redis_cli TIME | head -n 1)" +%Y%m%d)
billed() { pw_redis_cli MGET "pw:{acme}:used:key:k_acme:d:$day" \
    "pw:{acme}:msgs:key:k_acme:d:$day" "pw:{acme}:used:tenant:d:$day" |
    tr '\n' ' '; }
before=$(billed)
if pw_swaks_data "$PW_TMP/m6.eml" --from app@example.com \
    --to rcpt@remote.example --xclient-login k_acme; then
	pw_not_ok "unknown stream refused" "accepted: $(pw_swaks_queue_id)"
	pw_not_ok "unknown stream: the reply says what is wrong"
else
	pw_ok "unknown stream refused"
	pw_check "unknown stream: 550 5.6.0 says what is wrong" \
	    grep -q '550 5.6.0 .*promo' "$PW_SWAKS_LOG"
fi
pw_check "refused message: the milter refunds what the policy daemon billed" \
    pw_wait_log "$PW_TMP/milter.log" \
    'tenant=acme: refunded the quota billed for this message .recipients=1.: rejected' 5
pw_is "refused message: quota usage as before it ($before)" "$(billed)" \
    "$before"
# The refund is an event too, with the billed entry's queue id and count.
refund_ev() {
	local q
	q=$(pw_redis_cli --raw XRANGE pw:events - + | awk '
	    $0 == "type" { getline; t = $0 } $0 == "queue_id" { getline;
	    if (t == "refunded") print }' | tail -n 1)
	[ -n "$q" ] && pw_redis_cli --raw XRANGE pw:events - + |
	    tr '\n' ' ' | grep -q "type billed time [0-9]* queue_id $q " &&
	    pw_redis_cli --raw XRANGE pw:events - + | tr '\n' ' ' |
	    grep -q "type refunded time [0-9]* queue_id $q tenant acme key k_acme count 1 size [0-9]* reply rejected"
}
pw_check "refused message: a refunded event nets the billed one" \
    pw_wait_until "the refunded event" 10 refund_ev

# --- 6b. the same with milter_control_errors = ignore ----------------------------------
echo "milter_control_errors = ignore" >>"$CONF"
: >"$PW_TMP/milter.log"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 10 ||
    pw_bail "the milter did not reload"
if deliver "unknown stream, ignore mode" a "$PW_TMP/m6.eml" \
    --to rcpt@remote.example --xclient-login k_acme; then
	pw_is "ignore mode: the control header removed" \
	    "$(count "$got" X-Postwarden-Stream)" 0
	pw_check "ignore mode: logged why" pw_wait_log "$PW_TMP/milter.log" \
	    'control header ignored .*X-Postwarden-Stream: unknown stream .promo' 5
else
	pw_not_ok "ignore mode: (not delivered)"
	pw_not_ok "ignore mode: (not delivered)"
fi
sed -i '/^milter_control_errors = ignore$/d' "$CONF"
: >"$PW_TMP/milter.log"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 10 ||
    pw_bail "the milter did not reload"

# --- 7. tracking opt-out ---------------------------------------------------------------------
msg "$PW_TMP/m7.eml" example.com optout 'X-Postwarden-Tracking: off'
if deliver "opt-out" a "$PW_TMP/m7.eml" --to rcpt@remote.example \
    --xclient-login k_acme; then
	pw_is "opt-out: no tracking header" "$(count "$got" X-Postwarden-ID)" 0
	pw_check "opt-out: envelope sender unchanged" \
	    grep -qi '^X-Mail-Args: <app@example.com>' "$sinkfile"
	pw_is "opt-out: control header removed" \
	    "$(count "$got" X-Postwarden-Tracking)" 0
else
	for i in 1 2 3; do pw_not_ok "opt-out: (not delivered)"; done
fi

# --- 8. mail of no tenant: left alone ---------------------------------------------------------
msg "$PW_TMP/m8.eml" inbound.example inbound 'X-Postwarden-Tags: not-ours'
if deliver "no tenant" main "$PW_TMP/m8.eml" --to rcpt@remote.example; then
	pw_is "no tenant: no tracking header" "$(count "$got" X-Postwarden-ID)" 0
	pw_is "no tenant: its X-Postwarden-Tags kept" \
	    "$(hdr "$got" X-Postwarden-Tags)" "not-ours"
else
	pw_not_ok "no tenant: (not delivered)"
	pw_not_ok "no tenant: (not delivered)"
fi

# --- 9. events ----------------------------------------------------------------------------------
# Accepted: acme welcome, beta, geo, bulk1, bulk2, ignore mode, opt-out.
pw_wait_until "7 accepted events" 10 bash -c \
    '[ "$("$@" XRANGE pw:events - + | grep -cx accepted)" -ge 7 ]' _ \
    redis-cli -s "$PW_REDIS_SOCK" >/dev/null 2>&1
pw_is "events: one accepted entry per delivered tenant message" \
    "$(pw_redis_cli XRANGE pw:events - + | grep -cx accepted)" 7
ev=$(cli --json events tail --count 100 2>/dev/null | grep "\"$id1\"")
pw_check "events: the welcome message's entry (tenant, stream, tags, route, metadata)" \
    bash -c 'grep -q "\"tenant\": *\"acme\"" <<<"$1" &&
	grep -q "\"stream\": *\"transactional\"" <<<"$1" &&
	grep -q "\"tags\": *\"welcome,onboarding\"" <<<"$1" &&
	grep -q "\"route\": *\"a\"" <<<"$1" &&
	grep -q "User" <<<"$1"' _ "$ev"
pw_check "events: the refusal of the malformed control header" \
    bash -c 'redis-cli -s "$1" XRANGE pw:events - + | grep -qx rejected' _ \
    "$PW_REDIS_SOCK"
geo=$(pw_redis_cli XRANGE pw:events - + | grep -A1 -x country | grep -cx DE)
pw_is "events: the client's country recorded" "$geo" 1
pw_is "the main sink got only the tenant-less message" \
    "$(pw_sink_files main | wc -l)" 1

# --- 10. Redis hangs: mail flows from the cache; the event comes later ------------------
kill -STOP "${PW_PIDS[redis]}"
msg "$PW_TMP/m10.eml" example.com hang
if deliver "Redis hanging" a "$PW_TMP/m10.eml" --to rcpt@remote.example \
    --xclient-login k_acme; then
	id10=$(hdr "$got" X-Postwarden-ID)
	pw_check "Redis hanging: tracked ($id10)" \
	    bash -c '[[ $1 =~ ^[0-9a-z]{42}$ ]]' _ "$id10"
else
	pw_not_ok "Redis hanging: tracked"
fi
pw_check "Redis hanging: stream suppressions not looked up, logged (milter_suppression_failure_mode = accept)" \
    pw_wait_log "$PW_TMP/milter.log" \
    'stream=transactional: suppressions: .*delivering to every recipient \(milter_suppression_failure_mode\)' 5
# A reload while Redis hangs keeps what the caches learnt: the key's
# tenant and the tenant's pool, not the defaults.
: >"$PW_TMP/milter.log"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$PW_TMP/milter.log" "reloaded configuration from $CONF" 10 ||
    pw_bail "the milter did not reload"
msg "$PW_TMP/m10b.eml" example.com hang-reload
if deliver "Redis hanging, after a reload: routed to acme's pool" a \
    "$PW_TMP/m10b.eml" --to rcpt@remote.example --xclient-login k_acme; then
	pw_is "Redis hanging, after a reload: tracked" \
	    "$(count "$got" X-Postwarden-ID)" 1
else
	pw_not_ok "Redis hanging, after a reload: tracked"
fi
kill -CONT "${PW_PIDS[redis]}"
has_event() { pw_redis_cli XRANGE pw:events - + | grep -qx "$1"; }
pw_check "Redis back: the message's accepted event arrives" \
    pw_wait_until "the event of $id10" 20 has_event "${id10:-none}"
