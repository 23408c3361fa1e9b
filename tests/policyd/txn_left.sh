#!/bin/bash
# tests/policyd/txn_left.sh -- what a transaction leaves in Redis
# (issue 17: memory per transaction): after END-OF-MESSAGE only the
# billing record <P>billed:<queue id>, which names the instance so that a
# retried END-OF-MESSAGE is still "again" and a refund (lua/refund.lua)
# still takes the charge back; without a queue id, the transaction hash
# with only "billed"; a transaction Postfix abandoned for another on the
# same connection nothing; one whose connection closed its hash, marked
# released (Postfix may go on with it elsewhere: tests/policyd/rules.sh).
# Every rule on, for a key and its tenant.

. "$PW_SRCDIR/tests/policyd/common.sh"

pw_require_root_tools
pw_harness_init
pw_plan 23

R() { pw_redis_cli "$@"; }
pw_redis_start
pw_daemon_start policyd "redis_command_timeout = 2s"
pd_session_start "$PW_TMP/policyd.sock"

# req STATE INSTANCE RECIPIENT RECIPIENT_COUNT QID: one request of key
# k_l on the instance's connection (or $PD_CONN); prints the action.
req() {
	pd_ask "${PD_CONN:-$2}" "protocol_state=$1" protocol_name=ESMTP \
	    sasl_username=k_l "instance=$2" "recipient=$3" \
	    "recipient_count=$4" size=700 client_address=192.0.2.10 \
	    client_name=client.example "queue_id=$5" sender=app@example.com
}
rcpt() { req RCPT "$1" "$2" 0 ""; }
eom() { req END-OF-MESSAGE "$1" "" "$2" "${3-}"; }

lim=(quota_hour 1000 quota_day 1000 quota_month 1000 rate 1000
    burst 1000 max_size 100000 max_recipients 50)
pd_key k_l tl "${lim[@]}"
R HSET 'pw:{tl}:tenant' "${lim[@]}" >/dev/null
R HSET 'pw:{tl}:supp' '@blocked.example' 'manual|cli|1|0' >/dev/null

# The tenant's keys that are neither records nor counters: what
# transactions leave (transactions, billing records, reservations).
left() {
	R --scan --pattern 'pw:{tl}:*' | grep -E ':(txn|billed|resv):' |
	    sort | tr '\n' ' '
}
# Every member of the tenant's reservation sets, one a line.
members() {
	local k
	for k in $(R --scan --pattern 'pw:{tl}:resv:*'); do
		R ZRANGE "$k" 0 -1
	done
}
hour() { date -u -d "@$(R TIME | head -n 1)" +%Y%m%d%H; }
# Billed for the key, today, and billed events of queue id QID.
used() {
	R GET "pw:{tl}:used:key:k_l:d:$(date -u -d "@$(R TIME | head -n 1)" +%Y%m%d)"
}
billed_events() {
	R XRANGE pw:events - + | tr '\n' ' ' |
	    grep -o "type billed time [0-9]* queue_id $1 " | wc -l
}
# refund QID [RECIPIENTS]: lua/refund.lua, as postwarden-milter runs it.
refund() { R EVAL "$(cat "$PW_SRCDIR/lua/schema.lua" \
    "$PW_SRCDIR/lua/calendar.lua" "$PW_SRCDIR/lua/gcra.lua" \
    "$PW_SRCDIR/lua/refund.lua")" 1 \
    "pw:{tl}:billed:$1" "pw:{tl}:" ${2:+"$2"} | tr '\n' ' '; }

# --- a billed transaction ------------------------------------------------------

a="$(rcpt t1 a@example.net) $(rcpt t1 b@example.net) $(rcpt t1 c@example.net)"
pw_is "three recipients admitted" "$a" "DUNNO DUNNO DUNNO"
pw_is "after RCPT: the transaction and a reservation per recipient and window" \
    "$(R EXISTS 'pw:{tl}:txn:t1') $(members | wc -l)" "1 18"
pw_is "END-OF-MESSAGE admitted" "$(eom t1 3 QT1)" DUNNO
pw_is "after END-OF-MESSAGE: only the billing record is left" \
    "$(left)" "pw:{tl}:billed:QT1 "
pw_is "the billing record: count, size, windows, key, instance" \
    "$(R GET 'pw:{tl}:billed:QT1')" "3 700 $(hour) k_l t1"
ttl=$(R PTTL 'pw:{tl}:billed:QT1')
pw_check "it expires after policyd_reservation_ttl ($ttl ms)" \
    test "$ttl" -gt 0 -a "$ttl" -le 900000
pw_is "billed: 3 recipients, one event" "$(used) $(billed_events QT1)" "3 1"

# Postfix retries a request that timed out, on the same connection or,
# after closing it, on another.
pw_is "END-OF-MESSAGE retried: admitted" \
    "$(eom t1 3 QT1) $(PD_CONN=other eom t1 3 QT1)" "DUNNO DUNNO"
pw_is "... and recognised: nothing billed again, no event, nothing left but the record" \
    "$(used) $(billed_events QT1) | $(left)" "3 1 | pw:{tl}:billed:QT1 "
pw_is "a refund of one recipient (stream suppression): the record keeps the rest" \
    "$(refund QT1 1) $(used) | $(R GET 'pw:{tl}:billed:QT1' | cut -d ' ' -f 1,2,4,5)" \
    "refunded 1 0  2 | 2 700 k_l t1"
ttl=$(R PTTL 'pw:{tl}:billed:QT1')
pw_check "... and its expiry ($ttl ms)" test "$ttl" -gt 0 -a "$ttl" -le 900000
pw_is "END-OF-MESSAGE retried after it: still recognised" \
    "$(eom t1 3 QT1) $(used)" "DUNNO 2"
pw_is "the refund takes the rest back" "$(refund QT1) $(used)" "refunded 2 700  0"
pw_is "after the refund nothing is left" "$(left)" ""
# A record an older version wrote (a hash) during an upgrade: refunded.
rcpt t6 a@example.net >/dev/null
rcpt t6 b@example.net >/dev/null
eom t6 2 QT6 >/dev/null
R DEL 'pw:{tl}:billed:QT6' >/dev/null
R HSET 'pw:{tl}:billed:QT6' count 2 size 700 windows "$(hour)" key k_l >/dev/null
pw_is "an older billing record (hash): a part, then the rest, refunded" \
    "$(refund QT6 1)| $(R HGET 'pw:{tl}:billed:QT6' count) | $(refund QT6)| $(used) $(left)" \
    "refunded 1 0 | 1 | refunded 1 700 | 0 "

# --- without a queue id --------------------------------------------------------

rcpt t2 a@example.net >/dev/null
rcpt t2 b@example.net >/dev/null
pw_is "no queue id: billed" "$(eom t2 2 "") $(used)" "DUNNO 2"
pw_is "... the transaction's hash is left, with only billed" \
    "$(R HGETALL 'pw:{tl}:txn:t2' | tr '\n' ' ')| $(left)" \
    "billed 2 | pw:{tl}:txn:t2 "
pw_is "... a retry is recognised" "$(eom t2 2 "") $(used)" "DUNNO 2"

# --- END-OF-MESSAGE of a transaction not decided here --------------------------

pw_is "unknown transaction: recipient_count billed" \
    "$(eom t3 2 QT3) $(used) | $(left)" \
    "DUNNO 4 | pw:{tl}:billed:QT3 pw:{tl}:txn:t2 "
pw_is "... a retry is recognised" "$(eom t3 2 QT3) $(used)" "DUNNO 4"

# --- abandoned -----------------------------------------------------------------

# RSET (or the next session of that smtpd): a new instance on the
# connection.  The old transaction never comes back to it.
R DEL 'pw:{tl}:billed:QT3' 'pw:{tl}:txn:t2' >/dev/null
PD_CONN=smtpd1 rcpt t4 a@example.net >/dev/null
PD_CONN=smtpd1 rcpt t4 b@example.net >/dev/null
pw_is "a new instance on the connection: the old transaction leaves nothing" \
    "$(PD_CONN=smtpd1 rcpt t5 c@example.net) | $(left | tr ' ' '\n' |
        grep -v ':resv:' | tr '\n' ' ')| $(members | sort | uniq -c | xargs)" \
    "DUNNO | pw:{tl}:txn:t5 | 6 t5 c@example.net"
# Postfix closed the connection: it may go on with the transaction on
# another (rules.sh), so the hash stays, marked released.
pd_hangup smtpd1
released() { [ "$(R HGET 'pw:{tl}:txn:t5' released)" = 1 ]; }
pw_check "a closed connection: its transaction is kept, released" \
    pw_wait_until "t5 to be released" 10 released
pw_is "... without reservations" "$(left)" "pw:{tl}:txn:t5 "

