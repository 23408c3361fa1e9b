#!/bin/bash
# tests/policyd/limits.sh -- policyd_max_connections (accept and close
# beyond it, logged once per burst) and policyd_idle_timeout.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pd_conf "$PD_CONF" "policyd_max_connections = 2" "policyd_idle_timeout = 1s"

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"

# Two connections proved served, then a third and a fourth are refused.
pd_client -t 800 "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1 \
    c1 "s1:$PD_DATA/rcpt.req" r1:1 c2 e2 c3 e3 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "beyond policyd_max_connections: accepted and closed at once" \
    expect "0: action=DUNNO
1: action=DUNNO
2: eof
3: eof
0: action=DUNNO"
pw_check "the limit is logged" pd_wait_log "connection limit of 2 reached"
pw_check "the limit is logged once per burst" \
    [ "$(grep -c "connection limit of 2 reached" "$PD_LOG")" -eq 1 ]
pw_check "the end of the burst is logged with the count" \
    pd_wait_log "accepting connections again; 2 refused"

# An idle connection is closed after policyd_idle_timeout (1s).
start=$SECONDS
pd_client -t 4000 "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1 e0
pw_check "idle connection closed after policyd_idle_timeout" \
    expect "0: action=DUNNO
0: eof"
pw_check "idle timeout is logged" pd_wait_log "idle timeout"

# A half-sent request that stalls is idle too.
pd_client -t 4000 "$PD_INET" c0 't0:request=smtpd_access_policy\nsender=' e0
pw_check "stalled request closed after policyd_idle_timeout" expect "0: eof"

pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "serving again below the limit" expect "0: action=DUNNO"

pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]
pw_done
