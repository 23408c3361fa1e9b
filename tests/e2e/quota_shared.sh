#!/bin/bash
# tests/e2e/quota_shared.sh -- two Postfix instances, each with its own
# postwarden-policyd, sharing one Redis hold one tenant quota exactly:
# ten messages sent at once, five through each instance under two keys of
# one tenant whose daily quota is 6: exactly 6 accepted and delivered,
# the others refused 4xx naming the tenant, and usage is exactly 6.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init
pw_plan 7

R() { pw_redis_cli "$@"; }
pw_redis_start
R HSET pw:key:k_a tenant shared >/dev/null
R HSET pw:key:k_b tenant shared >/dev/null
R HSET 'pw:{shared}:tenant' status active created 1 quota_day 6 >/dev/null
pw_domain_add shared client.example
R HSET 'pw:{shared}:key:k_a' status active created 1 >/dev/null
R HSET 'pw:{shared}:key:k_b' status active created 1 >/dev/null
now=$(R TIME | head -n 1)
day=$(date -u -d "@$now" +%Y%m%d)

pw_sink_start main
pw_daemon_start policyd "redis_command_timeout = 2s"
pw_policyd_start_extra policyd2 "redis_command_timeout = 2s"
policy() {
	echo "check_policy_service { unix:$PW_TMP/$1.sock, timeout=10s, default_action=DEFER_IF_PERMIT }"
}
pw_postfix_main "smtpd_recipient_restrictions = $(policy policyd) permit_mynetworks reject_unauth_destination"
pw_postfix_main "smtpd_end_of_data_restrictions = $(policy policyd)"
pw_postfix_start
pw_postfix_start_extra b \
    "smtpd_recipient_restrictions = $(policy policyd2) permit_mynetworks reject_unauth_destination" \
    "smtpd_end_of_data_restrictions = $(policy policyd2)"
pw_ok "two Postfix instances on ports $PW_SMTPD_PORT and $PW_SMTPD_PORT_b"

# send N PORT KEY: one message in the background, transcript in send-N.log.
pids=
send() {
	swaks --server 127.0.0.1 --port "$2" --helo client.pw-test.localdomain \
	    --timeout 30 --xclient-login "$3" --from app@client.example \
	    --to "rcpt$1@remote.example" </dev/null >"$PW_TMP/send-$1.log" 2>&1 &
	pids="$pids $!"
}
for i in 1 2 3 4 5; do
	send "a$i" "$PW_SMTPD_PORT" k_a
	send "b$i" "$PW_SMTPD_PORT_b" k_b
done
# shellcheck disable=SC2086 # one word per pid
wait $pids
accepted=$(grep -l '^<-  250 2.0.0 Ok: queued as' "$PW_TMP"/send-*.log | wc -l)
refused=$(grep -l "^<\*\* 451 4.7.1 .*Daily quota of tenant shared exhausted (6/6)" \
    "$PW_TMP"/send-*.log | wc -l)
pw_is "exactly 6 of 10 messages accepted" "$accepted" 6
pw_is "the other 4 refused 451 4.7.1 naming the tenant" "$refused" 4
na=$(grep -l 'queued as' "$PW_TMP"/send-a*.log | wc -l)
nb=$(grep -l 'queued as' "$PW_TMP"/send-b*.log | wc -l)
pw_check "both instances admitted mail ($na + $nb)" \
    [ "$na" -ge 1 -a "$nb" -ge 1 ]
pw_is "usage is exactly the quota" \
    "$(R GET "pw:{shared}:used:tenant:d:$day")" 6
pw_check "6 messages delivered" pw_sink_wait main 6
pw_is "... and no more" "$(pw_sink_files main | wc -l)" 6
