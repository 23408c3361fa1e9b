#!/bin/bash
# tests/bench/milter_bench.sh -- milter throughput: postwarden-milter
# signing (rsa-sha256; rsa-sha256 + ed25519-sha256) against OpenDKIM
# signing with the same RSA key and against a do-nothing libmilter filter,
# all driven by tests/bench/milter_load (the MTA side of the milter
# protocol).  Not part of `make check`; results go in docs/bench-milter.md.
#
#   PW_BUILDDIR=/path/to/build tests/bench/milter_bench.sh [MESSAGES]
#
# Needs: a built postwarden-milter, gcc, libmilter-dev, redis-server,
# openssl, opendkim (Debian package opendkim).  Every process it starts is
# stopped by pid on exit (tests/harness/harness.sh).

: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$PW_SRCDIR/tests/harness/harness.sh"
. "$PW_SRCDIR/tests/bench/opendkim.sh"

N=${1:-20000}
command -v opendkim >/dev/null || pw_skip_all "opendkim not installed"
[ -x "$PW_BUILDDIR/milter/postwarden-milter" ] ||
    pw_skip_all "postwarden-milter not built in $PW_BUILDDIR"
pw_harness_init
T=$PW_TMP
B=$T/bin
mkdir -p "$B"
gcc -O2 -Wall -o "$B/milter_load" "$PW_SRCDIR/tests/bench/milter_load.c" \
    -lpthread || pw_bail "cannot build milter_load"
gcc -O2 -Wall -o "$B/milter_null" "$PW_SRCDIR/tests/bench/milter_null.c" \
    -lmilter -lpthread || pw_bail "cannot build milter_null"

# Keys, owned by the user the daemons run as.
mkdir -p "$T/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/keys/rsa.pem" 2>/dev/null || pw_bail "genpkey"
openssl genpkey -algorithm ED25519 -out "$T/keys/ed.pem" 2>/dev/null ||
    pw_bail "genpkey"
chown -R nobody "$T/keys"
chmod 0700 "$T/keys"
chmod 0600 "$T/keys"/*.pem
echo "rsa example.com r1 rsa $T/keys/rsa.pem" >"$T/keytable"
echo "ed example.com e1 ed25519 $T/keys/ed.pem" >>"$T/keytable"
echo "example.com rsa" >"$T/signing-rsa"
echo "example.com ed" >"$T/signing-ed25519"
echo "example.com rsa,ed" >"$T/signing-dual"

pw_redis_start
pw_redis_cli HSET pw:key:k_bench tenant bench >/dev/null

up() {	# PID SOCKET
	pw__alive "$1" && pw__unix_accepts "$2"
}

# run NAME SOCKET PID: one line of results per load, with the milter's
# peak RSS (VmHWM) after it.  Bodies of 2 KB and 64 KB, 1/8/32
# connections, as issue 4 asks; BENCH_BODIES overrides the sizes.
results=$T/results
run() {
	local name=$1 sock=$2 pid=$3 c b out rss
	for b in ${BENCH_BODIES:-2048 65536}; do
		for c in 1 8 32; do
			out=$("$B/milter_load" -s "$sock" -c "$c" -n "$N" -m 10 \
			    -b "$b") || pw_bail "milter_load failed against $name"
			# A signer that did not sign measured nothing useful.
			[ "$name" = null ] || [[ $out != *sigs_per_msg=0.00* ]] ||
			    pw_bail "$name did not sign: $out"
			rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
			echo "# $name: $out peak_rss_kb=$rss"
			echo "$name $out peak_rss_kb=$rss" >>"$results"
		done
	done
}

# --- the do-nothing filter --------------------------------------------------------

"$B/milter_null" "unix:$T/null.sock" >"$T/null.log" 2>&1 &
pw__record null $!
pw_wait_until "milter_null" 10 up "$!" "$T/null.sock" || pw_bail "milter_null"
run null "$T/null.sock" "${PW_PIDS[null]}"
pw__stop_pid null 5

# --- OpenDKIM ------------------------------------------------------------------------

bench_opendkim_start "$T/keys/rsa.pem" example.com r1
run opendkim "$T/od/opendkim.sock" "${PW_PIDS[opendkim]}"
pw__stop_pid opendkim 5

# --- postwarden-milter ---------------------------------------------------------------------

for mode in rsa ed25519 dual; do
	pw_daemon_start milter "log_level = info" \
	    "dkim_key_table = $T/keytable" \
	    "dkim_signing_table = $T/signing-$mode"
	run "postwarden-$mode" "$T/milter.sock" "${PW_PIDS[milter]}"
	pw_daemon_stop milter
	unset "PW_PIDS[milter]"
done

echo "# results: $results"
cat "$results"
