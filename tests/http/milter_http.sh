#!/bin/bash
# tests/http/milter_http.sh -- postwarden-milter's HTTP service
# (milter_http_listen: milter/milter_http.c, milter_ready.c,
# milter_metrics.c) against the real milter, a real redis-server and a
# real Postfix, with curl and swaks:
#
#   - GET /healthz: 200 "ok"; GET /readyz: 200 "ready"; HEAD works;
#     POST is 405 with Allow; an unknown path is 404; plain, uncached,
#     no cookie; a body beyond http_max_body: 413;
#   - Redis stopped: /readyz 503 naming Redis, /healthz still 200;
#     Redis back: 200 again; Redis hung (SIGSTOP): /readyz 503 and
#     /healthz still answers within a second (the thread never blocks);
#   - the milter socket gone from its path: /readyz 503 saying so;
#   - GET /metrics parses with python3-prometheus-client's parser, every
#     family named postwarden_milter_* (or the shared process_start_time_
#     seconds, postwarden_build_info, postwarden_metrics_series_dropped_
#     total), with HELP and TYPE, and written in docs/metrics.md;
#   - mail through Postfix moves the counters: a signed message moves
#     signatures{algorithm="rsa-sha256"} and messages{outcome="accepted"},
#     a refused one (From domain the tenant does not own)
#     messages{outcome="rejected",reason=...};
#   - SIGHUP applies a new http_max_body;
#   - SIGTERM with a message in flight (an SMTP session left in DATA):
#     /readyz 503 "milter socket: not listening" at once, /healthz
#     and /metrics still answer while the milter waits; the session
#     goes, the milter exits 0 and the HTTP port closes.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PROM="$PW_PYTHON $PW_SRCDIR/tests/http/metrics_parse.py $PW_SRCDIR/docs/metrics.md"

pw_require_root_tools
command -v curl >/dev/null || pw_skip_all "curl not installed"
"$PW_PYTHON" -c 'import prometheus_client.parser' 2>/dev/null ||
    pw_skip_all "python3-prometheus-client not installed"
pw_dkim_require rsa
pw_harness_init
pw_plan 42

PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
LOG=$PW_TMP/milter.log

# code PATH [CURL ARGS...]: the status code (000: no answer)
code() {
	local p=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$URL$p"
}
body() { curl -s --max-time 10 "$URL$1"; }
# metric SERIES: its value in a fresh scrape ("" when absent), e.g.
# metric 'postwarden_milter_messages_total{outcome="accepted"}'
metric() {
	curl -s --max-time 10 "$URL/metrics" | $PROM |
	    awk -v s="$1" 'index($0, s " ") == 1 { print $2 }'
}

pw_dkim_key ex-rsa example.com r2026 rsa
pw_dkim_sign example.com ex-rsa
# The Redis data of the test (again after each start: no persistence).
data() {
	pw_redis_cli HSET pw:key:k_m tenant mt >/dev/null
	pw_domain_add mt example.com
}
pw_redis_start
data
pw_sink_start main
pw_daemon_start milter "milter_http_listen = inet:127.0.0.1:$PORT" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable" \
    "milter_pools = default, bulk" \
    "http_max_body = 1024" "redis_reconnect_max_delay = 100ms"
pw_postfix_main "smtpd_milters = unix:$PW_TMP/milter.sock"
pw_postfix_main "milter_default_action = tempfail"
pw_postfix_main "milter_command_timeout = 10s"
pw_postfix_main "milter_content_timeout = 30s"
pw_postfix_start
pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(code /healthz)" = 200 || pw_bail "no HTTP service"

# --- health ---------------------------------------------------------------------------
pw_is "GET /healthz: 200" "$(code /healthz)" 200
pw_is "/healthz says ok" "$(body /healthz)" ok
pw_is "GET /readyz: 200" "$(code /readyz)" 200
pw_is "/readyz says ready" "$(body /readyz)" ready
pw_is "HEAD /readyz: 200" "$(code /readyz -I)" 200
pw_is "POST /metrics: 405" "$(code /metrics -d x=1)" 405
pw_check "405 names the allowed methods" \
    grep -qi '^Allow: GET, HEAD' <(curl -s -D - -o /dev/null -d x=1 "$URL/metrics")
pw_is "an unknown path: 404" "$(code /u/x)" 404
hdrs=$(curl -s -D - -o /dev/null "$URL/metrics")
pw_check "plain text, not cached, no cookie" \
    bash -c 'grep -qi "^Content-Type: text/plain" <<<"$1" &&
	grep -qi "^Cache-Control: no-store" <<<"$1" &&
	! grep -qi "^Set-Cookie\|^Location" <<<"$1"' _ "$hdrs"
pw_is "a body beyond http_max_body: 413" \
    "$(head -c 1025 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 413

# --- Redis down -----------------------------------------------------------------------
pw__stop_pid redis
pw_wait_until "/readyz to say 503" "$PW_TIMEOUT" test "$(code /readyz)" = 503
pw_is "Redis stopped: /readyz 503" "$(code /readyz)" 503
r=$(body /readyz)
pw_check "naming Redis ($r)" grep -q '^redis: ' <<<"$r"
pw_is "/healthz still 200" "$(code /healthz)" 200
pw_redis_start
data
pw_wait_until "/readyz to say 200" "$PW_TIMEOUT" test "$(code /readyz)" = 200
pw_is "Redis back: /readyz 200" "$(code /readyz)" 200

# A Redis that hangs (stopped, not gone): the PING of the HTTP thread's
# own connection times out, and the thread never blocks on it.
kill -STOP "${PW_PIDS[redis]}"
pw_wait_until "/readyz to say 503 with Redis hung" "$PW_TIMEOUT" \
    test "$(code /readyz)" = 503
pw_is "Redis hung: /readyz 503" "$(code /readyz)" 503
pw_is "Redis hung: /healthz answers within 1 s" \
    "$(code /healthz --max-time 1)" 200
kill -CONT "${PW_PIDS[redis]}"
pw_wait_until "/readyz to say 200 again" "$PW_TIMEOUT" \
    test "$(code /readyz)" = 200
pw_is "Redis going again: /readyz 200" "$(code /readyz)" 200


# --- metrics ------------------------------------------------------------------------------
curl -s "$URL/metrics" >"$PW_TMP/metrics-0.txt"
$PROM <"$PW_TMP/metrics-0.txt" >"$PW_TMP/metrics-0.parsed" 2>"$PW_TMP/metrics-0.err"
rc=$?
pw_is "/metrics parses (prometheus_client), every family in docs/metrics.md" \
    "$rc $(cat "$PW_TMP/metrics-0.err")" "0 "
names=$(sed 's/{.*//' "$PW_TMP/metrics-0.parsed" | sort -u |
    grep -v '^postwarden_milter_\|^process_start_time_seconds$\|^postwarden_build_info$\|^postwarden_metrics_series_dropped_total$')
pw_is "every name is the milter's or the shared ones" "$names" ""
pw_check "the content type is the text format 0.0.4" \
    grep -qi '^Content-Type: text/plain; version=0.0.4' \
    <(curl -s -D - -o /dev/null "$URL/metrics")
pw_check "its /readyz probes did not count as mail (messages 0)" \
    test "$(metric 'postwarden_milter_messages_total{outcome="accepted",reason=""}')" = 0
rsa0=$(metric 'postwarden_milter_signatures_total{algorithm="rsa-sha256"}')
pw_is "no signature yet" "$rsa0" 0

# A message from FROM-DOMAIN through Postfix as the API key k_m.
message() {	# FILE FROM-DOMAIN
	printf 'From: <sender@%s>\nTo: <rcpt@remote.example>\nSubject: m\nDate: Fri, 27 Nov 2026 04:00:00 +0000\nMessage-ID: <%s.%s@%s>\n\nbody\n' \
	    "$2" "$RANDOM" "$$" "$2" >"$1"
}
message "$PW_TMP/signed.eml" example.com
if pw_swaks_data "$PW_TMP/signed.eml" --from sender@example.com \
    --to rcpt@remote.example --xclient-login k_m; then
	pw_ok "a tenant's message from its domain: accepted"
else
	pw_not_ok "a tenant's message from its domain: accepted" \
	    "$(tail -n 15 "$PW_SWAKS_LOG")"
fi
pw_sink_wait main 1 || pw_diag "not delivered to the sink"
pw_is "signatures{algorithm=rsa-sha256} moved by one" \
    "$(metric 'postwarden_milter_signatures_total{algorithm="rsa-sha256"}')" 1
pw_is "messages{outcome=accepted} moved by one" \
    "$(metric 'postwarden_milter_messages_total{outcome="accepted",reason=""}')" 1
pw_is "a route by pool (default)" \
    "$(metric 'postwarden_milter_routes_total{pool="default"}')" 1
pw_check "the tenant cache was asked (a miss: Redis answered)" \
    test "$(metric 'postwarden_milter_cache_lookups_total{cache="tenant",result="miss"}')" != 0
pw_wait_until "the accepted event written" "$PW_TIMEOUT" \
    test "$(metric 'postwarden_milter_events_written_total{}')" = 1
pw_is "events written: 1" \
    "$(metric 'postwarden_milter_events_written_total{}')" 1

message "$PW_TMP/refused.eml" not-ours.example
if pw_swaks_data "$PW_TMP/refused.eml" --from sender@example.com \
    --to rcpt@remote.example --xclient-login k_m; then
	pw_not_ok "a From domain the tenant does not own: refused" \
	    "$(tail -n 15 "$PW_SWAKS_LOG")"
else
	pw_ok "a From domain the tenant does not own: refused ($(grep -o '550 5\.7\.1' "$PW_SWAKS_LOG" | head -n 1))"
fi
pw_is "messages{outcome=rejected,reason=from_domain} moved by one" \
    "$(metric 'postwarden_milter_messages_total{outcome="rejected",reason="from_domain"}')" 1
pw_is "and the accepted count did not" \
    "$(metric 'postwarden_milter_messages_total{outcome="accepted",reason=""}')" 1
pw_is "connections closed again: 0 open" \
    "$(metric 'postwarden_milter_connections_open{}')" 0

# --- the milter socket --------------------------------------------------------------------
mv "$PW_TMP/milter.sock" "$PW_TMP/milter.sock.away"
pw_is "the milter socket moved away: /readyz 503 saying so" \
    "$(curl -s -w ' %{http_code}' "$URL/readyz")" "milter socket: gone from its path
 503"
mv "$PW_TMP/milter.sock.away" "$PW_TMP/milter.sock"

# --- reload and stop ------------------------------------------------------------------------
CONF=$PW_TMP/postwarden-milter.conf
sed -i 's/^http_max_body = 1024$/http_max_body = 2048/' "$CONF"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$LOG" 'reloaded configuration'
pw_wait_until "the HTTP thread to take the new limits" "$PW_TIMEOUT" \
    test "$(head -c 1025 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" = 405
pw_is "SIGHUP: a body of 1025 bytes is now taken (405 here)" \
    "$(head -c 1025 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 405
pw_is "and one beyond the new http_max_body: 413" \
    "$(head -c 2049 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 413

# SIGTERM with a message in flight (an SMTP session left in DATA: after
# RCPT TO alone, the milter had not been told of MAIL FROM yet here):
# /readyz says 503 at once while the milter waits for it, /healthz and
# /metrics still answer; the session goes, the milter exits 0, the HTTP
# port closes last.
exec 7<>"/dev/tcp/127.0.0.1/$PW_SMTPD_PORT"
# say LINE: send it; then read the reply up to its last line ("250 ...").
say() {
	local line
	[ -n "$1" ] && printf '%s\r\n' "$1" >&7
	while IFS= read -r -t 10 line <&7; do
		[ "${line:3:1}" = " " ] && { echo "${line:0:3}"; return; }
	done
	echo none
}
r=$(say "")$(say "EHLO client.example")$(say "MAIL FROM:<sender@example.com>")
r=$r$(say "RCPT TO:<rcpt@remote.example>")$(say "DATA")
printf 'Subject: held\r\n' >&7
pw_is "an SMTP session in DATA" "$r" 220250250250354
in_flight() { test "$(metric 'postwarden_milter_messages_in_flight{}')" = 1; }
pw_wait_until "the milter to count it in flight" "$PW_TIMEOUT" in_flight
mpid=${PW_PIDS[milter]}
kill -TERM "$mpid"
pw_wait_until "/readyz to say 503" "$PW_TIMEOUT" test "$(code /readyz)" = 503
pw_is "SIGTERM with a message in flight: /readyz 503 saying why" \
    "$(curl -s -w ' %{http_code}' "$URL/readyz")" "milter socket: not listening
 503"
pw_is "while it waits: /healthz 200" "$(code /healthz)" 200
pw_is "and /metrics still counts it" \
    "$(metric 'postwarden_milter_messages_in_flight{}')" 1
printf 'QUIT\r\n' >&7
exec 7>&-
pw_wait_until "the milter to exit" 30 bash -c "! kill -0 $mpid"
wait "$mpid"
pw_is "the session gone: the milter exits 0" "$?" 0
unset 'PW_PIDS[milter]'
pw_is "SIGTERM: the milter's HTTP port is closed" "$(code /healthz)" 000
pw_check "and it logged a clean stop" grep -q 'stopped$' "$LOG"
