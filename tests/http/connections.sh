#!/bin/bash
# tests/http/connections.sh -- http_max_connections and slow clients of
# postwarden-policyd's HTTP service (http/http_conns.c, lib/listener.c),
# with raw sockets (tests/http/http_raw.py) against the real daemon:
#
#   - at http_max_connections (3) idle keep-alive connections, more
#     clients are not served (they wait in the kernel's backlog, not
#     refused) until those close; then every one is answered 200;
#   - the pause and its end are logged once each;
#   - SIGHUP raises the bound: as many more are held and answered;
#   - a request trickled a byte every 0.3 s (slowloris: each byte resets
#     evhttp's read timeout) is closed after http_timeout (2 s), long
#     before it is whole;
#   - the daemon answers afterwards and stops cleanly;
#   - HTTP connections count in the open file budget the policy service
#     shares: under a limit of 64 files (32 for connections) 32 held HTTP
#     connections pause HTTP at the open file limit and the policy
#     service refuses a request (end of file at once); once they close,
#     it is served again.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

RAW="$PW_PYTHON $PW_SRCDIR/tests/http/http_raw.py"

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
pw_harness_init
pw_plan 20

SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
LOG=$PW_TMP/policyd.log
CONF=$PW_TMP/postwarden-policyd.conf
pw_redis_start
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
    "tracking_secret_file = $SECRET" "http_max_connections = 3" \
    "http_timeout = 2s"
code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL$1"
}
pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(code /healthz)" = 200 || pw_bail "no HTTP service"

# --- the bound ------------------------------------------------------------------
out=$($RAW "$PORT" limit 3 20 1.5)
pw_is "3 keep-alive connections held" "$(sed -n 1p <<<"$out")" "held 3"
pw_is "20 more not served while they are held" "$(sed -n 2p <<<"$out")" \
    "while-full 0"
pw_is "all 20 answered once they close" "$(sed -n 3p <<<"$out")" "after 20"
PAUSE='http: connection limit of 3 reached \(http_max_connections\); not accepting until connections close'
pw_wait_log "$LOG" 'http: accepting connections again; paused [0-9]+ times?'
pw_is "the pause is logged once" "$(grep -cE "$PAUSE" "$LOG")" 1
pw_is "its end is logged once" \
    "$(grep -c 'http: accepting connections again' "$LOG")" 1
pw_is "the daemon answers afterwards" "$(code /healthz)" 200

# --- reload ---------------------------------------------------------------------
sed -i 's/^http_max_connections = 3$/http_max_connections = 5/' "$CONF"
kill -HUP "${PW_PIDS[policyd]}"
pw_wait_log "$LOG" 'reloaded configuration'
out=$($RAW "$PORT" limit 5 2 1)
pw_is "SIGHUP to 5: 5 held" "$(sed -n 1p <<<"$out")" "held 5"
pw_is "and the 6th waits" "$(sed -n 2p <<<"$out")" "while-full 0"
pw_is "and is answered after" "$(sed -n 3p <<<"$out")" "after 2"
pw_check "logged with the new bound" pw_wait_log "$LOG" \
    'http: connection limit of 5 reached'

# --- slowloris ------------------------------------------------------------------
start=$(date +%s%N)
out=$($RAW "$PORT" trickle 0.3 20)
took=$((($(date +%s%N) - start) / 1000000))
pw_check "a request trickled byte by byte is closed ($out)" \
    grep -q '^closed after' <<<"$out"
pw_check "after http_timeout, within 5 s (took $took ms)" \
    test "$took" -ge 1900 -a "$took" -lt 5000
pw_is "the daemon lives on" "$(code /healthz)" 200
pw_daemon_stop policyd
pw_is "SIGTERM: the port is closed" "$(code /healthz)" 000

# --- the open file budget ---------------------------------------------------------
# policy: one request on the unix socket; "answered" or "eof"
policy() {
	"$PW_PYTHON" - "$PW_POLICYD_SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
try:
    s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
              b"sender=a@example.com\nrecipient=b@example.com\n"
              b"client_address=127.0.0.1\n\n")
    data = s.recv(4096)
except OSError:
    data = b""
print("answered" if data.startswith(b"action=") else "eof")
PY
}
ulimit -n 64		# soft and hard: the daemon keeps 32 for connections
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PORT" \
    "tracking_secret_file = $SECRET" "http_timeout = 30s"
ulimit -n 1024
pw_is "the policy service answers" "$(policy)" answered
coproc HOLD { $RAW "$PORT" hold 32 30; }
read -r -t 20 held <&"${HOLD[0]}"
pw_is "32 HTTP connections held" "$held" "held 32"
pw_check "HTTP paused at the open file limit" pw_wait_log "$LOG" \
    'http: connection limit of 32 reached \(open file limit\)'
pw_is "the policy service has no descriptor left: end of file" "$(policy)" eof
pw_check "and says so" pw_wait_log "$LOG" \
    'connection limit of 0 reached \(open file limit\); refusing new connections'
exec {HOLD[1]}>&-	# the holder closes its connections
wait "$HOLD_PID" 2>/dev/null
pw_wait_until "the HTTP connections to go" "$PW_TIMEOUT" \
    test "$(policy)" = answered
pw_is "they closed: the policy service answers again" "$(policy)" answered
