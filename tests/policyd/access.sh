#!/bin/bash
# tests/policyd/access.sh -- policyd_allowed_clients: TCP peers outside it
# are closed at once and logged (rate-limited); unix sockets are not
# subject to it; a non-loopback policyd_listen is warned about.  Peers
# other than 127.0.0.1 without leaving the machine: 127.0.0.2.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pd_conf "$PD_CONF" "policyd_allowed_clients = 127.0.0.1/32, [::1]/128"

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"

pd_client -t 2000 -b 127.0.0.2 "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" e0
pw_check "a peer outside policyd_allowed_clients is closed at once" \
    expect "0: eof"
pw_check "the refusal is logged" \
    pd_wait_log "refused connection from [127.0.0.2]"
pd_client -t 2000 -b 127.0.0.2 "$PD_INET" c0 e0 c1 e1
pw_check "refused again" expect "0: eof
1: eof"
pd_client -b 127.0.0.1 "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "a peer inside it is served" expect "0: action=DUNNO"
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "the unix socket is not subject to it" expect "0: action=DUNNO"
pw_check "refusals are logged once a minute at most" \
    [ "$(grep -c "refused connection from" "$PD_LOG")" -eq 1 ]

# The default is loopback only (127.0.0.0/8 and ::1), read again on SIGHUP.
pd_conf "$PD_CONF"
kill -HUP "$PD_PID"
pw_check "reload" pd_wait_log "reloaded configuration"
pd_client -b 127.0.0.2 "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "by default every loopback peer is served" \
    expect "0: action=DUNNO"
pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]

# Checked, not started: a wildcard listener is warned about; loopback not.
pd_check() {	# CONF: run -n; its stderr in $PD_DIR/out
	"$PD_BIN" -n -c "$1" > "$PD_DIR/out" 2>&1
}
sed "s|^policyd_listen = .*|policyd_listen = $PD_UNIX, inet:0.0.0.0:$PD_PORT|" \
    "$PD_CONF" > "$PD_DIR/wild.conf"
pw_check "-n: a wildcard listener passes the check" pd_check "$PD_DIR/wild.conf"
pw_check "-n: ... with a warning" grep -qF \
    "policyd_listen: inet:0.0.0.0:$PD_PORT is not a loopback address" \
    "$PD_DIR/out"
pd_check "$PD_CONF"
pw_check "-n: loopback listeners give no warning" \
    expect ""
pd_conf "$PD_DIR/bad.conf" "policyd_allowed_clients = 192.0.2.1/24"
pw_check "-n: a network with host bits set is an error" \
    eval '! pd_check "$PD_DIR/bad.conf"'
pw_check "-n: ... naming the setting" grep -qF \
    "policyd_allowed_clients: expected networks" "$PD_DIR/out"
pw_done
