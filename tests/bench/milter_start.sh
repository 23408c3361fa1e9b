# tests/bench/milter_start.sh -- start the filters of the milter
# benchmarks (milter_bench.sh, milter_keys_bench.sh), each on its own
# socket in $T.  Sourced after tests/harness/harness.sh, with T set.
#
#   up PID SOCKET                 is PID alive and accepting on SOCKET?
#   bench_milter_start NAME CONF_LINES...
#                                 one more postwarden-milter NAME

# shellcheck shell=bash
up() {	# PID SOCKET
	pw__alive "$1" && pw__unix_accepts "$2"
}

# Start one more postwarden-milter NAME, configured like pw_daemon_start's
# but on $T/NAME.sock, pid file $T/NAME.pid, log $T/NAME.log, recorded
# as NAME (pw_daemon_start runs one milter only).  Extra arguments are
# postwarden.conf lines.
bench_milter_start() {	# NAME CONF_LINES...
	local name=$1 bin=$PW_BUILDDIR/milter/postwarden-milter conf line v
	shift
	conf=$T/postwarden-$name.conf
	{
		echo "# postwarden.conf for milter $name of the benchmark ($T)"
		pw__daemon_conf_defaults milter | while IFS= read -r line; do
			v=${line%%=*}
			v=${v// /}
			case $v in
			milter_socket|milter_pid_file) continue ;;
			esac
			pw__conf_overridden "$v" "$@" || echo "$line"
		done
		echo "milter_socket = unix:$T/$name.sock"
		echo "milter_pid_file = $T/$name.pid"
		printf '%s\n' "$@"
	} >"$conf"
	chmod 0644 "$conf"
	"$bin" -f -c "$conf" </dev/null >>"$T/$name.log" 2>&1 &
	pw__record "$name" $!
	PW_EXTRA_DAEMON_LOGS+=("$T/$name.log")
	pw_wait_until "$name to accept connections on $T/$name.sock" \
	    "$PW_TIMEOUT" pw__daemon_up "$!" "unix:$T/$name.sock" 3>&1 ||
	    pw_bail "$name did not start (see $T/$name.log)"
}
