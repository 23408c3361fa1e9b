#!/bin/bash
# tests/cli/check.sh -- `postwarden check` against the real daemons: a
# private redis-server, postwarden-policyd with http_listen and
# postwarden-milter with milter_http_listen (tests/harness):
#
#   - everything up: every line ready, exit 0; --json says the same
#     ({"ready": true}, a check per endpoint);
#   - Redis stopped: redis, the policyd and the milter /readyz not ready
#     (their own reasons), exit 1; Redis back: exit 0 again;
#   - a tracking_secret_file only root may read: not ready "as user
#     nobody" (the daemons read it as nobody on SIGHUP); one nobody
#     owns: ready;
#   - the milter stopped: its endpoint answers nothing, exit 1;
#   - settings left empty are "not configured" and not a failure;
#   - a bad command line exits 64 (CLI_EXIT_USAGE), a configuration that
#     does not load 2.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/cli/common.sh"

[ "$(id -u)" -eq 0 ] || pw_skip_all "needs root (the daemons drop to nobody)"
command -v curl >/dev/null || pw_skip_all "curl not installed"
cli_start
pw_plan 22

SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"		# 0600, nobody's
PPORT=$(pw_free_port)
MPORT=$(pw_free_port)
pw_daemon_start policyd "http_listen = inet:127.0.0.1:$PPORT" \
    "tracking_secret_file = $SECRET" "redis_reconnect_max_delay = 100ms"
pw_daemon_start milter "milter_http_listen = inet:127.0.0.1:$MPORT" \
    "redis_reconnect_max_delay = 100ms"
ready() {	# PORT: does that /readyz answer 200?
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    "http://127.0.0.1:$1/readyz")" = 200
}
both_ready() { ready "$PPORT" && ready "$MPORT"; }
both_unready() { ! ready "$MPORT" && ! ready "$PPORT"; }
pw_wait_until "both /readyz" "$PW_TIMEOUT" both_ready ||
    pw_bail "the daemons' HTTP did not come up"

{
	echo "user = nobody"
	echo "tracking_secret_file = $SECRET"
	echo "http_listen = inet:127.0.0.1:$PPORT"
	echo "milter_http_listen = inet:127.0.0.1:$MPORT"
} >>"$CLI_CONF"

# --- everything up ---------------------------------------------------------------------
cli_rc "all ready: exit 0" 0 check
cli_like "redis ready" '^redis +ready' "$OUT"
cli_like "the keyring readable by nobody" \
    "^tracking_secret_file +ready: $SECRET \\(read as user nobody\\)" "$OUT"
cli_like "the pepper: not configured" '^auth_pepper_file +not configured$' "$OUT"
cli_like "policyd's /readyz: ready" \
    "^policyd http inet:127.0.0.1:$PPORT +ready: ready\$" "$OUT"
cli_like "the milter's /readyz: ready" \
    "^milter http inet:127.0.0.1:$MPORT +ready: ready\$" "$OUT"
cli_rc "--json: exit 0" 0 check --json
pw_is "--json: ready true, 6 checks, the milter's endpoint named" \
    "$(cli_json 'j["ready"], len(j["checks"]), [c["endpoint"] for c in j["checks"] if c["check"] == "milter http"]')" \
    "(True, 6, ['inet:127.0.0.1:$MPORT'])"

# --- Redis stopped -----------------------------------------------------------------------
pw__stop_pid redis
pw_wait_until "both /readyz to say 503" "$PW_TIMEOUT" both_unready
cli_rc "Redis stopped: exit 1" 1 check
cli_like "redis not ready" '^redis +not ready: ' "$OUT"
cli_like "the milter says why" \
    "^milter http inet:127.0.0.1:$MPORT +not ready: redis: " "$OUT"
cli_like "policyd says why" \
    "^policyd http inet:127.0.0.1:$PPORT +not ready: redis: not connected" "$OUT"
cli_rc "--json: exit 1" 1 check --json
pw_is "--json: ready false, the milter's status" \
    "$(cli_json 'j["ready"], [c["status"] for c in j["checks"] if c["check"] == "milter http"]')" \
    "(False, ['not ready'])"
pw_redis_start
pw_wait_until "check to pass again" "$PW_TIMEOUT" \
    "$CLI_BIN" -c "$CLI_CONF" check
cli_rc "Redis back: exit 0" 0 check

# --- a keyring nobody may not read -----------------------------------------------------
ROOTS=$PW_TMP/root.secret
openssl rand -hex 32 >"$ROOTS"
chmod 0600 "$ROOTS"
sed "s|^tracking_secret_file = .*|tracking_secret_file = $ROOTS|" \
    "$CLI_CONF" >"$PW_TMP/root.conf"
OUT=$("$CLI_BIN" -c "$PW_TMP/root.conf" check 2>&1)
pw_is "root's keyring: exit 1" "$?" 1
cli_like "root's keyring: not ready as user nobody" \
    "^tracking_secret_file +not ready: .*root.secret.*\\(as user nobody\\)" "$OUT"

# --- the milter stopped ---------------------------------------------------------------------
pw_daemon_stop milter
cli_rc "the milter stopped: exit 1" 1 check
cli_like "its endpoint answers nothing" \
    "^milter http inet:127.0.0.1:$MPORT +not ready: no answer: " "$OUT"

# --- usage -------------------------------------------------------------------------------------
cli_rc "an argument: usage, 64" 64 check extra
cli_rc "an unknown option: usage, 64" 64 check --bogus
"$CLI_BIN" -c "$PW_TMP/none.conf" check >/dev/null 2>&1
pw_is "no configuration file: 2" "$?" 2
