#!/bin/bash
# tests/cli/help.sh -- every command and every subcommand of postwarden
# answers --help (and -h): its usage on standard output, exit 0, nothing
# on standard error, and nothing done; --json reaches every output,
# config included.

. "$PW_SRCDIR/tests/cli/common.sh"
cli_start

# The commands, from the help listing ("  NAME ...").
commands=$("$CLI_BIN" -h | sed -n 's/^  \([a-z]*\) .*/\1/p')
# Each command's subcommands, from its --help ("  postwarden CMD SUB").
declare -A subs
n=0
for c in $commands; do
	subs[$c]=$("$CLI_BIN" "$c" --help 2>/dev/null |
	    sed -n "s/^  postwarden $c \\([a-z-]*\\).*/\\1/p" | sort -u | tr '\n' ' ')
	n=$((n + 1))
	for s in ${subs[$c]}; do n=$((n + 1)); done
done
pw_plan $((n + 6))

# help_ok NAME ARGS...: exit 0, "usage: postwarden ..." on stdout, no stderr.
help_ok() {
	local name=$1
	shift
	pwcli "$@"
	if [ "$RC" = 0 ] && [ -z "$ERR" ] &&
	    printf '%s\n' "$OUT" | grep -qE '^ *(usage:|postwarden )'; then
		pw_ok "$name"
	else
		pw_not_ok "$name" "exit $RC: postwarden $*
stdout: $OUT
stderr: $ERR"
	fi
}

for c in $commands; do
	help_ok "$c --help" "$c" --help
	for s in ${subs[$c]}; do
		help_ok "$c $s --help" "$c" "$s" --help
	done
done
pw_check "some command has subcommands" [ -n "${subs[key]}" ]
help_ok "-h after a subcommand's arguments" key show k1 -h

# --help does nothing else, wherever it stands.
pwcli key add k_help --tenant acme --help
pw_is "key add ... --help: no key created" "$(rcli EXISTS pw:key:k_help)" 0
pwcli tenant add t_help --help
pw_is "tenant add ... --help: no tenant created" \
    "$(rcli SISMEMBER pw:tenants t_help)" 0

# config speaks JSON, as every other command does.
printf 'redis_server = unix:%s\nlog_level = debug\n' "$PW_REDIS_SOCK" \
    >"$CLI_CONF"
pwcli --json config -n
pw_is "--json config -n: JSON with the changed settings" \
    "$(cli_json 'sorted(j.keys()) == ["log_level", "redis_server"] and j["log_level"]')" \
    debug
pwcli config -d --json
pw_is "config -d --json: every setting" \
    "$(cli_json 'len(j) > 20 and "redis_server" in j')" True
