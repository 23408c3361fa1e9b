# tests/cli/common.sh -- helpers for the postwarden command tests (bash,
# sourced after tests/harness/harness.sh's variables are set).
#
# Each test gets the harness's temp dir and a private redis-server on a
# unix socket; postwarden runs against it with a one-line postwarden.conf.
# No root, no Postfix: the tests skip only without redis-server,
# redis-cli or python3 (which checks the JSON).
#
#   cli_start                 temp dir, private Redis, $CLI_CONF
#   pwcli ARGS...             run postwarden: $OUT, $ERR, $RC
#   cli_rc NAME WANT ARGS...  run postwarden; ok if it exits WANT
#   cli_like NAME REGEX TEXT  ok if a line of TEXT matches REGEX (grep -E)
#   cli_json EXPR             a Python expression on j = the JSON in $OUT
#   rcli ARGS...              redis-cli against the private Redis

. "$PW_SRCDIR/tests/harness/harness.sh"

for t in redis-server redis-cli "$PW_PYTHON"; do
	command -v "$t" >/dev/null 2>&1 || pw_skip_all "$t not installed"
done
CLI_BIN=$PW_BUILDDIR/cli/postwarden
[ -x "$CLI_BIN" ] || pw_skip_all "$CLI_BIN not built"

cli_start() {
	pw_harness_init
	pw_redis_start
	CLI_CONF=$PW_TMP/postwarden.conf
	printf 'redis_server = unix:%s\n' "$PW_REDIS_SOCK" >"$CLI_CONF"
}

pwcli() {
	OUT=$("$CLI_BIN" -c "$CLI_CONF" "$@" 2>"$PW_TMP/stderr")
	RC=$?
	ERR=$(cat "$PW_TMP/stderr")
}

cli_rc() {
	local name=$1 want=$2
	shift 2
	pwcli "$@"
	if [ "$RC" = "$want" ]; then
		pw_ok "$name"
	else
		pw_not_ok "$name" "exit $RC, want $want: postwarden $*
stdout: $OUT
stderr: $ERR"
	fi
}

cli_like() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then
		pw_ok "$1"
	else
		pw_not_ok "$1" "no line matches /$2/ in:
$3"
	fi
}

cli_json() {
	printf '%s' "$OUT" | "$PW_PYTHON" -c '
import json, sys
j = json.loads(sys.stdin.read())
print(eval(sys.argv[1]))' "$1" 2>&1
}

rcli() {
	pw_redis_cli "$@"
}
