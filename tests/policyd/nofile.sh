#!/bin/bash
# tests/policyd/nofile.sh -- the open file limit: raised from soft to hard
# at start (logged once), policyd_max_connections sized to it (warned
# once), and connections beyond it closed at once rather than left
# waiting in the listen backlog, even when accept() runs out of them.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
PD_REAL=$PD_BIN
PD_BIN=$PD_DIR/limited
# pd_limits SOFT HARD: the next pd_start runs under these limits.
pd_limits() {
	printf '#!/bin/bash\nulimit -Sn %s && ulimit -Hn %s && exec "%s" "$@"\n' \
	    "$1" "$2" "$PD_REAL" > "$PD_BIN"
	chmod +x "$PD_BIN"
}

# A soft limit of 64 under a hard limit of 512 (systemd's 1024 under
# 524288, scaled down): raised to 512, and the default
# policyd_max_connections (4096) cut to what 512 allows.
pd_limits 64 512
if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"
pw_check "the soft limit is raised to the hard limit" \
    grep -Eq "^Max open files +512 +512 " "/proc/$PD_PID/limits"
pw_check "the raise is logged" \
    pd_wait_log "raised the open file limit from 64 to 512"
pw_check "policyd_max_connections is sized to the limit, with a warning" \
    pd_wait_log "policyd_max_connections = 4096 is more than the open file limit allows; serving at most 480 connections"
kill -HUP "$PD_PID"
pw_check "reload" pd_wait_log "reloaded configuration"
pw_check "the warning is given once" \
    [ "$(grep -c "is more than the open file limit" "$PD_LOG")" -eq 1 ]

# The limit lowered under the running daemon (48 < 480 it sized for):
# accept() fails with EMFILE, and the waiting connections are closed at
# once all the same, with a spare descriptor, not left in the backlog.
# As root the daemon runs as nobody: only nobody may lower its limits.
if [ "$(id -u)" = 0 ]; then
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    prlimit --pid "$PD_PID" --nofile=48:48
else
	prlimit --pid "$PD_PID" --nofile=48:48
fi
pw_check "the limit is lowered" \
    grep -Eq "^Max open files +48 +48 " "/proc/$PD_PID/limits"
pd_client -t 3000 -n 60 "$PD_INET" "burst:$PD_DATA/rcpt.req"
pw_check "out of descriptors: the rest closed at once, none left waiting" \
    grep -Eq "^replied=[1-9][0-9]* eof=[1-9][0-9]* timeout=0$" \
    "$PD_DIR/out"
pw_check "... and logged" pd_wait_log "out of file descriptors"
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "serving again afterwards" expect "0: action=DUNNO"
pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]

# Soft and hard both 64: 32 connections are served (64 less 32 kept for
# everything else); of 100 at once, the other 68 see end of file at once.
pd_limits 64 64
if ! pd_start; then
	pw_not_ok "daemon starts at 64 files"; pw_done; exit 1
fi
pw_ok "daemon starts at 64 files"
pd_client -t 3000 -n 100 "$PD_INET" "burst:$PD_DATA/rcpt.req"
pw_check "beyond the file limit: closed at once, none left waiting" \
    expect "replied=32 eof=68 timeout=0"
pw_check "the refusal is logged" \
    pd_wait_log "connection limit of 32 reached (open file limit)"
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "serving again afterwards" expect "0: action=DUNNO"
pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]
# The systemd units do not leave the daemons at systemd's 1024: enough
# for the default policyd_max_connections and the 32 kept aside.
for unit in policyd milter; do
	n=$(sed -n 's/^LimitNOFILE=//p' \
	    "$PW_SRCDIR/contrib/systemd/postwarden-$unit.service")
	pw_check "postwarden-$unit.service sets LimitNOFILE (${n:-none})" \
	    [ "${n:-0}" -ge $((4096 + 32)) ]
done
pw_done
