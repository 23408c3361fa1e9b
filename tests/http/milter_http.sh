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
#     Redis back: 200 again;
#   - GET /metrics parses with python3-prometheus-client's parser, every
#     family named postwarden_milter_*, with HELP and TYPE;
#   - mail through Postfix moves the counters: a signed message moves
#     signatures{algorithm="rsa-sha256"} and messages{outcome="accepted"},
#     a refused one (From domain the tenant does not own)
#     messages{outcome="rejected",reason=...};
#   - SIGHUP applies a new http_max_body; SIGTERM: /readyz 503 while the
#     milter drains, then the port closes and the milter exits 0.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/harness/dkim.sh"

PROM="$PW_PYTHON $PW_SRCDIR/tests/http/prom_parse.py postwarden_milter_"

pw_require_root_tools
command -v curl >/dev/null || pw_skip_all "curl not installed"
"$PW_PYTHON" -c 'import prometheus_client.parser' 2>/dev/null ||
    pw_skip_all "python3-prometheus-client not installed"
pw_dkim_require rsa
pw_harness_init
pw_plan 14

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
pw_redis_start
pw_redis_cli HSET pw:key:k_m tenant mt >/dev/null
pw_domain_add mt example.com
pw_sink_start main
pw_daemon_start milter "milter_http_listen = inet:127.0.0.1:$PORT" \
    "dkim_key_table = $PW_TMP/keytable" \
    "dkim_signing_table = $PW_TMP/signingtable" \
    "http_max_body = 1024" "redis_reconnect_max_delay = 100ms"
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
pw_wait_until "/readyz to say 200" "$PW_TIMEOUT" test "$(code /readyz)" = 200
pw_is "Redis back: /readyz 200" "$(code /readyz)" 200

