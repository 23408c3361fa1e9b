#!/bin/bash
# tests/policyd/secrets.sh -- Redis credentials: a wrong or missing
# password is logged as an authentication failure (not as Redis's NOAUTH
# or WRONGPASS, never with the password), and a configuration file that
# holds one while open to others is warned about.

. "$PW_SRCDIR/tests/policyd/common.sh"
pd_setup
pw_redis_start
pw_redis_cli CONFIG SET requirepass pw-right-secret >/dev/null

# pd_redis_conf [LINE...]: the test configuration on the private Redis.
pd_redis_conf() {
	pd_conf "$PD_CONF" "$@"
	sed -i "s|^redis_server = .*|redis_server = unix:$PW_REDIS_SOCK|" \
	    "$PD_CONF"
	chmod 0640 "$PD_CONF"
}

pd_redis_conf "redis_password = pw-wrong-secret"
if ! pd_start; then
	pw_not_ok "daemon starts"; pw_done; exit 1
fi
pw_ok "daemon starts"
pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "a wrong password is logged as such" pd_wait_log \
    "authentication failed: check redis_username and redis_password"
pw_check "... not as NOAUTH or WRONGPASS" \
    eval '! grep -E "NOAUTH|WRONGPASS" "$PD_LOG"'
pw_check "... and never with the password" \
    eval '! grep -F "pw-wrong-secret" "$PD_LOG"'
pd_stop

pd_redis_conf
if ! pd_start; then
	pw_not_ok "daemon starts without a password"; pw_done; exit 1
fi
pw_ok "daemon starts without a password"
pd_client "$PD_INET" c0 "s0:$PD_DATA/rcpt.req" r0:1
pw_check "a missing password is logged as such" pd_wait_log \
    "authentication failed: the server requires redis_password"
pd_stop

# The mode of a file holding a secret (checked with -n: same loader).
pd_check() {	# CONF: run -n; its stderr in $PD_DIR/out
	"$PD_BIN" -n -c "$1" > "$PD_DIR/out" 2>&1
}
pd_redis_conf "redis_password = pw-wrong-secret"
chmod 0644 "$PD_CONF"
pd_check "$PD_CONF"
pw_check "a password in a world-readable file is warned about" grep -qF \
    "$PD_CONF: mode 0644 exposes redis_password; make it 0640" \
    "$PD_DIR/out"
chmod 0640 "$PD_CONF"
pd_check "$PD_CONF"
pw_check "at 0640 it is not" expect ""
pd_redis_conf
chmod 0644 "$PD_CONF"
pd_check "$PD_CONF"
pw_check "nor a world-readable file without secrets" expect ""
pw_done
