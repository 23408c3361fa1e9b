#!/bin/bash
# tests/e2e/unsubscribe_stream.sh -- issue 16's scope: a one-click
# unsubscribe from a bulk stream's message suppresses the recipient for
# that stream (or, with the tenant's unsubscribe_scope = bulk, for every
# bulk stream), never for transactional mail.  Real Redis, a private
# Postfix, both daemons (the RFC 8058 POST goes to postwarden-policyd's
# http_listen with curl), swaks and smtp-sink:
#
#   - POST of a token minted for stream bulk: 200; the entry is in
#     pw:{acme}:supp:stream:bulk, not in the tenant-wide pw:{acme}:supp;
#   - the next bulk message (X-Postwarden-Stream: bulk) to that recipient
#     alone is refused 550 5.7.1 at end of data; to it and another, it is
#     delivered to the other only, with a "suppressed" event, and the
#     removed recipient's billing is refunded (used: 1, not 2), once
#     however often (and however spelt) it was named;
#   - a transactional message (the tenant's default stream) to the same
#     recipient is delivered;
#   - unsubscribe_scope = bulk: a token of stream news (another bulk
#     stream) writes pw:{acme}:supp:bulk, and a bulk message is refused;
#   - a tenant-wide suppression still refuses at RCPT (policy daemon);
#   - `postwarden suppress add|check|remove --stream` works on the stream
#     hash;
#   - the milter's look-up (issue 17: TIME and HMGETs, no script): a
#     suppression written right after a message of the tenant went
#     through removes the recipient from the next message at once (an
#     "@domain" entry), an entry whose expires is past does not count,
#     one whose expires is not a number never expires, and the bulk hash
#     counts for a bulk stream (scope=bulk);
#   - an error reply in the middle of that pipeline (the bulk hash of
#     the wrong type): tempfailed, and the next look-up works;
#   - Redis stopped at end of data (the policy daemon passes,
#     policyd_fail_mode = pass, the milter answers from its caches): the
#     milter tempfails the message (milter_suppression_failure_mode).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

MAKE=$PW_BUILDDIR/tests/cli/track_make
CLI=$PW_BUILDDIR/cli/postwarden

pw_require_root_tools
command -v curl >/dev/null || pw_skip_all "curl not installed"
[ -x "$MAKE" ] || pw_skip_all "$MAKE not built"
pw_harness_init
pw_plan 44

R() { pw_redis_cli "$@"; }
SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT

pw_redis_start
pw_sink_start main
pw_daemon_start policyd "policyd_fail_mode = pass" \
    "http_listen = inet:127.0.0.1:$PORT" "tracking_secret_file = $SECRET"
pw_daemon_start milter "identity_cache_ttl = 10m" \
    "tracking_secret_file = $SECRET" "redis_command_timeout = 2s"
CONF=$PW_TMP/postwarden-milter.conf
cli() { "$CLI" -c "$CONF" "$@"; }
cli tenant add acme --streams transactional,bulk,news \
    --bulk-streams bulk,news >/dev/null || pw_bail "tenant add acme"
pw_domain_add acme example.com
cli key add k_acme --tenant acme >/dev/null || pw_bail "key add k_acme"
day=$(date -u -d "@$(R TIME | head -n 1)" +%Y%m%d)
used() { echo "$(($(R GET "pw:{acme}:used:key:k_acme:d:$day") + 0))"; }

policy="check_policy_service { unix:$PW_TMP/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks reject_unauth_destination"
pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
pw_postfix_start

pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" = 200 ||
    pw_bail "no HTTP service"

# post RECIPIENT STREAM: the status of the one-click POST of its token
post() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    -d List-Unsubscribe=One-Click \
	    "$URL/u/$("$MAKE" "$SECRET" unsub acme "$1" "$2")"
}
# send STREAM TO [SWAKS ARGS...]: a message of acme in STREAM ("" for
# none: the default stream); swaks's status
send() {
	local stream=$1 to=$2
	shift 2
	pw_swaks --from app@example.com --to "$to" --xclient-login k_acme \
	    ${stream:+--add-header "X-Postwarden-Stream: $stream"} \
	    --header "Subject: $stream test" "$@"
}
# delivered QID: the recipients the sink got the message QID for
delivered() {
	local f
	f=$(pw_sink_find main "$1")
	[ -n "$f" ] && sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$f" | sort |
	    tr '\n' ' ' | sed 's/ $//'
}
# wait_delivered QID: until the sink has the message QID
wait_delivered() {
	pw_wait_until "message $1 at the sink" "$PW_TIMEOUT" \
	    test -n "$(pw_sink_find main "$1")"
}
# events TYPE: the events of TYPE so far, one line of fields each
events() {
	"$PW_PYTHON" - "$PW_REDIS_SOCK" "$1" <<'PY'
import subprocess, sys
# --raw: each entry's id, then its fields and values, a line each
out = subprocess.run(["redis-cli", "-s", sys.argv[1], "--raw", "XRANGE",
                      "pw:events", "-", "+"], capture_output=True,
                     text=True).stdout.split("\n")
ev, i = [], 0
while i < len(out):
    if "-" in out[i] and out[i].replace("-", "").isdigit():
        ev.append([])
    elif ev:
        ev[-1].append(out[i])
    i += 1
for e in ev:
    d = dict(zip(e[0::2], e[1::2]))
    if d.get("type") == sys.argv[2]:
        print(" ".join("%s=%s" % (k, d[k]) for k in sorted(d) if k != "time"))
PY
}

# --- the one-click POST for stream bulk --------------------------------------------------
pw_is "POST of a token of stream bulk: 200" \
    "$(post reader@remote.example bulk)" 200
pw_check "written to pw:{acme}:supp:stream:bulk" grep -qE \
    '^unsubscribe\|one-click\|[0-9]+\|0$' \
    <<<"$(R HGET 'pw:{acme}:supp:stream:bulk' reader@remote.example)"
pw_is "not to the tenant-wide pw:{acme}:supp" \
    "$(R HEXISTS 'pw:{acme}:supp' reader@remote.example)" 0
pw_is "POST again: 200, nothing more" \
    "$(post reader@remote.example bulk)$(R HLEN 'pw:{acme}:supp:stream:bulk')" \
    2001

# --- bulk: refused, or delivered without the recipient -------------------------------------
u0=$(used)
if send bulk reader@remote.example; then
	pw_not_ok "bulk to the unsubscribed recipient alone: refused" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_ok "bulk to the unsubscribed recipient alone: refused"
fi
pw_check "... 550 5.7.1 at end of data, naming the stream" grep -q \
    '^<\*\* *550 5.7.1 <reader@remote.example>: recipient unsubscribed from stream bulk of tenant acme' \
    "$PW_SWAKS_LOG"
pw_is "... its billing refunded" "$(used)" "$u0"

send bulk reader@remote.example,other@remote.example
q2=$(pw_swaks_queue_id)
pw_check "bulk to it and another: accepted ($q2)" [ -n "$q2" ]
wait_delivered "$q2"
pw_is "... delivered to the other only" "$(delivered "$q2")" \
    other@remote.example
pw_wait_until "the suppressed event" "$PW_TIMEOUT" \
    test -n "$(events suppressed | grep "queue_id=$q2 ")"
pw_is "... a suppressed event" "$(events suppressed | grep "queue_id=$q2 ")" \
    "key=k_acme match=reader@remote.example queue_id=$q2 reason=unsubscribe recipient=reader@remote.example scope=stream source=one-click stream=bulk tenant=acme type=suppressed"
pw_is "... billed for one recipient (two billed, one refunded)" \
    "$(used)" "$((u0 + 1))"
pw_check "... a refunded event for it" grep -q \
    "count=1 key=k_acme queue_id=$q2 reply=suppressed size=0" \
    <<<"$(events refunded)"

u1=$(used)
send bulk reader@remote.example,READER@remote.example,other2@remote.example
q2b=$(pw_swaks_queue_id)
pw_check "bulk to it twice (two spellings) and another: accepted ($q2b)" \
    [ -n "$q2b" ]
wait_delivered "$q2b"
pw_is "... delivered to the other only" "$(delivered "$q2b")" \
    other2@remote.example
pw_is "... billed for one recipient: the one removed refunded once" \
    "$(used)" "$((u1 + 1))"

# --- transactional mail to the same recipient ----------------------------------------------
send "" reader@remote.example
q3=$(pw_swaks_queue_id)
pw_check "transactional (the default stream) to it: accepted ($q3)" [ -n "$q3" ]
wait_delivered "$q3"
pw_is "... and delivered" "$(delivered "$q3")" reader@remote.example
send news reader@remote.example
q4=$(pw_swaks_queue_id)
pw_check "stream news (scope stream): accepted ($q4)" [ -n "$q4" ]

# --- unsubscribe_scope = bulk --------------------------------------------------------------
cli tenant set acme --unsubscribe-scope bulk >/dev/null ||
    pw_bail "tenant set --unsubscribe-scope"
pw_is "the setting is stored" "$(R HGET 'pw:{acme}:tenant' unsubscribe_scope)" bulk
pw_is "scope bulk: POST of a token of stream news: 200" \
    "$(post reader2@remote.example news)" 200
pw_check "written to pw:{acme}:supp:bulk" grep -q '^unsubscribe|one-click|' \
    <<<"$(R HGET 'pw:{acme}:supp:bulk' reader2@remote.example)"
if send bulk reader2@remote.example; then
	pw_not_ok "... a message of stream bulk to it: refused" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_check "... a message of stream bulk to it: refused 550 5.7.1" grep -q \
	    '^<\*\* *550 5.7.1 <reader2@remote.example>: recipient unsubscribed from stream bulk' \
	    "$PW_SWAKS_LOG"
fi
send transactional reader2@remote.example
pw_check "... transactional to it: accepted" [ -n "$(pw_swaks_queue_id)" ]

# --- tenant-wide suppressions stay at RCPT -------------------------------------------------
cli suppress add victim@remote.example --tenant acme >/dev/null ||
    pw_bail "suppress add"
send transactional victim@remote.example
pw_check "a tenant-wide suppression: 550 at RCPT" grep -q \
    '^<\*\* *550 5.7.1 <victim@remote.example>: Recipient address rejected: Recipient address suppressed by tenant acme' \
    "$PW_SWAKS_LOG"

# --- the CLI --------------------------------------------------------------------------------
cli suppress add @list.example --tenant acme --stream news >/dev/null
pw_is "suppress add --stream news: in pw:{acme}:supp:stream:news" \
    "$(R HEXISTS 'pw:{acme}:supp:stream:news' @list.example)" 1
pw_check "suppress check --stream news: suppressed" \
    cli suppress check x@list.example --tenant acme --stream news
pw_check "suppress check --tenant alone: not" \
    bash -c '! "$@"' _ "$CLI" -c "$CONF" suppress check x@list.example --tenant acme
cli suppress remove @list.example --tenant acme --stream news >/dev/null
pw_is "suppress remove --stream news" \
    "$(R HEXISTS 'pw:{acme}:supp:stream:news' @list.example)" 0

# --- the look-up itself: no cache, domains, expiry, both hashes ---------------------------
send news first@list.example
q5=$(pw_swaks_queue_id)
pw_check "stream news to first@list.example: accepted ($q5)" [ -n "$q5" ]
cli suppress add @list.example --tenant acme --stream news >/dev/null ||
    pw_bail "suppress add --stream news"
send news second@list.example,other3@remote.example
q6=$(pw_swaks_queue_id)
pw_check "a suppression of @list.example written just after: accepted ($q6)" \
    [ -n "$q6" ]
wait_delivered "$q6"
pw_is "... the recipient removed at once" "$(delivered "$q6")" \
    other3@remote.example
pw_wait_until "the suppressed event" "$PW_TIMEOUT" \
    test -n "$(events suppressed | grep "queue_id=$q6 ")"
pw_check "... its event names the domain entry" grep -q \
    "match=@list.example queue_id=$q6 .*recipient=second@list.example scope=stream .*stream=news" \
    <<<"$(events suppressed)"
R HSET 'pw:{acme}:supp:stream:news' gone@remote.example 'test|cli|1|2' \
    bad@remote.example 'test|cli|1|soon' >/dev/null
send news gone@remote.example
q7=$(pw_swaks_queue_id)
pw_check "an entry that expired (1970): accepted ($q7)" [ -n "$q7" ]
wait_delivered "$q7"
pw_is "... and delivered" "$(delivered "$q7")" gone@remote.example
if send news bad@remote.example; then
	pw_not_ok "an entry whose expires is not a number: refused" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_check "an entry whose expires is not a number: refused 550 5.7.1" \
	    grep -q '^<\*\* *550 5.7.1 <bad@remote.example>' "$PW_SWAKS_LOG"
fi
send news reader2@remote.example,other4@remote.example
q8=$(pw_swaks_queue_id)
pw_check "stream news to reader2 (in supp:bulk) and another: accepted ($q8)" \
    [ -n "$q8" ]
wait_delivered "$q8"
pw_is "... delivered to the other only" "$(delivered "$q8")" \
    other4@remote.example
pw_wait_until "the suppressed event" "$PW_TIMEOUT" \
    test -n "$(events suppressed | grep "queue_id=$q8 ")"
pw_check "... scope=bulk" grep -q \
    "queue_id=$q8 .*recipient=reader2@remote.example scope=bulk .*stream=news" \
    <<<"$(events suppressed)"

# --- an error reply in the middle of the milter's pipelined look-up ---------
# The bulk hash of the wrong type: TIME and the stream's HMGET answer,
# the bulk HMGET is an error (WRONGTYPE).  The message is tempfailed
# (milter_suppression_failure_mode), never delivered unchecked; the
# handle stays usable (the next look-up, the hash back, removes reader2).
R RENAME 'pw:{acme}:supp:bulk' 'pw:{acme}:supp:bulk.saved' >/dev/null
R SET 'pw:{acme}:supp:bulk' x >/dev/null
if send news other5@remote.example; then
	pw_not_ok "an error reply mid-pipeline: the message is not accepted" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_check "an error reply mid-pipeline: 451 4.7.1 (tempfail)" grep -q \
	    '^<\*\* *451 4.7.1' "$PW_SWAKS_LOG"
fi
R DEL 'pw:{acme}:supp:bulk' >/dev/null
R RENAME 'pw:{acme}:supp:bulk.saved' 'pw:{acme}:supp:bulk' >/dev/null
send news reader2@remote.example,other6@remote.example
q9=$(pw_swaks_queue_id)
pw_check "... the hash back: accepted ($q9)" [ -n "$q9" ]
wait_delivered "$q9"
pw_is "... delivered to the other only" "$(delivered "$q9")" \
    other6@remote.example

# --- a recipient the milter cannot read ---------------------------------------------------
# A local part longer than lib/address allows (256 bytes) has no address
# or domain to look up: without the policy check at RCPT (which refuses
# it) the milter tempfails the message rather than deliver it unchecked.
pw_postfix_main "smtpd_recipient_restrictions = permit_mynetworks reject_unauth_destination"
pw_postfix_reload || pw_bail "postfix reload"
long=$(head -c 300 /dev/zero | tr '\0' l)
if send news "$long@remote.example"; then
	pw_not_ok "an unreadable recipient: the message is not accepted" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_check "an unreadable recipient: 451 4.7.1 (tempfail)" grep -q \
	    '^<\*\* *451 4.7.1' "$PW_SWAKS_LOG"
fi
pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks reject_unauth_destination"
pw_postfix_reload || pw_bail "postfix reload"

# --- Redis stopped at end of data ----------------------------------------------------------
pw__stop_pid redis
if send bulk other@remote.example; then
	pw_not_ok "Redis stopped: the message is not accepted" \
	    "accepted as $(pw_swaks_queue_id)"
else
	pw_check "Redis stopped: 451 4.7.1 (tempfail)" grep -q \
	    '^<\*\* *451 4.7.1' "$PW_SWAKS_LOG"
fi
pw_check "... the milter says why (milter_suppression_failure_mode)" \
    pw_wait_log "$PW_TMP/milter.log" \
    'stream bulk: suppressions: .* \(milter_suppression_failure_mode\)' 5
