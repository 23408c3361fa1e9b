#!/bin/bash
# tests/policyd/rules.sh -- the quota and suppression rules of
# postwarden-policyd against a private Redis, where a reply alone does
# not tell: what Redis holds after a decision (reservations, billing,
# expiry), idempotent retries, two-step accounting (reservations at
# RCPT, billing them at END-OF-MESSAGE, reservations expiring), rates,
# records written by hand, events, GeoIP, and the Redis fail modes
# (hung, slow, stopped, back).  The plain request -> reply checks of
# the rules are transcripts (tests/policyd/transcripts/).

. "$PW_SRCDIR/tests/policyd/common.sh"

pw_require_root_tools
pw_harness_init
pw_plan 81

LOG=$PW_TMP/policyd.log
R() { pw_redis_cli "$@"; }

pw_redis_start

start() {
	pw_daemon_start policyd "redis_command_timeout = 300ms" \
	    "redis_reconnect_delay = 50ms" "redis_reconnect_max_delay = 200ms" \
	    "$@"
}

# Requests go through pd_session.py: one connection per instance that
# stays open, as Postfix's smtpd keeps its connection for a whole
# transaction.
pd_session_start "$PW_TMP/policyd.sock"

# req STATE SASL INSTANCE RECIPIENT [RECIPIENT_COUNT [SIZE [ADDR [QID]]]]:
# one request on the instance's connection (or connection $PD_CONN),
# from app@example.com (or $PD_SENDER); prints the action.
req() {
	pd_ask "${PD_CONN:-$3}" "protocol_state=$1" protocol_name=ESMTP \
	    "sasl_username=$2" "instance=$3" "recipient=$4" \
	    "recipient_count=${5:-0}" "size=${6:-100}" \
	    "client_address=${7:-192.0.2.10}" client_name=client.example \
	    "queue_id=${8:-}" "sender=${PD_SENDER-app@example.com}"
}
rcpt() { req RCPT "$@"; }
eom() { req END-OF-MESSAGE "$1" "$2" "" "$3" "${4:-100}" 192.0.2.10 "${5:-QEOM}"; }

# Window ends as the rules compute them, from Redis's clock.
now=$(R TIME | head -n 1)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
day_end=$(iso $(((now / 86400 + 1) * 86400)))
day=$(date -u -d "@$now" +%Y%m%d)

echo "198.51.100.0/24 tnet" >"$PW_TMP/networks"
start "identity_network_table = $PW_TMP/networks"

# --- identity ------------------------------------------------------------------

# Their replies: transcripts/unknown_key; their events: below.
rcpt k_nobody i1 user@example.net >/dev/null
rcpt 'bad key' i2 user@example.net >/dev/null

R HSET 'pw:{tnet}:tenant' status active quota_day 1 max_recipients 5 \
    >/dev/null
pw_domain_add tnet example.com
pw_is "mapped network: the tenant's rules apply" \
    "$(req RCPT "" w1 a@example.net 0 100 198.51.100.9)" DUNNO
pw_is "mapped network: tenant quota" \
    "$(req RCPT "" w2 b@example.net 0 100 198.51.100.9)" \
    "451 4.7.1 Daily quota of tenant tnet exhausted (1/1); resets $day_end"
eom_net=$(req END-OF-MESSAGE "" w1 "" 1 100 198.51.100.9 QNET)
pw_is "mapped network: END-OF-MESSAGE billed for the tenant" \
    "$eom_net $(R GET "pw:{tnet}:used:tenant:d:$day")" "DUNNO 1"

# --- status --------------------------------------------------------------------

# A disabled or suspended key or tenant: transcripts/status.  A key whose tenant or key record is missing (Redis lost its data, a
# daemon still has the key in its cache) is not "active without
# limits": the fail mode answers, and it is logged once.
R HSET pw:key:k_bare tenant tbare >/dev/null
pw_is "key without records: the fail mode, not admitted without limits" \
    "$(rcpt k_bare i7 user@example.net)" \
    "451 4.3.0 Policy service temporarily unavailable (redis: no record of the tenant); try again later"
rcpt k_bare i7 user@example.net >/dev/null
pw_is "missing record: logged once" \
    "$(grep -c 'tenant tbare, key k_bare: no tenant record in Redis' "$LOG")" 1
R HSET 'pw:{tbare}:tenant' status active >/dev/null
R INCR 'pw:{tbare}:gen' >/dev/null	# a hand edit (docs/redis-schema.md)
pw_is "tenant record but no key record: the fail mode" \
    "$(rcpt k_bare i8 user@example.net)" \
    "451 4.3.0 Policy service temporarily unavailable (redis: no record of the key); try again later"
# Without the store marker an unknown key is not refused for good: Redis
# may have lost every key (restarted without persistence).
R DEL pw:store >/dev/null
pw_is "no store marker: an unknown key gets the fail mode, not 550" \
    "$(rcpt k_nobody i9 user@example.net)" \
    "451 4.3.0 Policy service temporarily unavailable (redis: no postwarden data (store marker missing: restarted without persistence?)); try again later"
R SET pw:store 1 >/dev/null
pw_is "store marker back: an unknown key is 550 again" \
    "$(rcpt k_nobody i9 user@example.net)" \
    "550 5.7.1 API key k_nobody is not known"

# --- suppression ---------------------------------------------------------------

# The replies: transcripts/suppression.  Here what the import cannot
# write (an entry already expired) and what Redis holds afterwards.
pd_key k_sup tsup
R HSET 'pw:{tsup}:supp' 'gone@example.net' 'bounce|cli|1795000000|0' \
    'old@example.net' "unsubscribe|unsubscribe|1700000000|$((now - 10))" \
    >/dev/null
rcpt k_sup s1 Gone@Example.NET >/dev/null
pw_is "expired suppression: admitted" "$(rcpt k_sup s1 old@example.net)" DUNNO
pw_is "expired suppression: removed lazily" \
    "$(R HEXISTS 'pw:{tsup}:supp' old@example.net)" 0
rcpt k_sup s1 fine@example.net >/dev/null
pw_is "a refused recipient reserved nothing" \
    "$(R HLEN 'pw:{tsup}:txn:s1')" 4

# --- rate (GCRA) --------------------------------------------------------------------

pd_key k_rate trate rate 1 rate_period 60 burst 1
r1=$(rcpt k_rate g1 a@example.net)
r2=$(rcpt k_rate g1 b@example.net)
r3=$(rcpt k_rate g1 c@example.net)
pw_is "rate 1/min, burst 1: two admitted at once" "$r1 $r2" "DUNNO DUNNO"
case $r3 in
"451 4.7.1 Rate limit of API key k_rate exceeded (1 per minute, burst 1); next at "*Z)
	pw_ok "rate: the third is 451 4.7.1 with the next time ($r3)" ;;
*)	pw_not_ok "rate: the third is 451 4.7.1 with the next time" "$r3" ;;
esac
pw_is "rate: a retried admission is not counted again" \
    "$(rcpt k_rate g1 b@example.net)" DUNNO
pd_key k_trate ttrate
R HSET 'pw:{ttrate}:tenant' rate 1 burst 0 >/dev/null
rcpt k_trate g2 a@example.net >/dev/null
case $(rcpt k_trate g2 b@example.net) in
"451 4.7.1 Rate limit of tenant ttrate exceeded (1 per second, burst 0); next at "*)
	pw_ok "tenant rate: 451 4.7.1 names the tenant" ;;
*)	pw_not_ok "tenant rate: 451 4.7.1 names the tenant" ;;
esac

# --- quotas and two-step accounting ---------------------------------------------------

# The replies of this flow: transcripts/quota; here what Redis holds.
pd_key k_q tq quota_day 3
rcpt k_q q1 a@example.net >/dev/null
rcpt k_q q1 a@example.net >/dev/null
pw_is "quota: a retried recipient is reserved once" \
    "$(R ZCARD "pw:{tq}:resv:key:k_q:d:$day")" 1
rcpt k_q q1 b@example.net >/dev/null
rcpt k_q q1 c@example.net >/dev/null
rcpt k_q q2 d@example.net >/dev/null
pw_is "quota: the refusal consumed nothing" \
    "$(R ZCARD "pw:{tq}:resv:key:k_q:d:$day")" 3
eom k_q q1 2 5000 QBILL >/dev/null
pw_is "END-OF-MESSAGE: recipient_count (2) billed, not the 3 reserved" \
    "$(R GET "pw:{tq}:used:key:k_q:d:$day")" 2
pw_is "END-OF-MESSAGE: billed for the tenant too" \
    "$(R GET "pw:{tq}:used:tenant:d:$day")" 2
pw_is "END-OF-MESSAGE: every reservation released" \
    "$(R ZCARD "pw:{tq}:resv:key:k_q:d:$day")" 0
pw_is "END-OF-MESSAGE: message and bytes counted" \
    "$(R GET "pw:{tq}:msgs:key:k_q:d:$day") $(R GET "pw:{tq}:bytes:key:k_q:d:$day")" \
    "1 5000"
eom k_q q1 2 5000 QBILL >/dev/null
pw_is "END-OF-MESSAGE retried: not billed twice" \
    "$(R GET "pw:{tq}:used:key:k_q:d:$day")" 2
rcpt k_q q3 e@example.net >/dev/null
rcpt k_q q4 f@example.net >/dev/null
ttl=$(R TTL "pw:{tq}:used:key:k_q:d:$day")
exp_ttl=$(( (now / 86400 + 1) * 86400 + 86400 - now ))
pw_check "used counter expires one day after its window ($ttl s)" \
    [ "$ttl" -gt $((exp_ttl - 30)) ] && [ "$ttl" -le "$exp_ttl" ]

# A repeated RCPT TO (Postfix accepts it, counts it in recipient_count,
# delivers it once) and case variants of one address are one recipient:
# reserved once, billed once, so a limit is never exceeded.  The
# replies: transcripts/duplicates; here what is billed.
pd_key k_dup tdup quota_day 3
for i in 1 2 3 4 5 6; do rcpt k_dup u1 same@example.net >/dev/null; done
eom k_dup u1 6 100 QDUP >/dev/null
pw_is "the same recipient six times: billed once, not recipient_count" \
    "$(R GET "pw:{tdup}:used:key:k_dup:d:$day")" 1
pd_key k_case tcase quota_day 2
for r in x@example.net X@example.net x@EXAMPLE.net X@Example.Net \
    x@example.NET; do rcpt k_case u2 "$r" >/dev/null; done
eom k_case u2 5 100 QCASE >/dev/null
pw_is "five case variants of one address: billed once" \
    "$(R GET "pw:{tcase}:used:key:k_case:d:$day")" 1

# A limit written by hand (redis-cli) that is not a whole number: the
# tenant's mail is deferred (fail closed), not admitted as if unlimited,
# and each value is logged once.
pd_key k_bad tbad
bad=
for v in 1,000 -5 ten 1e1 0x2 " 5"; do
	R HSET 'pw:{tbad}:tenant' quota_day "$v" >/dev/null
	R INCR 'pw:{tbad}:gen' >/dev/null	# a hand edit
	bad="$bad|$(rcpt k_bad v1 a@example.net)|$(rcpt k_bad v1 b@example.net)"
done
pw_is "invalid quota_day (1,000 -5 ten 1e1 0x2 ' 5'): every one deferred" \
    "$bad" "$(printf '|451 4.3.5 The quota_day setting of tenant tbad is not valid; try again later%.0s' 1 2 3 4 5 6 7 8 9 10 11 12)"
pw_is "invalid limit: logged once per value" \
    "$(grep -c 'tenant tbad: quota_day = .* is not a valid limit' "$LOG") $(grep -c 'quota_day = "1e1" is not a valid limit' "$LOG")" "6 1"
R HSET 'pw:{tbad}:key:k_bad' burst -1 >/dev/null
R HSET 'pw:{tbad}:tenant' quota_day 0 >/dev/null
R INCR 'pw:{tbad}:gen' >/dev/null
pw_is "invalid key burst: deferred, naming the key" \
    "$(rcpt k_bad v2 a@example.net)" \
    "451 4.3.5 The burst setting of API key k_bad is not valid; try again later"
R HDEL 'pw:{tbad}:key:k_bad' burst >/dev/null
R INCR 'pw:{tbad}:gen' >/dev/null
pw_is "corrected (quota_day 0: no limit): admitted again" \
    "$(rcpt k_bad v3 a@example.net)" DUNNO

# A transaction that never reaches END-OF-MESSAGE (RSET, QUIT) gives
# its reservations back as soon as Postfix starts another one on the
# connection (a new instance) or closes the connection, not after
# policyd_reservation_ttl: one key cannot lock a shared tenant quota.
pd_key k_ra trel
pd_key k_rb trel
R HSET 'pw:{trel}:tenant' quota_day 3 >/dev/null
rel=
for r in a b c; do rel="$rel $(PD_CONN=smtpd1 rcpt k_ra x1 $r@example.net)"; done
pw_is "tenant quota 3: one key reserves it all" \
    "$rel $(rcpt k_rb y1 d@example.net)" \
    " DUNNO DUNNO DUNNO 451 4.7.1 Daily quota of tenant trel exhausted (3/3); resets $day_end"
pw_is "a new instance on the connection releases the old one's reservations" \
    "$(PD_CONN=smtpd1 rcpt k_ra x2 e@example.net) $(rcpt k_rb y1 d@example.net) $(R ZCARD "pw:{trel}:resv:tenant:d:$day")" \
    "DUNNO DUNNO 2"
pd_hangup smtpd1
one_left() { [ "$(R ZCARD "pw:{trel}:resv:tenant:d:$day")" = 1 ]; }
pw_check "Postfix closing the connection releases its open transaction" \
    pw_wait_until "the reservation of x2 to go" 10 one_left
# Postfix may go on with a transaction on a new connection (its old one
# reached max_idle or max_ttl, or a request timed out and is retried):
# it is billed if the quota still has room, else refused at
# END-OF-MESSAGE, never billed past the limit.
pw_is "a released transaction continues on another connection" \
    "$(PD_CONN=smtpd2 rcpt k_ra x2 e@example.net) $(PD_CONN=smtpd2 rcpt k_ra x2 f@example.net) $(PD_CONN=smtpd2 eom k_ra x2 2 100 QREL)" \
    "DUNNO DUNNO DUNNO"
pw_is "... and is billed, within the limit" \
    "$(R GET "pw:{trel}:used:tenant:d:$day") $(R ZCARD "pw:{trel}:resv:tenant:d:$day")" \
    "2 1"
pd_key k_rc2x trel2
R HSET 'pw:{trel2}:tenant' quota_day 2 >/dev/null
PD_CONN=smtpd3 rcpt k_rc2x x3 a@example.net >/dev/null
pd_hangup smtpd3
none_left() { [ "$(R ZCARD "pw:{trel2}:resv:tenant:d:$day")" = 0 ]; }
pw_wait_until "the reservation of x3 to go" 10 none_left
pw_is "its capacity taken meanwhile: END-OF-MESSAGE refuses it, bills nothing" \
    "$(rcpt k_rc2x z1 b@example.net) $(rcpt k_rc2x z1 c@example.net) $(PD_CONN=smtpd4 eom k_rc2x x3 1 100 QREL2) $(R GET "pw:{trel2}:used:tenant:d:$day")" \
    "DUNNO DUNNO 451 4.7.1 Daily quota of tenant trel2 exhausted (2/2); resets $day_end "

# The billing record, and taking it back (lua/refund.lua, which
# postwarden-milter runs when it refuses a message billed here; with the
# prelude the build puts in front of it, lua/local.mk).
pd_key k_r tref quota_day 10
hour() { date -u -d "@$(R TIME | head -n 1)" +%Y%m%d%H; }
h1=$(hour)
rcpt k_r r1 a@example.net >/dev/null
rcpt k_r r1 b@example.net >/dev/null
eom k_r r1 2 700 QREF >/dev/null
h2=$(hour)
rec=$(R GET "pw:{tref}:billed:QREF")
hid=$(cut -d ' ' -f 3 <<<"$rec")
pw_is "END-OF-MESSAGE: the billing record under the queue id" \
    "$(cut -d ' ' -f 1,2,4,5 <<<"$rec")" "2 700 k_r r1"
pw_check "the billing record's windows: the transaction's hour ($hid)" \
    test "$hid" = "$h1" -o "$hid" = "$h2"
ttl=$(R PTTL "pw:{tref}:billed:QREF")
pw_check "the billing record expires with the transaction ($ttl ms)" \
    [ "$ttl" -gt 0 ] && [ "$ttl" -le 900000 ]
counters() {
	local w
	for w in "key:k_r" tenant; do
		printf '%s ' "$(R GET "pw:{tref}:used:$w:h:$hid")" \
		    "$(R GET "pw:{tref}:used:$w:d:$day")" \
		    "$(R GET "pw:{tref}:used:$w:m:${day:0:6}")" \
		    "$(R GET "pw:{tref}:msgs:$w:d:$day")" \
		    "$(R GET "pw:{tref}:bytes:$w:d:$day")"
	done
}
pw_is "billed: used (hour, day, month), messages, bytes" "$(counters)" \
    "2 2 2 1 700 2 2 2 1 700 "
refund() { R EVAL "$(cat "$PW_SRCDIR/lua/schema.lua" \
    "$PW_SRCDIR/lua/calendar.lua" "$PW_SRCDIR/lua/gcra.lua" \
    "$PW_SRCDIR/lua/refund.lua")" 1 \
    "pw:{tref}:billed:$1" "pw:{tref}:" | tr '\n' ' '; }
pw_is "refund: what was billed is taken back" "$(refund QREF)" "refunded 2 700 "
pw_is "refund: every counter back to zero" "$(counters)" \
    "0 0 0 0 0 0 0 0 0 0 "
pw_is "refund again: nothing more" "$(refund QREF)" "none 0 0 "
pw_is "refund of an unknown queue id: nothing" "$(refund QNONE)" "none 0 0 "
pw_is "after refunds: no counter below zero" "$(counters)" \
    "0 0 0 0 0 0 0 0 0 0 "
# Recipients the milter removed from a message it accepts (stream
# suppressions): those only, the message and its bytes stay billed, and
# a refund of the whole message afterwards takes back the rest.
rcpt k_r r2 a@example.net >/dev/null
rcpt k_r r2 b@example.net >/dev/null
rcpt k_r r2 c@example.net >/dev/null
eom k_r r2 3 500 QPART >/dev/null
refund_part() { R EVAL "$(cat "$PW_SRCDIR/lua/schema.lua" \
    "$PW_SRCDIR/lua/calendar.lua" "$PW_SRCDIR/lua/gcra.lua" \
    "$PW_SRCDIR/lua/refund.lua")" 1 \
    "pw:{tref}:billed:$1" "pw:{tref}:" "$2" | tr '\n' ' '; }
pw_is "refund of one removed recipient: one recipient, no bytes" \
    "$(refund_part QPART 1) | $(counters) | $(R GET "pw:{tref}:billed:QPART" | cut -d ' ' -f 1)" \
    "refunded 1 0  | 2 2 2 1 500 2 2 2 1 500  | 2"
pw_is "refund of more than billed: at most what is left" \
    "$(refund_part QPART 5) | $(counters)" \
    "refunded 2 0  | 0 0 0 1 500 0 0 0 1 500 "
pw_is "then the whole message: the message and bytes only" \
    "$(refund QPART) | $(counters)" \
    "refunded 0 500  | 0 0 0 0 0 0 0 0 0 0 "

# The hourly and monthly quotas, a tenant's shared by its keys:
# transcripts/quota_windows.

# --- sending domains (the replies: transcripts/sender_*) ---------------------------

# A sender refused for its domain takes nothing: the one recipient of
# the daily quota is still there for the tenant's own domain.
pd_key k_sd tsd quota_day 1
pw_is "sender domain: another's refused, nothing counted; its own admitted" \
    "$(PD_SENDER=ceo@other.example rcpt k_sd s1 a@example.net) | $(rcpt k_sd s2 a@example.net) | $(R GET "pw:{tsd}:used:key:k_sd:d:$day")$(R ZCARD "pw:{tsd}:resv:key:k_sd:d:$day")" \
    "550 5.7.1 Sender domain other.example is not a sending domain of tenant tsd | DUNNO | 1"
PD_SENDER='App@acme..example' rcpt k_sd s3 a@example.net >/dev/null

# --- events ---------------------------------------------------------------------------

events=$(R XRANGE pw:events - + | tr '\n' ' ')
case $events in
*"type billed "*"queue_id QBILL tenant tq key k_q rule - count 2 size 5000 reply DUNNO"*)
	pw_ok "event: billed message with count and size" ;;
*)	pw_not_ok "event: billed message with count and size" "$events" ;;
esac
uk1="key k_nobody rule unknown_key recipient user@example.net reply 550 5.7.1"
uk1="$uk1 API key k_nobody is not known"
uk2="key  rule unknown_key recipient user@example.net reply 550 5.7.1"
uk2="$uk2 Authenticated user name is not a valid API key"
case $events in
*"type refused "*" $uk1 "*"type refused "*" $uk2 "*)
	pw_ok "event: unknown keys refused, rule unknown_key" ;;
*)	pw_not_ok "event: unknown keys refused, rule unknown_key" "$events" ;;
esac
case $events in
*"type refused "*"tenant tq key k_q rule quota recipient d@example.net reply 451 4.7.1 Daily quota"*)
	pw_ok "event: refusal with rule, recipient and reply" ;;
*)	pw_not_ok "event: refusal with rule, recipient and reply" "$events" ;;
esac
case $events in
*"type refused "*"tenant tsd key k_sd rule sender_domain recipient a@example.net sender other.example reply 550 5.7.1 Sender domain other.example is not a sending domain of tenant tsd "*)
	pw_ok "event: sender domain refused, rule sender_domain, the sender's domain" ;;
*)	pw_not_ok "event: sender domain refused, rule sender_domain, the sender's domain" "$events" ;;
esac
case $events in
*"type refused "*"tenant tsd key k_sd rule sender_address recipient a@example.net sender App@acme..example reply 550 5.1.7 Bad sender address: "*)
	pw_ok "event: sender without a normal form, rule sender_address, as sent" ;;
*)	pw_not_ok "event: sender without a normal form, rule sender_address, as sent" "$events" ;;
esac
pw_is "events: nothing else refused for tenant tsd" \
    "$(R XRANGE pw:events - + | grep -c '^tsd$')" 2
pw_is "events: one billed event for QBILL (the retry is not repeated)" \
    "$(R XRANGE pw:events - + | grep -c '^QBILL$')" 1

# --- scripts vanish (SCRIPT FLUSH): NOSCRIPT fallback ------------------------------------

R SCRIPT FLUSH >/dev/null
pd_key k_flush tflush
pw_is "after SCRIPT FLUSH: decisions still work" \
    "$(rcpt k_flush f1 a@example.net)" DUNNO

# --- GeoIP and reservations expiring: restart with other settings ------------------------

pw_daemon_stop policyd
perl "$PW_SRCDIR/tests/policyd/mkmmdb.pl" "$PW_TMP/geo.mmdb" ||
    pw_bail "cannot build the test GeoIP database"
start "policyd_geoip_database = $PW_TMP/geo.mmdb" \
    "policyd_reservation_ttl = 1s"
pd_key k_geo tgeo countries "de, at"
pw_is "GeoIP: allowed country: DUNNO" \
    "$(req RCPT k_geo c1 a@example.net 0 100 192.0.2.77)" DUNNO
pw_is "GeoIP: other country: 550 5.7.1" \
    "$(req RCPT k_geo c2 a@example.net 0 100 198.51.100.1)" \
    "550 5.7.1 API key k_geo may not send from country US (allowed: DE,AT)"
pw_is "GeoIP: unknown country: 550 5.7.1" \
    "$(req RCPT k_geo c3 a@example.net 0 100 203.0.113.9)" \
    "550 5.7.1 API key k_geo may not send from an unknown country (allowed: DE,AT)"
a=$(req RCPT k_q c4 z@example.net 0 100 198.51.100.1)
pw_is "GeoIP: a key without countries may send from anywhere" "${a:0:9}" \
    "451 4.7.1"

pd_key k_exp texp quota_day 1
pw_is "reservation TTL: admitted" "$(rcpt k_exp e1 a@example.net)" DUNNO
pw_is "reservation TTL: full while reserved" \
    "$(rcpt k_exp e2 b@example.net)" \
    "451 4.7.1 Daily quota of key k_exp exhausted (1/1); resets $day_end"
admitted() { [ "$(rcpt k_exp e3 c@example.net)" = DUNNO ]; }
pw_check "reservation TTL: an abandoned transaction frees its capacity" \
    pw_wait_until "the reservation to expire" 10 admitted

pw_daemon_stop policyd
start "policyd_geoip_database = $PW_TMP/missing.mmdb"
pw_check "GeoIP: missing database: one warning" \
    pw_wait_log "$LOG" 'policyd_geoip_database: .*missing.mmdb: .*the country rule is off'
pw_is "GeoIP: missing database: the rule is off" \
    "$(req RCPT k_geo c5 a@example.net 0 100 198.51.100.1)" DUNNO

# --- Redis trouble ---------------------------------------------------------------------------

# Hung (SIGSTOP): the default fail mode (defer) within the timeout.
pd_key k_down tdown
rcpt k_down d0 a@example.net >/dev/null	# the tenant is cached now
redis_pid=${PW_PIDS[redis]}
kill -STOP "$redis_pid"
t0=$(date +%s%N)
a1=$(rcpt k_down d1 a@example.net)
ms=$((($(date +%s%N) - t0) / 1000000))
pw_is "Redis hung: 451 4.3.0 (policyd_fail_mode = defer)" "$a1" \
    "451 4.3.0 Policy service temporarily unavailable (redis: timeout); try again later"
pw_check "Redis hung: answered within the command timeout ($ms ms)" \
    [ "$ms" -lt 1500 ]
rcpt k_down d2 b@example.net >/dev/null
rcpt k_down d3 c@example.net >/dev/null
pw_is "Redis hung: the fail mode is logged once per outage" \
    "$(grep -c 'policy decisions failing: redis: timeout' "$LOG")" 1
kill -CONT "$redis_pid"
back() { [ "$(rcpt k_down d4 d@example.net)" = DUNNO ]; }
pw_check "Redis back: decisions again" \
    pw_wait_until "decisions to work again" 5 back
pw_check "Redis back: recovery logged" \
    pw_wait_log "$LOG" 'policy decisions work again'

# Slow (a script keeps Redis busy for 3 s, as DEBUG SLEEP would; DEBUG
# is off by default in Redis 7): requests are answered by the fail mode
# within the timeout, not stalled, then decided again.
R EVAL "local t = redis.call('TIME') local e = t[1] * 1e6 + t[2] + 3e6
while true do t = redis.call('TIME')
if t[1] * 1e6 + t[2] >= e then break end end return 1" 0 >/dev/null &
slow_pid=$!
n=0 max=0 a1=
deadline=$((SECONDS + 6))
while [ "$SECONDS" -lt "$deadline" ]; do
	n=$((n + 1))
	t0=$(date +%s%N)
	a1=$(rcpt k_down "d8.$n" "h$n@example.net")
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt "$max" ] && max=$ms
	case $a1 in "451 4.3.0"*) break ;; esac
done
pw_is "Redis slow: 451 4.3.0" "$a1" \
    "451 4.3.0 Policy service temporarily unavailable (redis: timeout); try again later"
pw_check "Redis slow: no request stalled beyond the timeout ($max ms)" \
    [ "$max" -lt 1500 ]
wait "$slow_pid"
back() { [ "$(rcpt k_down d9 i@example.net)" = DUNNO ]; }
pw_check "Redis fast again: decisions again" \
    pw_wait_until "decisions to work again" 5 back

# Stopped, in pass mode, then restarted (empty: no scripts cached).
pw_daemon_stop policyd
start "policyd_fail_mode = pass" "policyd_unknown_key = pass"
pw__stop_pid redis 5
t0=$(date +%s%N)
a1=$(rcpt k_down d5 e@example.net)
ms=$((($(date +%s%N) - t0) / 1000000))
pw_is "Redis stopped, pass mode: DUNNO" "$a1" DUNNO
pw_check "Redis stopped: answered at once ($ms ms)" [ "$ms" -lt 1500 ]
pw_redis_start
pd_key k_down tdown quota_day 1
t0=$(date +%s%N)
back2() { [ "$(rcpt k_down d6 f@example.net)" = DUNNO ] &&
    [ "$(R ZCARD "pw:{tdown}:resv:key:k_down:d:$day")" = 1 ]; }
pw_check "Redis restarted: full recovery (scripts reloaded)" \
    pw_wait_until "decisions to reach the new Redis" 5 back2
ms=$((($(date +%s%N) - t0) / 1000000))
pw_check "Redis restarted: recovered within a second or so ($ms ms)" \
    [ "$ms" -lt 2000 ]
pw_is "Redis restarted: quota enforced again" \
    "$(rcpt k_down d7 g@example.net)" \
    "451 4.7.1 Daily quota of key k_down exhausted (1/1); resets $day_end"
# Redis restarted empty (no persistence), as far as the daemon can tell:
# a cached key finds no records, an uncached one no store marker; both
# get the fail mode rather than admission without limits or a 550.
pw_daemon_stop policyd
start
rcpt k_down d8 h@example.net >/dev/null	# the key is cached now
R FLUSHALL >/dev/null
pw_is "Redis emptied: a cached key gets the fail mode" \
    "$(rcpt k_down d8 h@example.net)" \
    "451 4.3.0 Policy service temporarily unavailable (redis: no record of the tenant); try again later"
pw_is "Redis emptied: an uncached key gets the fail mode, not 550" \
    "$(rcpt k_never d9 h@example.net)" \
    "451 4.3.0 Policy service temporarily unavailable (redis: no postwarden data (store marker missing: restarted without persistence?)); try again later"
pw_check "policyd survived it all" pw_daemon_alive policyd
