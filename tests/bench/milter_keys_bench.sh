#!/bin/bash
# tests/bench/milter_keys_bench.sh -- the milter benchmark with many
# sending domains (issue 14): signing with DKIM keys from Redis (sealed
# under dkim_kek_file, milter/milter_keys.c) against signing with the same
# keys from a key table (dkim_key_table, dkim_signing_table), for 10,000
# tenant domains, with the libmilter floor (tests/bench/milter_null.c) in
# the same run.  Not part of `make check`; results go in
# docs/bench-milter.md.
#
#   PW_BUILDDIR=/path/to/build tests/bench/milter_keys_bench.sh [MESSAGES]
#
# Environment:
#   BENCH_DOMAINS     sending domains (default 10000)
#   BENCH_PER_TENANT  domains per tenant (default 10: 1,000 tenants, one
#                     API key each)
#   BENCH_ALGS        "rsa ed25519" (default): one key per domain, RSA-2048
#                     or Ed25519, a file milter and a Redis milter each
#   BENCH_BODY        body bytes (default 2048)
#   BENCH_CONNS       connections (default 8)
#   BENCH_ROUNDS      warm rounds (default 3)
#   BENCH_COLD_ROUNDS cold rounds (default 1)
#   BENCH_PERF        a directory: after the rounds, one more warm row per
#                     signing milter under `perf record -g` (MODE.data
#                     there; phase=perf, not in the tables)
#
# Data: tenant tNNNN owns domains dNNNNN.example (BENCH_PER_TENANT each),
# its API key kNNNN; written straight to Redis by tests/bench/dkim_provision
# (what tenant add, domain add, domain dkim add and a successful domain
# verify leave), one copy of the RSA key sealed per domain under the
# prefix "pwr:", of the Ed25519 key under "pwe:" (each algorithm's
# milters use their own prefix, so a Redis milter signs with that one key
# only).  The file milters get a key table of the same keys, one line per
# domain (10,000 keys loaded at start), and a signing table.
#
# Each message's API key and From domain come from that list
# (milter_load -D).  A cold round (re)starts the signing milters and
# sends one message per domain in turn to each: the Redis milter reads
# and opens every key once, the file milter has them all from its start;
# both fill their tenant, identity and domain caches.  A warm round sends
# MESSAGES messages per filter, each to a domain drawn uniformly from the
# 10,000 (the same sequence for every filter of the round), modes in
# turn, the order reversed every other round.  The floor filter runs the
# same rows.  Result lines as milter_bench.sh's, with phase= and
# rss_kb= (VmRSS after the row), then medians and the ratios Redis/file.
#
# At the end, tests/bench/dkim_open_bench times opening one key record
# (what a key cache miss costs besides Redis) for each algorithm.
#
# Needs: what milter_bench.sh needs but opendkim, a built
# lib/libpostwarden.a and cli/postwarden.

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
# A milter loading 10,000 keys from files may take a while to start.
: "${PW_TIMEOUT:=120}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/cpu.sh"
. "$PW_SRCDIR/tests/bench/milter_start.sh"

N=${1:-20000}
NDOM=${BENCH_DOMAINS:-10000}
PER=${BENCH_PER_TENANT:-10}
ALGS=${BENCH_ALGS:-rsa ed25519}
BODY=${BENCH_BODY:-2048}
CONNS=${BENCH_CONNS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
COLD=${BENCH_COLD_ROUNDS:-1}
for alg in $ALGS; do
	case $alg in
	rsa|ed25519) ;;
	*)	echo "BENCH_ALGS: unknown algorithm $alg (rsa ed25519)" >&2
		exit 2 ;;
	esac
done
[ -x "$PW_BUILDDIR/milter/postwarden-milter" ] ||
    pw_skip_all "postwarden-milter not built in $PW_BUILDDIR"
[ -f "$PW_BUILDDIR/lib/libpostwarden.a" ] ||
    pw_skip_all "lib/libpostwarden.a not built in $PW_BUILDDIR"
pw_harness_init
T=$PW_TMP
B=$T/bin
mkdir -p "$B"
gcc -O2 -Wall -o "$B/milter_load" "$PW_SRCDIR/tests/bench/milter_load.c" \
    -lpthread || pw_bail "cannot build milter_load"
gcc -O2 -Wall -o "$B/milter_null" "$PW_SRCDIR/tests/bench/milter_null.c" \
    -lmilter -lpthread || pw_bail "cannot build milter_null"
gcc -O2 -Wall -I"$PW_BUILDDIR" -I"$PW_SRCDIR/lib" -o "$B/dkim_provision" \
    "$PW_SRCDIR/tests/bench/dkim_provision.c" \
    "$PW_BUILDDIR/lib/libpostwarden.a" -lcrypto -lidn2 -lhiredis \
    -lpthread || pw_bail "cannot build dkim_provision"
gcc -O2 -Wall -I"$PW_BUILDDIR" -I"$PW_SRCDIR/lib" -o "$B/dkim_open_bench" \
    "$PW_SRCDIR/tests/bench/dkim_open_bench.c" \
    "$PW_BUILDDIR/lib/libpostwarden.a" -lcrypto -lidn2 -lhiredis \
    -lpthread || pw_bail "cannot build dkim_open_bench"

# --- keys, the KEK, the domains -------------------------------------------

mkdir -p "$T/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/keys/rsa.pem" 2>/dev/null || pw_bail "genpkey"
openssl genpkey -algorithm ED25519 -out "$T/keys/ed25519.pem" \
    2>/dev/null || pw_bail "genpkey"
"$PW_BUILDDIR/cli/postwarden" dkim kek-generate "$T/keys/kek" >/dev/null ||
    pw_bail "kek-generate"
chown -R nobody "$T/keys"
chmod 0700 "$T/keys"
chmod 0600 "$T/keys"/*

# "KEYID TENANT DOMAIN", one line per domain.
awk -v n="$NDOM" -v per="$PER" 'BEGIN {
	for (i = 0; i < n; i++) {
		t = int(i / per) + 1
		printf "k%04d t%04d d%05d.example\n", t, t, i + 1
	}
}' >"$T/domains"
awk '{ print $1, $3 }' "$T/domains" >"$T/senders"

pw_redis_start
declare -A PREFIX=([rsa]=pwr: [ed25519]=pwe:) SEL=([rsa]=r1 [ed25519]=e1)
for alg in $ALGS; do
	t0=$EPOCHREALTIME
	"$B/dkim_provision" "$T/keys/kek" "${PREFIX[$alg]}" \
	    "${SEL[$alg]}=$T/keys/$alg.pem" <"$T/domains" >"$T/redis-$alg" ||
	    pw_bail "dkim_provision $alg"
	pw_redis_cli --pipe <"$T/redis-$alg" >"$T/pipe-$alg.out" 2>&1 ||
	    pw_bail "redis-cli --pipe: $(tail -3 "$T/pipe-$alg.out")"
	grep -q 'errors: 0,' "$T/pipe-$alg.out" ||
	    pw_bail "redis-cli --pipe: $(tail -3 "$T/pipe-$alg.out")"
	echo "# $alg: $NDOM domains of $((NDOM / PER)) tenants in Redis" \
	    "(${PREFIX[$alg]}) in $(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	    'BEGIN { printf "%.1f", b - a }') s"
	# The same keys as a key table and a signing table.
	awk -v alg="$alg" -v sel="${SEL[$alg]}" -v pem="$T/keys/$alg.pem" \
	    '{ printf "%s%05d %s %s %s %s\n", sel, NR, $3, sel, alg, pem }' \
	    "$T/domains" >"$T/keytable-$alg"
	awk -v sel="${SEL[$alg]}" '{ printf "%s %s%05d\n", $3, sel, NR }' \
	    "$T/domains" >"$T/signing-$alg"
done

# --- the filters ------------------------------------------------------------

MODES=null
for alg in $ALGS; do
	MODES="$MODES file-$alg redis-$alg"
done
declare -A SOCK=() PID=() STARTS=()
SOCK[null]=$T/null.sock
"$B/milter_null" "unix:$T/null.sock" >"$T/null.log" 2>&1 &
pw__record null $!
pw_wait_until "milter_null" 10 up "$!" "$T/null.sock" || pw_bail "milter_null"
PID[null]=${PW_PIDS[null]}

# (Re)start the signing milter MODE (a new process: nothing cached).
start() {	# MODE
	local mode=$1 alg=${1#*-} n t0
	n=$((${STARTS[$mode]:-0} + 1))
	STARTS[$mode]=$n
	[ -n "${PID[$mode]:-}" ] && pw__stop_pid "$mode-$((n - 1))"
	t0=$EPOCHREALTIME
	# A Redis command of 250 ms (the default timeout) happens on a
	# busy machine, and its message would be tempfailed: 2 s, for both.
	case $mode in
	file-*)	bench_milter_start "$mode-$n" "log_level = info" \
		    "redis_command_timeout = 2s" \
		    "redis_key_prefix = ${PREFIX[$alg]}" \
		    "dkim_key_table = $T/keytable-$alg" \
		    "dkim_signing_table = $T/signing-$alg" ;;
	redis-*) bench_milter_start "$mode-$n" "log_level = info" \
		    "redis_command_timeout = 2s" \
		    "redis_key_prefix = ${PREFIX[$alg]}" \
		    "dkim_kek_file = $T/keys/kek" ;;
	esac
	SOCK[$mode]=$T/$mode-$n.sock
	PID[$mode]=${PW_PIDS[$mode-$n]}
	echo "# started $mode (pid ${PID[$mode]}) in $(awk -v a="$t0" \
	    -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s," \
	    "RSS $(awk '/^VmRSS/ { print $2 }' "/proc/${PID[$mode]}/status") kB"
}

# run MODE PHASE ROUND N LOAD_ARGS...: one load, one result line.
results=$T/results
run() {
	local mode=$1 phase=$2 r=$3 n=$4 pid=${PID[$1]} out rss hwm lu ls load
	local rpid=${PW_PIDS[redis]} TIMEFORMAT='%3U %3S'
	shift 4
	bench_cpu_begin "$pid" "$rpid"
	{ time "$B/milter_load" -s "${SOCK[$mode]}" -c "$CONNS" -n "$n" \
	    -m 10 -b "$BODY" -D "$T/senders" "$@" >"$T/load.out" \
	    2>"$T/load.err"; } 2>"$T/load.time" ||
	    pw_bail "milter_load failed against $mode: $(cat "$T/load.err")"
	bench_cpu_end "$pid" "$rpid"
	out=$(cat "$T/load.out")
	# Every message must be signed, with one signature.
	[ "$mode" = null ] || [[ $out == *sigs_per_msg=1.00* ]] ||
	    pw_bail "$mode did not sign every message: $out (see $T/$mode-*.log)"
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	read -r lu ls <"$T/load.time"
	load=$(awk -v u="$lu" -v s="$ls" -v n="$n" \
	    'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')
	out="$out rss_kb=$rss peak_rss_kb=$hwm cpu_filter_us=$(bench_cpu_us "$pid" "$n")"
	out="$out cpu_redis_us=$(bench_cpu_us "$rpid" "$n") cpu_load_us=$load"
	out="$out cpu_all_us=$(bench_cpu_sys_us "$n") phase=$phase round=$r"
	echo "# $mode: $out"
	echo "$mode $out" >>"$results"
}

echo "# $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $NDOM domains, $PER per tenant; body $BODY; $CONNS connections; cold rounds $COLD ($NDOM messages, each domain once); warm rounds $ROUNDS ($N messages, uniform)"

order=$MODES
for r in $(seq 1 "$COLD"); do
	for mode in $order; do
		[ "$mode" = null ] || start "$mode"
	done
	for mode in $order; do
		run "$mode" cold "$r" "$NDOM" -o 0
	done
	# shellcheck disable=SC2086 # one mode per word
	order=$(printf '%s\n' $order | tac | tr '\n' ' ')
done
for r in $(seq 1 "$ROUNDS"); do
	for mode in $order; do
		run "$mode" warm "$r" "$N" -R -o $((r * N))
	done
	# shellcheck disable=SC2086 # one mode per word
	order=$(printf '%s\n' $order | tac | tr '\n' ' ')
done
if [ -n "${BENCH_PERF:-}" ]; then
	mkdir -p "$BENCH_PERF"
	for mode in $MODES; do
		[ "$mode" = null ] && continue
		perf record -q -F 499 -g -o "$BENCH_PERF/$mode.data" \
		    -p "${PID[$mode]}" >"$T/perf.log" 2>&1 &
		pw__record "perf-$mode" $!
		# perf is ready once it has written the file's header.
		pw_wait_until "perf record on $mode" 10 test -s \
		    "$BENCH_PERF/$mode.data" || pw_bail "perf: $(cat "$T/perf.log")"
		run "$mode" perf 1 "$N" -R -o $(((ROUNDS + 1) * N))
		kill -INT "${PW_PIDS[perf-$mode]}"
		wait "${PW_PIDS[perf-$mode]}"
		unset "PW_PIDS[perf-$mode]"
	done
fi
for mode in $MODES; do
	pw__alive "${PID[$mode]}" || pw_bail "$mode died"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# What a cache miss costs the Redis milter besides Redis: opening a key.
for alg in $ALGS; do
	"$B/dkim_open_bench" "$T/keys/kek" "$T/keys/$alg.pem" 1000 |
	    sed 's/^/# /'
done
echo "# results: $results"
cat "$results"

# --- medians, and Redis against file ---------------------------------------
echo
echo "| filter | phase | rounds | msgs/s (median) | min-max | filter µs/msg | redis µs/msg | load µs/msg | machine µs/msg | RSS MB | msgs/s vs null |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk -v modes="$MODES" -v algs="$ALGS" '
function val(k,    i) {
	for (i = 2; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2)
	return ""
}
function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n == 0) return ""
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $1 SUBSEP val("phase")
	rate[k] = rate[k] " " (val("rate") + 0)
	f[k] = f[k] " " val("cpu_filter_us")
	rd[k] = rd[k] " " val("cpu_redis_us")
	ld[k] = ld[k] " " val("cpu_load_us")
	al[k] = al[k] " " val("cpu_all_us")
	rss[k] = val("rss_kb")
	n[k]++
}
END {
	nm = split(modes, m, " ")
	for (p = 1; p <= 2; p++) {
		ph = p == 1 ? "cold" : "warm"
		z = "null" SUBSEP ph
		zr = median(rate[z])
		for (i = 1; i <= nm; i++) {
			k = m[i] SUBSEP ph
			if (!(k in n)) continue
			M[k] = median(rate[k]); rlo = lo; rhi = hi
			F[k] = median(f[k]); A[k] = median(al[k])
			printf "| %s | %s | %d | %.0f | %.0f-%.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f |\n", \
			    m[i], ph, n[k], M[k], rlo, rhi, F[k], median(rd[k]), \
			    median(ld[k]), A[k], rss[k] / 1024, (zr > 0 ? M[k] / zr : 0)
		}
	}
	print ""
	print "| algorithm | phase | msgs/s Redis/file | filter µs Redis/file | machine µs Redis/file |"
	print "|---|---|---|---|---|"
	na = split(algs, a, " ")
	for (p = 1; p <= 2; p++) {
		ph = p == 1 ? "cold" : "warm"
		for (i = 1; i <= na; i++) {
			fk = "file-" a[i] SUBSEP ph
			rk = "redis-" a[i] SUBSEP ph
			if (!(fk in n) || !(rk in n) || M[fk] == 0 || F[fk] == 0 || A[fk] == 0)
				continue
			printf "| %s | %s | %.3f | %.3f | %.3f |\n", a[i], ph, \
			    M[rk] / M[fk], F[rk] / F[fk], A[rk] / A[fk]
		}
	}
}' "$results"
