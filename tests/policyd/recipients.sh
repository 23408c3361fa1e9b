#!/bin/bash
# tests/policyd/recipients.sh -- one recipient is one recipient (issue
# 12): postwarden-policyd compares, reserves and suppresses every
# recipient in the normal form of lib/address, against a private Redis.
# A recipient longer than the daemon holds whole is refused (550 5.1.3),
# never cut into another one; a trailing dot, an upper-case or Unicode
# domain (SMTPUTF8 U-labels) matches the suppression of its normal form.

. "$PW_SRCDIR/tests/policyd/common.sh"

pw_require_root_tools
pw_harness_init
pw_plan 24

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
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
TOO_LONG="550 5.1.3 Bad recipient address: local part longer than 256 bytes"

pw_daemon_start policyd
pd_session_start "$PW_POLICYD_SOCK"

# --- long recipients --------------------------------------------------------

# Issue 12: quota_day 2, one message to five recipients with 520-byte
# local parts at five domains: each used to be cut at 512 bytes, the
# second looked like a retry of the first, all five went out.
pd_key k_long tlong quota_day 2
got=
for d in a b c d e; do
	got="$got$(rcpt k_long l1 "$(xs 520)@$d.example")|"
done
pw_is "five 520-byte local parts: each refused, 550 5.1.3" "$got" \
    "$TOO_LONG|$TOO_LONG|$TOO_LONG|$TOO_LONG|$TOO_LONG|"
pw_is "... none reserved" \
    "$(R ZCARD "pw:{tlong}:resv:key:k_long:d:$day")" 0
pw_is "... no transaction recorded" "$(R EXISTS 'pw:{tlong}:txn:l1')" 0
pw_is "the quota is whole: two more admitted" \
    "$(rcpt k_long l2 a@a.example) $(rcpt k_long l2 b@b.example)" \
    "DUNNO DUNNO"
pw_is "... and the third refused" "$(rcpt k_long l2 c@c.example)" \
    "451 4.7.1 Daily quota of key k_long exhausted (2/2); resets $(iso $(((now / 86400 + 1) * 86400)))"

# Held whole up to the cap: 256-byte local parts differing in the last
# byte, at a 253-byte domain, are three recipients.
pd_key k_whole twhole quota_day 2
d63=$(xs 63)
dom=$d63.$d63.$d63.$(xs 59)ab
pw_is "longest addresses held whole: 1st admitted" \
    "$(rcpt k_whole w1 "$(xs 255)1@$dom")" DUNNO
pw_is "longest addresses held whole: 2nd admitted" \
    "$(rcpt k_whole w1 "$(xs 255)2@$dom")" DUNNO
a=$(rcpt k_whole w1 "$(xs 255)3@$dom")
pw_is "longest addresses held whole: 3rd over the quota, not a retry" \
    "${a:0:9}" "451 4.7.1"
pw_is "... two reserved" \
    "$(R ZCARD "pw:{twhole}:resv:key:k_whole:d:$day")" 2

# <500 x's>@blocked.example was delivered with @blocked.example
# suppressed.
pd_key k_sup tsup
R HSET 'pw:{tsup}:supp' 'victim@ok.example' 'bounce|cli|1795000000|0' \
    '@blocked.example' 'complaint|cli|1795000001|0' \
    '@xn--bcher-kva.example' 'manual|cli|1795000002|0' \
    'jörg@ok.example' 'manual|cli|1795000003|0' >/dev/null
pw_is "500 x's at a suppressed domain: refused" \
    "$(rcpt k_sup s1 "$(xs 500)@blocked.example")" \
    "550 5.1.3 Bad recipient address: local part longer than 256 bytes"
SUPP_ADDR="550 5.7.1 Recipient address suppressed by tenant tsup (bounce, source cli, since $(iso 1795000000))"
SUPP_DOM="550 5.7.1 Recipient domain suppressed by tenant tsup (complaint, source cli, since $(iso 1795000001))"
SUPP_IDN="550 5.7.1 Recipient domain suppressed by tenant tsup (manual, source cli, since $(iso 1795000002))"

# --- a trailing dot ---------------------------------------------------------

pw_is "victim@ok.example. is the suppressed victim@ok.example" \
    "$(rcpt k_sup s2 victim@ok.example.)" "$SUPP_ADDR"
pw_is "VICTIM@OK.EXAMPLE. too" "$(rcpt k_sup s2 VICTIM@OK.EXAMPLE.)" \
    "$SUPP_ADDR"
pw_is "a@blocked.example. is in the suppressed domain" \
    "$(rcpt k_sup s2 a@blocked.example.)" "$SUPP_DOM"
pw_is "two trailing dots: 550 5.1.3" "$(rcpt k_sup s2 a@ok.example..)" \
    "550 5.1.3 Bad recipient address: domain: an empty label (two dots, or a dot at the start)"

# --- internationalised domains ----------------------------------------------

pw_is "user@bücher.example (U-label) is in @xn--bcher-kva.example" \
    "$(rcpt k_sup s3 user@bücher.example)" "$SUPP_IDN"
pw_is "user@BÜCHER.EXAMPLE. too" "$(rcpt k_sup s3 user@BÜCHER.EXAMPLE.)" \
    "$SUPP_IDN"
pw_is "user@XN--BCHER-KVA.example too" \
    "$(rcpt k_sup s3 user@XN--BCHER-KVA.example)" "$SUPP_IDN"
pw_is "a UTF-8 local part matches exactly" \
    "$(rcpt k_sup s3 jörg@ok.example)" \
    "550 5.7.1 Recipient address suppressed by tenant tsup (manual, source cli, since $(iso 1795000003))"
pw_is "plus addressing is another mailbox" \
    "$(rcpt k_sup s3 victim+x@ok.example)" DUNNO
pw_is "a domain IDNA refuses: 550 5.1.3" "$(rcpt k_sup s3 a@xn--zz.example)" \
    "550 5.1.3 Bad recipient address: domain: an A-label (xn--) that does not decode"

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
