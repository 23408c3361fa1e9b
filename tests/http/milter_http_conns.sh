#!/bin/bash
# tests/http/milter_http_conns.sh -- postwarden-milter's HTTP thread
# against clients that hold connections (milter/milter_http.c): they
# share the milter's open file limit with libmilter, so
#
#   - under a limit of 64 files, 80 idle HTTP connections must not take
#     the descriptors the milter socket needs: a milter client (an
#     SMFIC_OPTNEG) is still answered (the thread holds at most a
#     quarter of the limit; the rest wait in the listen backlog);
#   - the HTTP thread does not spin on accept() errors (under a second
#     of CPU time in 2 s while they are held; it spun with EMFILE);
#   - the milter lives on and /healthz answers once they close;
#   - a request trickled a byte every 0.3 s (each byte resets evhttp's
#     read timeout) is closed after http_timeout (2 s, set by SIGHUP).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

RAW="$PW_PYTHON $PW_SRCDIR/tests/http/http_raw.py"

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
command -v curl >/dev/null || pw_skip_all "curl not installed"
pw_harness_init
pw_plan 8

PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
LOG=$PW_TMP/milter.log
code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL$1"
}
# optneg: one SMFIC_OPTNEG on the milter socket; "answered" or "eof"
optneg() {
	"$PW_PYTHON" - "$PW_TMP/milter.sock" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    body = b"O" + struct.pack("!III", 6, 0x1ff, 0x1fffff)
    s.sendall(struct.pack("!I", len(body)) + body)
    data = s.recv(4096)
except OSError:
    data = b""
print("answered" if len(data) > 5 and data[4:5] == b"O" else "eof")
PY
}
cpu() {	# user+system clock ticks of the milter
	awk '{ print $14 + $15 }' "/proc/${PW_PIDS[milter]}/stat"
}
pw_redis_start
ulimit -Sn 64
pw_daemon_start milter "milter_http_listen = inet:127.0.0.1:$PORT" \
    "http_timeout = 30s"
ulimit -Sn 1024
pw_wait_until "the HTTP service" "$PW_TIMEOUT" \
    test "$(code /healthz)" = 200 || pw_bail "no HTTP service"
pw_is "the milter socket answers" "$(optneg)" answered
# idle: N connections that send nothing, held until stdin closes
idle() {
	"$PW_PYTHON" -c '
import socket, sys, select
keep = []
for _ in range(int(sys.argv[2])):
    keep.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5))
print("held %d" % len(keep), flush=True)
select.select([sys.stdin], [], [], 30)
' "$PORT" "$1"
}
coproc HOLD { idle 80; }
read -r -t 30 held <&"${HOLD[0]}"
pw_diag "HTTP connections: $held"
sleep 1
pw_diag "milter: $(ls "/proc/${PW_PIDS[milter]}/fd" | wc -l) descriptors"
before=$(cpu)
sleep 2
after=$(cpu)
pw_check "the HTTP thread does not spin ($((after - before)) ticks in 2 s)" \
    test $((after - before)) -lt 100
pw_is "the milter socket still answers with them held" "$(optneg)" answered
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
pw_check "the milter lives on" kill -0 "${PW_PIDS[milter]}"
pw_wait_until "/healthz" "$PW_TIMEOUT" test "$(code /healthz)" = 200
pw_is "/healthz answers once they close" "$(code /healthz)" 200

# --- slowloris --------------------------------------------------------------------
# http_timeout is a read timeout, reset by every byte: a request trickled
# a byte every 0.3 s must still be closed after http_timeout (2 s).
sed -i 's/^http_timeout = 30s$/http_timeout = 2s/' "$PW_TMP/postwarden-milter.conf"
kill -HUP "${PW_PIDS[milter]}"
pw_wait_log "$LOG" 'reloaded'
start=$(date +%s%N)
out=$($RAW "$PORT" trickle 0.3 20)
took=$((($(date +%s%N) - start) / 1000000))
pw_check "a request trickled byte by byte is closed ($out)" \
    grep -q '^closed after' <<<"$out"
pw_check "after http_timeout, within 5 s (took $took ms)" \
    test "$took" -ge 1900 -a "$took" -lt 5000
pw_is "/healthz answers afterwards" "$(code /healthz)" 200
