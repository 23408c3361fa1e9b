#!/bin/bash
# tests/bench/bench-http.sh -- benchmark postwarden-policyd's HTTP service
# (http_listen, http/): RFC 8058 one-click unsubscribe POSTs per second
# with every one recorded, and the time of a GET /metrics scrape with
# many tenants, each beside nginx on the same machine, driven by the same
# load generator over the same connections in the same run (the floor).
# Not run by make check; results go to docs/bench-http.md by hand.
#
#   PW_BUILDDIR=/path/to/build nice tests/bench/bench-http.sh
#
# Everything runs in a temp dir (tests/harness/harness.sh) on loopback:
# a private redis-server on a unix socket, TENANTS tenants bench1 ..
# benchN (written as the tests write them: pw:{T}:tenant status active,
# pw:tenants), a tracking keyring, postwarden-policyd with http_listen on
# a free 127.0.0.1 port, and nginx (Debian's nginx-light or nginx) as a
# private instance: its own config and prefix in the temp dir, one worker
# (policyd's HTTP service is one event loop), a free port.  All are
# stopped by pid at the end.  Without nginx the postwarden rows still run
# and the floor says "no nginx" (apt-get install nginx-light).
#
# Tokens: version 2 one-click tokens (lib/track.c) minted in bulk by
# tests/bench/unsub_tokens.c with the daemon's keyring, for distinct
# recipients rI@bench.example spread over the tenants, without a stream
# (so the suppression is the tenant's: pw:{T}:supp).  Every run has
# tokens of its own, each sent once.
#
# Load generator: wrk (Debian's wrk, LuaJIT) with tests/bench/
# http_tokens.lua: THREADS threads, CONNS persistent connections, each
# request the next token of the run's file; a run is POSTS requests, not
# a duration.  Rows per connection count and round:
#   postwarden POST   POST <path>/<token>, List-Unsubscribe=One-Click:
#                     verify the token, lua/unsubscribe.lua on Redis, 200
#   nginx POST        the same bytes; nginx answers 200 "unsubscribed"
#                     itself (`return`): the HTTP floor, no work
#   postwarden GET    GET of the same links: verify the token, the
#                     confirmation page, no Redis
#   nginx GET static  the same links, nginx serving that page's bytes from
#                     a static file (the floor the issue names)
# A postwarden POST run counts only if every POST was answered 200
# "unsubscribed", wrk saw no socket error, and afterwards the tenants'
# suppression entries (HLEN of every pw:{T}:supp) grew by exactly the
# number of POSTs: else it is FAILED and the script exits 1.  A GET run
# must leave them unchanged.
#
# The table gives the median of the rounds (req/s; p50/p99/p99.9 of the
# median run), server CPU microseconds per request (postwarden: policyd +
# redis-server, also shown apart; nginx: its worker and master) and the
# client's (wrk), the measure a busy machine disturbs least.
#
# Scrape: when the build answers GET /metrics, SCRAPES scrapes over one
# curl connection (curl -w time_total per URL), of postwarden's /metrics
# and of nginx serving a static file of the same bytes; median and max.
# Per-tenant series are asked for with BENCH_METRICS_CONF (default the
# setting of lib/metrics, if the daemon knows it).
#
# Environment:
#   BENCH_TENANTS   tenants (default 10000)
#   BENCH_POSTS     requests per run (default 20000)
#   BENCH_CONNS     connection counts (default "16 100")
#   BENCH_ROUNDS    rounds per connection count (default 3); the order of
#                   the four rows alternates between rounds
#   BENCH_THREADS   wrk threads (default 2, the machine's CPUs)
#   BENCH_SCRAPES   scrapes of /metrics per server (default 50)
#   BENCH_BOUND     seconds after which a run that has not finished is
#                   stopped and FAILED (default 60)
#   BENCH_NGINX     the nginx binary (default: nginx on PATH, or
#                   /usr/sbin/nginx), or "no" for the postwarden rows only
#   BENCH_PERF      1: record each postwarden POST run of policyd with
#                   perf(1) (-g, cpu-clock) and print where its time goes,
#                   by library and symbol, for the last round of each
#                   connection count; and count policyd's system calls per
#                   request in the POST and GET runs (perf stat)
#   BENCH_METRICS_CONF  postwarden.conf lines (";"-separated) for the
#                   per-tenant metrics (default: see above)

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PW_BUILDDIR:=$PW_SRCDIR}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/cpu.sh"

TENANTS=${BENCH_TENANTS:-10000}
POSTS=${BENCH_POSTS:-20000}
CONNS=${BENCH_CONNS:-16 100}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-2}
SCRAPES=${BENCH_SCRAPES:-50}
BOUND=${BENCH_BOUND:-60}
PERF=${BENCH_PERF:-}
POLICYD=$PW_BUILDDIR/policyd/postwarden-policyd
LUA=$PW_SRCDIR/tests/bench/http_tokens.lua

[ "$(id -u)" -eq 0 ] || pw_bail "needs root (the daemon drops to nobody)"
for t in redis-server redis-cli wrk curl gcc; do
	command -v "$t" >/dev/null 2>&1 ||
	    pw_bail "$t not installed (Debian: redis-server wrk curl gcc)"
done
[ -x "$POLICYD" ] || pw_bail "$POLICYD not built"
[ -f "$PW_BUILDDIR/lib/libpostwarden.a" ] || pw_bail "lib/libpostwarden.a not built"
case ${BENCH_NGINX:-auto} in
auto)	NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }) ;;
no)	NGINX= ;;
*)	NGINX=$BENCH_NGINX ;;
esac
pw_harness_init
ulimit -n 8192

MINT=$PW_TMP/unsub_tokens
gcc -O2 -Wall -I"$PW_BUILDDIR" -I"$PW_SRCDIR/lib" -o "$MINT" \
    "$PW_SRCDIR/tests/bench/unsub_tokens.c" \
    "$PW_BUILDDIR/lib/libpostwarden.a" -lcrypto -lidn2 -lhiredis \
    -lpthread || pw_bail "cannot build unsub_tokens"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU(s),$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "# $(redis-server --version | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), ${NGINX:+$("$NGINX" -v 2>&1)}${NGINX:-no nginx}"
echo "# tenants: $TENANTS, $POSTS requests per run, $ROUNDS rounds, wrk -t $THREADS, nice $(nice)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- Redis, tenants, keyring, policyd -------------------------------------------
# shellcheck disable=SC2317 # called through pw_wait_until
# Does DIR hold N files done.*?  (wrk's threads, when finished)
bench_files() {	# DIR N
	[ "$(find "$1" -name 'done.*' | wc -l)" -eq "$2" ]
}

# shellcheck disable=SC2317 # called through pw_wait_until
# Does URL answer 200?
bench_200() {	# URL
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]
}


pw_redis_start
R() { pw_redis_cli "$@"; }
for ((i = 1; i <= TENANTS; i++)); do
	printf 'HSET pw:{bench%d}:tenant status active\nSADD pw:tenants bench%d\n' "$i" "$i"
done | R >/dev/null || pw_bail "cannot write the tenants"
[ "$(R SCARD pw:tenants)" = "$TENANTS" ] || pw_bail "the tenants are not all there"

# Suppression entries of every tenant: the sum of HLEN pw:{T}:supp.
supp_total() {
	# shellcheck disable=SC2016 # Lua, not shell
	R EVAL 'local n = 0
for _, t in ipairs(redis.call("SMEMBERS", "pw:tenants")) do
  n = n + redis.call("HLEN", "pw:{" .. t .. "}:supp")
end
return n' 0
}

SECRET=$PW_TMP/tracking.secret
pw_secret_file "$SECRET"
PORT=$(pw_free_port)
URL=http://127.0.0.1:$PORT
MCONF=()
if [ -n "${BENCH_METRICS_CONF+x}" ]; then
	IFS=';' read -r -a MCONF <<<"$BENCH_METRICS_CONF"
elif grep -q -a metrics_per_tenant "$POLICYD"; then
	MCONF=("metrics_per_tenant = yes")
fi
pw_daemon_start policyd "log_level = notice" \
    "http_listen = inet:127.0.0.1:$PORT" "tracking_secret_file = $SECRET" \
    "${MCONF[@]}"
pw_wait_until "the HTTP service" "$PW_TIMEOUT" bench_200 "$URL/healthz" ||
    pw_bail "no HTTP service on $URL"
PW_CPU=("${PW_PIDS[policyd]}" "${PW_PIDS[redis]}")

# Tokens: a warm-up set, then POSTS for each run.
RUNS=$(($(wc -w <<<"$CONNS") * ROUNDS))
"$MINT" "$SECRET" bench "$TENANTS" 0 $((POSTS * RUNS + 2000)) \
    >"$PW_TMP/tokens.all" || pw_bail "unsub_tokens failed"
TOKDIR=$PW_TMP/tokens
mkdir -p "$TOKDIR"
head -n 2000 "$PW_TMP/tokens.all" >"$TOKDIR/warm"
tail -n +2001 "$PW_TMP/tokens.all" | split -l "$POSTS" -d -a 3 - "$TOKDIR/run."
[ "$(find "$TOKDIR" -name 'run.*' | wc -l)" -eq "$RUNS" ] ||
    pw_bail "cannot split the tokens"
echo "# tokens: version 2, no stream, $((POSTS * RUNS)) for the runs (minted in advance)"

# --- nginx ---------------------------------------------------------------------------

NGX_OK=0
if [ -n "$NGINX" ]; then
	NGX=$PW_TMP/nginx
	NPORT=$(pw_free_port)
	mkdir -p "$NGX/html" "$NGX/tmp" "$NGX/logs" && chmod 0755 "$NGX" "$NGX/html"
	# The static file: the confirmation page postwarden's GET answers.
	curl -s -o "$NGX/html/page.html" "$URL/u/$(cut -f1 -d'	' "$TOKDIR/warm" | head -1)"
	chmod 0644 "$NGX/html/page.html"
	cat >"$NGX/nginx.conf" <<EOF
# nginx for tests/bench/bench-http.sh: a private instance, one worker
daemon off;
master_process on;
worker_processes 1;
user nobody nogroup;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    default_type text/html;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$NPORT;
        root $NGX/html;
        location = /metrics { default_type text/plain; try_files /metrics.txt =404; }
        location /u/ {
            if (\$request_method = POST) { return 200 "unsubscribed\n"; }
            rewrite ^ /page.html break;
        }
    }
}
EOF
	"$NGINX" -e "$NGX/logs/error.log" -p "$NGX" -c "$NGX/nginx.conf" \
	    </dev/null >>"$NGX/out" 2>&1 &
	pw__record nginx $!
	PW_EXTRA_DAEMON_LOGS+=("$NGX/logs/error.log")
	NURL=http://127.0.0.1:$NPORT
	if pw_wait_until "nginx on $NURL" "$PW_TIMEOUT" bench_200 "$NURL/u/x"; then
		NGX_OK=1
	else
		echo "# nginx did not start: $(cat "$NGX/out" "$NGX/logs/error.log" 2>/dev/null)"
	fi
else
	echo "# nginx: not installed (or BENCH_NGINX=no): no floor (Debian: apt-get install nginx-light)"
fi

# nginx's pids, one a line: the master and its children (the worker).
ngx_pids() {
	echo "${PW_PIDS[nginx]}"
	cat "/proc/${PW_PIDS[nginx]}/task/"*/children 2>/dev/null |
	    tr -s ' ' '\n' | grep .
}


# --- runs ----------------------------------------------------------------------------

declare -A LINE=() RATE=() CPU=() CPUA=() CPUB=() CCPU=()
FAILED=0

# One wrk run of FILE's tokens: METHOD to BASE (a URL) with CONNS
# connections; WRK_OUT is wrk's done() line, or FAILED: why.  Server pids
# in the array SRV; CPU in WRK_T0, WRK_TICKS (wrk) and the bench_cpu
# snapshots.
bench_wrk() {	# BASE METHOD CONNS FILE
	local base=$1 method=$2 c=$3 file=$4 d=$PW_TMP/done pid out p
	local t=$THREADS
	[ "$c" -lt "$t" ] && t=$c
	rm -rf "$d" && mkdir -p "$d"
	bench_cpu_begin "${SRV[@]}"
	PERF_PID="" STAT_PID=""
	if [ -n "$PERF_OUT" ]; then
		perf record -q -F 999 -g -o "$PERF_OUT" -p "${PW_PIDS[policyd]}" \
		    >/dev/null 2>&1 &
		PERF_PID=$!
	fi
	if [ -n "$STAT_OUT" ]; then
		perf stat -x, -o "$STAT_OUT" -p "${PW_PIDS[policyd]}" \
		    -e raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait \
		    -e syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_readv \
		    -e syscalls:sys_enter_read,syscalls:sys_enter_writev \
		    -e syscalls:sys_enter_write,syscalls:sys_enter_ioctl \
		    >/dev/null 2>&1 &
		STAT_PID=$!
	fi
	wrk -t "$t" -c "$c" -d "${BOUND}s" --timeout 10s -s "$LUA" "$base" -- \
	    "$file" "$method" /u/ "$t" "$d" >"$PW_TMP/wrk.out" 2>&1 &
	pid=$!
	WRK_T0=$(bench_cpu_ticks "$pid")
	pw_wait_until "wrk's $t thread(s) to finish" "$BOUND" \
	    bench_files "$d" "$t"
	WRK_TICKS=$(bench_cpu_ticks "$pid")
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	bench_cpu_end "${SRV[@]}"
	for p in $PERF_PID $STAT_PID; do
		kill -INT "$p" 2>/dev/null
		wait "$p"
	done
	out=$(grep '^requests=' "$PW_TMP/wrk.out")
	if [ -z "$out" ]; then
		WRK_OUT="FAILED: $(tr '\n' ' ' <"$PW_TMP/wrk.out")"
		return
	fi
	case $out in
	*" bad=0 "*" errors=0/0/0/0") ;;
	*)	out="FAILED: $out $(grep '^bad answers:' "$PW_TMP/wrk.out")" ;;
	esac
	[ "${out#FAILED}" = "$out" ] &&
	    [ "$(sed -n 's/^requests=\([0-9]*\) ok=\([0-9]*\) .*/\1 \2/p' <<<"$out")" != "$(wc -l <"$file") $(wc -l <"$file")" ] &&
	    out="FAILED (not every request answered): $out"
	WRK_OUT=$out
}

# One verified run: ROW (pwpost pwget ngxpost ngxget), CONNS, ROUND.
bench_run() {	# ROW CONNS ROUND FILE
	local row=$1 c=$2 r=$3 file=$4 base method e0 e1 out n ticks=0 p k
	case $row in
	pw*)	base=$URL SRV=("${PW_CPU[@]}") ;;
	ngx*)	base=$NURL; mapfile -t SRV < <(ngx_pids) ;;
	esac
	case $row in
	*post)	method=POST ;;
	*)	method=GET ;;
	esac
	PERF_OUT="" STAT_OUT=""
	[ -n "$PERF" ] && [ "$row" = pwpost ] && PERF_OUT=$PW_TMP/perf.$c.data
	[ -n "$PERF" ] && [ "${row#pw}" != "$row" ] && STAT_OUT=$PW_TMP/stat.$row.$c.$r
	NOTREC0=$(grep -c 'unsubscribe not recorded' "$PW_TMP/policyd.log")
	e0=$(supp_total)
	bench_wrk "$base" "$method" "$c" "$file"
	out=$WRK_OUT
	e1=$(supp_total)
	n=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' <<<"$out")
	if [ "$row" = pwpost ] && [ "${out#FAILED}" = "$out" ] &&
	    [ "$((e1 - e0))" -ne "$n" ]; then
		out="FAILED (recorded $((e1 - e0)) of $n): $out"
	elif [ "$method" = GET ] && [ "$e1" -ne "$e0" ]; then
		out="FAILED (a GET wrote $((e1 - e0)) entries): $out"
	fi
	case $out in FAILED*) FAILED=$((FAILED + 1)); n=0 ;; esac
	k=$(($(grep -c 'unsubscribe not recorded' "$PW_TMP/policyd.log") - NOTREC0))
	[ "$k" -gt 0 ] && out="$out; policyd logged 'unsubscribe not recorded' $k times"
	for p in "${SRV[@]}"; do
		ticks=$((ticks + $(bench_cpu_ticks_of "$p")))
	done
	LINE[$row,$c,$r]=$out
	RATE[$row,$c,$r]=$(sed -n 's/.* rate=\([0-9]*\) .*/\1/p' <<<"$out")
	case $out in FAILED*) RATE[$row,$c,$r]=0 ;; esac
	CPU[$row,$c,$r]=$(bench_ticks_us "$ticks" "${n:-0}")
	CCPU[$row,$c,$r]=$(bench_ticks_us $((WRK_TICKS - WRK_T0)) "${n:-0}")
	if [ "${row#pw}" != "$row" ]; then
		CPUA[$row,$c,$r]=$(bench_cpu_us "${PW_PIDS[policyd]}" "${n:-0}")
		CPUB[$row,$c,$r]=$(bench_cpu_us "${PW_PIDS[redis]}" "${n:-0}")
	fi
	[ -n "$STAT_OUT" ] && [ "${n:-0}" -gt 0 ] &&
	    echo "# $row, $c conns, round $r: policyd's system calls per request: $(awk -F, -v n="$n" '$3 ~ /sys_enter/ { e = $3; sub(/.*sys_enter_?/, "", e); printf "%s%s %.2f", sep, (e == "" ? "all" : e), $1 / n; sep = ", " }' "$STAT_OUT")"
	echo "# $row, $c conns, round $r: $out (server CPU ${CPU[$row,$c,$r]} µs/req${CPUA[$row,$c,$r]:+: policyd ${CPUA[$row,$c,$r]} + redis ${CPUB[$row,$c,$r]}}; wrk ${CCPU[$row,$c,$r]} µs/req; +$((e1 - e0)) entries)"
}

bench_field() {	# LINE F
	sed -n "s/.* $2=\([0-9.]*\)ms.*/\1/p" <<<"$1"
}

bench_median_round() {	# ROW CONNS
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		echo "${RATE[$1,$2,$r]:-0} $r"
	done | sort -g | sed -n "$(((ROUNDS + 1) / 2))p" | cut -d' ' -f2
}

# One table row: ROW's median run at CONNS; its rate in ROW_RATE.
bench_row() {	# LABEL ROW CONNS
	local r l i
	r=$(bench_median_round "$2" "$3")
	l=${LINE[$2,$3,$r]}
	ROW_RATE=${RATE[$2,$3,$r]:-0}
	case $l in
	"")	printf '| %s | %s | not run | | | | | | |\n' "$1" "$3" ;;
	FAILED*) printf '| %s | %s | FAILED | | | | | | |\n' "$1" "$3"; ROW_RATE=0 ;;
	*)	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$3" \
		    "$ROW_RATE" "$(bench_field "$l" p50)" \
		    "$(bench_field "$l" p99)" "$(bench_field "$l" p99.9)" \
		    "$(bench_median "$(for ((i = 1; i <= ROUNDS; i++)); do echo "${CPU[$2,$3,$i]}"; done)")" \
		    "$(if [ -n "${CPUA[$2,$3,$r]:-}" ]; then
			echo "$(bench_median "$(for ((i = 1; i <= ROUNDS; i++)); do echo "${CPUA[$2,$3,$i]}"; done)") + $(bench_median "$(for ((i = 1; i <= ROUNDS; i++)); do echo "${CPUB[$2,$3,$i]}"; done)")"
		    fi)" \
		    "$(bench_median "$(for ((i = 1; i <= ROUNDS; i++)); do echo "${CCPU[$2,$3,$i]}"; done)")" ;;
	esac
}

# Warm-up (caches, page faults, Redis's script cache), not kept; the
# tokens of the warm-up are spent.
SRV=("${PW_CPU[@]}")
bench_wrk "$URL" POST 4 "$TOKDIR/warm"
echo "# warm-up: $WRK_OUT"
case $WRK_OUT in FAILED*) pw_bail "the warm-up failed" ;; esac
if [ "$NGX_OK" = 1 ]; then
	mapfile -t SRV < <(ngx_pids)
	bench_wrk "$NURL" GET 4 "$TOKDIR/warm"
fi

ROWS="pwpost pwget"
[ "$NGX_OK" = 1 ] && ROWS="pwpost ngxpost pwget ngxget"
k=0
for c in $CONNS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		file=$(printf '%s/run.%03d' "$TOKDIR" "$k")
		k=$((k + 1))
		order=$ROWS
		((r % 2)) || order=$(tr ' ' '\n' <<<"$ROWS" | tac | tr '\n' ' ')
		for row in $order; do
			bench_run "$row" "$c" "$r" "$file"
		done
	done
done

echo
echo "Median of $ROUNDS runs of $POSTS requests each (wrk -t $THREADS, persistent connections, each link once); latency (ms) of the median run; CPU µs per request, median of the rounds."
echo
echo "| server | conns | req/s | p50 | p99 | p99.9 | server CPU µs/req | policyd + redis µs/req | wrk CPU µs/req |"
echo "|---|---|---|---|---|---|---|---|---|"
declare -A R_PP=() R_NP=() R_PG=() R_NG=()
for c in $CONNS; do
	bench_row "postwarden POST (recorded)" pwpost "$c"; R_PP[$c]=$ROW_RATE
	bench_row "nginx POST (return 200)" ngxpost "$c"; R_NP[$c]=$ROW_RATE
	bench_row "postwarden GET (page)" pwget "$c"; R_PG[$c]=$ROW_RATE
	bench_row "nginx GET (static page)" ngxget "$c"; R_NG[$c]=$ROW_RATE
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
for c in $CONNS; do
	echo "at $c conns: postwarden POST / nginx POST $(ratio "${R_PP[$c]}" "${R_NP[$c]}"), / nginx static $(ratio "${R_PP[$c]}" "${R_NG[$c]}"); postwarden GET / nginx static $(ratio "${R_PG[$c]}" "${R_NG[$c]}")"
done

if [ -n "$PERF" ]; then
	for c in $CONNS; do
		echo
		echo "policyd during a POST run at $c conns (perf, self time):"
		perf report -i "$PW_TMP/perf.$c.data" --stdio --no-children \
		    --sort dso -g none 2>/dev/null | grep -v '^#' | grep . |
		    head -n 8
		perf report -i "$PW_TMP/perf.$c.data" --stdio --no-children \
		    --sort dso,symbol -g none 2>/dev/null | grep -v '^#' |
		    grep . | head -n 30
	done
fi

# --- /metrics ----------------------------------------------------------------------------

# Scrape BASE/metrics N times over one connection: SCRAPE_OUT is
# "median max first-byte-median size connections" (ms: curl's
# time_total, and time_starttransfer for the first byte), or FAILED; the
# server's CPU in the bench_cpu snapshots of SRV.
bench_scrape() {	# BASE N
	local args=() i out
	for ((i = 0; i < $2; i++)); do
		args+=(-o /dev/null "$1/metrics")
	done
	bench_cpu_begin "${SRV[@]}"
	out=$(curl -s -w '%{http_code} %{size_download} %{time_total} %{num_connects} %{time_starttransfer}\n' "${args[@]}") ||
	    { SCRAPE_OUT=FAILED; return; }
	bench_cpu_end "${SRV[@]}"
	if [ "$(awk '$1 != 200' <<<"$out" | wc -l)" -ne 0 ]; then
		SCRAPE_OUT="FAILED ($(awk '$1 != 200 { print $1 }' <<<"$out" | sort | uniq -c | tr '\n' ' '))"
		return
	fi
	SCRAPE_OUT="$(awk '{ print $3 * 1000 }' <<<"$out" | bench_median) $(awk '{ t = $3 * 1000; if (t > m) m = t } END { print m }' <<<"$out") $(awk '{ print $5 * 1000 }' <<<"$out" | bench_median) $(awk 'NR == 1 { print $2 }' <<<"$out") $(awk '{ n += $4 } END { print n }' <<<"$out")"
}

# CPU µs per scrape of the servers in SRV, after bench_scrape.
bench_scrape_cpu() {	# N
	local p ticks=0
	for p in "${SRV[@]}"; do
		ticks=$((ticks + $(bench_cpu_ticks_of "$p")))
	done
	bench_ticks_us "$ticks" "$1"
}

echo
if [ "$(curl -s -o "$PW_TMP/metrics.txt" -w '%{http_code}' "$URL/metrics")" != 200 ]; then
	echo "/metrics: to run (this build does not answer GET /metrics)"
else
	series=$(grep -vc '^#' "$PW_TMP/metrics.txt")
	tenants=$(grep -o 'tenant="[^"]*"' "$PW_TMP/metrics.txt" | sort -u | wc -l)
	echo "/metrics: $series series, $tenants tenants named, $(wc -c <"$PW_TMP/metrics.txt") bytes (${MCONF[*]:-no per-tenant setting})"
	SRV=("${PW_PIDS[policyd]}")
	PERF_PID=""
	if [ -n "$PERF" ]; then
		perf record -q -F 999 -g -o "$PW_TMP/perf.scrape.data" \
		    -p "${PW_PIDS[policyd]}" >/dev/null 2>&1 &
		PERF_PID=$!
	fi
	bench_scrape "$URL" "$SCRAPES"
	PW_S=$SCRAPE_OUT
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null
		wait "$PERF_PID"
	fi
	PW_C=$(bench_scrape_cpu "$SCRAPES")
	if [ "$NGX_OK" = 1 ]; then
		cp "$PW_TMP/metrics.txt" "$NGX/html/metrics.txt"
		chmod 0644 "$NGX/html/metrics.txt"
		mapfile -t SRV < <(ngx_pids)
		bench_scrape "$NURL" "$SCRAPES"
		NG_S=$SCRAPE_OUT
		NG_C=$(bench_scrape_cpu "$SCRAPES")
	fi
	echo
	echo "$SCRAPES scrapes over one connection (curl -w time_total, time_starttransfer), ms; server CPU per scrape:"
	echo
	echo "| server | median | max | first byte (median) | bytes | connections | server CPU ms/scrape |"
	echo "|---|---|---|---|---|---|---|"
	read -r a b f s n <<<"$PW_S"
	echo "| postwarden GET /metrics | $a | $b | $f | $s | $n | $(bench_per "${PW_C%.*}" 1000) |"
	if [ -n "${NG_S:-}" ]; then
		read -r a b f s n <<<"$NG_S"
		echo "| nginx, the same bytes as a static file | $a | $b | $f | $s | $n | $(bench_per "${NG_C%.*}" 1000) |"
	fi
	if [ -n "$PERF" ]; then
		echo
		echo "policyd during the scrapes (perf, self time):"
		perf report -i "$PW_TMP/perf.scrape.data" --stdio --no-children \
		    --sort dso,symbol -g none 2>/dev/null | grep -v '^#' |
		    grep . | head -n 25
	fi
	case "$PW_S ${NG_S:-}" in *FAILED*) FAILED=$((FAILED + 1)) ;; esac
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$FAILED" -gt 0 ]; then
	echo "# $FAILED run(s) FAILED"
	exit 1
fi
exit 0
