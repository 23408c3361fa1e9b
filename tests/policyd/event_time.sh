#!/bin/bash
# tests/policyd/event_time.sh -- an event's time is Redis's clock, the
# same clock as its stream id (XADD *) and the accounting windows (TIME),
# not the daemon host's: the daemon runs three days ahead here
# (clockshift.so) and its events still carry Redis's time.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pw_redis_start
PD_REAL=$PD_BIN
PD_BIN=$PD_DIR/shifted
printf '#!/bin/bash\nexport PW_CLOCK_SHIFT=259200 LD_PRELOAD=%s\nexport ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"\nexec "%s" "$@"\n' \
    "$PW_BUILDDIR/tests/policyd/clockshift.so" "$PD_REAL" > "$PD_BIN"
chmod +x "$PD_BIN"
# The private Redis, and an unknown key refused (an event).
pd_conf "$PD_CONF"
sed -i -e "s|^redis_server = .*|redis_server = unix:$PW_REDIS_SOCK|" \
    -e "s|^policyd_unknown_key = .*|policyd_unknown_key = reject|" "$PD_CONF"

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"
pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "an unknown key is refused" \
    grep -q "^0: action=550 5.7.1" "$PD_DIR/out"

pd__event() {	# the event's id and time on one line, once it is there
	local out
	out=$(pw_redis_cli --no-raw XRANGE pw:events - + | tr -d '"' |
	    awk '/\) [0-9]+-[0-9]+$/ { id = $NF } prev == "time" { t = $NF }
	    { prev = $NF } END { if (id != "" && t != "") print id, t }')
	[ -n "$out" ] && echo "$out" > "$PD_DIR/event"
}
pw_check "the refusal is an event" \
    pw_wait_until "an event in pw:events" 10 pd__event
read -r id t < "$PD_DIR/event"
id_s=$(( ${id%-*} / 1000 ))
pw_check "its time is Redis's, as its id's (id $id_s s, time $t s)" \
    [ "${t:-0}" -ge $((id_s - 2)) -a "${t:-0}" -le $((id_s + 2)) ]
pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]
pw_done
