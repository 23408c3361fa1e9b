#!/bin/bash
# tests/bench/bench-policyd.sh -- benchmark postwarden-policyd (and, when
# installed, postfwd2 and policyd-rate-limit doing a comparable job) with
# tests/bench/bench_policy.c over persistent connections.  Not run by
# make check; results go to docs/bench-policyd.md by hand.
#
#   PW_BUILDDIR=/path/to/build tests/bench/bench-policyd.sh [REQUESTS]
#
# Everything runs on loopback in a temp dir (tests/harness/harness.sh):
# a private Redis on a unix socket, the policy servers on free ports; all
# are stopped by pid at the end.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"

pw_require_root_tools
pw_harness_init
N=${1:-100000}
BENCH=$PW_TMP/bench_policy
cc -O2 -D_GNU_SOURCE -o "$BENCH" "$PW_SRCDIR/tests/bench/bench_policy.c" ||
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

# --- postwarden-policyd -------------------------------------------------------
# Tenant "bench" with 10 keys: every rule active.  Tenant "rate" with 10
# keys: only a per-key rate limit, the job postfwd2 and policyd-rate-limit
# do below.  Connections: 1, 16, 100, 500, as issue 3 asks.
ulimit -n 8192
pw_redis_start
pw_redis_cli HSET 'pw:{bench}:tenant' status active quota_day 2000000000 \
    quota_hour 2000000000 quota_month 2000000000 rate 1000000 \
    burst 1000000 max_size 100000000 >/dev/null
pw_redis_cli HSET 'pw:{rate}:tenant' status active >/dev/null
for i in $(seq 0 9); do
	pw_redis_cli HSET "pw:key:k_bench$i" tenant bench >/dev/null
	pw_redis_cli HSET "pw:{bench}:key:k_bench$i" status active \
	    quota_day 2000000000 quota_hour 2000000000 \
	    quota_month 2000000000 rate 1000000 burst 1000000 >/dev/null
done
pw_redis_cli HSET 'pw:{bench}:supp' '@blocked.example' 'manual|cli|1|0' \
    >/dev/null
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
for i in $(seq 0 9); do
	pw_redis_cli HSET "pw:key:k_bench$i" tenant rate >/dev/null
	pw_redis_cli HSET "pw:{rate}:key:k_bench$i" status active \
	    rate 1000000 burst 1000000 >/dev/null
done
pw_daemon_stop policyd
pw_daemon_start policyd "log_level = notice" \
    "policyd_listen = inet:127.0.0.1:$port" "redis_command_timeout = ${PW_BENCH_TIMEOUT:-2s}"
PD_PID=${PW_PIDS[policyd]}
for c in 1 16 100 500; do
	run "postwarden, per-key rate limit only, $c conns" -c "$c" -n "$N" \
	    -k 10 -T "r$c" "$EP"
done

# The same with 100,000 keys and 1,000,000 suppression entries loaded.
awk 'BEGIN {
	for (i = 10; i < 100000; i++) {
		printf "HSET pw:key:k_bench%d tenant rate\n", i
		printf "HSET pw:{rate}:key:k_bench%d status active rate 1000000 burst 1000000\n", i
	}
	for (i = 0; i < 1000000; i++)
		printf "HSET pw:{rate}:supp user%d@example.net manual|bench|1|0\n", i
}' | pw_redis_cli --pipe >/dev/null
echo "# loaded: $(pw_redis_cli DBSIZE) keys, $(pw_redis_cli HLEN 'pw:{rate}:supp') suppressions"
run "postwarden, per-key rate limit only, 100 conns, 100000 keys + 1000000 suppressions" \
    -c 100 -n "$N" -k 10 -T "big" "$EP"

# RSS with 1,000 connections open.
run "postwarden, per-key rate limit only, 1000 conns" -c 1000 -n "$N" \
    -k 10 -T "r1000" "$EP"
echo "# postwarden-policyd peak RSS: $(awk '/^VmHWM/ { print $2, $3 }' "/proc/$PD_PID/status")"
pw_daemon_stop policyd

# --- postfwd2: a per-SASL-user recipient limit (rcpt()) --------------------
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
	if pw_wait_until "postfwd2 on $port" 20 bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
		for c in 16 100; do
			run "postfwd2 1.35, rcpt() per sasl_username, $c conns" \
			    -c "$c" -n "$((N / 5))" -k 10 "inet:127.0.0.1:$port"
		done
	fi
	[ -r "$PW_TMP/postfwd.pid" ] && kill "$(cat "$PW_TMP/postfwd.pid")"
fi

# --- policyd-rate-limit: per-SASL-user limit, SQLite -------------------------
if command -v policyd-rate-limit >/dev/null; then
	port=$(pw_free_port)
	mkdir -p "$PW_TMP/prl" && chown nobody "$PW_TMP/prl"
	cat >"$PW_TMP/prl.yaml" <<EOC
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
	if pw_wait_until "policyd-rate-limit on $port" 20 bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
		for c in 16 100; do
			run "policyd-rate-limit 1.0.1.1 (SQLite), $c conns" \
			    -c "$c" -n "$((N / 20))" -k 10 "inet:127.0.0.1:$port"
		done
	fi
fi
