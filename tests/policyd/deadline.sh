#!/bin/bash
# tests/policyd/deadline.sh -- policyd_request_timeout: a request must be
# complete within the bound from its first byte, however steadily its
# bytes trickle in (each one would reset policyd_idle_timeout).

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pd_conf "$PD_CONF" "policyd_idle_timeout = 1s" \
    "policyd_request_timeout = 2s"

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"

# 50 connections, each sending a byte every 100 ms: the idle timer (1s)
# never fires; the request deadline (2s) closes every one.  The client
# measures from its first byte to the close it sees.
pd_client -t 8000 -n 50 "$PD_INET" "slow:$PD_DATA/rcpt.req"
read -r closed open first last <<< "$(sed 's/[a-z_]*=//g' "$PD_DIR/out")"
pw_check "slow requests: every connection closed" \
    expect "closed=50 open=0 first_ms=$first last_ms=$last"
pw_check "slow requests: not before the deadline (first $first ms)" \
    [ "${first:--1}" -ge 1900 ]
pw_check "slow requests: at the deadline, not later (last $last ms)" \
    [ "${last:-99999}" -le 4500 ]
pw_check "the deadline is logged" pd_wait_log "request timeout"

# A whole request is answered, and a connection between requests is
# governed by the idle timeout alone.
pd_client -t 4000 "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1 \
    "s0:$PD_DATA/rcpt.req" r0:1
pw_check "complete requests are answered" expect "0: action=DUNNO
0: action=DUNNO"

pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]
pw_done
