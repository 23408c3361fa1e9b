#!/bin/bash
# tests/policyd/socket.sh -- unix socket life cycle: a stale socket left
# by a killed instance is replaced; a live one makes a second instance
# fail with a clear error; a file that is not a socket is left alone.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"
first=$PD_PID

# A second instance on the same socket (own pid file and port) fails.
port2=$(pw_free_port)
pd_conf "$PD_DIR/second.conf"
sed -i "s|^policyd_listen = .*|policyd_listen = $PD_UNIX, inet:127.0.0.1:$port2|; s|/policyd\.pid$|/second.pid|" "$PD_DIR/second.conf"
"$PD_BIN" -f -c "$PD_DIR/second.conf" >/dev/null 2>"$PD_DIR/stderr"; st=$?
pw_check "live socket: second instance exits 1" [ "$st" -eq 1 ]
pw_check "live socket: the error names the socket" \
    grep -qF "$PD_SOCK: another process is listening on this socket" \
    "$PD_DIR/stderr"
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "live socket: first instance unharmed" expect "0: action=DUNNO"

# The same pid file: refused, naming the running pid.
sed -i "s|/second\.pid$|/policyd.pid|; s|^policyd_listen = .*|policyd_listen = unix:$PD_DIR/run/other.sock|" "$PD_DIR/second.conf"
"$PD_BIN" -f -c "$PD_DIR/second.conf" >/dev/null 2>"$PD_DIR/stderr"; st=$?
pw_check "pid file in use: second instance exits 1" [ "$st" -eq 1 ]
pw_check "pid file in use: the error names the pid" \
    grep -qF "already running (pid $first)" "$PD_DIR/stderr"
pw_check "pid file in use: its socket is not left behind" \
    [ ! -e "$PD_DIR/run/other.sock" ]

# Kill -9 leaves a stale socket; the next start replaces it.
{ kill -KILL "$first"; pd_wait_gone "$first" 10; wait "$first"; } 2>/dev/null
pw_check "killed instance leaves its socket" [ -S "$PD_SOCK" ]
if pd_start; then pw_ok "stale socket: next instance starts"
else pw_not_ok "stale socket: next instance starts"; fi
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "stale socket: replaced and served" expect "0: action=DUNNO"
pd_stop

# A regular file where the socket should be is not removed.
echo keep > "$PD_SOCK"
"$PD_BIN" -f -c "$PD_CONF" >/dev/null 2>"$PD_DIR/stderr"; st=$?
pw_check "not a socket: start fails" [ "$st" -eq 1 ]
pw_check "not a socket: the error says so" \
    grep -qF "$PD_SOCK: exists and is not a socket" "$PD_DIR/stderr"
pw_check "not a socket: the file is kept" [ "$(cat "$PD_SOCK")" = keep ]

pw_done
