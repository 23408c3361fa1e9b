#!/bin/bash
# tests/bench/bench-policyd.sh -- benchmark postwarden-policyd (and, when
# installed, postfwd2 and policyd-rate-limit doing a comparable job) with
# tests/bench/bench_policy.c over persistent connections.  Not run by
# make check; results go to docs/bench-policyd.md by hand.
#
#   PW_BUILDDIR=/path/to/build tests/bench/bench-policyd.sh [REQUESTS]
#
# Everything runs on loopback in a temp dir (tests/harness/harness.sh):
# private Redis instances on unix sockets, the policy servers on free
# ports; all are stopped by pid at the end.
#
# Environment:
#   BENCH_PARTS      which parts run, in this order (default
#                    "main ab sweep floor"):
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
#                           row per offered rate (the p99 < 2 ms target),
#                           with CPU microseconds per request;
#                    floor  what Redis alone allows: redis-benchmark, 100
#                           conns, closed loop, running the RCPT decision
#                           script itself (per-key rate limit, a new
#                           transaction each call) and an empty script,
#                           then postwarden-policyd in front of the same
#                           Redis; req/s, p50/p99, Redis µs per call;
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
#                           100,000 (bench_policy -s), each after a pass
#                           that puts every key in the cache, with
#                           identity_cache_ttl = 1h (so that only the
#                           cache's size can miss); this build and, with
#                           BENCH_VERSUS, the other: req/s, identity
#                           lookups (HGET) and Redis µs per request (not
#                           in the default list).
#   BENCH_AB_ROUNDS  rounds of the A/B and of versus (default 5)
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
for part in $PARTS; do
	case $part in
	main|ab|sweep|floor|versus|cost|keys) ;;
	*)	echo "BENCH_PARTS: unknown part $part (main ab sweep floor versus cost keys)" >&2
		exit 2 ;;
	esac
done
pw_require_root_tools
pw_harness_init
AB_ROUNDS=${BENCH_AB_ROUNDS:-5}
SWEEP=${BENCH_SWEEP:-1000 2000 3000 4000 5000 6000 8000}
SWEEP_SECS=${BENCH_SWEEP_SECS:-10}
BENCH=$PW_TMP/bench_policy
cc -O2 -D_GNU_SOURCE -o "$BENCH" "$PW_SRCDIR/tests/bench/bench_policy.c" \
    "$PW_SRCDIR/tests/harness/endpoint.c" ||
    pw_bail "cannot build bench_policy"

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
bench_redis_start() {	# NAME
	local name=$1 dir=$PW_TMP/redis-$1
	mkdir -p "$dir" && chmod 0755 "$dir"
	RSOCK[$name]=$dir/redis.sock
	redis-server --port 0 --unixsocket "${RSOCK[$name]}" \
	    --unixsocketperm 777 --daemonize no --save '' \
	    --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
	    --pidfile '' </dev/null >/dev/null 2>&1 &
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

# Tenant "bench" with 10 keys: every rule active (its sending domain is
# that of bench_policy's sender, app@example.com).
bench_load_all() {	# REDIS_SOCK
	local s=$1 i
	redis-cli -s "$s" HSET 'pw:{bench}:tenant' status active \
	    quota_day 2000000000 quota_hour 2000000000 \
	    quota_month 2000000000 rate 1000000 burst 1000000 \
	    max_size 100000000 >/dev/null
	PW_REDIS_SOCK=$s pw_domain_add bench example.com
	redis-cli -s "$s" HSET 'pw:{rate}:tenant' status active >/dev/null
	PW_REDIS_SOCK=$s pw_domain_add rate example.com
	for i in $(seq 0 9); do
		redis-cli -s "$s" HSET "pw:key:k_bench$i" tenant bench >/dev/null
		redis-cli -s "$s" HSET "pw:{bench}:key:k_bench$i" status active \
		    quota_day 2000000000 quota_hour 2000000000 \
		    quota_month 2000000000 rate 1000000 burst 1000000 >/dev/null
	done
	redis-cli -s "$s" HSET 'pw:{bench}:supp' '@blocked.example' \
	    'manual|cli|1|0' >/dev/null
}

# Tenant "rate" with the 10 keys: only a per-key rate limit.
bench_load_rate() {	# REDIS_SOCK
	local s=$1 i
	redis-cli -s "$s" HSET 'pw:{rate}:tenant' status active >/dev/null
	PW_REDIS_SOCK=$s pw_domain_add rate example.com
	for i in $(seq 0 9); do
		redis-cli -s "$s" HSET "pw:key:k_bench$i" tenant rate >/dev/null
		redis-cli -s "$s" HSET "pw:{rate}:key:k_bench$i" status active \
		    rate 1000000 burst 1000000 >/dev/null
	done
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
	pw_wait_until "$1 on port $2" 20 bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null || return 0
	for c in 16 100; do
		run "$1, $c conns" -c "$c" -n "$3" -k 10 "inet:127.0.0.1:$2"
	done
}

# A field KEY=VALUE of a bench_policy result line (VALUE without a unit).
field() {	# KEY LINE
	sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"
}

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
		cport=$(pw_free_port)
		echo 'id=R1; sasl_username=~.; action=rcpt(sasl_username/2000000000/86400/450 4.7.1 quota)' \
		    >"$PW_TMP/postfwd.cf"
		postfwd2 -n -f "$PW_TMP/postfwd.cf" -i 127.0.0.1 -p "$port" \
		    --cache_interface 127.0.0.1 --cache_port "$cport" -u nobody \
		    -g nogroup --pidfile "$PW_TMP/postfwd.pid" --norulelog \
		    --min_servers 105 --max_servers 110 \
		    >/dev/null 2>&1
		run_competitor "postfwd2 1.35, rcpt() per sasl_username" \
		    "$port" "$((N / 5))"
		[ -r "$PW_TMP/postfwd.pid" ] && kill "$(cat "$PW_TMP/postfwd.pid")"
	fi

	# --- policyd-rate-limit: per-SASL-user limit, SQLite -----------------
	if command -v policyd-rate-limit >/dev/null; then
		port=$(pw_free_port)
		mkdir -p "$PW_TMP/prl" && chown nobody "$PW_TMP/prl"
		cat >"$PW_TMP/prl.yaml" <<-EOC
	debug: False
	user: "nobody"
	group: "nogroup"
	pidfile: "$PW_TMP/prl/prl.pid"
	sqlite_config:
	    database: "$PW_TMP/prl/db.sqlite3"
	backend: 0
	SOCKET: ["127.0.0.1", $port]
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
		policyd-rate-limit -f "$PW_TMP/prl.yaml" >"$PW_TMP/prl.log" 2>&1 &
		pw__record prl $!
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
# Read the highest rate whose p99 is under 2 ms.  Each row runs about
# BENCH_SWEEP_SECS seconds (rate x seconds requests), with a fresh tag.
part_sweep() {
	local r n out rpid ppid
	echo
	local job="RCPT all rules"
	bench_redis_start sweep
	bench_load_all "${RSOCK[sweep]}"
	if [ "${BENCH_SWEEP_JOB:-all}" = rate ]; then
		job="per-key rate limit only"
		bench_load_rate "${RSOCK[sweep]}"
	fi
	echo "# --- sweep: $job, 100 conns, open loop, ~$SWEEP_SECS s per rate"
	bench_policyd_start policyd-sweep "${RSOCK[sweep]}"
	rpid=${PW_PIDS[redis-sweep]}
	ppid=${PW_PIDS[policyd-sweep]}
	# Not counted: connections and caches.
	"$BENCH" -t 300 -c 100 -n 2000 -k 10 -T sw0 "${PEP[policyd-sweep]}" \
	    >/dev/null 2>&1 || pw_bail "sweep warm-up run failed"
	echo "| server, scenario | result | CPU µs/req |"
	echo "|---|---|---|"
	for r in $SWEEP; do
		n=$(awk -v r="$r" -v s="$SWEEP_SECS" 'BEGIN { printf "%d", r * s }')
		bench_cpu_begin "$rpid" "$ppid"
		out=$("$BENCH" -t 300 -c 100 -n "$n" -k 10 -r "$r" -T "sw$r" \
		    "${PEP[policyd-sweep]}" 2>&1) || out="FAILED: $out"
		bench_cpu_end "$rpid" "$ppid"
		printf '| %s | %s | redis=%s policyd=%s machine=%s |\n' \
		    "postwarden, $job, 100 conns, open loop at $r req/s" \
		    "$out" "$(bench_cpu_us "$rpid" "$n")" \
		    "$(bench_cpu_us "$ppid" "$n")" "$(bench_cpu_sys_us "$n")"
	done
	pw__stop_pid policyd-sweep 10
	pw__stop_pid redis-sweep 10
}

# --- floor: Redis alone, running the decision --------------------------------
# Each decision is one EVALSHA (issue 3: one script, one round trip), so
# Redis running it bounds what any client of it can do.  redis-benchmark
# (C, one event loop, the leanest client there is) drives that Redis with
# 100 connections in a closed loop, as bench_policy drives policyd: the
# RCPT script as policyd loads it (lua/local.mk: the calendar and rate prelude
# in front), with the arguments policyd sends for a key with a per-key
# rate limit, a new transaction and recipient each call (__rand_int__);
# then an empty script (Redis's cost of any EVALSHA); then bench_policy
# through postwarden-policyd against the same Redis.

# floor_redis LABEL SOCK SHA NKEYS ARGS...: one redis-benchmark run; a
# table row with its req/s, p50 and p99 and Redis's µs per EVALSHA.
floor_redis() {
	local label=$1 sock=$2 out rps p50 p99 us
	shift 2
	redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
	out=$(redis-benchmark -s "$sock" -c 100 -n "$N" -r 1000000000 --csv \
	    EVALSHA "$@" 2>/dev/null | tail -n 1) ||
	    pw_bail "redis-benchmark failed"
	# "name","rps","avg","min","p50","p95","p99","max" (ms)
	IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"${out//\"/}"
	us=$(redis-cli -s "$sock" INFO commandstats |
	    sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p')
	printf '| %s | %.0f | %s | %s | %s |\n' "$label" "$rps" "$p50" \
	    "$p99" "$us"
}

part_floor() {
	local sock sha empty out
	echo
	echo "# --- floor: Redis alone, 100 conns, closed loop, $N calls per row"
	bench_redis_start floor
	sock=${RSOCK[floor]}
	bench_load_rate "$sock"
	sha=$(cat "$PW_SRCDIR/lua/schema.lua" \
	    "$PW_SRCDIR/lua/calendar.lua" \
	    "$PW_SRCDIR/lua/gcra.lua" \
	    "$PW_SRCDIR/lua/rcpt.lua" |
	    redis-cli -s "$sock" -x SCRIPT LOAD) || pw_bail "SCRIPT LOAD"
	empty=$(redis-cli -s "$sock" SCRIPT LOAD 'return 1') ||
	    pw_bail "SCRIPT LOAD"
	# The decision must be an admission, or this measures a refusal.
	out=$(redis-cli -s "$sock" EVALSHA "$sha" 4 'pw:{rate}:tenant' \
	    'pw:{rate}:txn:floor0' 'pw:{rate}:supp' 'pw:{rate}:key:k_bench1' \
	    'pw:{rate}:' k_bench1 floor0 'r0@example.com' 0 - 900000 \
	    example.com yes |
	    tr '\n' ' ')
	[ "$out" = "ok new " ] || pw_bail "the RCPT script answered: $out"
	echo "| client, script | req/s | p50 ms | p99 ms | Redis µs/call |"
	echo "|---|---|---|---|---|"
	floor_redis "redis-benchmark, RCPT script (per-key rate limit)" \
	    "$sock" "$sha" 4 'pw:{rate}:tenant' 'pw:{rate}:txn:__rand_int__' \
	    'pw:{rate}:supp' 'pw:{rate}:key:k_bench1' 'pw:{rate}:' k_bench1 \
	    __rand_int__ 'r__rand_int__@example.com' 0 - 900000 example.com yes
	floor_redis "redis-benchmark, empty script (return 1)" "$sock" \
	    "$empty" 0
	bench_policyd_start policyd-floor "$sock"
	redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
	out=$("$BENCH" -t 300 -c 100 -n "$N" -k 10 -T floor \
	    "${PEP[policyd-floor]}" 2>&1) ||
	    pw_bail "bench_policy against policyd-floor failed: $out"
	printf '| bench_policy through postwarden-policyd | %s | %s | %s | %s |\n' \
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

# One row: BUILD JOB MODE; a fresh Redis and policyd of BUILD each time.
cost_row() {	# LABEL BUILDDIR JOB EVERY
	local label=$1 dir=$2 job=$3 every=$4 sock out st n
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
	awk -v label="$label" -v job="$job" -v every="$every" -v n="$n" \
	    -v out="$out" '
	    $1 == "evalsha" || $1 == "fcall" { sc += $2; su += $3; next }
	    { oc += $2; ou += $3 }
	    END {
		rcpt = (every > 0) ? n * every / (every + 1) : n
		mode = (every > 0) ? "RCPT+EOM" : "RCPT"
		printf "| %s | %s | %s | %.2f | %.1f | %.2f |  %s |\n", label,
		    job, mode,
		    sc ? su / sc : 0, sc ? oc / sc : 0, rcpt ? su / rcpt : 0,
		    out ~ /DUNNO/ ? "" : "(not all DUNNO: " out ")"
	    }' <<<"$st"
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
	local s dir k out n sock
	declare -A KEYS_RSS=()
	echo
	echo "# --- keys: 100 conns, $N requests per row, identity_cache_ttl = 1h"
	echo "| build | keys in use | req/s | identity lookups (HGET) per request | Redis µs per request (every command) |"
	echo "|---|---|---|---|---|"
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
		for k in 100 100000; do
			# Every key once (7919 and 100,000 are coprime).
			"$BENCH" -t 600 -c 100 -n "$k" -k "$k" -s -T "kw$s$k" \
			    "${PEP[policyd-keys]}" >/dev/null 2>&1
			redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
			out=$(nice "$BENCH" -t 600 -c 100 -n "$N" -k "$k" -s \
			    -T "k$s$k" "${PEP[policyd-keys]}" 2>&1) ||
			    pw_bail "bench_policy against $dir failed: $out"
			n=$(field requests "$out")
			cost_stats "$sock" | awk -v s="$s" -v k="$k" -v n="$n" \
			    -v rps="$(field rps "$out")" '
			    $1 == "hget" { h = $2 }
			    $1 != "config" { u += $3 }
			    END { printf "| %s | %d | %s | %.3f | %.2f |\n", s, k,
				rps, h / n, u / n }'
			KEYS_RSS[$s$k]=$(awk '/^VmRSS/ { print $2 }' \
			    "/proc/${PW_PIDS[policyd-keys]}/status")
		done
		echo "# $s: policyd VmRSS after the 100-key row ${KEYS_RSS[${s}100]} kB, after the 100,000-key row ${KEYS_RSS[${s}100000]} kB"
		pw__stop_pid policyd-keys 10
		pw__stop_pid redis-keys 10
	done
}

for part in $PARTS; do
	"part_$part"
done
