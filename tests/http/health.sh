#!/bin/bash
# tests/http/health.sh -- postwarden-policyd's HTTP service (http/):
# listener, limits and health checks, with curl and raw sockets against
# the real daemon and a real redis-server:
#
#   - GET /healthz: 200 "ok"; GET /readyz: 200 "ready" with Redis up and
#     the tracking keyring loaded; HEAD works; POST is 405 with Allow;
#     an unknown path is 404; no answer sets a cookie or redirects;
#   - a body beyond http_max_body: 413; headers beyond
#     http_max_headers_size: refused; a request left half sent is closed
#     after http_timeout (slowloris); the daemon lives on;
#   - Redis stopped: /readyz 503 naming Redis, /healthz still 200;
#     Redis back: /readyz 200 again;
#   - SIGHUP applies a new http_max_body;
#   - SIGTERM with an HTTP connection open: the daemon exits at once and
#     the port is closed;
#   - no tracking_secret_file: /readyz 503 naming the keyring.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

RAW="$PW_PYTHON $PW_SRCDIR/tests/http/http_raw.py"

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
pw_harness_init
pw_plan 26

SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
LOG=$PW_TMP/policyd.log
pw_redis_start
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
    "tracking_secret_file = $SECRET" "http_max_body = 1024" \
    "http_max_headers_size = 2048" "http_timeout = 1s" \
    "redis_reconnect_max_delay = 100ms"

# code PATH [CURL ARGS...]: the status code (000: no answer)
code() {
	local p=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$URL$p"
}
body() { curl -s --max-time 5 "$URL$1"; }
pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(code /healthz)" = 200 || pw_bail "no HTTP service"

# --- health ---------------------------------------------------------------------------
pw_is "GET /healthz: 200" "$(code /healthz)" 200
pw_is "/healthz says ok" "$(body /healthz)" ok
pw_is "GET /readyz: 200" "$(code /readyz)" 200
pw_is "/readyz says ready" "$(body /readyz)" ready
pw_is "HEAD /healthz: 200" "$(code /healthz -I)" 200
pw_is "POST /healthz: 405" "$(code /healthz -d x=1)" 405
pw_check "405 names the allowed methods" \
    grep -qi '^Allow: GET, HEAD' <(curl -s -D - -o /dev/null -d x=1 "$URL/healthz")
pw_is "an unknown path: 404" "$(code /etc/passwd)" 404
pw_is "a traversal attempt: 404" "$(code /healthz/../../etc/passwd --path-as-is)" 404
hdrs=$(curl -s -D - -o /dev/null "$URL/readyz")
pw_check "plain text, not cached, no cookie, no redirect" \
    bash -c 'grep -qi "^Content-Type: text/plain" <<<"$1" &&
	grep -qi "^Cache-Control: no-store" <<<"$1" &&
	! grep -qi "^Set-Cookie\|^Location" <<<"$1"' _ "$hdrs"

# --- limits ---------------------------------------------------------------------------
pw_is "a body of http_max_body: served (405 here)" \
    "$(head -c 1024 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 405
pw_is "a body beyond http_max_body: 413" \
    "$(head -c 1025 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 413
big=$(head -c 3000 /dev/zero | tr '\0' b)
c=$(code /healthz -H "X-Big: $big")
pw_check "headers beyond http_max_headers_size: refused ($c)" \
    test "$c" != 200
pw_is "headers within it: served" "$(code /healthz -H "X-Small: ${big:0:500}")" 200
start=$(date +%s%N)
pw_is "a half-sent request is closed (http_timeout 1s)" \
    "$($RAW "$PORT" slow 10)" closed
took=$((($(date +%s%N) - start) / 1000000))
pw_check "within 5 s of its start (took $took ms)" test "$took" -lt 5000
pw_is "the daemon lives on" "$(code /healthz)" 200

# --- Redis down -----------------------------------------------------------------------
pw__stop_pid redis
pw_wait_until "/readyz to say 503" "$PW_TIMEOUT" test "$(code /readyz)" = 503
pw_is "Redis stopped: /readyz 503" "$(code /readyz)" 503
pw_is "naming Redis" "$(body /readyz)" "redis: not connected"
pw_is "/healthz still 200" "$(code /healthz)" 200
pw_redis_start
pw_wait_until "/readyz to say 200" "$PW_TIMEOUT" test "$(code /readyz)" = 200
pw_is "Redis back: /readyz 200" "$(code /readyz)" 200

# --- reload and stop ---------------------------------------------------------------------
CONF=$PW_TMP/postwarden-policyd.conf
sed -i 's/^http_max_body = 1024$/http_max_body = 2048/' "$CONF"
kill -HUP "${PW_PIDS[policyd]}"
pw_wait_log "$LOG" 'reloaded configuration'
pw_is "SIGHUP: a body of 1025 bytes is now taken (405 here)" \
    "$(head -c 1025 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 405
pw_is "and one beyond the new http_max_body: 413" \
    "$(head -c 2049 /dev/zero | tr '\0' a | code /healthz --data-binary @-)" 413
$RAW "$PORT" slow 30 >/dev/null &
slow_pid=$!
pw_wait_until "the half request to be in" "$PW_TIMEOUT" \
    bash -c "ss -Htn state established '( sport = :$PORT )' | grep -q ."
start=$(date +%s%N)
pw_daemon_stop policyd	# TERM; KILL only after 10 s
took=$((($(date +%s%N) - start) / 1000000))
pw_check "SIGTERM with an HTTP connection open: exits in $took ms" \
    test "$took" -lt 5000
pw_is "and the port is closed" "$(code /healthz)" 000
kill "$slow_pid" 2>/dev/null
wait "$slow_pid" 2>/dev/null

# --- no keyring ---------------------------------------------------------------------------
PORT2=$(pw_free_port)
pw_policyd_start_extra nokeys "http_listen = inet:127.0.0.1:$PORT2"
pw_wait_until "the second HTTP service" "$PW_TIMEOUT" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/healthz")" = 200
pw_is "no tracking_secret_file: /readyz 503 naming the keyring" \
    "$(curl -s -w ' %{http_code}' "http://127.0.0.1:$PORT2/readyz")" \
    "tracking keyring: not loaded
 503"
