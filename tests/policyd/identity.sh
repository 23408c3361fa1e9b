#!/bin/bash
# tests/policyd/identity.sh -- postwarden-policyd resolves who sends with
# lib/identity and a private Redis: an API key's tenant from Redis (then
# from its cache), an unknown key, a mapped network, and Redis going away
# and coming back -- every request still answered at once; the cache holds
# identity_cache_size keys.

. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init
pw_plan 13

CLIENT=$PW_BUILDDIR/tests/policyd/pd_client
LOG=$PW_TMP/policyd.log
echo "198.51.100.0/24 netco" >"$PW_TMP/networks"

pw_redis_start
pw_redis_cli HSET pw:key:k_live_acme1 tenant acme >/dev/null
pw_daemon_start policyd "identity_network_table = $PW_TMP/networks" \
    "redis_command_timeout = 200ms" "redis_reconnect_delay = 50ms" \
    "redis_reconnect_max_delay = 200ms" "identity_cache_ttl = 60s" \
    "policyd_fail_mode = pass" "policyd_unknown_key = pass"

# request STATE SASL CLIENT_ADDRESS QUEUE_ID: send one request, print the
# answer.
request() {
	"$CLIENT" -t 3000 "unix:$PW_POLICYD_SOCK" c0 "t0:request=smtpd_access_policy
protocol_state=$1
sasl_username=$2
client_address=$3
client_name=client.example
queue_id=$4
sender=app@example.com
recipient=user@example.net

" r0:1
}

pw_is "API key: answered" "$(request RCPT k_live_acme1 192.0.2.7 Q1)" \
    "0: action=DUNNO"
pw_check "API key: tenant read from Redis" pw_wait_log "$LOG" \
    'sasl_username=k_live_acme1 .* tenant=acme source=sasl'

# The cache answers now: the tenant survives the key record's deletion.
pw_redis_cli DEL pw:key:k_live_acme1 >/dev/null
request END-OF-MESSAGE k_live_acme1 192.0.2.7 QCACHED >/dev/null
pw_check "API key: tenant cached for identity_cache_ttl" pw_wait_log "$LOG" \
    'QCACHED: request: .* tenant=acme source=sasl'

pw_is "unknown key: answered" "$(request RCPT k_nobody 192.0.2.7 Q2)" \
    "0: action=DUNNO"
pw_check "unknown key: warning says so" pw_wait_log "$LOG" \
    'sasl_username=k_nobody: tenant unknown: unknown API key'

request END-OF-MESSAGE "" 198.51.100.20 QNET >/dev/null
pw_check "mapped network: tenant from identity_network_table" \
    pw_wait_log "$LOG" 'QNET: request: .* tenant=netco source=network'

# Redis goes away: requests are still answered, promptly.
redis_pid=${PW_PIDS[redis]}
kill -STOP "$redis_pid"
start=$(date +%s%N)
answer=$(request RCPT k_other 192.0.2.7 QDOWN)
elapsed=$((($(date +%s%N) - start) / 1000000))
pw_is "Redis hung: request answered" "$answer" "0: action=DUNNO"
pw_check "Redis hung: answered within the command timeout (${elapsed} ms)" \
    [ "$elapsed" -lt 2000 ]
pw_check "Redis hung: the reason is logged" pw_wait_log "$LOG" \
    'sasl_username=k_other: tenant unknown: redis: timeout'
kill -CONT "$redis_pid"

# And back: a new key is found once Redis answers again.
pw_redis_cli HSET pw:key:k_back tenant backco >/dev/null
found() {
	request END-OF-MESSAGE k_back 192.0.2.7 QBACK >/dev/null
	grep -q 'QBACK: request: .* tenant=backco source=sasl' "$LOG"
}
pw_check "Redis back: tenants resolved again" \
    pw_wait_until "policyd to reach Redis again" 10 found

# identity_cache_size: one key fits; a second evicts the first, which is
# then read from Redis again (and found deleted).
pw_daemon_stop policyd
pw_daemon_start policyd "identity_cache_size = 1" \
    "identity_cache_ttl = 60s" "policyd_unknown_key = pass"
pw_redis_cli HSET pw:key:k_one tenant onec >/dev/null
pw_redis_cli HSET pw:key:k_two tenant twoc >/dev/null
request END-OF-MESSAGE k_one 192.0.2.7 QONE1 >/dev/null
request END-OF-MESSAGE k_two 192.0.2.7 QTWO1 >/dev/null
pw_check "identity_cache_size = 1: both keys resolved" pw_wait_log "$LOG" \
    'QTWO1: request: .* tenant=twoc source=sasl'
pw_redis_cli DEL pw:key:k_one >/dev/null
request END-OF-MESSAGE k_one 192.0.2.7 QONE2 >/dev/null
pw_check "identity_cache_size = 1: the first key was evicted, asked again" \
    pw_wait_log "$LOG" 'sasl_username=k_one: tenant unknown: unknown API key'
request END-OF-MESSAGE k_two 192.0.2.7 QTWO2 >/dev/null
pw_check "identity_cache_size = 1: the second still answers" \
    pw_wait_log "$LOG" 'QTWO2: request: .* tenant=twoc source=sasl'
