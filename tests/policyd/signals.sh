#!/bin/bash
# tests/policyd/signals.sh -- SIGHUP reload (good and broken
# configuration), SIGTERM with a request in flight, socket and pid file
# removal, and start-up in the background (no -f).

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"
pw_check "pid file names the daemon" \
    [ "$(cat "$PD_DIR/run/policyd.pid" 2>/dev/null)" = "$PD_PID" ]

# SIGHUP with a good configuration: reloaded.
pd_conf "$PD_CONF" "policyd_max_attributes = 64"
kill -HUP "$PD_PID"
pw_check "SIGHUP, good configuration: reload logged" \
    pd_wait_log "reloaded configuration $PD_CONF"
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "SIGHUP, good configuration: still serving" expect "0: action=DUNNO"

# SIGHUP with a broken configuration: error logged, old one kept.
pd_conf "$PD_CONF" "policyd_max_attributes = lots"
kill -HUP "$PD_PID"
pw_check "SIGHUP, broken configuration: error names file:line and setting" \
    pd_wait_log "warning: reload failed, keeping the running configuration: $PD_CONF:9: policyd_max_attributes"
pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "SIGHUP, broken configuration: still serving" expect "0: action=DUNNO"
pw_check "SIGHUP, broken configuration: still alive" kill -0 "$PD_PID"

# SIGHUP with a different policyd_listen: warned, not rebound.
port2=$(pw_free_port)
sed -i "s|^policyd_listen = .*|policyd_listen = $PD_UNIX, inet:127.0.0.1:$port2|; /policyd_max_attributes/d" "$PD_CONF"
kill -HUP "$PD_PID"
pw_check "SIGHUP, new policyd_listen: warning logged" \
    pd_wait_log "reload: policyd_listen changed"
pd_wait_log "reloaded configuration" 5
pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "SIGHUP, new policyd_listen: old endpoint still served" \
    expect "0: action=DUNNO"

# SIGTERM while a request is half sent: it is finished and answered.
pd_client "$PD_UNIX" c0 t0:'request=smtpd_access_policy\nprotocol_state=RCPT\n' \
    "K:$PD_PID" "L:$PD_LOG:waiting for 1 connection to finish" \
    t0:'sender=late@example.com\n\n' r0:1 e0
pw_check "SIGTERM: request in flight answered, then closed" \
    expect "0: action=DUNNO
0: eof"
pd_wait_gone "$PD_PID" 10
wait "$PD_PID"; st=$?
pw_check "SIGTERM: exits 0" [ "$st" -eq 0 ]
pw_check "SIGTERM: unix socket removed" [ ! -e "$PD_SOCK" ]
pw_check "SIGTERM: pid file removed" [ ! -e "$PD_DIR/run/policyd.pid" ]
pw_check "SIGTERM: stop logged" pd_wait_log "stopped"

# Without -f: the parent returns 0 once the daemon serves.
pd_conf "$PD_CONF"
"$PD_BIN" -c "$PD_CONF" >"$PD_DIR/stdout" 2>&1; st=$?
pw_check "background start: parent exits 0" [ "$st" -eq 0 ]
pid=$(cat "$PD_DIR/run/policyd.pid" 2>/dev/null)
[ -n "$pid" ] && pw__record policyd-background "$pid"
pw_check "background start: pid file names a live daemon" \
    kill -0 "${pid:-0}"
pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "background start: serving" expect "0: action=DUNNO"
kill -TERM "${pid:-0}"
pw_check "background start: SIGTERM stops it" pd_wait_gone "${pid:-0}" 10
pw_check "background start: pid file removed" [ ! -e "$PD_DIR/run/policyd.pid" ]

pw_done
