#!/bin/bash
# tests/policyd/recipients.sh -- one recipient is one recipient (issue
# 12): postwarden-policyd compares, reserves and suppresses every
# recipient in the normal form of lib/address, against a private Redis.
# A recipient longer than the daemon holds whole is refused (550 5.1.3),
# never cut into another one; a trailing dot, an upper-case or Unicode
# domain (SMTPUTF8 U-labels) matches the suppression of its normal form.
# The replies are transcripts (tests/policyd/transcripts/addresses and
# long_addresses); here what Redis holds afterwards, and the events.

. "$PW_SRCDIR/tests/policyd/common.sh"

pw_require_root_tools
pw_harness_init
pw_plan 7

R() { pw_redis_cli "$@"; }

pw_redis_start

# rcpt SASL INSTANCE RECIPIENT: one RCPT request on the instance's own
# connection, kept open for the transaction as smtpd keeps it (closing it
# gives the transaction's reservations back: tests/policyd/pd_session.py);
# prints the action.
rcpt() {
	pd_ask "$2" protocol_state=RCPT protocol_name=ESMTP \
	    "sasl_username=$1" "instance=$2" "recipient=$3" size=100 \
	    client_address=192.0.2.10 client_name=client.example \
	    sender=app@example.com
}

xs() { printf "%${1}s" "" | tr ' ' x; }
now=$(R TIME | head -n 1)
day=$(date -u -d "@$now" +%Y%m%d)

pw_daemon_start policyd
pd_session_start "$PW_POLICYD_SOCK"

# --- long recipients --------------------------------------------------------

# Issue 12: five 520-byte local parts, each refused, reserve nothing.
pd_key k_long tlong quota_day 2
for d in a b c d e; do
	rcpt k_long l1 "$(xs 520)@$d.example" >/dev/null
done
pw_is "five 520-byte local parts: none reserved" \
    "$(R ZCARD "pw:{tlong}:resv:key:k_long:d:$day")" 0
pw_is "... no transaction recorded" "$(R EXISTS 'pw:{tlong}:txn:l1')" 0

# Held whole up to the cap: 256-byte local parts differing in the last
# byte, at a 253-byte domain, are three recipients.
pd_key k_whole twhole quota_day 2
d63=$(xs 63)
dom=$d63.$d63.$d63.$(xs 59)ab
for i in 1 2 3; do
	rcpt k_whole w1 "$(xs 255)$i@$dom" >/dev/null
done
pw_is "longest addresses held whole: three sent, two reserved" \
    "$(R ZCARD "pw:{twhole}:resv:key:k_whole:d:$day")" 2

# <500 x's>@blocked.example was delivered with @blocked.example
# suppressed; user@bücher.example is in @xn--bcher-kva.example.
pd_key k_sup tsup
R HSET 'pw:{tsup}:supp' '@blocked.example' 'complaint|cli|1795000001|0' \
    '@xn--bcher-kva.example' 'manual|cli|1795000002|0' >/dev/null
rcpt k_sup s1 "$(xs 500)@blocked.example" >/dev/null
rcpt k_sup s3 user@bücher.example >/dev/null

# --- one recipient, however written ------------------------------------------

pd_key k_one tone quota_day 5
rcpt k_one o1 user@bücher.example >/dev/null
rcpt k_one o1 User@XN--BCHER-KVA.EXAMPLE. >/dev/null
pw_is "one recipient written two ways: reserved once" \
    "$(R ZCARD "pw:{tone}:resv:key:k_one:d:$day")" 1
pw_is "... under its normal form" \
    "$(R HKEYS 'pw:{tone}:txn:o1' | grep '^rcpt:')" \
    "rcpt:user@xn--bcher-kva.example"

events=$(R XRANGE pw:events - + | tr '\n' ' ')
case $events in
*"rule address recipient $(xs 500)@blocked.example reply 550 5.1.3 "*)
	pw_ok "event: an address refused whole, rule address" ;;
*)	pw_not_ok "event: an address refused whole, rule address" "$events" ;;
esac
case $events in
*"rule suppressed recipient user@xn--bcher-kva.example reply"*)
	pw_ok "event: the refused recipient in normal form" ;;
*)	pw_not_ok "event: the refused recipient in normal form" "$events" ;;
esac
