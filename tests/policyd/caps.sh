#!/bin/bash
# tests/policyd/caps.sh -- recipient_count above 1000000 or size above
# 10^15 (or not a number) is malformed input: logged, the connection
# closed without an answer (tests/policyd/transcripts/caps, which also
# has the values at the caps served).  Here what is logged.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pd_conf "$PD_CONF"
if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"

# pd_eom NAME VALUE: eom.req with one attribute's value replaced.
pd_eom() {
	sed "s/^$1=.*/$1=$2/" "$PD_DATA/eom.req" > "$PD_DIR/eom-$1.req"
}

pd_eom recipient_count 999999999999
pd_client "$PD_INET" c0 "s0:$PD_DIR/eom-recipient_count.req" e0
pw_check "recipient_count=999999999999: logged" pd_wait_log \
    'recipient_count not a number up to 1000000: "recipient_count=999999999999"'

pd_eom size 100000000000000000000
pd_client "$PD_INET" c0 "s0:$PD_DIR/eom-size.req" e0
pw_check "size of 21 digits: logged" pd_wait_log \
    'size not a number up to 1000000000000000: "size=100000000000000000000"'

pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]
pw_done
