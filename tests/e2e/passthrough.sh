#!/bin/bash
# tests/e2e/passthrough.sh -- mail passes through a real Postfix that
# consults both postwarden daemons, and arrives with its body unchanged.
#
# Postfix is configured the way contrib/postfix/ tells an admin to, except
# that failures are made loud: milter_default_action = tempfail and the
# policy service's default_action = DEFER_IF_PERMIT, so a missing, dead or
# mute daemon makes mail fail instead of slipping through.  The test then
# proves the daemons are in the path by stopping each one in turn and
# watching mail being refused, and by finding the queue ids in their logs.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init

pw_plan 18

pw_redis_start
# An API key for the authenticated message (key -> tenant).
pw_redis_cli HSET pw:key:k_e2e tenant e2e >/dev/null
pw_redis_cli HSET 'pw:{e2e}:tenant' status active >/dev/null
pw_domain_add e2e client.example
pw_redis_cli HSET 'pw:{e2e}:key:k_e2e' status active >/dev/null

pw_sink_start main
pw_daemon_start policyd
pw_ok "postwarden-policyd accepts connections on $PW_POLICYD_SOCK"
pw_daemon_start milter
pw_ok "postwarden-milter accepts connections on $PW_MILTER_SOCK"

policy="check_policy_service { unix:$PW_TMP/policyd.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_connect_timeout = 10s"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_main "smtpd_recipient_restrictions = $policy permit_mynetworks reject_unauth_destination"
pw_postfix_main "smtpd_end_of_data_restrictions = $policy"
pw_postfix_start

# A message whose body exercises transparency: dot-stuffing (a lone "."
# and leading dots), a 998-octet line (the most RFC 5322 allows; longer
# ones Postfix itself would fold), 8-bit bytes (UTF-8 and raw 0xff),
# trailing white space, tabs, empty lines inside and at the end.
make_message() {	# FILE SUBJECT
	{
		printf 'From: Sender <sender@client.example>\n'
		printf 'To: Rcpt <rcpt@remote.example>\n'
		printf 'Subject: %s\n' "$2"
		printf 'Message-ID: <%s.%s@client.example>\n' "$2" "$$"
		printf 'X-E2e-Test: passthrough\n'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		printf 'first line of %s\n' "$2"
		printf '.\n'
		printf '.leading dot\n'
		printf '..two leading dots\n'
		printf '%s\n' "$(head -c 998 /dev/zero | tr '\0' 'x')"
		printf 'trailing white space \t \n'
		printf '\tleading tab\n'
		printf '8-bit: caf\303\251 \342\202\254 raw \377\376\n'
		printf '\n'
		printf 'From the start of a line\n'
		printf '\n'
		printf 'last line\n'
		printf '\n'
	} >"$1"
}

# Send FILE; name the check NAME; extra swaks args follow.  Sets qid.
send_ok() {
	local name=$1 file=$2
	shift 2
	qid=
	if pw_swaks_data "$file" --from sender@client.example \
	    --to rcpt@remote.example "$@"; then
		qid=$(pw_swaks_queue_id)
		pw_ok "$name (queue id $qid)"
	else
		pw_not_ok "$name" "$(tail -n 15 "$PW_SWAKS_LOG")"
	fi
}

# Check that the sink copy of queue id QID has FILE's body byte for byte
# and all of FILE's header lines.
check_delivered() {	# N QID FILE WHAT
	local n=$1 qid=$2 file=$3 what=$4 got
	got=$(pw_sink_find main "$qid")
	if [ -z "$got" ]; then
		pw_not_ok "$what: body unchanged" "${qid:-no queue id}: not in the sink"
		pw_not_ok "$what: client header fields kept"
		return
	fi
	pw_sink_message "$got" >"$PW_TMP/got-$n.eml"
	pw_body_of "$PW_TMP/got-$n.eml" >"$PW_TMP/got-$n.body"
	pw_body_of "$file" >"$PW_TMP/sent-$n.body"
	if cmp -s "$PW_TMP/sent-$n.body" "$PW_TMP/got-$n.body"; then
		pw_ok "$what: body unchanged byte for byte"
	else
		pw_not_ok "$what: body unchanged byte for byte" \
		    "$(cmp "$PW_TMP/sent-$n.body" "$PW_TMP/got-$n.body" 2>&1)
$(diff -a "$PW_TMP/sent-$n.body" "$PW_TMP/got-$n.body" | head -n 20 | cut -c1-120)"
	fi
	pw_header_of "$PW_TMP/got-$n.eml" >"$PW_TMP/got-$n.hdr"
	local missing
	missing=$(pw_header_of "$file" | grep -vxF -f "$PW_TMP/got-$n.hdr")
	if [ -z "$missing" ]; then
		pw_ok "$what: client header fields kept"
	else
		pw_not_ok "$what: client header fields kept" "missing: $missing"
	fi
}

# Does the daemon log FILE mention queue id QID?
log_has_qid() {
	[ -n "$2" ] && pw_wait_log "$1" "(^|[^0-9A-Za-z])$2([^0-9A-Za-z]|$)" 5
}

# --- 1. inbound mail: not authenticated, no mapping ----------------------------

make_message "$PW_TMP/m1.eml" inbound
send_ok "unauthenticated message accepted" "$PW_TMP/m1.eml"
qid1=$qid
if pw_sink_wait main 1; then
	pw_ok "unauthenticated message delivered to the sink"
else
	pw_not_ok "unauthenticated message delivered to the sink"
fi
check_delivered 1 "$qid1" "$PW_TMP/m1.eml" "unauthenticated"

# --- 2. authenticated-looking mail: XCLIENT LOGIN = API key id ---------------------

make_message "$PW_TMP/m2.eml" authenticated
send_ok "authenticated (XCLIENT LOGIN=k_e2e) message accepted" \
    "$PW_TMP/m2.eml" --xclient-login k_e2e
qid2=$qid
if pw_sink_wait main 2; then
	pw_ok "authenticated message delivered to the sink"
else
	pw_not_ok "authenticated message delivered to the sink"
fi
check_delivered 2 "$qid2" "$PW_TMP/m2.eml" "authenticated"

# --- the daemons were consulted ----------------------------------------------------------

if log_has_qid "$PW_TMP/policyd.log" "$qid1" &&
    log_has_qid "$PW_TMP/policyd.log" "$qid2"; then
	pw_ok "policyd logged both messages' queue ids"
else
	pw_not_ok "policyd logged both messages' queue ids" \
	    "$qid1 $qid2 not both in $PW_TMP/policyd.log"
fi
if log_has_qid "$PW_TMP/milter.log" "$qid1" &&
    log_has_qid "$PW_TMP/milter.log" "$qid2"; then
	pw_ok "milter logged both messages' queue ids"
else
	pw_not_ok "milter logged both messages' queue ids" \
	    "$qid1 $qid2 not both in $PW_TMP/milter.log"
fi
warnings=$(grep -E 'warning: .*(milter|policy|problem talking)' "$PW_MAILLOG")
if [ -z "$warnings" ]; then
	pw_ok "Postfix logged no milter or policy warnings"
else
	pw_not_ok "Postfix logged no milter or policy warnings" "$warnings"
fi

# --- without the policy daemon, mail is refused ---------------------------------------

pw_daemon_stop policyd
make_message "$PW_TMP/m3.eml" nopolicyd
if pw_swaks_data "$PW_TMP/m3.eml" --from sender@client.example \
    --to rcpt@remote.example; then
	pw_not_ok "policyd stopped: RCPT is deferred" \
	    "accepted: $(pw_swaks_queue_id)"
elif grep -qE '^<\*\* +4[0-9][0-9] ' "$PW_SWAKS_LOG"; then
	pw_ok "policyd stopped: RCPT is deferred ($(grep -m1 -E '^<\*\* ' "$PW_SWAKS_LOG" | cut -c5-60))"
else
	pw_not_ok "policyd stopped: RCPT is deferred" \
	    "$(tail -n 8 "$PW_SWAKS_LOG")"
fi
pw_daemon_start policyd

# --- without the milter, mail is refused ----------------------------------------------

pw_daemon_stop milter
make_message "$PW_TMP/m4.eml" nomilter
if pw_swaks_data "$PW_TMP/m4.eml" --from sender@client.example \
    --to rcpt@remote.example; then
	pw_not_ok "milter stopped: mail is tempfailed" \
	    "accepted: $(pw_swaks_queue_id)"
elif grep -qE '^<\*\* +451 4\.7\.1' "$PW_SWAKS_LOG"; then
	pw_ok "milter stopped: mail is tempfailed ($(grep -m1 -E '^<\*\* ' "$PW_SWAKS_LOG" | cut -c5-60))"
else
	pw_not_ok "milter stopped: mail is tempfailed" \
	    "$(tail -n 8 "$PW_SWAKS_LOG")"
fi
pw_daemon_start milter

# --- both back: mail flows again ----------------------------------------------------------

make_message "$PW_TMP/m5.eml" again
send_ok "daemons restarted: message accepted" "$PW_TMP/m5.eml"
if pw_sink_wait main 3; then
	pw_ok "daemons restarted: message delivered"
else
	pw_not_ok "daemons restarted: message delivered"
fi
n=$(pw_sink_files main | wc -l)
pw_is "the refused messages never reached the sink" "$n" 3
