#!/bin/bash
# tests/policyd/serve.sh -- postwarden-policyd answers Postfix policy
# requests on a unix socket and a loopback port: single, split and
# pipelined requests, malformed and oversize input, logging (what a
# malformed request gets back: tests/policyd/transcripts/malformed).

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pd_conf "$PD_CONF" "policyd_max_line_length = 512" \
    "policyd_max_request_size = 16384"

if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"

pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "unix socket: a request gets action=DUNNO" expect "0: action=DUNNO"

pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "loopback TCP: a request gets action=DUNNO" expect "0: action=DUNNO"

pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1 \
    "s0:$PD_DATA/eom.req" r0:1 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "persistent connection: three requests, three answers" \
    expect "0: action=DUNNO
0: action=DUNNO
0: action=DUNNO"

# Three requests in one write; the log shows they were decided in order.
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/pipelined.req" r0:3
pw_check "pipelined: three requests in one write get three answers" \
    expect "0: action=DUNNO
0: action=DUNNO
0: action=DUNNO"
pw_check "pipelined: requests decided in order" \
    [ "$(grep -o 'recipient=<r[0-9]@' "$PD_LOG" | tail -n 3 | tr -d '\n')" \
    = "recipient=<r1@recipient=<r2@recipient=<r3@" ]

# A request split across writes, ended with CRLF lines.
pd_client "$PD_UNIX" c0 't0:request=smtpd_acc' t0:'ess_policy\r\nprotocol_st' \
    t0:'ate=RCPT\r\nsender=split@example.com\r\n' t0:'\r\n' r0:1
pw_check "a request split across writes is answered" expect "0: action=DUNNO"

pw_check "RCPT requests are logged at debug level with NOQUEUE" \
    pd_wait_log "NOQUEUE: debug: request: state=RCPT client=mail.example.com[192.0.2.10] sasl_username=k_live_abc123 sender=<alice@example.com> recipient=<bob@example.net> tenant=- source=sasl rule=fail (redis: "
pw_check "END-OF-MESSAGE requests are logged at info level with the queue id" \
    pd_wait_log "4XyZ1k0Q7vz9sT: request: state=END-OF-MESSAGE client=relay.example.org[198.51.100.7] sasl_username= sender=<bounces+1234@example.org> recipient=<carol@example.net> tenant=- source=none rule=- action=DUNNO"

# An invalid SASL user name is answered DUNNO (policyd_unknown_key = pass
# in common.sh), with a warning.
pd_client "$PD_UNIX" c0 \
    't0:request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=bad key\x01\n\n' \
    r0:1
pw_check "invalid sasl_username: answered DUNNO" expect "0: action=DUNNO"
pw_check "invalid sasl_username: warning logged, escaped" \
    pd_wait_log 'NOQUEUE: warning: request: client=[] sasl_username=bad key\x01: tenant unknown: SASL user name is not a valid key id'

# A malformed request closes its connection without an answer, a
# repeated attribute or another request type too (the replies:
# tests/policyd/transcripts/malformed); here what is logged.
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/malformed.req" e0
pw_check "malformed request: logged with the line, escaped" \
    pd_wait_log 'warning: malformed request from unix: line without '"'='"': "this line has no equals sign"'

pd_client "$PD_INET" c0 \
    't0:request=smtpd_access_policy\nrequest=smtpd_access_policy\n\n' e0
pw_check "repeated attribute: logged with the TCP peer" \
    pd_wait_log "warning: malformed request from [127.0.0.1]:"

printf 'request=smtpd_access_policy\nsender=a\0b\n\n' > "$PD_DIR/nul.req"
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1 "s0:$PD_DIR/nul.req" e0
pw_check "NUL byte: closed without an answer" expect "0: action=DUNNO
0: eof"
pw_check "NUL byte: logged" pd_wait_log "NUL byte in request"

{ printf 'request=smtpd_access_policy\nsender='; head -c 600 /dev/zero |
    tr '\0' a; printf '\n\n'; } > "$PD_DIR/long.req"
pd_client "$PD_UNIX" c0 "s0:$PD_DIR/long.req" e0
pw_check "oversize line: closed without an answer" expect "0: eof"
pw_check "oversize line: logged" pd_wait_log "line too long"

{ printf 'request=smtpd_access_policy\n'; for i in $(seq 1 200); do
    printf 'x%d=%d\n' "$i" "$i"; done; printf '\n'; } > "$PD_DIR/many.req"
pd_client "$PD_INET" c0 "s0:$PD_DIR/many.req" e0
pw_check "too many attributes: closed without an answer" expect "0: eof"

{ printf 'request=smtpd_access_policy\n'; for i in $(seq 1 100); do
    printf 'x%d=%0500d\n' "$i" 0; done; printf '\n'; } > "$PD_DIR/big.req"
pd_client "$PD_INET" c0 "s0:$PD_DIR/big.req" e0
pw_check "oversize request: closed without an answer" expect "0: eof"
pw_check "oversize request: logged" pd_wait_log "request too large"

# Many pipelined requests in one write: every one answered, in order.
for i in $(seq 1 5000); do printf 'request=smtpd_access_policy\n\n'; done \
    > "$PD_DIR/5000.req"
pd_client -t 20000 "$PD_UNIX" c0 "s0:$PD_DIR/5000.req" r0:5000 \
    "s0:$PD_DATA/rcpt.req" r0:1
pw_check "5000 pipelined requests in one write: 5001 answers" \
    [ "$(grep -c '^0: action=DUNNO$' "$PD_DIR/out")" -eq 5001 -a \
    "$(wc -l < "$PD_DIR/out")" -eq 5001 ]

# The daemon survived all of that.
pd_client "$PD_UNIX" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "still serving after malformed input" expect "0: action=DUNNO"

pd_stop
pw_check "SIGTERM: exits 0" [ "${PD_STATUS:-1}" -eq 0 ]

pw_done
