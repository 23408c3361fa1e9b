#!/bin/bash
# tests/cli/errors.sh -- postwarden's exit codes and messages for bad
# command lines (64), bad limit syntax (64, naming the option and the
# expected form), bad names (64), an unreachable Redis or a bad
# configuration (2), and the help listing every command.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start
pw_plan 43

rcli HSET 'pw:{acme}:tenant' status active >/dev/null
rcli SADD pw:tenants acme >/dev/null

cli_rc "-h: exit 0" 0 -h
for c in config key tenant usage suppress events; do
	cli_like "-h lists $c" "^  $c " "$OUT"
done
cli_rc "no command: exit 64" 64
cli_rc "unknown command: exit 64" 64 frobnicate
cli_rc "key without subcommand: exit 64" 64 key
cli_like "key without subcommand: lists the subcommands" \
    "^  postwarden key delete KEYID" "$ERR"
cli_rc "unknown subcommand: exit 64" 64 tenant remove acme
cli_rc "unknown option: exit 64" 64 key list --bogus
cli_like "unknown option: named" "key list: unknown option --bogus" "$ERR"
cli_rc "option without its value: exit 64" 64 key add k1 --tenant
cli_rc "limit on show: exit 64" 64 key show k1 --rate 5/s

# check_limit OPTION VALUE WHAT: a bad limit exits 64 naming the option.
check_limit() {
	cli_rc "bad $1 $2: exit 64" 64 tenant set acme "$1" "$2"
	cli_like "bad $1 $2: message" "^postwarden: $1: expected $3.*; got '" \
	    "$ERR"
}
check_limit --rate 100 "N/s or N/m"
check_limit --rate 10/h "N/s or N/m"
check_limit --rate -5/s "N/s or N/m"
check_limit --quota-day 1e6 "a whole number"
check_limit --quota-hour 99999999999999999999 "a whole number"
check_limit --max-size 25X "bytes, or a number with K, M or G"
check_limit --burst ten "a whole number"
cli_rc "bad --countries: exit 64" 64 key add k1 --tenant acme --countries FRA
cli_like "bad --countries: message" \
    "^postwarden: --countries: expected two-letter" "$ERR"
cli_rc "bad key id: exit 64" 64 key show 'k 1'
cli_like "bad key id: says what is expected" "bad key id 'k 1'" "$ERR"
pw_is "bad input wrote nothing" \
    "$(rcli HGET 'pw:{acme}:tenant' rate)$(rcli EXISTS pw:key:k1)" 0

# Redis down, configuration broken: exit 2 with a reason.
printf 'redis_server = unix:%s/nothing.sock\nredis_reconnect_delay = 10ms\n' \
    "$PW_TMP" >"$PW_TMP/down.conf"
OUT=$("$CLI_BIN" -c "$PW_TMP/down.conf" tenant list 2>&1)
pw_is "Redis unreachable: exit 2" "$?" 2
cli_like "Redis unreachable: says where and why" \
    "^postwarden: redis unix:$PW_TMP/nothing.sock: redis: cannot connect" "$OUT"
printf 'no_such_setting = 1\n' >"$PW_TMP/bad.conf"
OUT=$("$CLI_BIN" -c "$PW_TMP/bad.conf" key list 2>&1)
pw_is "bad configuration: exit 2" "$?" 2

# An error reply from Redis: exit 2, its text shown.
rcli SET 'pw:{acme}:supp' not-a-hash >/dev/null
cli_rc "error reply (WRONGTYPE): exit 2" 2 suppress list --tenant acme
cli_like "error reply: shown" "^postwarden: redis unix:.*: WRONGTYPE" "$ERR"

# A hung Redis: the command waits its 5 s floor (not the daemons' short
# redis_command_timeout), then exit 2 saying the outcome is unknown.
printf 'redis_server = unix:%s\nredis_command_timeout = 100ms\n' \
    "$PW_REDIS_SOCK" >"$PW_TMP/short.conf"
kill -STOP "${PW_PIDS[redis]}"
start=$(date +%s%N)
OUT=$(timeout 30 "$CLI_BIN" -c "$PW_TMP/short.conf" tenant list 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
kill -CONT "${PW_PIDS[redis]}"
pw_is "Redis hung: exit 2" "$rc" 2
cli_like "Redis hung: timeout, outcome unknown" \
    "redis: timeout \(the command may have run" "$OUT"
pw_check "Redis hung: waited about 5 s, not 100 ms ($ms ms)" \
    test "$ms" -ge 4500 -a "$ms" -lt 20000
