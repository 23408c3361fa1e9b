#!/bin/bash
# tests/bench/bench-policyd.sh -- benchmark postwarden-policyd (and, when
# installed, postfwd2 and policyd-rate-limit doing a comparable job) with
# tests/bench/bench_policy.c over persistent connections.  Not run by
# make check; results go to docs/bench-policyd.md by hand.
#
#   PW_BUILDDIR=/path/to/build tests/bench/bench-policyd.sh [REQUESTS]
#
# Everything issue 17 asks of the policy daemon, in one run (about 10
# minutes at 100000 on a quiet 2-CPU machine):
#
#   PW_BUILDDIR=/path/to/build BENCH_PARTS=issue17 \
#       tests/bench/bench-policyd.sh 100000
#
# Everything runs on loopback in a temp dir (tests/harness/harness.sh):
# private Redis instances on unix sockets, the policy servers on free
# ports; all are stopped by pid at the end.
#
# Environment:
#   BENCH_PARTS      which parts run, in this order (default
#                    "main ab sweep floor"):
#                    issue17  the parts peers, sweep and keys, the
#                           sweep at BENCH_SWEEP="5000 10000 15000 20000
#                           25000" unless given (issue 17's targets);
#                    peers  floors and peers side by side, each with the
#                           durability of its state stated: a do-nothing
#                           policy server (tests/bench/policy_null.c,
#                           answers DUNNO) and redis-benchmark's PING and
#                           EVALSHA of `return 1` (the floors);
#                           postwarden-policyd, every rule and rate only,
#                           each with Redis without persistence and with
#                           appendonly yes + appendfsync everysec (its AOF
#                           in BENCH_DISK_DIR); policyd-rate-limit with its
#                           SQLite in BENCH_TMPFS_DIR and in BENCH_DISK_DIR;
#                           postfwd2 and postfwd1 (those installed); at 16
#                           and 100 conns, BENCH_PEERS_ROUNDS interleaved
#                           rounds (order reversed every other round),
#                           requests per run scaled to each server's speed;
#                           tables: the floors, medians with ratios to
#                           policyd-rate-limit on tmpfs and to the floor
#                           (every rule / policyd-rate-limit on tmpfs: the
#                           "at least 2x" target), and Redis CPU per
#                           decision of the postwarden rows from INFO
#                           commandstats over all rounds (the 20 µs target);
#                    main   the table of scenarios (one run each), then
#                           postfwd2 and policyd-rate-limit;
#                    ab     empty store against 100,000 keys + 1,000,000
#                           suppressions (the 10% target): two Redis and
#                           two policyd, loaded alike but for the bulk,
#                           per-key rate limit at 100 conns, REQUESTS per
#                           run, rounds alternating which store goes first;
#                           req/s per round, medians, the ratio big/empty,
#                           and CPU microseconds per request of each
#                           redis-server and policyd and of the machine;
#                    sweep  open loop, every rule active, 100 conns, one
#                           row per offered rate: p50, p99, p99.9 and max
#                           from when each request was due (the p99 < 2 ms
#                           target), with CPU microseconds per request; the
#                           rates above one answered at under 90% of what
#                           was offered are not run;
#                    floor  what Redis alone allows: redis-benchmark, 100
#                           conns, closed loop, running an empty script
#                           and the calls of an every-rule decision alone
#                           (tests/bench/callfloor_now.lua, and
#                           callfloor_packed.lua for packed reservations),
#                           then postwarden-policyd, every rule, in front
#                           of the same Redis; req/s, p50/p99, Redis µs
#                           per call;
#                    versus this build against BENCH_VERSUS (another
#                           build directory), every rule and rate only,
#                           alternating rounds: req/s and CPU µs per
#                           request of redis-server and policyd (not in
#                           the default list).
#                    cost   Redis CPU per decision from INFO commandstats
#                           (robust on a busy machine, unlike req/s):
#                           this build and, with BENCH_VERSUS, the other,
#                           every rule and rate only, 16 conns through
#                           policyd; RCPT only (-e 0: EVALSHA µs per call
#                           and redis.call per decision) and one RCPT and
#                           END-OF-MESSAGE per message (-e 1: Redis µs
#                           per message, every command); then MEMORY
#                           USAGE of one transaction record (not in the
#                           default list).
#                    keys   the identity cache: 100,000 API keys of one
#                           tenant (a per-key rate limit each), 100 conns,
#                           REQUESTS spread over 100 keys, then over all
#                           100,000 (bench_policy -s), after a pass that
#                           puts every key in the cache, with
#                           identity_cache_ttl = 1h (so that only the
#                           cache's size can miss), BENCH_KEYS_ROUNDS
#                           rounds alternating which goes first; this build
#                           and, with BENCH_VERSUS, the other: req/s,
#                           identity lookups (HGET), EVALSHA µs per call
#                           and redis-server CPU µs per request, and the
#                           ratio 100,000 / 100 of the medians (the 5%
#                           target; not in the default list).
#   BENCH_AB_ROUNDS  rounds of the A/B and of versus (default 5)
#   BENCH_PEERS_ROUNDS  rounds of peers (default 3)
#   BENCH_KEYS_ROUNDS   rounds of keys (default 3)
#   BENCH_DISK_DIR   a directory on disk for the AOF and the on-disk
#                    SQLite of peers (default /var/tmp; said if tmpfs)
#   BENCH_TMPFS_DIR  a directory on tmpfs for the other SQLite (default
#                    /dev/shm)
#   BENCH_VERSUS     the other build of the versus part
#   BENCH_SWEEP      offered rates of the sweep, req/s (default
#                    "1000 2000 3000 4000 5000 6000 8000")
#   BENCH_SWEEP_SECS seconds per sweep row: requests = rate x this
#                    (default 10)
#   BENCH_SWEEP_JOB  what the sweep's keys have: "all" (every rule, the
#                    default) or "rate" (the per-key rate limit only)
#   PW_BENCH_TIMEOUT policyd's redis_command_timeout (default 2s)
#
# The ab, sweep and floor parts each get fresh Redis instances and daemons, and
# the main part's Redis is stopped before them, so no part runs against
# keys (or their expiry) left by another.  CPU time is utime + stime of
# /proc/PID/stat, the machine's the CPUs' elapsed time less idle, iowait
# and steal of /proc/stat (tests/bench/cpu.sh).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/cpu.sh"

N=${1:-100000}
PARTS=${BENCH_PARTS:-main ab sweep floor}
SWEEP_DEFAULT="1000 2000 3000 4000 5000 6000 8000"
if [[ " $PARTS " == *" issue17 "* ]]; then
	PARTS=${PARTS//issue17/peers sweep keys}
	SWEEP_DEFAULT="5000 10000 15000 20000 25000"
fi
for part in $PARTS; do
	case $part in
	main|ab|sweep|floor|versus|cost|keys|peers) ;;
	*)	echo "BENCH_PARTS: unknown part $part (issue17 peers main ab sweep floor versus cost keys)" >&2
		exit 2 ;;
	esac
done
pw_require_root_tools
pw_harness_init
AB_ROUNDS=${BENCH_AB_ROUNDS:-5}
SWEEP=${BENCH_SWEEP:-$SWEEP_DEFAULT}
SWEEP_SECS=${BENCH_SWEEP_SECS:-10}
BENCH=$PW_TMP/bench_policy
cc -O2 -D_GNU_SOURCE -o "$BENCH" "$PW_SRCDIR/tests/bench/bench_policy.c" \
    "$PW_SRCDIR/tests/harness/endpoint.c" ||
    pw_bail "cannot build bench_policy"
cc -O2 -D_GNU_SOURCE -o "$PW_TMP/policy_null" \
    "$PW_SRCDIR/tests/bench/policy_null.c" ||
    pw_bail "cannot build policy_null"

run() {	# LABEL ARGS...
	local label=$1 out
	shift
	out=$("$BENCH" -t 300 "$@" 2>&1) || out="FAILED: $out"
	printf '| %s | %s |\n' "$label" "$out"
}

echo "# $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "# $(redis-server --version | cut -d' ' -f1-3), requests per run: $N"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# parts: $PARTS"
ulimit -n 8192

# --- helpers -----------------------------------------------------------------

declare -A RSOCK=()	# Redis instance NAME -> its unix socket
declare -A PEP=()	# policyd NAME -> its endpoint

# Start one more private redis-server NAME, like pw_redis_start's (no TCP,
# no persistence), in $PW_TMP/redis-NAME, recorded as redis-NAME;
# RSOCK[NAME] is its socket.  (pw_redis_start can start only one.)
# OPTIONS (redis-server's --name value) come after, and win: e.g.
# "--appendonly yes --dir /on/disk".
bench_redis_start() {	# NAME [OPTIONS...]
	local name=$1 dir=$PW_TMP/redis-$1
	shift
	mkdir -p "$dir" && chmod 0755 "$dir"
	RSOCK[$name]=$dir/redis.sock
	redis-server --port 0 --unixsocket "${RSOCK[$name]}" \
	    --unixsocketperm 777 --daemonize no --save '' \
	    --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
	    --pidfile '' "$@" </dev/null >/dev/null 2>&1 &
	pw__record "redis-$name" $!
	pw_wait_until "redis-server $name to answer PING" "$PW_TIMEOUT" \
	    bench_redis_ping "${RSOCK[$name]}" ||
	    pw_bail "redis-server $name did not start"
}

bench_redis_ping() {	# SOCKET
	[ "$(redis-cli -s "$1" ping 2>/dev/null)" = PONG ]
}

# Start one more postwarden-policyd NAME on a free 127.0.0.1 port (TCP,
# as the main part's), using the Redis on REDIS_SOCK; PEP[NAME] is its
# endpoint.  (pw_policyd_start_extra listens on a unix socket only.)
bench_policyd_start() {	# NAME REDIS_SOCK [BUILDDIR]
	local name=$1 bin=${3:-$PW_BUILDDIR}/policyd/postwarden-policyd port conf
	local pid
	[ -x "$bin" ] || pw_bail "$bin not built"
	port=$(pw_free_port) || pw_bail "cannot pick a port"
	conf=$PW_TMP/postwarden-$name.conf
	cat >"$conf" <<EOF
# postwarden.conf for policyd $name of the benchmark ($PW_TMP)
redis_server = unix:$2
user = nobody
log_level = notice
policyd_listen = inet:127.0.0.1:$port
policyd_pid_file = $PW_TMP/$name.pid
redis_command_timeout = ${PW_BENCH_TIMEOUT:-2s}
${BENCH_POLICYD_CONF:-}
EOF
	chmod 0644 "$conf"
	"$bin" -f -c "$conf" </dev/null >>"$PW_TMP/$name.log" 2>&1 &
	pid=$!
	pw__record "$name" "$pid"
	PW_EXTRA_DAEMON_LOGS+=("$PW_TMP/$name.log")
	PEP[$name]=inet:127.0.0.1:$port
	pw_wait_until "$name to accept connections on ${PEP[$name]}" \
	    "$PW_TIMEOUT" pw__daemon_up "$pid" "${PEP[$name]}" 3>&1 ||
	    pw_bail "$name did not start (see $PW_TMP/$name.log)"
}

# Tenant "bench" with KEYS keys (default 10): every rule active (its
# sending domain is that of bench_policy's sender, app@example.com).
bench_load_all() {	# REDIS_SOCK [KEYS]
	local s=$1 i
	redis-cli -s "$s" HSET 'pw:{bench}:tenant' status active \
	    quota_day 2000000000 quota_hour 2000000000 \
	    quota_month 2000000000 rate 1000000 burst 1000000 \
	    max_size 100000000 >/dev/null
	PW_REDIS_SOCK=$s pw_domain_add bench example.com
	redis-cli -s "$s" HSET 'pw:{rate}:tenant' status active >/dev/null
	PW_REDIS_SOCK=$s pw_domain_add rate example.com
	for i in $(seq 0 $((${2:-10} - 1))); do
		echo "HSET pw:key:k_bench$i tenant bench"
		echo "HSET pw:{bench}:key:k_bench$i status active" \
		    "quota_day 2000000000 quota_hour 2000000000" \
		    "quota_month 2000000000 rate 1000000 burst 1000000"
	done | redis-cli -s "$s" >/dev/null
	redis-cli -s "$s" HSET 'pw:{bench}:supp' '@blocked.example' \
	    'manual|cli|1|0' >/dev/null
}

# Tenant "rate" with the KEYS keys (default 10): only a per-key rate limit.
bench_load_rate() {	# REDIS_SOCK [KEYS]
	local s=$1 i
	redis-cli -s "$s" HSET 'pw:{rate}:tenant' status active >/dev/null
	PW_REDIS_SOCK=$s pw_domain_add rate example.com
	for i in $(seq 0 $((${2:-10} - 1))); do
		echo "HSET pw:key:k_bench$i tenant rate"
		echo "HSET pw:{rate}:key:k_bench$i status active rate 1000000 burst 1000000"
	done | redis-cli -s "$s" >/dev/null
}

# 99,990 more keys of tenant "rate" and 1,000,000 suppression entries.
bench_load_big() {	# REDIS_SOCK
	awk 'BEGIN {
		for (i = 10; i < 100000; i++) {
			printf "HSET pw:key:k_bench%d tenant rate\n", i
			printf "HSET pw:{rate}:key:k_bench%d status active rate 1000000 burst 1000000\n", i
		}
		for (i = 0; i < 1000000; i++)
			printf "HSET pw:{rate}:supp user%d@example.net manual|bench|1|0\n", i
	}' | redis-cli -s "$1" --pipe >/dev/null
}

# Once another policy server listens on 127.0.0.1:PORT, one row each at
# 16 and 100 connections, REQUESTS requests; nothing if it never does.
run_competitor() {	# LABEL PORT REQUESTS
	local c
	bench_port_up "$1" "$2" || return 0
	for c in 16 100; do
		run "$1, $c conns" -c "$c" -n "$3" -k 10 "inet:127.0.0.1:$2"
	done
}

# A field KEY=VALUE of a bench_policy result line (VALUE without a unit).
field() {	# KEY LINE
	sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"
}

# Was every request of a bench_policy result LINE answered DUNNO (any case)?
bench_all_dunno() {	# LINE
	local n d
	n=$(field requests "$1")
	d=$(grep -oi '\[dunno\]=[0-9]*' <<<"$1" | cut -d= -f2 | head -n 1)
	[ -n "$n" ] && [ "${d:-0}" = "$n" ]
}

# --- the peers: postfwd2, postfwd1, policyd-rate-limit ------------------------
# Each does the per-key rate limit job (one per-SASL-user recipient
# counter, never reached), listening on 127.0.0.1:PORT.

# postfwd's rule: rcpt() per sasl_username.
bench_postfwd_cf() {
	echo 'id=R1; sasl_username=~.; action=rcpt(sasl_username/2000000000/86400/450 4.7.1 quota)' \
	    >"$PW_TMP/postfwd.cf"
}

# postfwd2 1.35 (prefork, its own cache daemon): it daemonizes; 105-110
# children, so that 100 persistent connections are served at once.
bench_postfwd2_start() {	# PORT
	bench_postfwd_cf
	postfwd2 -n -f "$PW_TMP/postfwd.cf" -i 127.0.0.1 -p "$1" \
	    --cache_interface 127.0.0.1 --cache_port "$(pw_free_port)" \
	    -u nobody -g nogroup --pidfile "$PW_TMP/postfwd2.pid" --norulelog \
	    --min_servers 105 --max_servers 110 >/dev/null 2>&1
}

# postfwd1 1.35 (one process, multiplexing): it daemonizes (-d).
bench_postfwd1_start() {	# PORT
	bench_postfwd_cf
	postfwd1 -d -n -f "$PW_TMP/postfwd.cf" -i 127.0.0.1 -p "$1" -u nobody \
	    -g nogroup --pidfile "$PW_TMP/postfwd1.pid" --norulelog \
	    >/dev/null 2>&1
}

# Stop postfwd1 or postfwd2 by the pid of its pidfile, and wait until it
# is gone.
bench_postfwd_stop() {	# postfwd1|postfwd2
	local pid
	[ -r "$PW_TMP/$1.pid" ] || return 0
	pid=$(cat "$PW_TMP/$1.pid")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	pw_wait_until "$1 (pid $pid) to exit" 20 \
	    bash -c "! kill -0 $pid 2>/dev/null" ||
	    echo "# $1 (pid $pid) did not exit"
	rm -f "$PW_TMP/$1.pid"
}

# policyd-rate-limit 1.0.1.1: per-SASL-user limit, its SQLite database in
# DIR (owned by nobody), recorded as NAME.
bench_prl_start() {	# NAME DIR PORT
	mkdir -p "$2" && chown nobody "$2"
	cat >"$PW_TMP/$1.yaml" <<-EOC
	debug: False
	user: "nobody"
	group: "nogroup"
	pidfile: "$2/prl.pid"
	sqlite_config:
	    database: "$2/db.sqlite3"
	backend: 0
	SOCKET: ["127.0.0.1", $3]
	limits:
	    - [2000000000, 86400]
	limits_by_id: {}
	limit_by_sasl: True
	limit_by_sender: False
	limit_by_ip: False
	limited_networks: []
	success_action: "dunno"
	fail_action: "defer_if_permit Rate limit reach, retry later"
	db_error_action: "dunno"
	report: False
	delay_to_close: 300
	EOC
	policyd-rate-limit -f "$PW_TMP/$1.yaml" >"$PW_TMP/$1.log" 2>&1 &
	pw__record "$1" $!
}

# Wait until something listens on 127.0.0.1:PORT.
bench_port_up() {	# LABEL PORT
	pw_wait_until "$1 on port $2" 20 bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null
}

BENCH_RM_DIRS=()	# directories outside $PW_TMP, removed at exit

# A new directory under BASE, removed at exit, in the variable VAR.
bench_dir_in() {	# BASE VAR
	local d
	d=$(mktemp -d "$1/pw-bench.XXXXXX") ||
	    pw_bail "cannot create a directory in $1"
	chmod 0755 "$d"
	BENCH_RM_DIRS+=("$d")
	printf -v "$2" %s "$d"
}

# The EXIT trap: the harness's, after stopping every process it knows (they
# may write in BENCH_RM_DIRS), postfwd1 and postfwd2 (they daemonize) and
# removing BENCH_RM_DIRS.
bench_on_exit() {
	local rc=$?
	pw_teardown
	bench_postfwd_stop postfwd2 >/dev/null
	bench_postfwd_stop postfwd1 >/dev/null
	rm -rf "${BENCH_RM_DIRS[@]}"
	(exit "$rc")
	pw__on_exit
}

trap bench_on_exit EXIT

# --- main: postwarden-policyd, postfwd2, policyd-rate-limit ---------------
# Tenant "bench" with 10 keys: every rule active.  Tenant "rate" with 10
# keys: only a per-key rate limit, the job postfwd2 and policyd-rate-limit
# do below.  Connections: 1, 16, 100, 500, as issue 3 asks.
part_main() {
	pw_redis_start
	bench_load_all "$PW_REDIS_SOCK"
	port=$(pw_free_port)
	# A generous command timeout: this measures throughput, not the fail mode
	# (on a loaded machine the default 250ms trips and answers 451 4.3.0).
	pw_daemon_start policyd "log_level = notice" \
	    "policyd_listen = inet:127.0.0.1:$port" "redis_command_timeout = ${PW_BENCH_TIMEOUT:-2s}"
	EP=inet:127.0.0.1:$port
	PD_PID=${PW_PIDS[policyd]}
	echo "| server, scenario | result |"
	echo "|---|---|"
	run "postwarden, unauthenticated (no Redis), 100 conns" -c 100 -n "$N" -k 0 "$EP"
	for c in 1 16 100 500; do
		run "postwarden, RCPT all rules, $c conns" -c "$c" -n "$N" -k 10 \
		    -T "a$c" "$EP"
	done
	run "postwarden, RCPT x5 + END-OF-MESSAGE, 100 conns" -c 100 -n "$N" -k 10 \
	    -e 5 -T c "$EP"
	# Open loop: 100 connections offered a fixed rate (-r), as a fleet of
	# smtpd processes whose clients are not all at RCPT at once; latency
	# counts from when each request was due.
	for r in 5000 10000 20000; do
		run "postwarden, RCPT all rules, 100 conns, open loop at $r req/s" \
		    -c 100 -n "$N" -k 10 -r "$r" -T "o$r" "$EP"
	done

	# Switch the ten keys to tenant "rate" (rate limit only).
	bench_load_rate "$PW_REDIS_SOCK"
	pw_daemon_stop policyd
	pw_daemon_start policyd "log_level = notice" \
	    "policyd_listen = inet:127.0.0.1:$port" "redis_command_timeout = ${PW_BENCH_TIMEOUT:-2s}"
	PD_PID=${PW_PIDS[policyd]}
	for c in 1 16 100 500; do
		run "postwarden, per-key rate limit only, $c conns" -c "$c" -n "$N" \
		    -k 10 -T "r$c" "$EP"
	done

	# The same with 100,000 keys and 1,000,000 suppression entries loaded
	# (one run, after the runs above: the ab part measures this properly).
	bench_load_big "$PW_REDIS_SOCK"
	echo "# loaded: $(pw_redis_cli DBSIZE) keys, $(pw_redis_cli HLEN 'pw:{rate}:supp') suppressions"
	run "postwarden, per-key rate limit only, 100 conns, 100000 keys + 1000000 suppressions" \
	    -c 100 -n "$N" -k 10 -T "big" "$EP"

	# RSS with 1,000 connections open.
	run "postwarden, per-key rate limit only, 1000 conns" -c 1000 -n "$N" \
	    -k 10 -T "r1000" "$EP"
	echo "# postwarden-policyd peak RSS: $(awk '/^VmHWM/ { print $2, $3 }' "/proc/$PD_PID/status")"
	pw_daemon_stop policyd
	# Its Redis (1.1M keys, expiring transaction keys) would disturb the
	# parts that follow.
	pw__stop_pid redis 10
	PW_REDIS_SOCK=

	# --- postfwd2: a per-SASL-user recipient limit (rcpt()) ----------------
	if command -v postfwd2 >/dev/null; then
		port=$(pw_free_port)
		bench_postfwd2_start "$port"
		run_competitor "postfwd2 1.35, rcpt() per sasl_username" \
		    "$port" "$((N / 5))"
		bench_postfwd_stop postfwd2
	fi

	# --- policyd-rate-limit: per-SASL-user limit, SQLite -----------------
	if command -v policyd-rate-limit >/dev/null; then
		port=$(pw_free_port)
		bench_prl_start prl "$PW_TMP/prl" "$port"
		run_competitor "policyd-rate-limit 1.0.1.1 (SQLite)" "$port" \
		    "$((N / 20))"
		pw__stop_pid prl 10
	fi
}

# --- ab: empty store against 100,000 keys + 1,000,000 suppressions -------
# Two Redis and two policyd, loaded alike (tenant "rate", its 10 keys),
# "big" also with the bulk; the per-key rate limit scenario at 100 conns,
# each run with a fresh tag, rounds alternating which goes first.  CPU is
# counted for the pair being driven (the other pair is idle).

declare -A AB_RPS=() AB_REQ=() AB_TR=() AB_TP=() AB_TS=()
AB_LAST=

# ab_run STORE TAG [warmup]: one run against STORE (empty|big), its output
# line appended to $PW_TMP/ab.raw.  Unless "warmup", its figures are
# added to the totals and AB_LAST is "req/s redis_us policyd_us machine_us"
# (CPU microseconds per request).
ab_run() {
	local s=$1 tag=$2 rpid ppid out rps req
	rpid=${PW_PIDS[redis-ab-$s]}
	ppid=${PW_PIDS[policyd-ab-$s]}
	bench_cpu_begin "$rpid" "$ppid"
	out=$("$BENCH" -t 300 -c 100 -n "$N" -k 10 -T "$tag" \
	    "${PEP[policyd-ab-$s]}" 2>&1) ||
	    pw_bail "bench_policy against the $s store failed: $out"
	bench_cpu_end "$rpid" "$ppid"
	echo "# $tag $s: $out" >>"$PW_TMP/ab.raw"
	[ "${3:-}" = warmup ] && return 0
	rps=$(field rps "$out")
	req=$(field requests "$out")
	AB_RPS[$s]+="$rps "
	AB_REQ[$s]=$((${AB_REQ[$s]:-0} + req))
	AB_TR[$s]=$((${AB_TR[$s]:-0} + $(bench_cpu_ticks_of "$rpid")))
	AB_TP[$s]=$((${AB_TP[$s]:-0} + $(bench_cpu_ticks_of "$ppid")))
	AB_TS[$s]=$((${AB_TS[$s]:-0} + $(bench_cpu_sys_busy_us)))
	AB_LAST="$rps $(bench_cpu_us "$rpid" "$req")"
	AB_LAST+=" $(bench_cpu_us "$ppid" "$req") $(bench_cpu_sys_us "$req")"
}

part_ab() {
	local s r order e b ratio ratios='' me mb sock
	declare -A got=()
	echo
	echo "# --- ab: per-key rate limit only, 100 conns, $N requests per run, $AB_ROUNDS rounds"
	for s in empty big; do
		bench_redis_start "ab-$s"
		bench_load_rate "${RSOCK[ab-$s]}"
	done
	bench_load_big "${RSOCK[ab-big]}"
	for s in empty big; do
		sock=${RSOCK[ab-$s]}
		echo "# $s store: $(redis-cli -s "$sock" DBSIZE) keys, $(redis-cli -s "$sock" HLEN 'pw:{rate}:supp') suppressions, used_memory $(redis-cli -s "$sock" INFO memory | sed -n 's/^used_memory_human:\([^[:space:]]*\).*/\1/p')"
		bench_policyd_start "policyd-ab-$s" "$sock"
	done
	# One run each first, not counted: connections, caches, the rehash
	# of the big hashes.
	for s in empty big; do
		ab_run "$s" "abw$s" warmup
	done
	echo "| round | order | empty req/s | big req/s | big/empty | empty µs/req (redis, policyd, machine) | big µs/req (redis, policyd, machine) |"
	echo "|---|---|---|---|---|---|---|"
	for r in $(seq 1 "$AB_ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then order="empty big"; else order="big empty"; fi
		for s in $order; do
			ab_run "$s" "ab$r$s"
			got[$s]=$AB_LAST
		done
		e=${got[empty]%% *}
		b=${got[big]%% *}
		ratio=$(awk -v b="$b" -v e="$e" 'BEGIN { printf "%.3f", b / e }')
		ratios+="$ratio "
		printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$r" \
		    "${order// /, }" "$e" "$b" "$ratio" \
		    "${got[empty]#* }" "${got[big]#* }"
	done
	echo
	echo "| store | req/s per round | median req/s | redis µs/req | policyd µs/req | machine µs/req |"
	echo "|---|---|---|---|---|---|"
	for s in empty big; do
		printf '| %s | %s | %s | %s | %s | %s |\n' "$s" "${AB_RPS[$s]% }" \
		    "$(bench_median "${AB_RPS[$s]}")" \
		    "$(bench_ticks_us "${AB_TR[$s]}" "${AB_REQ[$s]}")" \
		    "$(bench_ticks_us "${AB_TP[$s]}" "${AB_REQ[$s]}")" \
		    "$(bench_per "${AB_TS[$s]}" "${AB_REQ[$s]}")"
	done
	me=$(bench_median "${AB_RPS[empty]}")
	mb=$(bench_median "${AB_RPS[big]}")
	echo "# big/empty: ratio of the median req/s $(awk -v b="$mb" -v e="$me" 'BEGIN { printf "%.3f", b / e }'), median of the per-round ratios $(bench_median "$ratios") (target: >= 0.90)"
	echo "# (µs/req over all rounds: CPU time of the process / requests; machine: busy time of all CPUs, load generator included)"
	cat "$PW_TMP/ab.raw"
	for s in empty big; do
		pw__stop_pid "policyd-ab-$s" 10
		pw__stop_pid "redis-ab-$s" 10
	done
}

# --- versus: this build against another, same load, alternating rounds ------
# BENCH_VERSUS is the other build's directory (configured and built, e.g. a
# checkout of the previous release).  For each job (every rule active; a
# per-key rate limit only) each build gets a Redis and a policyd of its
# own, loaded alike; rounds alternate which goes first.  The figures that
# matter are the CPU microseconds per request of redis-server and of
# policyd: on a shared VM they vary far less than req/s.
part_versus() {
	local job s r order t o
	declare -A got=()
	[ -x "${BENCH_VERSUS:-}/policyd/postwarden-policyd" ] ||
	    pw_bail "BENCH_VERSUS=${BENCH_VERSUS:-}: no policyd/postwarden-policyd there"
	for job in all rate; do
		AB_RPS=() AB_REQ=() AB_TR=() AB_TP=() AB_TS=()
		: >"$PW_TMP/ab.raw"
		echo
		echo "# --- versus ($job): this build ($PW_BUILDDIR) against $BENCH_VERSUS, 100 conns, $N requests per run, $AB_ROUNDS rounds"
		for s in this other; do
			bench_redis_start "ab-$s"
			bench_load_all "${RSOCK[ab-$s]}"
			[ "$job" = rate ] && bench_load_rate "${RSOCK[ab-$s]}"
		done
		bench_policyd_start policyd-ab-this "${RSOCK[ab-this]}"
		bench_policyd_start policyd-ab-other "${RSOCK[ab-other]}" \
		    "$BENCH_VERSUS"
		# The rate job's keys are those of the all-rules job, moved.
		for s in this other; do
			ab_run "$s" "vw$job$s" warmup
		done
		echo "| round | order | this req/s | other req/s | this µs/req (redis, policyd, machine) | other µs/req (redis, policyd, machine) |"
		echo "|---|---|---|---|---|---|"
		for r in $(seq 1 "$AB_ROUNDS"); do
			if [ $((r % 2)) = 1 ]; then order="this other"; else order="other this"; fi
			for s in $order; do
				ab_run "$s" "v$job$r$s"
				got[$s]=$AB_LAST
			done
			printf '| %d | %s | %s | %s | %s | %s |\n' "$r" \
			    "${order// /, }" "${got[this]%% *}" \
			    "${got[other]%% *}" "${got[this]#* }" \
			    "${got[other]#* }"
		done
		echo
		echo "| build | median req/s | redis µs/req | policyd µs/req | machine µs/req |"
		echo "|---|---|---|---|---|"
		for s in this other; do
			printf '| %s | %s | %s | %s | %s |\n' "$s" \
			    "$(bench_median "${AB_RPS[$s]}")" \
			    "$(bench_ticks_us "${AB_TR[$s]}" "${AB_REQ[$s]}")" \
			    "$(bench_ticks_us "${AB_TP[$s]}" "${AB_REQ[$s]}")" \
			    "$(bench_per "${AB_TS[$s]}" "${AB_REQ[$s]}")"
		done
		t=$(bench_ticks_us "${AB_TR[this]}" "${AB_REQ[this]}")
		o=$(bench_ticks_us "${AB_TR[other]}" "${AB_REQ[other]}")
		echo "# this/other: redis µs/req $(awk -v t="$t" -v o="$o" 'BEGIN { printf "%.3f", t / o }'), median req/s $(awk -v t="$(bench_median "${AB_RPS[this]}")" -v o="$(bench_median "${AB_RPS[other]}")" 'BEGIN { printf "%.3f", t / o }')"
		for s in this other; do
			pw__stop_pid "policyd-ab-$s" 10
			pw__stop_pid "redis-ab-$s" 10
		done
	done
}

# --- sweep: open loop, every rule active, 100 conns, rising offered rate -------
# bench_policy -r: the rate is offered whatever the answers do, and a
# request's latency counts from when it was due (a request that waited
# for a free connection counts its wait: no coordinated omission).  Read
# the highest rate whose p99 is under 2 ms.  Each row runs about
# BENCH_SWEEP_SECS seconds (rate x seconds requests), with a fresh tag;
# once a rate is answered at less than 90% of what was offered, the
# higher ones are not run.
part_sweep() {
	local r n out rpid ppid ok='' p99 verdict over=''
	echo
	local job="RCPT all rules"
	bench_redis_start sweep
	bench_load_all "${RSOCK[sweep]}"
	if [ "${BENCH_SWEEP_JOB:-all}" = rate ]; then
		job="per-key rate limit only"
		bench_load_rate "${RSOCK[sweep]}"
	fi
	echo "# --- sweep: postwarden-policyd, $job, 100 conns, open loop, ~$SWEEP_SECS s per rate; latency from when each request was due"
	bench_policyd_start policyd-sweep "${RSOCK[sweep]}"
	rpid=${PW_PIDS[redis-sweep]}
	ppid=${PW_PIDS[policyd-sweep]}
	# Not counted: connections and caches.
	"$BENCH" -t 300 -c 100 -n 2000 -k 10 -T sw0 "${PEP[policyd-sweep]}" \
	    >/dev/null 2>&1 || pw_bail "sweep warm-up run failed"
	echo "| offered req/s | answered req/s | p50 ms | p99 ms | p99.9 ms | max ms | p99 < 2 ms | CPU µs/req: redis, policyd, machine |"
	echo "|---|---|---|---|---|---|---|---|"
	for r in $SWEEP; do
		# Past the rate it can serve, a higher one only queues longer.
		if [ -n "$over" ]; then
			echo "| $r | not run: $over req/s offered was already not served |"
			continue
		fi
		n=$(awk -v r="$r" -v s="$SWEEP_SECS" 'BEGIN { printf "%d", r * s }')
		bench_cpu_begin "$rpid" "$ppid"
		out=$("$BENCH" -t 300 -c 100 -n "$n" -k 10 -r "$r" -T "sw$r" \
		    "${PEP[policyd-sweep]}" 2>&1) || out="FAILED: $out"
		bench_cpu_end "$rpid" "$ppid"
		p99=$(field p99 "$out")
		if [ -z "$p99" ]; then
			echo "| $r | $out |"
			continue
		fi
		verdict=no
		if bench_all_dunno "$out"; then
			awk -v p="$p99" 'BEGIN { exit !(p < 2) }' && verdict=yes
		else
			verdict="no, not all DUNNO: $(grep -o '\[.*' <<<"$out")"
		fi
		[ "$verdict" = yes ] && ok+="$r "
		awk -v a="$(field rps "$out")" -v r="$r" \
		    'BEGIN { exit !(a < 0.9 * r) }' && over=$r
		printf '| %s | %s | %s | %s | %s | %s | %s | %s, %s, %s |\n' "$r" \
		    "$(field rps "$out")" "$(field p50 "$out")" "$p99" \
		    "$(field p99.9 "$out")" "$(field max "$out")" "$verdict" \
		    "$(bench_cpu_us "$rpid" "$n")" "$(bench_cpu_us "$ppid" "$n")" \
		    "$(bench_cpu_sys_us "$n")"
	done
	echo "# offered rates with p99 < 2 ms: ${ok:-none} (target: every rate up to 20000 req/s, every rule on)"
	pw__stop_pid policyd-sweep 10
	pw__stop_pid redis-sweep 10
}

# --- floor: Redis alone, running the decision's calls -------------------------
# Each decision is one EVALSHA (issue 3: one script, one round trip), so
# Redis running it bounds what any client of it can do.  redis-benchmark
# (C, one event loop, the leanest client there is) drives that Redis with
# 100 connections in a closed loop: an empty script (Redis's cost of any
# EVALSHA), then tests/bench/callfloor_now.lua, the redis.calls an
# every-rule RCPT makes in today's data model with no logic around them,
# and tests/bench/callfloor_packed.lua, those it would make with the
# reservations packed (a hash of counters per tenant, a sorted set of open
# transactions); then bench_policy through postwarden-policyd against the
# same Redis, every rule on.  The call floors bound the 20 µs target of
# issue 17: no decision script of that data model costs Redis less.

# bench_rb SOCK CONNS REQUESTS COMMAND ARGS...: one redis-benchmark run of
# COMMAND (closed loop); RB_RPS, RB_P50, RB_P99 (ms) and RB_US, Redis's
# µs per call of COMMAND (INFO commandstats, reset before).
bench_rb() {
	local sock=$1 c=$2 n=$3 cmd out
	shift 3
	cmd=${1,,}
	redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
	out=$(redis-benchmark -s "$sock" -c "$c" -n "$n" -r 1000000000 --csv \
	    "$@" 2>/dev/null | tail -n 1) ||
	    pw_bail "redis-benchmark failed"
	# "name","rps","avg","min","p50","p95","p99","max" (ms)
	IFS=, read -r _ RB_RPS _ _ RB_P50 _ RB_P99 _ <<<"${out//\"/}"
	RB_RPS=$(printf '%.0f' "$RB_RPS")
	RB_US=$(redis-cli -s "$sock" INFO commandstats |
	    sed -n "s/^cmdstat_$cmd:.*usec_per_call=\\([0-9.]*\\).*/\\1/p")
}

# floor_redis LABEL SOCK SHA NKEYS ARGS...: one redis-benchmark run; a
# table row with its req/s, p50 and p99 and Redis's µs per EVALSHA.
floor_redis() {
	local label=$1 sock=$2
	shift 2
	bench_rb "$sock" 100 "$N" EVALSHA "$@"
	printf '| %s | %s | %s | %s | %s |\n' "$label" "$RB_RPS" "$RB_P50" \
	    "$RB_P99" "$RB_US"
}

part_floor() {
	local sock now packed empty out P='pw:{all}:'
	echo
	echo "# --- floor: Redis alone, 100 conns, closed loop, $N calls per row"
	bench_redis_start floor
	sock=${RSOCK[floor]}
	bench_load_all "$sock"
	now=$(redis-cli -s "$sock" -x SCRIPT LOAD \
	    <"$PW_SRCDIR/tests/bench/callfloor_now.lua") ||
	    pw_bail "SCRIPT LOAD"
	packed=$(redis-cli -s "$sock" -x SCRIPT LOAD \
	    <"$PW_SRCDIR/tests/bench/callfloor_packed.lua") ||
	    pw_bail "SCRIPT LOAD"
	empty=$(redis-cli -s "$sock" SCRIPT LOAD 'return 1') ||
	    pw_bail "SCRIPT LOAD"
	echo "| client, script | req/s | p50 ms | p99 ms | Redis µs/call |"
	echo "|---|---|---|---|---|"
	floor_redis "redis-benchmark, empty script (return 1)" "$sock" \
	    "$empty" 0
	floor_redis "redis-benchmark, the calls of an every-rule RCPT today (callfloor_now.lua)" \
	    "$sock" "$now" 17 "${P}txn:__rand_int__" "${P}gen" \
	    "${P}gcra:tenant" "${P}gcra:key:k1" "${P}used:tenant:h:1" \
	    "${P}used:tenant:d:1" "${P}used:tenant:m:1" "${P}used:key:k1:h:1" \
	    "${P}used:key:k1:d:1" "${P}used:key:k1:m:1" "${P}supp" \
	    "${P}resv:tenant:h:1" "${P}resv:tenant:d:1" "${P}resv:tenant:m:1" \
	    "${P}resv:key:k1:h:1" "${P}resv:key:k1:d:1" "${P}resv:key:k1:m:1" \
	    "i__rand_int__ r@example.com" "rcpt:r__rand_int__@example.com"
	floor_redis "redis-benchmark, the same with the reservations packed (callfloor_packed.lua)" \
	    "$sock" "$packed" 13 "${P}txn:__rand_int__" "${P}gen" \
	    "${P}gcra:tenant" "${P}gcra:key:k1" "${P}used:tenant:h:1" \
	    "${P}used:tenant:d:1" "${P}used:tenant:m:1" "${P}used:key:k1:h:1" \
	    "${P}used:key:k1:d:1" "${P}used:key:k1:m:1" "${P}supp" \
	    "${P}resvc" "${P}open" \
	    "i__rand_int__" "rcpt:r__rand_int__@example.com"
	bench_policyd_start policyd-floor "$sock"
	redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
	out=$("$BENCH" -t 300 -c 100 -n "$N" -k 10 -T all \
	    "${PEP[policyd-floor]}" 2>&1) ||
	    pw_bail "bench_policy against policyd-floor failed: $out"
	printf '| bench_policy through postwarden-policyd, every rule | %s | %s | %s | %s |\n' \
	    "$(field rps "$out")" "$(field p50 "$out")" "$(field p99 "$out")" \
	    "$(redis-cli -s "$sock" INFO commandstats |
	    sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p')"
	echo "# policyd: $out"
	pw__stop_pid policyd-floor 10
	pw__stop_pid redis-floor 10
}

# --- cost: Redis CPU per decision, from INFO commandstats ------------------
# "calls usec" of every command, one per line: "evalsha 1000 52000".
cost_stats() {	# SOCK
	redis-cli -s "$1" INFO commandstats | tr -d '\r' |
	    sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\),usec=\([0-9]*\),.*/\1 \2 \3/p'
}

# From cost_stats's lines on stdin, for N requests of which one in EVERY + 1
# is an END-OF-MESSAGE (EVERY 0: none), print "EVALSHA_US CALLS RCPT_US":
# Redis µs per EVALSHA (or FCALL), other commands per EVALSHA (the
# scripts' redis.call, and the daemon's few commands of its own), and the
# scripts' Redis µs per RCPT.  (A command a script calls is counted both
# on its own line and in the script's time: the time of every line added
# up counts it twice; redis-server's CPU time is the whole cost.)
cost_sum() {	# N EVERY
	awk -v n="$1" -v every="$2" '
	    $1 ~ /^(config|info)/ { next }
	    $1 == "evalsha" || $1 == "fcall" { sc += $2; su += $3; next }
	    { oc += $2 }
	    END {
		rcpt = (every > 0) ? n * every / (every + 1) : n
		printf "%.2f %.1f %.2f\n", sc ? su / sc : 0,
		    sc ? oc / sc : 0, rcpt ? su / rcpt : 0
	    }'
}

# One row: BUILD JOB MODE; a fresh Redis and policyd of BUILD each time.
cost_row() {	# LABEL BUILDDIR JOB EVERY
	local label=$1 dir=$2 job=$3 every=$4 sock out st n eu cpe ur
	bench_redis_start "cost"
	sock=${RSOCK[cost]}
	bench_load_all "$sock"
	[ "$job" = rate ] && bench_load_rate "$sock"
	bench_policyd_start policyd-cost "$sock" "$dir"
	# Warm up (identity cache, script cache), then count from zero.
	"$BENCH" -t 300 -c 16 -n 2000 -k 10 -e "$every" -T "cw$job$every" \
	    "${PEP[policyd-cost]}" >/dev/null 2>&1
	redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
	out=$(nice "$BENCH" -t 300 -c 16 -n "$N" -k 10 -e "$every" \
	    -T "c$job$every" "${PEP[policyd-cost]}" 2>&1) ||
	    pw_bail "bench_policy against $dir failed: $out"
	st=$(cost_stats "$sock")
	[ -n "${BENCH_COST_DETAIL:-}" ] && echo "# $label $job $every: $(tr '\n' ';' <<<"$st")"
	n=$(field requests "$out")
	read -r eu cpe ur <<<"$(cost_sum "$n" "$every" <<<"$st")"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$job" \
	    "$([ "$every" -gt 0 ] && echo RCPT+EOM || echo RCPT)" "$eu" "$cpe" \
	    "$ur" "$(bench_all_dunno "$out" || echo "(not all DUNNO: $out)")"
	# What a billed transaction of one recipient leaves for
	# policyd_reservation_ttl after END-OF-MESSAGE: its hash (if any) and
	# its billing record (queue id QBENCH, instance costmem.0.0).
	if [ "$every" = 1 ] && [ "$job" = all ]; then
		local t b mt mb
		"$BENCH" -c 1 -n 2 -k 10 -e 1 -T costmem \
		    "${PEP[policyd-cost]}" >/dev/null 2>&1
		t='pw:{bench}:txn:costmem.0.0' b='pw:{bench}:billed:QBENCH'
		mt=$(redis-cli -s "$sock" MEMORY USAGE "$t")
		mb=$(redis-cli -s "$sock" MEMORY USAGE "$b")
		COST_MEM[$label]="$(( ${mt:-0} + ${mb:-0} )) (transaction ${mt:-none}: $(redis-cli -s "$sock" HGETALL "$t" | tr '\n' ' '); billing record ${mb:-none}: $(if [ "$(redis-cli -s "$sock" TYPE "$b")" = hash ]; then redis-cli -s "$sock" HGETALL "$b"; else redis-cli -s "$sock" GET "$b"; fi | tr '\n' ' '))"
	fi
	pw__stop_pid policyd-cost 10
	pw__stop_pid redis-cost 10
}

part_cost() {
	local job every
	declare -gA COST_MEM=()
	echo
	echo "# --- cost: Redis per decision (INFO commandstats), 16 conns, $N requests per row"
	echo "| build | job | requests | EVALSHA µs/call | other commands per EVALSHA (redis.call) | Redis µs per RCPT | note |"
	echo "|---|---|---|---|---|---|---|"
	for job in all rate; do
		for every in 0 1; do
			cost_row this "$PW_BUILDDIR" "$job" "$every"
			[ -n "${BENCH_VERSUS:-}" ] &&
			    cost_row other "$BENCH_VERSUS" "$job" "$every"
		done
	done
	echo "# MEMORY USAGE of what a billed transaction of one recipient leaves, bytes: this ${COST_MEM[this]:-?}; other ${COST_MEM[other]:-?}"
}

# --- keys: the identity cache with 100,000 API keys in use -----------------
part_keys() {
	local s dir k out n sock r order eu us rpid rounds=${BENCH_KEYS_ROUNDS:-3}
	declare -A KEYS_RSS=() KEYS_RPS=() KEYS_US=()
	echo
	echo "# --- keys: 100 conns, $N requests per row, identity_cache_ttl = 1h, $rounds rounds alternating which goes first"
	echo "| build | round | keys in use | req/s | identity lookups (HGET) per request | EVALSHA µs per call | redis-server CPU µs per request |"
	echo "|---|---|---|---|---|---|---|"
	for s in this other; do
		dir=$PW_BUILDDIR
		[ "$s" = other ] && dir=${BENCH_VERSUS:-}
		[ -n "$dir" ] || continue
		bench_redis_start keys
		sock=${RSOCK[keys]}
		redis-cli -s "$sock" HSET 'pw:{rate}:tenant' status active \
		    >/dev/null
		PW_REDIS_SOCK=$sock pw_domain_add rate example.com
		awk 'BEGIN { for (i = 0; i < 100000; i++) {
			printf "HSET pw:key:k_bench%d tenant rate\n", i
			printf "HSET pw:{rate}:key:k_bench%d status active rate 1000000 burst 1000000\n", i
		} }' | redis-cli -s "$sock" --pipe >/dev/null
		BENCH_POLICYD_CONF="identity_cache_ttl = 1h" \
		    bench_policyd_start policyd-keys "$sock" "$dir"
		rpid=${PW_PIDS[redis-keys]}
		# Every key once (7919 and 100,000 are coprime).
		for k in 100 100000; do
			"$BENCH" -t 600 -c 100 -n "$k" -k "$k" -s -T "kw$s$k" \
			    "${PEP[policyd-keys]}" >/dev/null 2>&1
		done
		for r in $(seq 1 "$rounds"); do
			order="100 100000"
			[ $((r % 2)) = 0 ] && order="100000 100"
			for k in $order; do
				redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
				bench_cpu_begin "$rpid"
				out=$(nice "$BENCH" -t 600 -c 100 -n "$N" -k "$k" \
				    -s -T "k$s$r.$k" "${PEP[policyd-keys]}" 2>&1) ||
				    pw_bail "bench_policy against $dir failed: $out"
				bench_cpu_end "$rpid"
				n=$(field requests "$out")
				read -r eu _ _ <<<"$(cost_stats "$sock" |
				    cost_sum "$n" 0)"
				us=$(bench_cpu_us "$rpid" "$n")
				printf '| %s | %d | %d | %s | %s | %s | %s |\n' "$s" \
				    "$r" "$k" "$(field rps "$out")" \
				    "$(cost_stats "$sock" | awk -v n="$n" \
				    '$1 == "hget" { h = $2 } END { printf "%.3f", h / n }')" \
				    "$eu" "$us"
				KEYS_RPS[$s$k]+="$(field rps "$out") "
				KEYS_US[$s$k]+="$us "
				KEYS_RSS[$s$k]=$(awk '/^VmRSS/ { print $2 }' \
				    "/proc/${PW_PIDS[policyd-keys]}/status")
			done
		done
		echo "# $s: policyd VmRSS after the 100-key rows ${KEYS_RSS[${s}100]} kB, after the 100,000-key rows ${KEYS_RSS[${s}100000]} kB"
		echo "# $s: 100,000 keys / 100 keys, medians: req/s $(bench_median "${KEYS_RPS[${s}100000]}") / $(bench_median "${KEYS_RPS[${s}100]}") = $(awk -v a="$(bench_median "${KEYS_RPS[${s}100000]}")" -v b="$(bench_median "${KEYS_RPS[${s}100]}")" 'BEGIN { printf "%.3f (%+.1f%%)", a / b, (a / b - 1) * 100 }'), redis-server CPU µs per request $(bench_median "${KEYS_US[${s}100000]}") / $(bench_median "${KEYS_US[${s}100]}") (target: at most 5% slower, ratio >= 0.95)"
		pw__stop_pid policyd-keys 10
		pw__stop_pid redis-keys 10
	done
}

# --- peers: the floors and the peers side by side, at equal durability -------
# Every server of the part runs from its start to its end; each round
# drives each in turn at 16 and then 100 connections, the servers' order
# reversed every other round, so that what the machine does meanwhile
# falls on all alike.  A run's requests are REQUESTS x the server's weight
# (about its speed against postwarden's rate job), so that runs last
# about as long; a run that fails or is not answered DUNNO throughout is
# said and not counted.  Every raw result line is printed at the end.

declare -A PEER_KIND=() PEER_EP=() PEER_W=() PEER_LABEL=() PEER_DUR=()
declare -A PEER_PIDS=() PEER_RPS=() PEER_US=() PEER_REQ=() PEER_TICKS=()
PEER_ORDER=()

# peer_add NAME KIND WEIGHT ENDPOINT LABEL DURABILITY [PIDS]: KIND "pol"
# (bench_policy against ENDPOINT, 100 keys, each request the next one:
# -k 100 -s) or "rb" (redis-benchmark,
# ENDPOINT is "SOCKET COMMAND ARGS..."); PIDS (redis-server's, then the
# daemon's) are the processes whose CPU time is counted.
peer_add() {
	PEER_KIND[$1]=$2 PEER_W[$1]=$3 PEER_EP[$1]=$4 PEER_LABEL[$1]=$5
	PEER_DUR[$1]=$6 PEER_PIDS[$1]=${7:-}
	PEER_ORDER+=("$1")
}

# Requests of a run of NAME (at least 500).
peer_n() {	# NAME
	awk -v n="$N" -v w="${PEER_W[$1]}" \
	    'BEGIN { n = int(n * w); print (n < 500 ? 500 : n) }'
}

# peer_run NAME CONNS TAG [warmup]: one run; unless "warmup", its req/s
# (and for rb, Redis's µs per call) added to PEER_RPS[NAME,CONNS], its
# requests to PEER_REQ[NAME] and the CPU ticks of PEER_PIDS[NAME] to
# PEER_TICKS[NAME,PID].
peer_run() {
	local name=$1 c=$2 tag=$3 n out pid w0=$EPOCHREALTIME
	local -a cmd pids
	n=$(peer_n "$name")
	read -ra pids <<<"${PEER_PIDS[$name]}"
	[ "${4:-}" = warmup ] && n=$(( n / 5 < 500 ? 500 : n / 5 ))
	if [ "${PEER_KIND[$name]}" = rb ]; then
		read -ra cmd <<<"${PEER_EP[$name]}"
		bench_rb "${cmd[0]}" "$c" "$n" "${cmd[@]:1}"
		out="requests=$n rps=$RB_RPS p50=${RB_P50}ms p99=${RB_P99}ms usec_per_call=$RB_US"
		[ "${4:-}" = warmup ] || PEER_US[$name,$c]+="$RB_US "
	else
		bench_cpu_begin "${pids[@]}"
		out=$("$BENCH" -t 300 -c "$c" -n "$n" -k 100 -s -T "$tag" \
		    "${PEER_EP[$name]}" 2>&1) || out="FAILED: $out"
		bench_cpu_end "${pids[@]}"
		if ! bench_all_dunno "$out"; then
			echo "# ${PEER_LABEL[$name]}, $c conns, not counted: $out"
			echo "# $tag $name c=$c: $out" >>"$PW_TMP/peers.raw"
			return 0
		fi
	fi
	echo "# $tag $name c=$c: $out wall=$(awk -v a="$w0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2fs", b - a }')" >>"$PW_TMP/peers.raw"
	[ "${4:-}" = warmup ] && return 0
	PEER_RPS[$name,$c]+="$(field rps "$out") "
	PEER_REQ[$name]=$(( ${PEER_REQ[$name]:-0} + $(field requests "$out") ))
	for pid in "${pids[@]}"; do
		PEER_TICKS[$name,$pid]=$(( ${PEER_TICKS[$name,$pid]:-0} +
		    $(bench_cpu_ticks_of "$pid") ))
	done
}

# "median (round, round, ...)" of NAME's req/s at CONNS, or "-".
peer_cell() {	# NAME CONNS
	local v=${PEER_RPS[$1,$2]:-}
	[ -n "$v" ] || { echo -; return; }
	v=${v% }
	echo "$(bench_median "$v") (${v// /, })"
}

# A / B of the medians of NAME_A and NAME_B at CONNS, two decimals, or "-".
peer_ratio() {	# NAME_A NAME_B CONNS
	local a=${PEER_RPS[$1,$3]:-} b=${PEER_RPS[$2,$3]:-}
	[ -n "$a" ] && [ -n "$b" ] || { echo -; return; }
	awk -v a="$(bench_median "$a")" -v b="$(bench_median "$b")" \
	    'BEGIN { printf "%.2f\n", (b > 0) ? a / b : 0 }'
}

part_peers() {
	local disk tmpfs dfs tfs name c r sock port sha n eu cpe rp pp
	local t0=$SECONDS
	local -a order
	bench_dir_in "${BENCH_DISK_DIR:-/var/tmp}" disk
	bench_dir_in "${BENCH_TMPFS_DIR:-/dev/shm}" tmpfs
	dfs=$(stat -f -c %T "$disk") tfs=$(stat -f -c %T "$tmpfs")
	echo
	echo "# --- peers: $(( ${BENCH_PEERS_ROUNDS:-3} )) interleaved rounds, 16 and 100 conns, requests per run $N x weight; disk: $disk ($dfs), tmpfs: $tmpfs ($tfs)"
	[ "$dfs" = tmpfs ] && echo "# WARNING: BENCH_DISK_DIR is on tmpfs: the 'on disk' rows are not"
	[ "$tfs" = tmpfs ] || echo "# WARNING: BENCH_TMPFS_DIR is on $tfs, not tmpfs"
	: >"$PW_TMP/peers.raw"

	# The floors.
	port=$(pw_free_port)
	"$PW_TMP/policy_null" "$port" >"$PW_TMP/policy_null.log" 2>&1 &
	pw__record policy_null $!
	bench_port_up policy_null "$port" || pw_bail "policy_null did not start"
	peer_add null pol 2 "inet:127.0.0.1:$port" \
	    "do-nothing server (tests/bench/policy_null.c), answers DUNNO" \
	    "no state" "${PW_PIDS[policy_null]}"
	bench_redis_start peers-floor
	sock=${RSOCK[peers-floor]}
	sha=$(redis-cli -s "$sock" SCRIPT LOAD 'return 1') ||
	    pw_bail "SCRIPT LOAD"
	peer_add rb-ping rb 2 "$sock PING" "redis-benchmark, PING" \
	    "no state"
	peer_add rb-eval rb 2 "$sock EVALSHA $sha 0" \
	    "redis-benchmark, EVALSHA of \`return 1\`" "no state"

	# postwarden-policyd: every rule and rate only, each with a Redis
	# without persistence and one with an AOF synced every second.
	for name in all rate; do
		bench_redis_start "peers-$name"
		mkdir -p "$disk/redis-$name"
		bench_redis_start "peers-$name-aof" --appendonly yes \
		    --appendfsync everysec --dir "$disk/redis-$name"
	done
	for name in all all-aof rate rate-aof; do
		sock=${RSOCK[peers-$name]}
		bench_load_all "$sock" 100
		[ "${name%-aof}" = rate ] && bench_load_rate "$sock" 100
		bench_policyd_start "policyd-peers-$name" "$sock"
	done
	for name in rate rate-aof all all-aof; do
		if [ "${name%-aof}" = rate ]; then
			n="postwarden-policyd, per-key rate limit only"
		else
			n="postwarden-policyd, every rule on"
		fi
		if [ "$name" = "${name%-aof}" ]; then
			n+=", Redis without persistence"
			c="Redis memory only (no RDB, no AOF): lost when Redis stops"
		else
			n+=", Redis AOF everysec"
			c="AOF on $dfs, fsync every second: survives a crash of Redis; up to 1 s lost at power failure"
		fi
		peer_add "pw-$name" pol "$([ "${name%-aof}" = rate ] && echo 1 || echo 0.5)" \
		    "${PEP[policyd-peers-$name]}" "$n" "$c" \
		    "${PW_PIDS[redis-peers-$name]} ${PW_PIDS[policyd-peers-$name]}"
	done

	# The peers, doing the rate job.
	if command -v policyd-rate-limit >/dev/null; then
		for name in tmpfs disk; do
			port=$(pw_free_port)
			if [ "$name" = tmpfs ]; then
				bench_prl_start "prl-$name" "$tmpfs/prl" "$port"
				c="SQLite on tmpfs: survives a restart of the daemon, lost at reboot"
				n=0.25
			else
				bench_prl_start "prl-$name" "$disk/prl" "$port"
				c="SQLite on $dfs, a transaction (fsync) per request"
				n=0.03125
			fi
			bench_port_up "prl-$name" "$port" ||
			    pw_bail "policyd-rate-limit ($name) did not start"
			peer_add "prl-$name" pol "$n" "inet:127.0.0.1:$port" \
			    "policyd-rate-limit $(dpkg-query -W -f '${Version}' policyd-rate-limit 2>/dev/null | cut -d- -f1), SQLite on $name" \
			    "$c" "${PW_PIDS[prl-$name]}"
		done
	else
		echo "# policyd-rate-limit not installed"
	fi
	for name in postfwd2 postfwd1; do
		if ! command -v "$name" >/dev/null; then
			echo "# $name not installed"
			continue
		fi
		port=$(pw_free_port)
		"bench_${name}_start" "$port"
		bench_port_up "$name" "$port" || pw_bail "$name did not start"
		peer_add "$name" pol 0.125 "inet:127.0.0.1:$port" \
		    "$name $(dpkg-query -W -f '${Version}' postfwd 2>/dev/null | cut -d- -f1), rcpt() per sasl_username" \
		    "its process's memory: lost when it stops" \
		    "$([ "$name" = postfwd1 ] && cat "$PW_TMP/postfwd1.pid")"
	done

	echo "# every server up at $((SECONDS - t0)) s"
	# One run each first, not counted (connections, caches, postfwd2's
	# children); then Redis's statistics from zero.
	for name in "${PEER_ORDER[@]}"; do
		peer_run "$name" 100 "pw0$name" warmup
	done
	for name in all all-aof rate rate-aof; do
		redis-cli -s "${RSOCK[peers-$name]}" CONFIG RESETSTAT >/dev/null
	done
	for r in $(seq 1 "${BENCH_PEERS_ROUNDS:-3}"); do
		order=("${PEER_ORDER[@]}")
		if [ $((r % 2)) = 0 ]; then
			for ((c = 0; c < ${#PEER_ORDER[@]}; c++)); do
				order[c]=${PEER_ORDER[${#PEER_ORDER[@]} - 1 - c]}
			done
		fi
		for name in "${order[@]}"; do
			for c in 16 100; do
				peer_run "$name" "$c" "p$r$name$c"
			done
		done
		echo "# round $r done at $((SECONDS - t0)) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	done

	echo
	echo "## 1. Floors: what the protocol and Redis allow (req/s, median of the rounds; the rounds)"
	echo
	echo "| floor | 16 conns | 100 conns | Redis µs per call |"
	echo "|---|---|---|---|"
	for name in null rb-ping rb-eval; do
		printf '| %s | %s | %s | %s |\n' "${PEER_LABEL[$name]}" \
		    "$(peer_cell "$name" 16)" "$(peer_cell "$name" 100)" \
		    "$(bench_median "${PEER_US[$name,16]:-} ${PEER_US[$name,100]:-}" | sed 's/^nan$/-/')"
	done

	echo
	echo "## 2. Equal durability: req/s, median of the rounds (the rounds); x = ratio of the medians"
	echo
	echo "| server, job | its state | 16 conns | 100 conns | x policyd-rate-limit on tmpfs (16 / 100) | x floor (16 / 100) |"
	echo "|---|---|---|---|---|---|"
	for name in "${PEER_ORDER[@]}"; do
		[ "${PEER_KIND[$name]}" = pol ] && [ "$name" != null ] || continue
		printf '| %s | %s | %s | %s | %s / %s | %s / %s |\n' \
		    "${PEER_LABEL[$name]}" "${PEER_DUR[$name]}" \
		    "$(peer_cell "$name" 16)" "$(peer_cell "$name" 100)" \
		    "$(peer_ratio "$name" prl-tmpfs 16)" \
		    "$(peer_ratio "$name" prl-tmpfs 100)" \
		    "$(peer_ratio "$name" null 16)" "$(peer_ratio "$name" null 100)"
	done
	echo
	echo "# target: every rule on (Redis without persistence) / policyd-rate-limit on tmpfs (its smaller job): $(peer_ratio pw-all prl-tmpfs 16) at 16 conns, $(peer_ratio pw-all prl-tmpfs 100) at 100 (at least 2); with Redis AOF everysec: $(peer_ratio pw-all-aof prl-tmpfs 16) / $(peer_ratio pw-all-aof prl-tmpfs 100)"
	echo "# rate only, AOF everysec / policyd-rate-limit with SQLite on disk: $(peer_ratio pw-rate-aof prl-disk 16) / $(peer_ratio pw-rate-aof prl-disk 100)"
	if [ -n "${PW_PIDS[prl-tmpfs]:-}" ]; then
		echo "# policyd-rate-limit counts the rows of a key in its window (86400 s): mail_count holds $(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from mail_count").fetchone()[0])' "$tmpfs/prl/db.sqlite3" 2>/dev/null) rows (tmpfs) at the end"
	fi

	echo
	echo "## 3. Redis CPU per decision (INFO commandstats over all rounds, 16 and 100 conns; CPU time of the processes from /proc)"
	echo
	echo "| postwarden-policyd | decisions | EVALSHA µs per call | other commands per EVALSHA (redis.call) | redis-server CPU µs per decision | policyd CPU µs per decision | target |"
	echo "|---|---|---|---|---|---|---|"
	for name in all all-aof rate rate-aof; do
		n=${PEER_REQ[pw-$name]:-0}
		read -r eu cpe _ <<<"$(cost_stats "${RSOCK[peers-$name]}" |
		    cost_sum "$n" 0)"
		rp=${PW_PIDS[redis-peers-$name]} pp=${PW_PIDS[policyd-peers-$name]}
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' \
		    "${PEER_LABEL[pw-$name]#postwarden-policyd, }" "$n" "$eu" \
		    "$cpe" \
		    "$(bench_ticks_us "${PEER_TICKS[pw-$name,$rp]:-0}" "$n")" \
		    "$(bench_ticks_us "${PEER_TICKS[pw-$name,$pp]:-0}" "$n")" \
		    "$([ "${name%-aof}" = all ] && echo "≤ 20 µs EVALSHA")"
	done
	for name in all-aof rate-aof; do
		echo "# Redis of $name: $(redis-cli -s "${RSOCK[peers-$name]}" INFO persistence | tr -d '\r' | grep -E '^(aof_enabled|aof_current_size|aof_rewrites)' | tr '\n' ' ')"
	done
	echo
	echo "# raw results:"
	cat "$PW_TMP/peers.raw"

	bench_postfwd_stop postfwd2
	bench_postfwd_stop postfwd1
	for name in prl-disk prl-tmpfs policyd-peers-all \
	    policyd-peers-all-aof policyd-peers-rate policyd-peers-rate-aof \
	    redis-peers-all redis-peers-all-aof redis-peers-rate \
	    redis-peers-rate-aof redis-peers-floor policy_null; do
		pw__stop_pid "$name" 10
	done
}

for part in $PARTS; do
	"part_$part"
done
