# tests/policyd/common.sh -- helpers for the postwarden-policyd daemon
# tests (sourced by bash).  Each test gets a private temp dir with a unix
# socket and a loopback port; every daemon started is killed by pid on
# exit.  Waits poll with a deadline; nothing sleeps a fixed time.
#
# As root (CI) the daemon drops to nobody: the temp dir is 0755 and the
# run/ dir holding sockets and the pid file belongs to nobody, so the
# daemon can remove them at exit.

: "${PW_SRCDIR:?}" "${PW_BUILDDIR:?}"
PD_BIN=$PW_BUILDDIR/policyd/postwarden-policyd
PD_CLIENT=$PW_BUILDDIR/tests/policyd/pd_client
PD_DATA=$PW_SRCDIR/tests/policyd/data

tap_n=0
tap_failed=0
PD_PIDS=

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
not_ok() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}
# check NAME COMMAND...: one test point from a command's status.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# Print a file as TAP diagnostics.
diag() { sed 's/^/# /' "$@" >&2; }

pd_teardown() {
	local pid
	for pid in $PD_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PD_PIDS; do
		pd_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	done
	if [ "$tap_failed" -ne 0 ] && [ -f "$PD_DIR/log" ]; then
		echo "# daemon log:" >&2
		diag "$PD_DIR/log"
	fi
	[ -n "$PD_DIR" ] && rm -rf "$PD_DIR"
}

# A loopback port nobody listens on (racy, but tests retry nothing).
pd_free_port() {
	local port i
	for i in $(seq 1 50); do
		# Below the kernel's ephemeral range (32768-60999), where
		# outgoing connections of other tests cannot be holding it.
		port=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

pd_setup() {
	PD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pw-policyd.XXXXXX") || exit 99
	trap pd_teardown EXIT
	chmod 0755 "$PD_DIR"
	mkdir "$PD_DIR/run"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$PD_DIR/run"
	fi
	PD_PORT=$(pd_free_port) || exit 99
	PD_SOCK=$PD_DIR/run/policyd.sock
	PD_UNIX=unix:$PD_SOCK
	PD_INET=inet:127.0.0.1:$PD_PORT
	PD_CONF=$PD_DIR/policyd.conf
	PD_LOG=$PD_DIR/log
	pd_conf "$PD_CONF"
}

# pd_conf FILE [LINE...]: a test configuration plus extra lines.
pd_conf() {
	local file=$1 line; shift
	{
		echo "# postwarden-policyd test configuration"
		echo "user = nobody"
		echo "socket_group ="
		echo "socket_mode = 0666"
		echo "log_level = debug"
		echo "shutdown_timeout = 5s"
		echo "policyd_listen = $PD_UNIX, $PD_INET"
		echo "policyd_pid_file = $PD_DIR/run/policyd.pid"
		for line in "$@"; do echo "$line"; done
		# No Redis here (tests/policyd/identity.sh has one); never
		# the system's.  Last, so the lines above keep their numbers.
		echo "redis_server = unix:$PD_DIR/run/no-redis.sock"
		# Without Redis, answer DUNNO (tests/policyd/rules.sh tests
		# the defaults).
		echo "policyd_fail_mode = pass"
		echo "policyd_unknown_key = pass"
	} > "$file"
	chmod 0644 "$file"
}

# pd_wait_gone PID SECONDS: 0 once PID has exited.
pd_wait_gone() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		# A zombie child counts as gone.
		local stat
		stat=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)
		[ "$stat" = Z ] && return 0
		sleep 0.02
	done
	return 0
}

# pd_wait_log TEXT [SECONDS]: 0 once the log contains TEXT.
pd_wait_log() {
	local deadline=$((SECONDS + ${2:-10}))
	until grep -qF -- "$1" "$PD_LOG" 2>/dev/null; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.02
	done
	return 0
}

# pd_start [CONF]: start the daemon in the foreground; sets PD_PID.
# Returns once it logged that it is serving, or 1.
pd_start() {
	local conf=${1:-$PD_CONF} n
	n=$(grep -c "starting: listening" "$PD_LOG" 2>/dev/null)
	"$PD_BIN" -f -c "$conf" 2>>"$PD_LOG" &
	PD_PID=$!
	PD_PIDS="$PD_PIDS $PD_PID"
	local deadline=$((SECONDS + 10))
	until [ "$(grep -c "starting: listening" "$PD_LOG" 2>/dev/null)" \
	    -gt "${n:-0}" ]; do
		if ! kill -0 "$PD_PID" 2>/dev/null ||
		    [ "$SECONDS" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.02
	done
	return 0
}

# pd_stop: SIGTERM and wait; sets PD_STATUS to the exit status.
pd_stop() {
	kill -TERM "$PD_PID" 2>/dev/null
	pd_wait_gone "$PD_PID" 10 || return 1
	wait "$PD_PID"
	PD_STATUS=$?
	return 0
}

# pd_client ARGS...: the scripted client, output in $PD_DIR/out.
pd_client() {
	"$PD_CLIENT" "$@" > "$PD_DIR/out" 2>&1
}

# expect TEXT: the client's output is exactly TEXT.
expect() {
	if [ "$(cat "$PD_DIR/out")" = "$1" ]; then
		return 0
	fi
	echo "# expected:" >&2; printf '%s\n' "$1" | sed 's/^/#   /' >&2
	echo "# got:" >&2; diag "$PD_DIR/out"
	return 1
}

pd_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
