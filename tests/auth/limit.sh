#!/bin/bash
# tests/auth/limit.sh -- auth_max_connections, and the open file budget
# the SASL service shares with the policy service (lib/fd_budget.h):
#
#   - the daemon runs under an open file limit of 64 (32 connections for
#     both services, 32 kept aside) with auth_max_connections = 20;
#   - 20 SASL connections get the handshake; the next ones are closed at
#     once (end of file, no handshake), logged once for the burst;
#   - with those 20 open, the policy service serves 12 more (32 - 20) and
#     closes the next at once: SASL connections count in its budget;
#   - one SASL connection gone: a new one gets the handshake again, and
#     the end of the burst is logged with the number refused.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemon drops to nobody)"
command -v redis-server >/dev/null || pw_skip_all "redis-server not installed"
pw_harness_init
pw_plan 10

PEPPER=$PW_TMP/pepper
pw_secret_file "$PEPPER"
pw_redis_start
SOCK=$PW_TMP/auth.sock
LOG=$PW_TMP/policyd.log
# The daemon under a limit of 64 files (it raises soft to hard: 64).
# Without CAP_SYS_RESOURCE a hard limit cannot be raised again, so the
# rest of this script runs under it too (it needs fewer than 40).
ulimit -n 64
pw_daemon_start policyd "auth_listen = unix:$SOCK" \
    "auth_pepper_file = $PEPPER" "auth_max_connections = 20"
pw_wait_until "the SASL socket" "$PW_TIMEOUT" test -S "$SOCK" ||
    pw_bail "no SASL socket"
pw_check "the daemon runs under 64 files" \
    grep -Eq '^Max open files +64 +64 ' "/proc/${PW_PIDS[policyd]}/limits"
pw_check "the sum beyond the limit is warned about at start" \
    grep -q 'policyd_max_connections = 4096 plus auth_max_connections = 20 is more than the open file limit allows; serving at most 32 connections for both' "$LOG"

# sasl N: open N SASL connections, each "handshake" or "eof";
# policy N: N policy connections, each sends a request: "reply" or "eof";
# drop: close the first SASL connection.  Everything stays open to the end.
out=$($PW_PYTHON - "$SOCK" "$PW_POLICYD_SOCK" \
    "$PW_SRCDIR/tests/policyd/data/rcpt.req" <<'PY'
import socket, sys
sasl_path, policy_path, req = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
held = []

def conn(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    held.append(s)
    return s

def until(s, end):
    buf = b""
    while end not in buf:
        try:
            d = s.recv(4096)
        except ConnectionResetError:
            d = b""
        if not d:
            return False
        buf += d
    return True

def sasl(n):
    r = [("handshake" if until(conn(sasl_path), b"DONE\n") else "eof")
         for _ in range(n)]
    return " ".join(r)

def policy(n):
    r = []
    for _ in range(n):
        s = conn(policy_path)
        try:
            s.sendall(req.rstrip(b"\n") + b"\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        r.append("reply" if until(s, b"\n\n") else "eof")
    return " ".join(r)

first = sasl(20)
print("sasl20", first.count("handshake"))
print("sasl_over", sasl(2))
p = policy(14)
print("policy_reply", p.count("reply"), "policy_eof", p.count("eof"),
      "last", p.split()[-1])
held[0].close()
print("sasl_again", sasl(1))
PY
)
echo "$out" | sed 's/^/# /'
pw_is "20 SASL connections (auth_max_connections) get the handshake" \
    "$(sed -n 's/^sasl20 //p' <<<"$out")" 20
pw_is "the 21st and 22nd are closed at once, without a handshake" \
    "$(sed -n 's/^sasl_over //p' <<<"$out")" "eof eof"
pw_check "logged once for the burst" \
    test "$(grep -c 'sasl: unix:.*: connection limit of 20 reached (auth_max_connections); refusing new connections' "$LOG")" = 1
pw_is "with 20 SASL connections open, the policy service serves 12 (32 - 20)" \
    "$(sed -n 's/^policy_reply \([0-9]*\) .*/\1/p' <<<"$out")" 12
pw_is "... and closes the 13th and 14th at once" \
    "$(sed -n 's/.* policy_eof \([0-9]*\) last .*/\1/p' <<<"$out")" 2
pw_check "... logged: the open file limit" \
    grep -q 'connection limit of 12 reached (open file limit)' "$LOG"
pw_is "one SASL connection gone: a new one gets the handshake" \
    "$(sed -n 's/^sasl_again //p' <<<"$out")" handshake
pw_check "the end of the burst logged with the number refused" \
    grep -q 'sasl: accepting connections again; 2 refused at the connection limit' "$LOG"
