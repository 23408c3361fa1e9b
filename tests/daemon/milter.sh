#!/bin/bash
# tests/daemon/milter.sh -- postwarden-milter as a daemon: command line,
# -n checks, socket mode and owner, pid file, privileges, SIGHUP reload
# (good and broken; the tracking keyring after a rotation), SIGTERM, stale and foreign socket files, detaching,
# and the identity it logs for a real milter conversation (miltertest).

. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
command -v miltertest >/dev/null || pw_skip_all "miltertest not installed"
pw_harness_init
pw_plan 31

BIN=$PW_BUILDDIR/milter/postwarden-milter
CONF=$PW_TMP/postwarden-milter.conf
LOG=$PW_TMP/milter.log
SOCK=$PW_TMP/milter.sock

# --- command line -----------------------------------------------------------

out=$("$BIN" -V 2>&1)
pw_is "-V prints the version" "$out" "postwarden-milter $(sed -n \
    's/^PACKAGE_VERSION = //p' "$PW_BUILDDIR/Makefile")"
"$BIN" -h >/dev/null 2>&1
pw_is "-h exits 0" "$?" 0
"$BIN" -Z >/dev/null 2>&1
pw_is "a bad option exits 64" "$?" 64

# --- -n ----------------------------------------------------------------------

cat >"$PW_TMP/networks" <<EOF
198.51.100.0/24 netcorp
EOF
cat >"$PW_TMP/senders" <<EOF
.acme.example acme
EOF
cat >"$PW_TMP/check.conf" <<EOF
user = nobody
socket_group = postfix
milter_socket = unix:$SOCK
identity_network_table = $PW_TMP/networks
identity_sender_table = $PW_TMP/senders
EOF
pw_check "-n accepts a good configuration" "$BIN" -n -c "$PW_TMP/check.conf"

printf 'redis_command_timeout = forever\n' >>"$PW_TMP/check.conf"
err=$("$BIN" -n -c "$PW_TMP/check.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"$PW_TMP/check.conf:6: redis_command_timeout: not a time"* ]]; then
	pw_ok "-n names file:line and setting of a bad value"
else
	pw_not_ok "-n names file:line and setting of a bad value" "rc=$rc: $err"
fi
sed -i '$d' "$PW_TMP/check.conf"

printf '10.0.0.1/8 x\n' >"$PW_TMP/badnet"
sed "s|$PW_TMP/networks|$PW_TMP/badnet|" "$PW_TMP/check.conf" >"$PW_TMP/bad2.conf"
err=$("$BIN" -n -c "$PW_TMP/bad2.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"$PW_TMP/badnet:1: bad network"* ]]; then
	pw_ok "-n checks the files the configuration names"
else
	pw_not_ok "-n checks the files the configuration names" "rc=$rc: $err"
fi

sed 's/^user = nobody/user = no-such-user-pw/' "$PW_TMP/check.conf" \
    >"$PW_TMP/bad3.conf"
err=$("$BIN" -n -c "$PW_TMP/bad3.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"user no-such-user-pw: no such user"* ]]; then
	pw_ok "-n checks that the user exists"
else
	pw_not_ok "-n checks that the user exists" "rc=$rc: $err"
fi

# A default pool with no transport would defer its mail (issue 11).
cp "$PW_TMP/check.conf" "$PW_TMP/bad4.conf"
printf 'milter_pools = a, b\nmilter_default_pool = c\n' >>"$PW_TMP/bad4.conf"
err=$("$BIN" -n -c "$PW_TMP/bad4.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"$PW_TMP/bad4.conf:7: milter_default_pool: pool c is not in milter_pools"* ]]; then
	pw_ok "-n refuses a milter_default_pool not in milter_pools (file:line)"
else
	pw_not_ok "-n refuses a milter_default_pool not in milter_pools (file:line)" "rc=$rc: $err"
fi

# A secret file of another user (mode 0600 or not) is refused: root or
# the daemon's user (nobody here) only.
openssl rand -hex 32 >"$PW_TMP/secret"
chmod 0600 "$PW_TMP/secret"
chown 54321 "$PW_TMP/secret"
cp "$PW_TMP/check.conf" "$PW_TMP/bad5.conf"
printf 'tracking_secret_file = %s\n' "$PW_TMP/secret" >>"$PW_TMP/bad5.conf"
err=$("$BIN" -n -c "$PW_TMP/bad5.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"$PW_TMP/secret: tracking secret belongs to uid 54321, neither root nor nobody"* ]]; then
	pw_ok "-n refuses a tracking secret of another user"
else
	pw_not_ok "-n refuses a tracking secret of another user" "rc=$rc: $err"
fi
chown nobody "$PW_TMP/secret"
pw_check "-n accepts a tracking secret of the daemon's user" \
    "$BIN" -n -c "$PW_TMP/bad5.conf"

# --- running -------------------------------------------------------------------

# The conversations below are about who sends, not what it sends as:
# their tenants own no sending domain (tests/dkim/tenant_domains.sh).
pw_daemon_start milter \
    "identity_network_table = $PW_TMP/networks" \
    "identity_sender_table = $PW_TMP/senders" \
    "tenant_domains_required = no"
PID=${PW_PIDS[milter]}

pw_is "socket has socket_mode and socket_group" \
    "$(stat -c '%a %U %G' "$SOCK")" "660 nobody postfix"
pw_is "runs as the configured user" "$(ps -o user= -p "$PID")" "nobody"
pw_is "pid file holds the pid" "$(cat "$PW_TMP/milter.pid")" "$PID"

err=$("$BIN" -f -c "$CONF" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"another process is listening"* ]] &&
    pw__alive "$PID"; then
	pw_ok "a second instance refuses a live socket"
else
	pw_not_ok "a second instance refuses a live socket" "rc=$rc: $err"
fi

# A real milter conversation: the identity of each message is logged,
# the key's tenant read from Redis.
pw_redis_cli HSET pw:key:k_test_1 tenant keyco >/dev/null
if PW_MILTER_SOCK=$SOCK miltertest -s "$PW_SRCDIR/tests/daemon/milter_identity.lua" \
    >"$PW_TMP/miltertest.out" 2>&1; then
	pw_ok "miltertest conversation"
else
	pw_not_ok "miltertest conversation" "$(cat "$PW_TMP/miltertest.out")"
fi
pw_check "authenticated message logged with its key and its tenant from Redis" \
    pw_wait_log "$LOG" '4AAAAAAAA1: milter: client=192.0.2.10 source=sasl key=k_test_1 tenant=keyco' 5
pw_check "sender-domain message logged with its tenant" \
    pw_wait_log "$LOG" '4AAAAAAAA2: milter: client=192.0.2.10 source=sender key=- tenant=acme' 5
pw_check "unknown API key: warning with the queue id" \
    pw_wait_log "$LOG" '4AAAAAAAA3: warning: milter: sasl_username=k_nobody: tenant unknown: unknown API key' 5

# A header bomb is refused before anything is deleted (issue 11).
if PW_MILTER_SOCK=$SOCK miltertest -s "$PW_SRCDIR/tests/daemon/milter_bomb.lua" \
    >"$PW_TMP/miltertest-bomb.out" 2>&1; then
	pw_ok "101 control fields: 550 5.6.0 and no deletion; 100: deleted"
else
	pw_not_ok "101 control fields: 550 5.6.0 and no deletion; 100: deleted" \
	    "$(cat "$PW_TMP/miltertest-bomb.out")"
fi
pw_check "101 control fields: the reply is 550 5.6.0" pw_wait_log "$LOG" \
    '4BBBBBBBB1: milter: tenant=keyco: reject: 550 5.6.0 101 control, tracking and route header fields; at most 100' 5

# --- SIGHUP ------------------------------------------------------------------------

echo "shutdown_timeout = 5s" >>"$CONF"
kill -HUP "$PID"
pw_check "SIGHUP reloads a good configuration" \
    pw_wait_log "$LOG" "reloaded configuration from $CONF" 5

# The tracking keyring is read again on SIGHUP (as the daemon's user):
# after `postwarden secret rotate` the milter makes ids and tokens with
# the new current secret.
printf 'tracking_secret_file = %s\n' "$PW_TMP/secret" >>"$CONF"
kill -HUP "$PID"
pw_check "SIGHUP: a one-secret tracking_secret_file is a keyring of one" \
    pw_wait_log "$LOG" "tracking keyring $PW_TMP/secret: 1 secret, current id 0 .a one-secret file." 5
"$PW_BUILDDIR/cli/postwarden" -c "$CONF" secret rotate >/dev/null
pw_is "secret rotate keeps the file the daemon's" \
    "$(stat -c '%U %a' "$PW_TMP/secret")" "nobody 600"
kill -HUP "$PID"
pw_check "SIGHUP after secret rotate: the new current secret" \
    pw_wait_log "$LOG" "tracking keyring $PW_TMP/secret: 2 secrets, current id 1" 5

echo "bogus_setting = 1" >>"$CONF"
line=$(wc -l <"$CONF")
kill -HUP "$PID"
pw_check "SIGHUP with a broken file logs file:line and the setting" \
    pw_wait_log "$LOG" "reload failed, keeping the running configuration: $CONF:$line: bogus_setting: unknown setting" 5
if pw__alive "$PID" && pw__unix_accepts "$SOCK"; then
	pw_ok "still serving after a broken reload"
else
	pw_not_ok "still serving after a broken reload"
fi
sed -i '$d' "$CONF"

# --- SIGTERM -------------------------------------------------------------------------

kill -TERM "$PID"
pw_wait_until "milter to exit" 15 eval '! pw__alive '"$PID"
wait "$PID"
rc=$?
unset "PW_PIDS[milter]"
pw_is "SIGTERM: exit status 0" "$rc" 0
pw_check "SIGTERM: stop logged" grep -q 'stopped$' "$LOG"

# --- stale and foreign socket files ----------------------------------------------------

python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || pw_bail "could not make a stale socket"
: >"$LOG"
pw_daemon_start milter
pw_ok "a stale socket is replaced"

kill -TERM "${PW_PIDS[milter]}"
pw__stop_pid milter 15
rm -f "$SOCK"
echo "precious" >"$SOCK"
err=$("$BIN" -f -c "$CONF" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $err == *"exists and is not a socket; not removing it"* ]] &&
    [ "$(cat "$SOCK")" = precious ]; then
	pw_ok "a file that is not a socket is left alone"
else
	pw_not_ok "a file that is not a socket is left alone" "rc=$rc: $err"
fi
rm -f "$SOCK"

# --- detaching ---------------------------------------------------------------------------

"$BIN" -c "$CONF" >"$PW_TMP/detach.out" 2>&1
rc=$?
pid=$(cat "$PW_TMP/milter.pid" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$pid" ] && pw__alive "$pid" &&
    pw__unix_accepts "$SOCK"; then
	pw_ok "without -f: detaches, exits 0 once ready"
	kill -TERM "$pid"
	pw_wait_until "detached milter to exit" 15 eval '! pw__alive '"$pid"
else
	pw_not_ok "without -f: detaches, exits 0 once ready" \
	    "rc=$rc pid=$pid $(cat "$PW_TMP/detach.out")"
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
fi
