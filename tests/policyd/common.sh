# tests/policyd/common.sh -- helpers for the postwarden-policyd daemon
# tests (sourced by bash), on top of tests/harness/harness.sh (TAP, the
# temp dir, waits, stopping by pid, the sanitizer check at exit).
#
# pd_setup, pd_start, ...: the daemon alone, listening on a unix socket
# and a loopback port in $PW_TMP; these tests need no Redis, no Postfix
# and no root.  As root (CI) the daemon drops to nobody: the run/ dir
# holding sockets and the pid file belongs to nobody, so the daemon can
# remove them at exit.
#
# pd_key, pd_session_start, pd_ask, pd_hangup: the rules against the
# harness's private Redis and pw_daemon_start's daemon: a key and its
# tenant in the directory, and policy connections that stay open for a
# transaction as smtpd keeps them (tests/policyd/pd_session.py).

: "${PW_SRCDIR:?}" "${PW_BUILDDIR:?}"
. "$PW_SRCDIR/tests/harness/harness.sh"
PD_BIN=$PW_BUILDDIR/policyd/postwarden-policyd
PD_CLIENT=$PW_BUILDDIR/tests/policyd/pd_client
PD_DATA=$PW_SRCDIR/tests/policyd/data
PD_STARTED=0	# daemons pd_start started

pd_setup() {
	pw_harness_init
	PD_DIR=$PW_TMP
	mkdir "$PD_DIR/run" || pw_bail "mkdir $PD_DIR/run"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$PD_DIR/run"
	fi
	PD_PORT=$(pw_free_port) || pw_bail "no free port"
	PD_SOCK=$PD_DIR/run/policyd.sock
	PD_UNIX=unix:$PD_SOCK
	PD_INET=inet:127.0.0.1:$PD_PORT
	PD_CONF=$PD_DIR/policyd.conf
	# The harness dumps this log when a case fails, and fails the test
	# when a sanitizer reported in it.
	PD_LOG=$PD_DIR/policyd.log
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

pd__gone() {	# PID
	! pw__alive "$1"
}

# pd_wait_gone PID SECONDS: 0 once PID has exited.
pd_wait_gone() {
	pw_wait_until "pid $1 to exit" "$2" pd__gone "$1"
}

# pd_wait_log TEXT [SECONDS]: 0 once the log contains TEXT (not a regex).
pd_wait_log() {
	pw_wait_until "\"$1\" in $PD_LOG" "${2:-10}" grep -qF -- "$1" "$PD_LOG"
}

pd__serving() {	# PID N: the log says "starting: listening" more than N times
	pw__alive "$1" || return 99
	[ "$(grep -c "starting: listening" "$PD_LOG" 2>/dev/null)" -gt "$2" ]
}

# pd_start [CONF]: start the daemon in the foreground; sets PD_PID.
# Returns once it logged that it is serving, or 1.
pd_start() {
	local conf=${1:-$PD_CONF} n
	n=$(grep -c "starting: listening" "$PD_LOG" 2>/dev/null)
	"$PD_BIN" -f -c "$conf" 2>>"$PD_LOG" &
	PD_PID=$!
	PD_STARTED=$((PD_STARTED + 1))
	pw__record "policyd-$PD_STARTED" "$PD_PID"
	pw_wait_until "policyd to serve" 10 pd__serving "$PD_PID" "${n:-0}"
}

# pd_stop: SIGTERM and wait; sets PD_STATUS to the exit status.
pd_stop() {
	kill -TERM "$PD_PID" 2>/dev/null
	pd_wait_gone "$PD_PID" 10 || return 1
	wait "$PD_PID"
	PD_STATUS=$?
	unset "PW_PIDS[policyd-$PD_STARTED]"
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
	echo "# expected:"; printf '%s\n' "$1" | sed 's/^/#   /'
	echo "# got:"; sed 's/^/#   /' "$PD_DIR/out"
	return 1
}

# pd_key KEYID TENANT [FIELD VALUE]...: an active key of an active tenant
# in the private Redis (pw_redis_start): the directory entry, the tenant
# record with the sending domain example.com (the sender of these
# tests: app@example.com; the daemon reads only the tenant's own
# pw:{T}:domains, so several tenants may send as it) and the key record
# with the extra fields (quota_day 2, ...).
pd_key() {
	local k=$1 t=$2
	shift 2
	pw_redis_cli HSET "pw:key:$k" tenant "$t" >/dev/null
	pw_redis_cli HSET "pw:{$t}:tenant" status active created 1 >/dev/null
	pw_domain_add "$t" example.com
	pw_redis_cli HSET "pw:{$t}:key:$k" status active created 1 "$@" \
	    >/dev/null
}

# pd_session_start [SOCKET]: start tests/policyd/pd_session.py as the
# coprocess PD on SOCKET (default the policyd of pw_daemon_start); it
# keeps one connection per name open, as Postfix's smtpd keeps its
# connection for a whole transaction (closing it, or a new instance on
# it, gives the transaction's reservations back).
pd_session_start() {
	coproc PD { $PW_PYTHON "$PW_SRCDIR/tests/policyd/pd_session.py" \
	    "${1:-$PW_TMP/policyd.sock}"; }
}

# pd_ask CONN ATTR=VALUE...: one smtpd_access_policy request with these
# attributes on connection CONN (opened on first use); prints the action.
pd_ask() {
	local conn=$1 req=request=smtpd_access_policy a
	shift
	for a in "$@"; do
		req+="\\n$a"
	done
	printf '%s\t%s\n' "$conn" "$req" >&"${PD[1]}"
	read -r a <&"${PD[0]}"
	printf '%s\n' "$a"
}

# pd_hangup CONN: Postfix closes connection CONN.
pd_hangup() {
	local a
	printf 'close\t%s\n' "$1" >&"${PD[1]}"
	read -r a <&"${PD[0]}"
}
