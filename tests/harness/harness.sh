# tests/harness/harness.sh -- bash library for postwarden integration tests.
#
# Sourced by every shell test (tests/e2e/*.sh, contrib/quickstart).  It
# gives a test a private world on loopback: a temp directory, a private
# redis-server on a unix socket, smtp-sink capture servers, a private
# Postfix instance (own config, queue and data directories, unchrooted,
# relaying everything to a sink), and the two postwarden daemons.  It never
# touches /etc/postfix, the system Postfix or a system Redis.
#
# Output is TAP (pw_plan/pw_ok/pw_not_ok/pw_check/pw_skip_all); diagnostics
# are TAP comments ("# ...").  Setup failures end the test with "Bail out!"
# after dumping the relevant log tails.
#
# Every process the harness starts is recorded by pid and stopped by pid
# from an EXIT/INT/TERM trap, also when the test fails.  PW_KEEP_TMP=1
# keeps the temp directory (its path is printed).  Every wait has a
# deadline (PW_TIMEOUT seconds unless given) and says what it waited for.
#
# Environment: PW_SRCDIR, PW_BUILDDIR (absolute; the Makefile sets them,
# by hand they default to the source tree this file lives in and, for the
# build tree, to the source tree).  PW_TIMEOUT (default 20),
# PW_KEEP_TMP=1, PW_PYTHON (default /usr/bin/python3).
#
# Needs: root, postfix, redis-server/redis-cli, swaks, smtp-sink (package
# postfix), python3 (socket probes), coreutils timeout.
#
# API (one line each; details above each function):
#   pw_plan N                       print the TAP plan
#   pw_done                         the plan after the last case; false if any failed
#   pw_ok NAME / pw_not_ok NAME DIAG  report one test case
#   pw_check NAME CMD...            run CMD; ok if it exits 0
#   pw_is NAME GOT WANT             ok if two strings are equal
#   pw_diag TEXT... / pw_diag_file FILE [N]  TAP comments
#   pw_skip_all REASON              "1..0 # SKIP REASON", exit 0
#   pw_bail REASON                  "Bail out! REASON", dump logs, exit 1
#   pw_require_root_tools           skip unless root with redis/postfix/swaks
#   pw_harness_init                 temp dir, traps, sanity
#   pw_free_port                    print a free 127.0.0.1 TCP port
#   pw_wait_until DESC TIMEOUT CMD...  poll CMD until it succeeds
#   pw_wait_log FILE REGEX [TIMEOUT]   wait for a line in a log
#   pw_redis_start / pw_redis_cli ARGS...  private Redis, PW_REDIS_SOCK
#   pw_sink_start NAME [OPT...] / pw_sink_wait NAME COUNT [TIMEOUT] / pw_sink_files NAME
#   pw_sink_find NAME QID           the sink file of Postfix queue id QID
#   pw_postfix_main "k = v" / pw_postfix_master "line"  configure Postfix
#   pw_postfix_main_file FILE       apply a main.cf snippet (contrib/postfix)
#   pw_postfix_contrib_main [--auth]  apply contrib/postfix/main.cf as an admin would
#   pw_postfix_tls                  STARTTLS with a self-signed certificate ($PW_TMP/tls.*)
#   pw_postfix_start / pw_postfix_reload / pw_postfix_stop
#   pw_postfix_start_extra NAME ["k = v"...]  one more Postfix like the first
#   pw_postfix_flush                ask the queue manager to retry now
#   pw_daemon_start policyd|milter [CONF_LINES...] / pw_daemon_stop NAME
#   pw_daemon_alive NAME            is that daemon still running
#   pw_secret_file FILE             a new random secret, 0600, owner nobody
#   pw_policyd_start_extra NAME [CONF_LINES...]  one more policyd
#   pw_swaks ARGS...                swaks against the private smtpd
#   pw_swaks_data FILE ARGS...      send FILE exactly (swaks --data)
#   pw_swaks_queue_id               queue id of the last accepted message
#   pw_sink_message F / pw_header_of F / pw_body_of F  split a message
#   pw_teardown                     stop everything now (idempotent)
#   pw_keep_running STOPFILE        leave it all running; STOPFILE stops it
#   pw_leftover_pids                print pids still running from $PW_TMP
#
# DKIM keys, tables and DNS records: tests/harness/dkim.sh, sourced after
# this file by the tests that sign or verify:
#   pw_dkim_require ALG...          skip unless the verifiers are installed
#   pw_dkim_key NAME DOMAIN SELECTOR rsa|ed25519 [BITS]  key, keytable, dns
#   pw_dkim_sign DOMAIN NAME[,NAME] a signingtable line
#
# A private DNS server: tests/harness/dns.sh, sourced after this file by
# the tests that look records up:
#   pw_dns_start FILE / pw_dns_stop  unbound on 127.0.0.1, PW_DNS_SERVER
#   pw_dns_txt NAME VALUE           a TXT record line (strings of 255)

# --- globals ------------------------------------------------------------------

: "${PW_TIMEOUT:=20}"
if [ -z "${PW_SRCDIR:-}" ]; then
	PW_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi
: "${PW_BUILDDIR:=$PW_SRCDIR}"
export PW_SRCDIR PW_BUILDDIR
# Postfix's commands live in /usr/sbin, which a non-login PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac
# The system python3 starts faster than a pyenv shim; used for sockets.
if [ -z "${PW_PYTHON:-}" ]; then
	PW_PYTHON=python3
	[ -x /usr/bin/python3 ] && PW_PYTHON=/usr/bin/python3
fi

PW_TAP_N=0		# test cases reported so far
PW_TAP_FAILED=0		# of which not ok
PW_TMP=
PW_TORN_DOWN=0
PW_DAEMON_DIED=		# daemons found dead when we came to stop them
declare -gA PW_PIDS=()	# name -> pid of what we started (not Postfix)
declare -ga PW_PID_ORDER=()
declare -ga PW_POSTFIX_MAIN_EXTRA=()
declare -ga PW_POSTFIX_MASTER_EXTRA=()
declare -ga PW_POSTFIX_EXTRA_DIRS=()	# pw_postfix_start_extra instances
declare -ga PW_EXTRA_DAEMON_LOGS=()	# pw_policyd_start_extra logs
PW_POSTFIX_DIR=		# $PW_TMP/postfix once configured
PW_POSTFIX_RUNNING=0
PW_SMTPD_PORT=
PW_MAILLOG=
PW_REDIS_SOCK=
PW_SINK_PORT=		# the first sink: Postfix's relayhost

# --- TAP ---------------------------------------------------------------------

# Print the TAP plan.
pw_plan() {
	echo "1..$1"
}

# After the last case, when their number was not known before: print the
# plan; false if any case failed (the test's exit status, when last).
pw_done() {
	pw_plan "$PW_TAP_N"
	[ "$PW_TAP_FAILED" -eq 0 ]
}

# Print text as TAP comments, one "# " per line.
pw_diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

# Print the last N (default 20) lines of FILE as TAP comments.
pw_diag_file() {
	local f=$1 n=${2:-20}
	if [ -r "$f" ]; then
		echo "# --- tail -n $n $f"
		[ -s "$f" ] || echo "#   (empty)"
		tail -n "$n" "$f" | LC_ALL=C sed 's/^/#   /' | cut -c1-300
	else
		echo "# --- $f: missing"
	fi
}

# Report a passing case.
pw_ok() {
	PW_TAP_N=$((PW_TAP_N + 1))
	echo "ok $PW_TAP_N - $1"
}

# Report a failing case with a diagnostic; dumps the log tails.
pw_not_ok() {
	PW_TAP_N=$((PW_TAP_N + 1))
	PW_TAP_FAILED=$((PW_TAP_FAILED + 1))
	echo "not ok $PW_TAP_N - $1"
	[ -n "${2:-}" ] && pw_diag "$2"
	pw__dump_logs
}

# Run a command; ok if it exits 0, otherwise not ok with its output.
pw_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pw_ok "$name"
	else
		pw_not_ok "$name" "command failed (exit $rc): $*
$(printf '%s\n' "$out" | tail -n 20)"
	fi
	return "$rc"
}

# ok if GOT equals WANT.
pw_is() {
	if [ "$2" = "$3" ]; then
		pw_ok "$1"
	else
		pw_not_ok "$1" "got:  '$2'
want: '$3'"
		return 1
	fi
}

# Skip the whole test file.
pw_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# Abort the test (setup failure): print why and the log tails.
pw_bail() {
	pw__dump_logs
	echo "Bail out! $1"
	exit 1
}

# --- prerequisites ----------------------------------------------------------

# Skip unless we are root and have everything a Postfix test needs.
pw_require_root_tools() {
	local t
	[ "$(id -u)" -eq 0 ] ||
	    pw_skip_all "needs root (private Postfix instance)"
	for t in redis-server redis-cli postfix postconf postqueue smtp-sink \
	    swaks "$PW_PYTHON" timeout; do
		command -v "$t" >/dev/null 2>&1 ||
		    pw_skip_all "$t not installed"
	done
	getent passwd postfix >/dev/null ||
	    pw_skip_all "no postfix user"
	getent group postdrop >/dev/null ||
	    pw_skip_all "no postdrop group"
	getent passwd nobody >/dev/null ||
	    pw_skip_all "no nobody user"
}

# --- setup and teardown -------------------------------------------------------

# Create $PW_TMP (0755 so unprivileged daemons and Postfix can traverse it)
# and install the teardown trap.
pw_harness_init() {
	PW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pw-test.XXXXXX") ||
	    pw_bail "mktemp failed"
	chmod 0755 "$PW_TMP"
	export PW_TMP
	trap pw__on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

pw__on_exit() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ "${PW_KEEP_RUNNING:-0}" = 1 ]; then
		exit "$rc"
	fi
	pw_teardown
	[ "$PW_TAP_FAILED" -gt 0 ] &&
	    echo "# $PW_TAP_FAILED of $PW_TAP_N test(s) failed"
	# A daemon that crashed or tripped a sanitizer fails the test file
	# even if every check passed (tap-driver reports the exit status).
	if [ -n "$PW_DAEMON_DIED" ]; then
		echo "# postwarden daemon(s) died during the test:$PW_DAEMON_DIED"
		rc=1
	fi
	if [ -n "$PW_TMP" ] && grep -qE \
	    'ERROR: (Address|Leak|Thread|UndefinedBehavior)Sanitizer|runtime error:' \
	    "$PW_TMP"/policyd.log "$PW_TMP"/milter.log \
	    "${PW_EXTRA_DAEMON_LOGS[@]}" 2>/dev/null; then
		echo "# sanitizer report in a daemon log:"
		grep -hE -A12 'ERROR: [A-Za-z]*Sanitizer|runtime error:' \
		    "$PW_TMP"/policyd.log "$PW_TMP"/milter.log \
		    "${PW_EXTRA_DAEMON_LOGS[@]}" 2>/dev/null |
		    head -n 40 | LC_ALL=C sed 's/^/#   /'
		rc=1
	fi
	if [ -n "$PW_TMP" ] && [ -d "$PW_TMP" ]; then
		if [ "${PW_KEEP_TMP:-0}" = 1 ]; then
			echo "# PW_KEEP_TMP=1: kept $PW_TMP"
		else
			rm -rf "$PW_TMP"
		fi
	fi
	exit "$rc"
}

# Leave everything running when the script exits (contrib/quickstart
# --keep) and write a script FILE that stops it all by pid and removes
# $PW_TMP.
pw_keep_running() {
	local file=$1 name pids=
	for name in "${PW_PID_ORDER[@]}"; do
		[ -n "${PW_PIDS[$name]:-}" ] && pids="$pids ${PW_PIDS[$name]}"
	done
	cat >"$file" <<EOF
#!/bin/bash
# Stop the postwarden demo in $PW_TMP (written by tests/harness/harness.sh).
postfix -c "$PW_POSTFIX_DIR/etc" stop 2>/dev/null
for pid in$pids; do
	kill -TERM "\$pid" 2>/dev/null
done
for i in \$(seq 100); do
	alive=
	for pid in$pids; do
		kill -0 "\$pid" 2>/dev/null && alive=1
	done
	[ -z "\$alive" ] && break
	sleep 0.1
done
for pid in$pids; do
	kill -KILL "\$pid" 2>/dev/null
done
rm -rf "$PW_TMP"
echo "postwarden demo stopped; $PW_TMP removed"
EOF
	chmod 0755 "$file"
	PW_KEEP_RUNNING=1
}

# Stop everything this test started, newest first, by pid.  Idempotent.
pw_teardown() {
	local i name
	[ "$PW_TORN_DOWN" = 1 ] && return 0
	PW_TORN_DOWN=1
	for ((i = ${#PW_PID_ORDER[@]} - 1; i >= 0; i--)); do
		name=${PW_PID_ORDER[i]}
		case $name in
		policyd|milter)
			pw__stop_pid "$name" 10
			;;
		esac
	done
	[ "$PW_POSTFIX_RUNNING" = 1 ] && pw_postfix_stop
	for i in "${PW_POSTFIX_EXTRA_DIRS[@]}"; do
		pw__postfix_stop_dir "$i"
	done
	for ((i = ${#PW_PID_ORDER[@]} - 1; i >= 0; i--)); do
		pw__stop_pid "${PW_PID_ORDER[i]}" 10
	done
	return 0
}

# Is PID alive (and not a zombie)?
pw__alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Stop a recorded process: TERM, wait up to T seconds, then KILL; reap it.
pw__stop_pid() {
	local name=$1 t=${2:-10} pid deadline
	pid=${PW_PIDS[$name]:-}
	[ -n "$pid" ] || return 0
	unset "PW_PIDS[$name]"
	if ! pw__alive "$pid"; then
		wait "$pid" 2>/dev/null
		echo "# $name (pid $pid) had already exited, status $?"
		case $name in
		policyd|milter) PW_DAEMON_DIED="$PW_DAEMON_DIED $name" ;;
		esac
		return 0
	fi
	if pw__alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		deadline=$((SECONDS + t))
		while pw__alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.05
		done
		if pw__alive "$pid"; then
			echo "# $name (pid $pid) ignored SIGTERM for ${t}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			sleep 0.1
		fi
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# Record a background process under NAME.
pw__record() {
	PW_PIDS[$1]=$2
	PW_PID_ORDER+=("$1")
}

# Print the pids of live processes that belong to this test: their command
# line, or for Postfix their MAIL_CONFIG, mentions $PW_TMP.
pw_leftover_pids() {
	local d pid
	[ -n "$PW_TMP" ] || return 0
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = $$ ] && continue
		[ "$pid" = "${BASHPID:-}" ] && continue
		if tr '\0' '\n' 2>/dev/null <"$d/cmdline" |
		    grep -qF -- "$PW_TMP" ||
		    tr '\0' '\n' 2>/dev/null <"$d/environ" |
		    grep -qxF -- "MAIL_CONFIG=$PW_TMP/postfix/etc"; then
			pw__alive "$pid" || continue
			case $(tr '\0' ' ' 2>/dev/null <"$d/cmdline") in
			# our own helpers reading /proc right now
			tr\ *|grep\ *) continue ;;
			esac
			echo "$pid"
		fi
	done
}

# Dump every log the harness knows about as TAP comments.
pw__dump_logs() {
	local f
	[ -n "$PW_TMP" ] && [ -d "$PW_TMP" ] || return 0
	[ "${PW_DUMPING:-0}" = 1 ] && return 0
	PW_DUMPING=1
	for f in "$PW_TMP"/postfix/maillog "$PW_TMP"/policyd.log \
	    "$PW_TMP"/milter.log "$PW_TMP"/redis/redis.log \
	    "$PW_TMP"/sink-*.log "$PW_TMP"/swaks-*.log; do
		[ -e "$f" ] && pw_diag_file "$f" 25
	done
	PW_DUMPING=0
}

# --- waiting -------------------------------------------------------------------

# Poll CMD (every 0.05..0.2 s) until it succeeds or TIMEOUT seconds pass.
# On timeout print what we waited for and return 1.  CMD exits 99 to say
# it never will (e.g. the process died): then give up at once.
pw_wait_until() {
	local desc=$1 timeout=$2 deadline delay=0.05
	shift 2
	deadline=$(($(date +%s%N) / 1000000 + timeout * 1000))
	while :; do
		"$@" >/dev/null 2>&1
		case $? in
		0)	return 0 ;;
		99)	echo "# gave up waiting for $desc"
			return 1 ;;
		esac
		if [ "$(($(date +%s%N) / 1000000))" -ge "$deadline" ]; then
			echo "# timed out after ${timeout}s waiting for $desc"
			return 1
		fi
		sleep "$delay"
		[ "$delay" = 0.05 ] && delay=0.1 || delay=0.2
	done
	return 0
}

# Wait until FILE has a line matching the extended REGEX.
pw_wait_log() {
	pw_wait_until "/$2/ in $1" "${3:-$PW_TIMEOUT}" grep -qE -- "$2" "$1"
}

# Print a free TCP port on 127.0.0.1 (the kernel picks it).
pw_free_port() {
	"$PW_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Does 127.0.0.1:PORT answer with an SMTP 220 greeting?
pw__smtp_banner() {
	timeout 3 "$PW_PYTHON" - "$1" 2>/dev/null <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
line = s.makefile("rb").readline()
s.close()
sys.exit(0 if line.startswith(b"220") else 1)
EOF
}

# Does the unix socket PATH accept a connection?
pw__unix_accepts() {
	[ -S "$1" ] || return 1
	timeout 3 "$PW_PYTHON" - "$1" 2>/dev/null <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])
s.close()
EOF
}

# --- Redis -----------------------------------------------------------------------

# Start a private redis-server on $PW_TMP/redis/redis.sock (no TCP, no
# persistence) and export PW_REDIS_SOCK; it holds the store marker
# (pw:store).
pw_redis_start() {
	local dir=$PW_TMP/redis pid
	mkdir -p "$dir" && chmod 0755 "$dir"
	PW_REDIS_SOCK=$dir/redis.sock
	export PW_REDIS_SOCK
	redis-server --port 0 --unixsocket "$PW_REDIS_SOCK" \
	    --unixsocketperm 777 --daemonize no --save '' \
	    --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
	    --pidfile '' </dev/null >/dev/null 2>&1 &
	pid=$!
	pw__record redis "$pid"
	pw_wait_until "redis-server to answer PING on $PW_REDIS_SOCK" \
	    "$PW_TIMEOUT" pw__redis_ping ||
	    pw_bail "redis-server did not start"
	# The store marker that postwarden tenant/key add write: tests that
	# write records with redis-cli start from a set-up store.
	redis-cli -s "$PW_REDIS_SOCK" SET pw:store 1 >/dev/null
}

pw__redis_ping() {
	[ "$(redis-cli -s "$PW_REDIS_SOCK" ping 2>/dev/null)" = PONG ]
}

# redis-cli against the private Redis.
pw_redis_cli() {
	redis-cli -s "$PW_REDIS_SOCK" "$@"
}

# Give TENANT the sending domain DOMAIN (already in normal form: A-labels,
# lower case), and with "subdomains" every name below it, written as
# docs/redis-schema.md says ("Sending domains") without the postwarden
# command, for tests that must not depend on it.
pw_domain_add() {
	local tenant=$1 domain=$2 scope=${3:-exact} sub=no
	[ "$scope" = subdomains ] && sub=yes
	pw_redis_cli HSETNX "pw:domain:$domain" tenant "$tenant" >/dev/null &&
	pw_redis_cli HSET "pw:{$tenant}:domains" "$domain" "$scope" >/dev/null &&
	pw_redis_cli HSET "pw:{$tenant}:domain:$domain" created "$(date +%s)" \
	    subdomains "$sub" >/dev/null &&
	pw_redis_cli INCR "pw:{$tenant}:gen" >/dev/null	# as postwarden does
}

# --- smtp-sink ---------------------------------------------------------------------

# Start smtp-sink NAME on a free 127.0.0.1 port; each message is dumped to
# a file in $PW_TMP/sink-NAME/.  Further arguments are smtp-sink options
# (-8: no 8BITMIME).  Exports PW_SINK_PORT_NAME (and PW_SINK_PORT for the
# first sink).
pw_sink_start() {
	local name=$1 dir=$PW_TMP/sink-$1 port pid
	shift
	mkdir -p "$dir"
	chown nobody "$dir"
	for _ in 1 2 3; do
		port=$(pw_free_port) || pw_bail "cannot pick a port"
		# -u: drop to nobody after bind (required as root);
		# -4: IPv4 only; -d: one file per transaction.
		smtp-sink -4 -u nobody -h "sink-$name.localdomain" "$@" \
		    -d "$dir/%Y%m%d%H%M%S." "127.0.0.1:$port" 64 \
		    </dev/null >>"$PW_TMP/sink-$name.log" 2>&1 &
		pid=$!
		pw__record "sink-$name" "$pid"
		if pw_wait_until "smtp-sink $name on 127.0.0.1:$port" \
		    "$PW_TIMEOUT" pw__sink_up "$pid" "$port"; then
			break
		fi
		# Lost a race for the port: try another one.
		pw__stop_pid "sink-$name" 2
		port=
	done
	[ -n "$port" ] || pw_bail "smtp-sink $name did not start"
	export "PW_SINK_PORT_$name=$port"
	if [ -z "$PW_SINK_PORT" ]; then
		PW_SINK_PORT=$port
		export PW_SINK_PORT
	fi
}

pw__sink_up() {
	pw__alive "$1" && pw__smtp_banner "$2"
}

# Print the complete message files of sink NAME, oldest first: files that
# smtp-sink no longer holds open.
pw_sink_files() {
	local dir=$PW_TMP/sink-$1 pid f open
	pid=${PW_PIDS[sink-$1]:-}
	open=
	if [ -n "$pid" ]; then
		open=$(ls -l "/proc/$pid/fd" 2>/dev/null |
		    sed -n 's/.* -> //p')
	fi
	# Names are smtp-sink's (digits, ".", hex): safe to read from ls.
	ls -tr "$dir" 2>/dev/null | while IFS= read -r f; do
		f=$dir/$f
		[ -f "$f" ] || continue
		printf '%s\n' "$open" | grep -qxF -- "$f" && continue
		echo "$f"
	done
}

# Print the sink NAME file of the message Postfix queued as QID (found by
# the "id QID" of Postfix's Received: header); nothing if not there.
pw_sink_find() {
	local f
	[ -n "$2" ] || return 1
	pw_sink_files "$1" | while IFS= read -r f; do
		if grep -qE "^[[:space:]]+by [^ ]+ \(Postfix\) with [A-Z0-9]+ id $2(\$|[^0-9A-Za-z])" "$f"; then
			echo "$f"
			break
		fi
	done
}

pw__sink_count_ge() {
	[ "$(pw_sink_files "$1" | wc -l)" -ge "$2" ]
}

# Wait until sink NAME holds at least COUNT complete messages.
pw_sink_wait() {
	local name=$1 count=$2 t=${3:-$PW_TIMEOUT}
	if ! pw_wait_until "$count message(s) in sink $name" "$t" \
	    pw__sink_count_ge "$name" "$count"; then
		echo "# sink $name has $(pw_sink_files "$name" | wc -l) message(s)"
		[ -n "$PW_POSTFIX_DIR" ] && [ "$PW_POSTFIX_RUNNING" = 1 ] &&
		    postqueue -c "$PW_POSTFIX_DIR/etc" -p 2>&1 |
		    LC_ALL=C sed 's/^/#   /' | head -n 20
		return 1
	fi
}

# The message part (header + body as received) of a sink file: drop the
# smtp-sink header block (X-Client-*, X-Helo-Args, X-Mail-Args,
# X-Rcpt-Args and its three-line Received:) and the trailing empty line.
pw_sink_message() {
	awk '
	BEGIN { hdr = 1 }
	hdr && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
	hdr && /^Received: from .*/ { skip = 2; next }
	hdr && skip > 0 && /^[ \t]/ { skip--; if (skip == 0) hdr = 0; next }
	{ hdr = 0; lines[n++] = $0 }
	END { if (n > 0 && lines[n - 1] == "") n--
	      for (i = 0; i < n; i++) print lines[i] }' "$1"
}

# The body of a message file (everything after the first empty line).
pw_body_of() {
	awk 'found { print; next } /^\r?$/ { found = 1 }' "$1"
}

# The header section of a message file (up to the first empty line).
pw_header_of() {
	awk '/^\r?$/ { exit } { print }' "$1"
}

# --- Postfix -------------------------------------------------------------------------

# Add or override a main.cf line ("name = value").  Before pw_postfix_start
# it is applied at start; afterwards immediately (then pw_postfix_reload).
pw_postfix_main() {
	if [ "$PW_POSTFIX_RUNNING" = 1 ]; then
		postconf -c "$PW_POSTFIX_DIR/etc" -e "$1" ||
		    pw_bail "postconf -e '$1' failed"
	else
		PW_POSTFIX_MAIN_EXTRA+=("$1")
	fi
}

# Apply every "name = value" of a main.cf snippet FILE (comments dropped,
# continuation lines joined) with pw_postfix_main.
pw_postfix_main_file() {
	local line
	while IFS= read -r line; do
		[ -n "$line" ] && pw_postfix_main "$line"
	done < <(awk '
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	/^[ \t]/ { sub(/^[ \t]+/, ""); cur = cur " " $0; next }
	{ if (cur != "") print cur; cur = $0 }
	END { if (cur != "") print cur }' "$1")
}

# Apply contrib/postfix/main.cf as an admin pastes it, its tables read
# from the source tree's contrib/postfix/ instead of /etc/postfix/.  Its
# sockets are unix:postwarden/{policyd,milter}.sock, relative to the queue
# directory: start the daemons on $PW_POSTFIX_SOCKDIR/{policyd,milter}.sock
# (pw_postfix_start creates that directory).  --auth also uncomments its
# SMTP AUTH lines, as an admin does once auth_listen is set: then start
# postwarden-policyd with auth_listen = unix:$PW_POSTFIX_SOCKDIR/auth.sock
# and call pw_postfix_tls (smtpd_tls_auth_only needs TLS).
pw_postfix_contrib_main() {
	local auth=
	[ "${1:-}" = --auth ] && auth='s/^#\(smtpd_sasl_[a-z_]* = \)/\1/; s/^#\(smtpd_tls_auth_only = \)/\1/;'
	sed "$auth s|/etc/postfix/|$PW_SRCDIR/contrib/postfix/|g" \
	    "$PW_SRCDIR/contrib/postfix/main.cf" >"$PW_TMP/contrib-main.cf"
	if [ -n "$auth" ] &&
	    ! grep -q '^smtpd_sasl_auth_enable = yes' "$PW_TMP/contrib-main.cf"; then
		pw_bail "pw_postfix_contrib_main --auth: no SASL lines in contrib/postfix/main.cf"
	fi
	pw_postfix_main_file "$PW_TMP/contrib-main.cf"
}

# smtpd offers STARTTLS (smtpd_tls_security_level = may) with a
# self-signed certificate for its myhostname made with openssl in
# $PW_TMP/tls.crt and tls.key, and master.cf gets the tlsmgr service.
# For SMTP AUTH with smtpd_tls_auth_only: swaks --tls --auth ...  (swaks
# marks the lines it reads over TLS "<~", not "<-").
pw_postfix_tls() {
	command -v openssl >/dev/null || pw_bail "pw_postfix_tls: openssl not installed"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=mx.pw-test.localdomain \
	    -keyout "$PW_TMP/tls.key" -out "$PW_TMP/tls.crt" >/dev/null 2>&1 ||
	    pw_bail "openssl req (self-signed certificate) failed"
	chmod 0600 "$PW_TMP/tls.key"
	pw_postfix_main "smtpd_tls_security_level = may"
	pw_postfix_main "smtpd_tls_cert_file = $PW_TMP/tls.crt"
	pw_postfix_main "smtpd_tls_key_file = $PW_TMP/tls.key"
	pw_postfix_master "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"
}

# Add a master.cf line (before start, or afterwards then pw_postfix_reload).
pw_postfix_master() {
	if [ "$PW_POSTFIX_RUNNING" = 1 ]; then
		printf '%s\n' "$1" >>"$PW_POSTFIX_DIR/etc/master.cf"
	else
		PW_POSTFIX_MASTER_EXTRA+=("$1")
	fi
}

# Write main.cf and master.cf of the private instance.
pw__postfix_write_config() {
	local d=$PW_POSTFIX_DIR line
	cat >"$d/etc/main.cf" <<EOF
# Private Postfix instance of a postwarden test ($PW_TMP).
compatibility_level = 3.6
config_directory = $d/etc
queue_directory = $d/spool
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.pw-test.localdomain
mydomain = pw-test.localdomain
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$PW_SINK_PORT
default_transport = smtp
relay_transport = smtp
maillog_file = $d/maillog
maillog_file_prefixes = $PW_TMP
# Nothing leaves loopback: no DNS for the SMTP client, no reverse lookup
# of client addresses (XCLIENT ADDR without NAME would query DNS).
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtp_address_preference = ipv4
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP Postfix (postwarden test)
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
delay_warning_time = 0
smtp_connect_timeout = 5s
in_flow_delay = 0
biff = no
append_dot_mydomain = no
milter_protocol = 6
EOF
	cat >"$d/etc/master.cf" <<EOF
# service  type  private unpriv chroot wakeup maxproc command
127.0.0.1:$PW_SMTPD_PORT inet n - n - - smtpd
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	for line in "${PW_POSTFIX_MASTER_EXTRA[@]}"; do
		printf '%s\n' "$line" >>"$d/etc/master.cf"
	done
	for line in "${PW_POSTFIX_MAIN_EXTRA[@]}"; do
		postconf -c "$d/etc" -e "$line" ||
		    pw_bail "postconf -e '$line' failed"
	done
}

# Start the private Postfix: smtpd on 127.0.0.1:$PW_SMTPD_PORT, relaying
# everything to the first sink (started here as "main" if none).
#
# As root, postfix(1) accepts any -c directory (alternate_config_directories
# is only consulted for non-root callers of set-gid commands), so no
# /etc/postfix/main.cf is needed.  MAIL_CONFIG is exported to the children
# by master (import_environment).
pw_postfix_start() {
	local d=$PW_TMP/postfix out
	PW_POSTFIX_DIR=$d
	[ -n "$PW_SINK_PORT" ] || pw_sink_start main
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chmod 0755 "$d" "$d/etc"
	chown postfix "$d/data"
	PW_MAILLOG=$d/maillog
	export PW_MAILLOG PW_POSTFIX_DIR
	PW_SMTPD_PORT=$(pw_free_port) || pw_bail "cannot pick a port"
	export PW_SMTPD_PORT
	pw__postfix_write_config
	out=$(postfix -c "$d/etc" check 2>&1) || {
		printf '%s\n' "$out" | LC_ALL=C sed 's/^/# /'
		pw_bail "postfix check failed"
	}
	out=$(postfix -c "$d/etc" start </dev/null 2>&1) || {
		printf '%s\n' "$out" | LC_ALL=C sed 's/^/# /'
		pw_bail "postfix start failed"
	}
	PW_POSTFIX_RUNNING=1
	# Where contrib/postfix/main.cf's relative socket names point.
	PW_POSTFIX_SOCKDIR=$d/spool/postwarden
	install -d -o nobody -g postfix -m 0750 "$PW_POSTFIX_SOCKDIR"
	export PW_POSTFIX_SOCKDIR
	pw_wait_until "Postfix smtpd 220 on 127.0.0.1:$PW_SMTPD_PORT" \
	    "$PW_TIMEOUT" pw__smtp_banner "$PW_SMTPD_PORT" ||
	    pw_bail "private Postfix did not start"
}

# Start one more private Postfix, named NAME (a shell word), configured
# like the first one (the same pw_postfix_main/pw_postfix_master lines
# given so far, the same relayhost sink) plus the main.cf lines that
# follow NAME, in $PW_TMP/postfix-NAME, with its smtpd on its own port,
# exported as PW_SMTPD_PORT_NAME.  Talk to it with
# PW_SMTPD_PORT=$PW_SMTPD_PORT_NAME pw_swaks ...  The teardown stops it.
pw_postfix_start_extra() {
	local name=$1 out line
	local PW_POSTFIX_DIR=$PW_TMP/postfix-$1 PW_SMTPD_PORT PW_MAILLOG
	local d=$PW_TMP/postfix-$1
	[ -n "$PW_SINK_PORT" ] || pw_sink_start main
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chmod 0755 "$d" "$d/etc"
	chown postfix "$d/data"
	PW_SMTPD_PORT=$(pw_free_port) || pw_bail "cannot pick a port"
	pw__postfix_write_config
	shift
	for line in "$@"; do
		postconf -c "$d/etc" -e "$line" ||
		    pw_bail "postconf -e '$line' failed ($name)"
	done
	out=$(postfix -c "$d/etc" check 2>&1) || {
		printf '%s\n' "$out" | LC_ALL=C sed 's/^/# /'
		pw_bail "postfix check failed ($name)"
	}
	out=$(postfix -c "$d/etc" start </dev/null 2>&1) || {
		printf '%s\n' "$out" | LC_ALL=C sed 's/^/# /'
		pw_bail "postfix start failed ($name)"
	}
	PW_POSTFIX_EXTRA_DIRS+=("$d")
	pw_wait_until "Postfix $name smtpd 220 on 127.0.0.1:$PW_SMTPD_PORT" \
	    "$PW_TIMEOUT" pw__smtp_banner "$PW_SMTPD_PORT" ||
	    pw_bail "private Postfix $name did not start"
	export "PW_SMTPD_PORT_$name=$PW_SMTPD_PORT"
}

# Stop the extra Postfix instance in directory DIR.
pw__postfix_stop_dir() {
	local PW_POSTFIX_DIR=$1 PW_POSTFIX_RUNNING=1
	pw_postfix_stop
}

# Make Postfix re-read its configuration.
pw_postfix_reload() {
	local out
	out=$(postfix -c "$PW_POSTFIX_DIR/etc" reload 2>&1) || {
		printf '%s\n' "$out" | LC_ALL=C sed 's/^/# /'
		return 1
	}
	# smtpd processes finish their session with the old configuration;
	# a new connection gets a new process.
	pw_wait_until "Postfix smtpd 220 after reload" "$PW_TIMEOUT" \
	    pw__smtp_banner "$PW_SMTPD_PORT"
}

# Attempt delivery of everything queued now.
pw_postfix_flush() {
	postqueue -c "$PW_POSTFIX_DIR/etc" -f >/dev/null 2>&1
}

pw__postfix_master_pid() {
	local f=$PW_POSTFIX_DIR/spool/pid/master.pid
	[ -r "$f" ] && tr -d ' \n' <"$f"
}

pw__postfix_procs() {
	local d
	for d in /proc/[0-9]*; do
		tr '\0' '\n' 2>/dev/null <"$d/environ" |
		    grep -qxF -- "MAIL_CONFIG=$PW_POSTFIX_DIR/etc" || continue
		pw__alive "${d#/proc/}" && echo "${d#/proc/}"
	done
}

pw__postfix_gone() {
	[ -z "$(pw__postfix_procs)" ]
}

# Stop the private Postfix; kill what is left by pid if it will not go.
pw_postfix_stop() {
	local mpid pids
	[ "$PW_POSTFIX_RUNNING" = 1 ] || return 0
	PW_POSTFIX_RUNNING=0
	mpid=$(pw__postfix_master_pid)
	postfix -c "$PW_POSTFIX_DIR/etc" stop </dev/null >/dev/null 2>&1
	if ! pw_wait_until "Postfix master and children to exit" 10 \
	    pw__postfix_gone; then
		[ -n "$mpid" ] && kill -KILL "$mpid" 2>/dev/null
		pids=$(pw__postfix_procs)
		# shellcheck disable=SC2086 # one word per pid
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		pw_wait_until "killed Postfix processes to exit" 5 \
		    pw__postfix_gone
	fi
	return 0
}

# --- postwarden daemons ------------------------------------------------------------

# A new secret file (a tracking_secret_file): 32 random bytes in hex,
# mode 0600, owned by nobody (the daemons' user, which reads it again on
# SIGHUP) when we are root.
pw_secret_file() {
	openssl rand -hex 32 >"$1" || pw_bail "openssl rand: $1"
	chmod 0600 "$1" || pw_bail "chmod $1"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$1" || pw_bail "chown nobody $1"
	fi
}

# Start postwarden-policyd or postwarden-milter in the foreground (in the
# background of this shell) with stderr to $PW_TMP/NAME.log.  Extra
# arguments are postwarden.conf lines ("name = value") and replace the
# harness defaults of the same name.  Waits until its socket accepts.
pw_daemon_start() {
	local name=$1 bin endpoint conf pid line key v
	shift
	case $name in
	policyd)
		bin=$PW_BUILDDIR/policyd/postwarden-policyd
		key=policyd_listen
		endpoint=unix:$PW_TMP/policyd.sock ;;
	milter)
		bin=$PW_BUILDDIR/milter/postwarden-milter
		key=milter_socket
		endpoint=unix:$PW_TMP/milter.sock ;;
	*)	pw_bail "pw_daemon_start: unknown daemon $name" ;;
	esac
	[ -x "$bin" ] || pw_bail "$bin not built"
	[ -n "$PW_REDIS_SOCK" ] || pw_redis_start
	# A listen address given by the caller: wait on its first endpoint.
	for line in "$@"; do
		v=${line%%=*}
		[ "${v// /}" = "$key" ] || continue
		v=${line#*=}
		v=${v//,/ }
		read -r endpoint _ <<<"$v"
	done
	conf=$PW_TMP/postwarden-$name.conf
	{
		echo "# postwarden.conf for the $name of a test ($PW_TMP)"
		pw__daemon_conf_defaults "$name" | while IFS= read -r line; do
			v=${line%%=*}
			pw__conf_overridden "${v// /}" "$@" || echo "$line"
		done
		for line in "$@"; do
			echo "$line"
		done
	} >"$conf"
	chmod 0644 "$conf"
	"$bin" -f -c "$conf" </dev/null >>"$PW_TMP/$name.log" 2>&1 &
	pid=$!
	pw__record "$name" "$pid"
	pw_wait_until "$name to accept connections on $endpoint" \
	    "$PW_TIMEOUT" pw__daemon_up "$pid" "$endpoint" 3>&1 ||
	    pw_bail "$name did not start (see $PW_TMP/$name.log)"
	case $endpoint in
	unix:*)	export "PW_${name^^}_SOCK=${endpoint#unix:}" ;;
	esac
	export "PW_${name^^}_ENDPOINT=$endpoint"
}

pw__daemon_conf_defaults() {
	cat <<EOF
redis_server = unix:$PW_REDIS_SOCK
user = nobody
socket_group = postfix
socket_mode = 0660
log_level = debug
policyd_listen = unix:$PW_TMP/policyd.sock
policyd_pid_file = $PW_TMP/policyd.pid
milter_socket = unix:$PW_TMP/milter.sock
milter_pid_file = $PW_TMP/milter.pid
EOF
}

# Is KEY set by one of the "name = value" lines that follow?
pw__conf_overridden() {
	local key=$1 line k
	shift
	for line in "$@"; do
		k=${line%%=*}
		k=${k// /}
		[ "$k" = "$key" ] && return 0
	done
	return 1
}

# Is process PID alive and does ENDPOINT (unix:/path, inet:host:port)
# accept a connection?  99 when the process is gone.
pw__daemon_up() {
	local hp
	if ! pw__alive "$1"; then
		wait "$1" 2>/dev/null
		echo "# pid $1 exited with status $? before it was ready" >&3
		return 99
	fi
	case $2 in
	unix:*)	pw__unix_accepts "${2#unix:}" ;;
	inet:*)	hp=${2#inet:}
		# shellcheck disable=SC2016 # expanded by the inner bash
		timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ \
		    "${hp%:*}" "${hp##*:}" 2>/dev/null ;;
	*)	return 99 ;;
	esac
}

# Stop a postwarden daemon (SIGTERM, then SIGKILL after 10 s).
pw_daemon_stop() {
	pw__stop_pid "$1" 10
}

# Start one more postwarden-policyd, named NAME (a shell word), beside
# the one pw_daemon_start runs: socket $PW_TMP/NAME.sock (exported as
# PW_<NAME>_SOCK), pid file $PW_TMP/NAME.pid, log $PW_TMP/NAME.log.
# Extra arguments are postwarden.conf lines as for pw_daemon_start (not
# policyd_listen or policyd_pid_file).  pw_daemon_stop NAME or the
# teardown stops it; its log is checked for sanitizer reports.
pw_policyd_start_extra() {
	local name=$1 bin=$PW_BUILDDIR/policyd/postwarden-policyd conf pid
	local line v endpoint
	shift
	[ -x "$bin" ] || pw_bail "$bin not built"
	[ -n "$PW_REDIS_SOCK" ] || pw_redis_start
	endpoint=unix:$PW_TMP/$name.sock
	conf=$PW_TMP/postwarden-$name.conf
	{
		echo "# postwarden.conf for policyd $name of a test ($PW_TMP)"
		pw__daemon_conf_defaults policyd | while IFS= read -r line; do
			v=${line%%=*}
			v=${v// /}
			case $v in
			policyd_listen|policyd_pid_file) continue ;;
			esac
			pw__conf_overridden "$v" "$@" || echo "$line"
		done
		echo "policyd_listen = $endpoint"
		echo "policyd_pid_file = $PW_TMP/$name.pid"
		for line in "$@"; do
			echo "$line"
		done
	} >"$conf"
	chmod 0644 "$conf"
	"$bin" -f -c "$conf" </dev/null >>"$PW_TMP/$name.log" 2>&1 &
	pid=$!
	pw__record "$name" "$pid"
	PW_EXTRA_DAEMON_LOGS+=("$PW_TMP/$name.log")
	pw_wait_until "$name to accept connections on $endpoint" \
	    "$PW_TIMEOUT" pw__daemon_up "$pid" "$endpoint" 3>&1 ||
	    pw_bail "$name did not start (see $PW_TMP/$name.log)"
	export "PW_${name^^}_SOCK=$PW_TMP/$name.sock"
}

# Is the daemon NAME still running?
pw_daemon_alive() {
	local pid=${PW_PIDS[$1]:-}
	[ -n "$pid" ] && pw__alive "$pid"
}

# --- swaks -----------------------------------------------------------------------------

# Run swaks against the private smtpd; the transcript goes to
# $PW_TMP/swaks-N.log (N counts calls; PW_SWAKS_LOG names the last one).
# Returns swaks's exit status (0: message accepted).
pw_swaks() {
	PW_SWAKS_N=$((${PW_SWAKS_N:-0} + 1))
	PW_SWAKS_LOG=$PW_TMP/swaks-$PW_SWAKS_N.log
	swaks --server 127.0.0.1 --port "$PW_SMTPD_PORT" \
	    --helo client.pw-test.localdomain --timeout 30 "$@" \
	    </dev/null >"$PW_SWAKS_LOG" 2>&1
}

# Send the complete message FILE (header, empty line, body; LF line ends)
# with swaks --data.  swaks always ends the data with CRLF before ".", so
# one final newline is taken off first: the receiver then gets exactly the
# lines of FILE.  swaks converts LF to CRLF and dot-stuffs.
pw_swaks_data() {
	local file=$1 copy
	shift
	copy=$PW_TMP/swaks-data-$((${PW_SWAKS_N:-0} + 1)).eml
	if [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" = '\n' ]; then
		head -c -1 "$file" >"$copy"
	else
		cp "$file" "$copy"
	fi
	pw_swaks --data "@$copy" "$@"
}

# The queue id Postfix gave to the message of the last pw_swaks (over
# TLS too).
pw_swaks_queue_id() {
	sed -n 's/^<[-~]  250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' \
	    "$PW_SWAKS_LOG" | tail -n 1
}
