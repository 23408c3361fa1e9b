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

# --- postwarden-policyd: every rule active for 10 keys of one tenant ------
pw_redis_start
pw_redis_cli HSET 'pw:{bench}:tenant' status active quota_day 2000000000 \
    quota_hour 2000000000 quota_month 2000000000 rate 1000000 \
    burst 1000000 max_size 100000000 >/dev/null
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
echo "| server, scenario | result |"
echo "|---|---|"
run "postwarden, unauthenticated (no Redis), 50 conns" -c 50 -n "$N" -k 0 "$EP"
run "postwarden, RCPT all rules, 50 conns" -c 50 -n "$N" -k 10 -T a "$EP"
run "postwarden, RCPT all rules, 200 conns" -c 200 -n "$N" -k 10 -T b "$EP"
run "postwarden, RCPT x5 + END-OF-MESSAGE, 200 conns" -c 200 -n "$N" -k 10 \
    -e 5 -T c "$EP"
run "postwarden, RCPT all rules, 200 conns, 4 pipelined" -c 200 -d 4 -n "$N" \
    -k 10 -T d "$EP"
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
	    --min_servers 55 --max_servers 60 \
	    >/dev/null 2>&1
	if pw_wait_until "postfwd2 on $port" 20 bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
		run "postfwd2 1.35, rcpt() per sasl_username, 50 conns" \
		    -c 50 -n "$((N / 5))" -k 10 "inet:127.0.0.1:$port"
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
		run "policyd-rate-limit 1.0.1.1 (SQLite), 20 conns" \
		    -c 20 -n "$((N / 20))" -k 10 "inet:127.0.0.1:$port"
	fi
fi
