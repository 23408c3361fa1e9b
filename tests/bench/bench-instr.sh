#!/bin/bash
# tests/bench/bench-instr.sh -- Redis's CPU per policy request counted in
# instructions, not time: redis-server runs under valgrind's callgrind,
# postwarden-policyd in front of it, tests/bench/bench_policy.c sending
# every-rule (or rate-only) requests; the instructions Redis executed
# after a warm-up, divided by the requests.  On a machine shared with
# other work, time per call varies twofold between identical runs; this
# count does not (a few per cent).  Not run by make check.
#
#   PW_BUILDDIR=/path/to/build [BENCH_VERSUS=/other/build] \
#       tests/bench/bench-instr.sh [REQUESTS]
#
# REQUESTS (default 2000) per row, 4 connections; rows: every rule and
# rate only, RCPT only (-e 0) and one RCPT and END-OF-MESSAGE per
# message (-e 1), for PW_BUILDDIR and, if set, BENCH_VERSUS.  Also the
# redis.call per EVALSHA (INFO commandstats).  Everything runs in a temp
# dir on loopback; the processes started are stopped by pid.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PW_BUILDDIR:?set PW_BUILDDIR}"
N=${1:-2000}
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 2; }
TMP=$(mktemp -d) || exit 1
chmod 0755 "$TMP"
PIDS=()
instr_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap instr_cleanup EXIT
cc -O2 -D_GNU_SOURCE -o "$TMP/bench_policy" \
    "$PW_SRCDIR/tests/bench/bench_policy.c" \
    "$PW_SRCDIR/tests/harness/endpoint.c" || exit 1

# One row: BUILD JOB EVERY.
instr_row() {
	local build=$1 job=$2 every=$3 d s R port vp pp out ir calls i
	d=$TMP/$job$every$RANDOM
	mkdir -p "$d" && chmod 0755 "$d"
	s=$d/redis.sock
	R() { redis-cli -s "$s" "$@"; }
	valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" \
	    redis-server --port 0 --unixsocket "$s" --unixsocketperm 777 \
	    --save '' --appendonly no --dir "$d" --logfile "$d/redis.log" \
	    >/dev/null 2>&1 &
	vp=$!
	PIDS+=("$vp")
	for i in $(seq 200); do
		[ "$(R ping 2>/dev/null)" = PONG ] && break
		sleep 0.1
	done
	R SET pw:store 1 >/dev/null
	R HSET 'pw:{bench}:tenant' status active quota_day 2000000000 \
	    quota_hour 2000000000 quota_month 2000000000 rate 1000000 \
	    burst 1000000 max_size 100000000 >/dev/null
	R HSET 'pw:{bench}:domains' example.com exact >/dev/null
	R HSET 'pw:domain:example.com' tenant bench >/dev/null
	R HSET 'pw:{bench}:supp' '@blocked.example' 'manual|cli|1|0' >/dev/null
	for i in $(seq 0 9); do
		R HSET "pw:key:k_bench$i" tenant bench >/dev/null
		if [ "$job" = all ]; then
			R HSET "pw:{bench}:key:k_bench$i" status active \
			    quota_day 2000000000 quota_hour 2000000000 \
			    quota_month 2000000000 rate 1000000 \
			    burst 1000000 >/dev/null
		else
			R HSET "pw:{bench}:key:k_bench$i" status active \
			    rate 1000000 burst 1000000 >/dev/null
		fi
	done
	[ "$job" = rate ] && R HSET 'pw:{bench}:tenant' status active \
	    quota_day '' quota_hour '' quota_month '' rate '' burst '' \
	    max_size '' >/dev/null
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$d/pw.conf" <<EOF
redis_server = unix:$s
user = nobody
log_level = notice
policyd_listen = inet:127.0.0.1:$port
policyd_pid_file = $d/policyd.pid
redis_command_timeout = 60s
EOF
	"$build/policyd/postwarden-policyd" -f -c "$d/pw.conf" \
	    >"$d/policyd.log" 2>&1 &
	pp=$!
	PIDS+=("$pp")
	for i in $(seq 100); do
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && break
		sleep 0.1
	done
	"$TMP/bench_policy" -t 600 -c 4 -n 200 -k 10 -e "$every" -T w \
	    "inet:127.0.0.1:$port" >/dev/null
	R CONFIG RESETSTAT >/dev/null
	callgrind_control -d "$vp" >/dev/null
	out=$("$TMP/bench_policy" -t 600 -c 4 -n "$N" -k 10 -e "$every" -T m \
	    "inet:127.0.0.1:$port" 2>&1)
	calls=$(R INFO commandstats | tr -d '\r' | awk -F'[:=,]' '
	    /^cmdstat_evalsha/ { c = $3 }
	    /^cmdstat/ && !/evalsha|config|info/ { o += $3 }
	    END { printf "%.1f", o / c }')
	kill "$pp"
	wait "$pp" 2>/dev/null
	R SHUTDOWN NOSAVE >/dev/null 2>&1
	wait "$vp" 2>/dev/null
	ir=$(awk '/^summary:/ { print $2 }' "$d/cg.out")
	printf '| %s | %s | %s | %s | %s | %s |\n' "$build" "$job" \
	    "$([ "$every" = 0 ] && echo RCPT || echo "RCPT + END-OF-MESSAGE")" \
	    "$((ir / N))" "$calls" "$(sed 's/.*\(\[.*\)/\1/' <<<"$out")"
}

echo "# Redis instructions per request (callgrind), 4 conns, $N requests per row"
echo "| build | job | requests | instructions per request | redis.call per EVALSHA | answers |"
echo "|---|---|---|---|---|---|"
for job in all rate; do
	for every in 0 1; do
		instr_row "$PW_BUILDDIR" "$job" "$every"
		[ -n "${BENCH_VERSUS:-}" ] &&
		    instr_row "$BENCH_VERSUS" "$job" "$every"
	done
done
